/**
 * Benchmark: how much data the routine queries read as history grows, before (every model a view, as
 * Athena ran them) and after (incremental day-partitioned marts). Prints figures; not a test.
 * Run: `npm run bench:scan`.
 *
 * Options (env): BENCH_DAYS_LIST (default `30,365,1095`), BENCH_TX_PER_DAY (10000), BENCH_ACCOUNTS
 * (5000). The issue asks for 200k transactions a day over 50k accounts; the defaults are scaled down
 * for a 2-core machine and the last line extrapolates per-row figures to 200k/day.
 *
 * Bytes read: the process's `rchar` (/proc/self/io) around the measured step, minus what this script
 * itself reads (the profile files); DuckDB's own `total_bytes_read` under-reports. DuckDB's external
 * file cache is off and every measurement opens a fresh DuckDBInstance (same process). Files: the sum
 * over every Parquet scan of every statement of "Total Files Read" from DuckDB's JSON profile
 * (`profiling_coverage = 'ALL'`, so COPY and CREATE TABLE are profiled too): a file read by two scans
 * counts twice, as Athena bills it.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { evaluateAlerts } from '../src/alerts/evaluate';
import { SentAlertLedger } from '../src/alerts/ledger';
import type { AlertPublisher } from '../src/alerts/types';
import { buildCatalog, createBaseTables, installCompatMacros } from '../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../src/engine/duckdb';
import { sweepAttempts } from '../src/ingest/commit';
import { DUCKDB_NAMES } from '../src/materialize/duckdb-writer';
import { addDays, composeRefreshSql, isIncremental } from '../src/materialize/plan';
import type { RefreshResult } from '../src/materialize/refresh';
import { loadModels } from '../src/sql/models';
import { FsObjectStore } from '../src/storage/fs-store';
import { writeCommitRecords } from '../test/support/commit-records';

const daysList = (process.env.BENCH_DAYS_LIST ?? '30,365,1095')
  .split(',')
  .map((d) => Number(d.trim()))
  .filter((d) => d > 0);
const txPerDay = Number(process.env.BENCH_TX_PER_DAY ?? 10_000);
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 5_000);
const FIRST_DAY = '2024-01-01';
const TARGET_TX_PER_DAY = 200_000;
const TARGET_ACCOUNTS = 50_000;

// ---------------------------------------------------------------------------------------------
// Measuring

/** Bytes this process has read through read()-like calls since it started. */
function rchar(): number {
  const text = readFileSync('/proc/self/io', 'utf8');
  return Number(/^rchar:\s*(\d+)/m.exec(text)![1]);
}

interface Measure {
  bytes: number;
  files: number;
  statements: number;
  ms: number;
}

/**
 * A fresh DuckDB instance whose every statement is profiled: the Parquet files each statement opened
 * are added to `files`. The profile files this script reads are subtracted from the byte count.
 */
class ProfiledEngine {
  files = 0;
  statements = 0;
  ownReads = 0;
  /** Every statement run: its SQL, bytes read and files opened. */
  readonly log: { sql: string; bytes: number; files: number; scans: string[] }[] = [];
  private readonly profile: string;

  private constructor(
    readonly engine: DuckDbEngine,
    dir: string,
  ) {
    this.profile = join(dir, 'profile.json');
  }

  static async open(dir: string, source: string): Promise<ProfiledEngine> {
    const engine = await openDuckDb({ source });
    const settings = await engine.query(
      "select name from duckdb_settings() where name = 'enable_external_file_cache'",
    );
    if (settings.rows.length > 0) await engine.execute('set enable_external_file_cache = false');
    const profiled = new ProfiledEngine(engine, dir);
    await engine.execute(
      `pragma enable_profiling = 'json'; set profiling_coverage = 'ALL'; set profiling_output = '${profiled.profile}'`,
    );
    const query = engine.query.bind(engine);
    const execute = engine.execute.bind(engine);
    engine.query = async (sql) => profiled.around(sql, () => query(sql));
    engine.execute = async (sql) => profiled.around(sql, () => execute(sql));
    return profiled;
  }

  private async around<T>(sql: string, run: () => Promise<T>): Promise<T> {
    if (existsSync(this.profile)) unlinkSync(this.profile);
    const before = rchar();
    try {
      return await run();
    } finally {
      const bytes = rchar() - before;
      this.statements++;
      let files = 0;
      let scans: string[] = [];
      if (existsSync(this.profile)) {
        const text = readFileSync(this.profile, 'utf8');
        this.ownReads += Buffer.byteLength(text);
        try {
          const profile = JSON.parse(text);
          files = filesRead(profile);
          scans = scanSummaries(profile);
        } catch {
          // a statement whose profile is not JSON (none seen): its files are not counted
        }
      }
      this.files += files;
      this.log.push({ sql, bytes, files, scans });
    }
  }

  /** The statements that read most since log entry `from`. */
  top(from: number, count: number): string[] {
    return this.log
      .slice(from)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, count)
      .map(
        (s) =>
          `${mb(s.bytes).padStart(10)} ${String(s.files).padStart(5)} f  ${describe(s.sql)}` +
          s.scans
            .filter((scan) => !scan.startsWith('1/') && !scan.startsWith('0/'))
            .map((scan) => `\n${' '.repeat(22)}scan ${scan}`)
            .join(''),
      );
  }

  /** Runs `step` and returns what it read. */
  async measure(step: () => Promise<unknown>): Promise<Measure> {
    const files = this.files;
    const statements = this.statements;
    const own = this.ownReads;
    const started = performance.now();
    const before = rchar();
    await step();
    const after = rchar();
    return {
      bytes: after - before - (this.ownReads - own),
      files: this.files - files,
      statements: this.statements - statements,
      ms: performance.now() - started,
    };
  }

  async close(): Promise<void> {
    await this.engine.execute('pragma disable_profiling').catch(() => undefined);
    await this.engine.close();
  }
}

/** Each Parquet scan of a profile that opened files: `read/of files [filters]`. */
function scanSummaries(node: { extra_info?: Record<string, unknown>; children?: unknown[] }): string[] {
  const out: string[] = [];
  const info = node.extra_info;
  if (info?.['Total Files Read'] !== undefined && Number(info['Total Files Read']) > 0) {
    const of = String(info['Scanning Files'] ?? '').split('/')[1] ?? '?';
    const glob = String(info['Filename(s)'] ?? '')
      .split(',')[0]!
      .replace(/^.*\/(curated|marts)\//, '$1/');
    const filters = info['File Filters']
      ? ` [${String(info['File Filters']).slice(0, 60)}]`
      : ' [no file filter]';
    out.push(`${info['Total Files Read']}/${of} ${glob.slice(0, 60)}${filters}`);
  }
  for (const child of node.children ?? []) out.push(...scanSummaries(child as typeof node));
  return out;
}

/** A statement in one line: a refresh COPY by the model it writes, else its first characters. */
function describe(sql: string): string {
  const staging = /_staging\/([a-z_]+)-[0-9a-f-]{36}'/.exec(sql);
  const days = /select \* from model where "[a-z_]+" in \(([^)]*)\)\s*\)?\s*to '/.exec(sql);
  if (staging) {
    const count = days ? days[1]!.split(',').length : '?';
    return `refresh COPY of ${staging[1]} (${count} days)`;
  }
  const text = sql.replace(/\s+/g, ' ').trim();
  return text.length > 140 ? `${text.slice(0, 140)}...` : text;
}

/** The sum of "Total Files Read" over every scan operator of a JSON profile. */
function filesRead(node: { extra_info?: Record<string, unknown>; children?: unknown[] }): number {
  let total = 0;
  const read = node.extra_info?.['Total Files Read'];
  if (read !== undefined) total += Number(read);
  for (const child of node.children ?? []) total += filesRead(child as typeof node);
  return total;
}

/** Counts digests instead of delivering them. */
class CountingPublisher implements AlertPublisher {
  readonly name = 'counting';
  digests = 0;
  entries = 0;
  async publish(_notification: unknown, digest: { entries: readonly unknown[] }): Promise<void> {
    this.digests++;
    this.entries += digest.entries.length;
  }
}

// ---------------------------------------------------------------------------------------------
// The synthetic lake

/** Writes transactions of days [from, to) (0-based from FIRST_DAY) as one curated file per day. */
async function writeTransactions(generator: DuckDbEngine, lakeDir: string, from: number, to: number) {
  const folder = join(lakeDir, 'curated', 'transactions');
  mkdirSync(folder, { recursive: true });
  await generator.execute(`
    copy (
      select
        'T' || lpad(cast(i as varchar), 10, '0') as transaction_id,
        cast(timestamp '${FIRST_DAY} 00:00:00' + to_days(cast(i // ${txPerDay} as integer))
          + to_seconds(cast((i * 104729) % 86400 as bigint)) as timestamptz) as event_time,
        'C' || cast((i * 7919) % ${accounts} as varchar) as customer_id,
        'A' || cast((i * 7919) % ${accounts} as varchar) as account_id,
        (['credit_card', 'debit_card', 'upi', 'net_banking'])[1 + i % 4] as channel,
        (['New York', 'Chicago', 'Houston', 'Seattle', 'Miami'])[1 + (i // 7) % 5] as city,
        (['deposit', 'deposit', 'withdrawal', 'payment', 'refund', 'fee'])[1 + (i // 3) % 6] as type,
        cast(1 + (i * 31) % 200000 / 100.0 as decimal(18, 2)) as amount,
        'USD' as currency,
        case when i % 10 = 0 then 'failed' when i % 50 = 1 then 'pending' else 'success' end as status,
        ((i * 13) % 5000) / 1000.0 as processing_time_s,
        'landing/transactions/bench-' || cast(i // ${txPerDay} as varchar) || '.csv' as source_key,
        cast(i % ${txPerDay} + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' + to_days(cast(i // ${txPerDay} + 1 as integer)) as timestamptz) as ingested_at,
        cast(date '${FIRST_DAY}' + cast(i // ${txPerDay} as integer) as date) as dt
      from range(${from * txPerDay}, ${to * txPerDay}) as r (i)
    ) to '${folder}' (format parquet, partition_by (dt), compression snappy, overwrite_or_ignore true,
      filename_pattern 'bench-{uuid}')`);
  // Readers see a source file's rows once it is committed, as ingest does (src/ingest/commit.ts).
  await writeCommitRecords(generator, lakeDir, 'transactions', {
    from: addDays(FIRST_DAY, from),
    to: addDays(FIRST_DAY, to - 1),
  });
}

/** One customers snapshot of every account, on the first day. */
async function writeCustomers(generator: DuckDbEngine, lakeDir: string) {
  const folder = join(lakeDir, 'curated', 'customers');
  mkdirSync(folder, { recursive: true });
  await generator.execute(`
    copy (
      select
        'C' || cast(c as varchar) as customer_id,
        'Customer ' || cast(c as varchar) as name,
        'c' || cast(c as varchar) || '@example.com' as email,
        (['retail', 'premium', 'business'])[1 + c % 3] as segment,
        (['New York', 'Chicago', 'Houston', 'Seattle', 'Miami'])[1 + c % 5] as city,
        cast(timestamp '${FIRST_DAY} 00:00:00' as timestamptz) as updated_at,
        'landing/customers/bench.csv' as source_key,
        cast(c + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' as timestamptz) as ingested_at,
        date '${FIRST_DAY}' as dt
      from range(${accounts}) as a (c)
    ) to '${folder}' (format parquet, partition_by (dt), compression snappy, filename_pattern 'bench-{uuid}')`);
  await writeCommitRecords(generator, lakeDir, 'customers');
}

function folderBytes(folder: string): number {
  if (!existsSync(folder)) return 0;
  let total = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/** Bytes of one day's partition of every materialized model (`marts/<model>/<column>=<day>/`). */
function martDayBytes(lakeDir: string, day: string): number {
  const marts = join(lakeDir, 'marts');
  if (!existsSync(marts)) return 0;
  let total = 0;
  for (const model of readdirSync(marts, { withFileTypes: true })) {
    if (!model.isDirectory() || model.name.startsWith('_')) continue;
    for (const partition of readdirSync(join(marts, model.name))) {
      if (partition.endsWith(`=${day}`)) total += folderBytes(join(marts, model.name, partition));
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Before: every model a view over the whole lake

/**
 * The old catalog: base tables and every model as a view, nothing stored. An incremental model's
 * view is its full-build text (every day of the lake, empty carry), so it reads what the old view read.
 */
async function createViewCatalog(engine: DuckDbEngine, lakeDir: string, allDays: readonly string[]) {
  await installCompatMacros(engine);
  await createBaseTables(engine, { lakeDir });
  const models = loadModels();
  const partitions = new Map<string, readonly string[]>();
  for (const model of models) {
    for (const input of model.incremental?.inputs ?? []) partitions.set(input.relation, allDays);
    partitions.set(model.name, allDays);
  }
  for (const model of models) {
    const body = isIncremental(model)
      ? `select * from (\n${composeRefreshSql({ model, models, days: allDays, partitions, priorDays: [] }, DUCKDB_NAMES)}\n) as full_build`
      : model.sql;
    await engine.execute(`create view "${model.name}" as\n${body}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function mb(bytes: number): string {
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} KB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function cell(m: Measure): string {
  return `${mb(m.bytes).padStart(10)} ${String(m.files).padStart(6)} f ${(m.ms / 1000).toFixed(1).padStart(6)} s`;
}

interface Row {
  label: string;
  before: Measure;
  after: Measure;
  note?: string;
}

interface Summary {
  days: number;
  dayBytes: number;
  lakeBytes: number;
  rows: Row[];
}

function printTable(summary: Summary) {
  console.log(
    `\n${summary.days} days (+1 ingested): one day of curated transactions ${mb(summary.dayBytes)}, whole curated lake ${mb(summary.lakeBytes)}`,
  );
  console.log(
    `${'query'.padEnd(40)} ${'before: bytes files time'.padStart(26)}  ${'after: bytes files time'.padStart(26)}  ${'ratio'.padStart(8)}`,
  );
  for (const row of summary.rows) {
    const ratio = row.after.bytes > 0 ? `${(row.before.bytes / row.after.bytes).toFixed(0)}x` : '-';
    console.log(
      `${row.label.padEnd(40)} ${cell(row.before).padStart(26)}  ${cell(row.after).padStart(26)}  ${ratio.padStart(8)}${row.note ? `  ${row.note}` : ''}`,
    );
  }
}

function printRefresh(label: string, refresh: RefreshResult | undefined) {
  if (!refresh) return;
  console.log(`  ${label}: changed inputs ${JSON.stringify(refresh.changedInputs)}`);
  for (const model of refresh.models) {
    const days = model.days.length;
    const span =
      days === 0 ? '' : days === 1 ? ` ${model.days[0]}` : ` ${model.days[0]}..${model.days.at(-1)}`;
    console.log(
      `    ${model.model.padEnd(36)} ${model.mode.padEnd(11)} ${String(days).padStart(5)} days${span.padEnd(24)} ${String(model.statements).padStart(3)} statements ${(model.ms / 1000).toFixed(1).padStart(6)} s`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// One history length

async function run(days: number): Promise<Summary> {
  const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-scan-'));
  const work = mkdtempSync(join(tmpdir(), 'ledgerlake-scan-work-'));
  try {
    const started = performance.now();
    const generator = await openDuckDb();
    await writeTransactions(generator, lakeDir, 0, days);
    await writeCustomers(generator, lakeDir);
    // As in a lake the daily sweep has run on: the history's commit records folded into one file.
    await sweepAttempts(new FsObjectStore(lakeDir), {
      compactAfterMs: 0,
      now: () => new Date(Date.now() + 60_000),
    });
    console.log(
      `\n== ${days} days: generated ${(days * txPerDay).toLocaleString('en-US')} transactions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // Full build of the marts over N days (not measured as a routine query: a one-off).
    {
      const build = await ProfiledEngine.open(work, lakeDir);
      const full = await build.measure(() => buildCatalog(build.engine, { lakeDir }));
      console.log(`  full build of the marts (one-off): ${cell(full)}`);
      await build.close();
    }

    // Day N+1 lands.
    await writeTransactions(generator, lakeDir, days, days + 1);
    await generator.close();
    const newDay = addDays(FIRST_DAY, days);
    const allDays = Array.from({ length: days + 1 }, (_, i) => addDays(FIRST_DAY, i));
    const txFolder = join(lakeDir, 'curated', 'transactions');
    const dayBytes = folderBytes(join(txFolder, `dt=${newDay}`));
    const lakeBytes = folderBytes(join(lakeDir, 'curated'));
    const kpiFrom = addDays(newDay, -7);
    const balanceDay = addDays(FIRST_DAY, Math.floor(days / 2));
    const kpiSql = `select * from kpi_daily where kpi_date > date '${kpiFrom}'`;
    const balanceSql = `select closing_balance from fact_account_daily_balance where account_id = 'A42' and balance_date = date '${balanceDay}'`;

    // AFTER (a): incremental refresh + alerts for the new day.
    let afterRefresh: RefreshResult | undefined;
    let split = '';
    let topAfter: string[] = [];
    const afterAlerts = await (async () => {
      const p = await ProfiledEngine.open(work, lakeDir);
      const ledgerDir = mkdtempSync(join(work, 'ledger-'));
      const store = new FsObjectStore(ledgerDir);
      const publisher = new CountingPublisher();
      let refreshPart: Measure | undefined;
      let alertPart: Measure | undefined;
      const logFrom = p.log.length;
      const total = await p.measure(async () => {
        refreshPart = await p.measure(async () => {
          afterRefresh = (await buildCatalog(p.engine, { lakeDir })).refresh;
        });
        alertPart = await p.measure(() =>
          evaluateAlerts({
            engine: p.engine,
            store,
            publisher,
            dates: [newDay],
            latestDate: afterRefresh?.partitions.balance_moves?.at(-1),
            ledger: new SentAlertLedger(store),
          }),
        );
      });
      topAfter = p.top(logFrom, 8);
      split = `refresh ${mb(refreshPart!.bytes)}/${refreshPart!.files} f/${refreshPart!.statements} stmts + alerts ${mb(alertPart!.bytes)}/${alertPart!.files} f; ${publisher.digests} digests, ${publisher.entries} breaches`;
      await p.close();
      return total;
    })();

    // AFTER (b), (c): one query each on the materialized catalog, fresh instance each.
    const afterQuery = async (sql: string) => {
      const p = await ProfiledEngine.open(work, lakeDir);
      await buildCatalog(p.engine, { lakeDir });
      const m = await p.measure(() => p.engine.query(sql));
      await p.close();
      return m;
    };
    const afterKpi = await afterQuery(kpiSql);
    const afterBalance = await afterQuery(balanceSql);

    // AFTER (d): a correction three days back (the day's file replaced), refresh + alerts.
    const correctedDay = addDays(newDay, -3);
    rmSync(join(txFolder, `dt=${correctedDay}`), { recursive: true, force: true });
    {
      const rewriter = await openDuckDb();
      await writeTransactions(rewriter, lakeDir, days - 3, days - 2);
      await rewriter.close();
    }
    let correctionRefresh: RefreshResult | undefined;
    const afterCorrection = await (async () => {
      const p = await ProfiledEngine.open(work, lakeDir);
      const store = new FsObjectStore(mkdtempSync(join(work, 'ledger-')));
      const total = await p.measure(async () => {
        correctionRefresh = (await buildCatalog(p.engine, { lakeDir })).refresh;
        const moves = correctionRefresh?.models.find((m) => m.model === 'balance_moves')?.days ?? [];
        await evaluateAlerts({
          engine: p.engine,
          store,
          publisher: new CountingPublisher(),
          dates: moves,
          latestDate: correctionRefresh?.partitions.balance_moves?.at(-1),
          ledger: new SentAlertLedger(store),
        });
      });
      await p.close();
      return total;
    })();

    // BEFORE: every model a view; the old alerts path (max(balance_date), then the breaches of that day).
    const beforeQuery = async (step: (engine: DuckDbEngine) => Promise<unknown>) => {
      const p = await ProfiledEngine.open(work, lakeDir);
      await createViewCatalog(p.engine, lakeDir, allDays);
      const m = await p.measure(() => step(p.engine));
      await p.close();
      return m;
    };
    const beforeAlerts = await beforeQuery(async (engine) => {
      const ledgerDir = mkdtempSync(join(work, 'ledger-'));
      const store = new FsObjectStore(ledgerDir);
      await evaluateAlerts({
        engine,
        store,
        publisher: new CountingPublisher(),
        ledger: new SentAlertLedger(store),
      });
    });
    const beforeKpi = await beforeQuery((engine) => engine.query(kpiSql));
    const beforeBalance = await beforeQuery((engine) => engine.query(balanceSql));

    const summary: Summary = {
      days,
      dayBytes,
      lakeBytes,
      rows: [
        {
          label: '(a) ingest 1 day: refresh + alerts',
          before: beforeAlerts,
          after: afterAlerts,
          note:
            `after = ${(afterAlerts.bytes / dayBytes).toFixed(2)}x one day's curated data, ` +
            `${(afterAlerts.bytes / (dayBytes + martDayBytes(lakeDir, newDay))).toFixed(2)}x one day of the lake ` +
            `(curated + every mart's partition of that day; target <= 2x)`,
        },
        {
          label: '(d) correction 3 days back: refresh + alerts',
          before: beforeAlerts,
          after: afterCorrection,
          note: `rewrote ${correctionRefresh?.models.find((m) => m.model === 'fact_account_daily_balance')?.days.length ?? 0} balance days; ${(afterCorrection.bytes / (dayBytes + martDayBytes(lakeDir, newDay))).toFixed(2)}x one day of the lake`,
        },
        { label: `(b) kpi_daily last 7 days`, before: beforeKpi, after: afterKpi },
        { label: `(c) balance A42 on ${balanceDay}`, before: beforeBalance, after: afterBalance },
      ],
    };
    printTable(summary);
    console.log(`  (a) after split: ${split}`);
    printRefresh('(a) refresh of the new day', afterRefresh);
    console.log('  (a) after: the statements that read most');
    for (const line of topAfter) console.log(`    ${line}`);
    console.log(`  (${days} days done in ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    return summary;
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const startedAll = performance.now();
const scaled = txPerDay < TARGET_TX_PER_DAY || accounts < TARGET_ACCOUNTS;
console.log(
  `ledgerlake scan benchmark: histories ${daysList.join(', ')} days, ${txPerDay.toLocaleString('en-US')} tx/day over ${accounts.toLocaleString('en-US')} accounts, ${cpus().length} cores` +
    (scaled
      ? ` (scaled down from the issue's ${TARGET_TX_PER_DAY.toLocaleString('en-US')} tx/day over ${TARGET_ACCOUNTS.toLocaleString('en-US')} accounts for this machine)`
      : ''),
);
console.log(
  'bytes = process rchar delta (/proc/self/io), external file cache off, fresh DuckDBInstance per measurement; f = Parquet files opened (sum over scans, DuckDB profile)',
);
const summaries: Summary[] = [];
for (const days of daysList) summaries.push(await run(days));

const scale = TARGET_TX_PER_DAY / txPerDay;
const last = summaries.at(-1);
if (last) {
  const [a, b, c] = last.rows;
  const perRow = (bytes: number, rows: number) => bytes / rows;
  console.log(
    `\nextrapolated to ${TARGET_TX_PER_DAY.toLocaleString('en-US')} tx/day (x${scale} per row, ${last.days}-day history; account-grain marts scale with accounts, x${TARGET_ACCOUNTS / accounts}, so this is a rough linear guess):` +
      ` one curated day ~${mb(perRow(last.dayBytes, txPerDay) * TARGET_TX_PER_DAY)};` +
      ` (a) after ~${mb(perRow(a!.after.bytes, txPerDay) * TARGET_TX_PER_DAY)} (before ~${mb(a!.before.bytes * scale)});` +
      ` (b) after ~${mb(b!.after.bytes * scale)} (before ~${mb(b!.before.bytes * scale)});` +
      ` (c) after ~${mb(c!.after.bytes * scale)} (before ~${mb(c!.before.bytes * scale)})`,
  );
}
const seconds = (performance.now() - startedAll) / 1000;
console.log(`total ${seconds.toFixed(0)} s`);
if (seconds > 600) {
  console.log(
    'note: over the 10-minute budget on this machine; BENCH_DAYS_LIST=30,365,730 or BENCH_TX_PER_DAY=5000 fits',
  );
}
