/**
 * Benchmark: build the local DuckDB catalog over 1M transactions (5,000 accounts, 365 days) and time
 * the daily balance snapshot. Prints figures; not a test. Run: `node --import tsx bench/catalog.ts`.
 * Options (env): BENCH_ROWS (default 1000000), BENCH_ACCOUNTS (5000), BENCH_DAYS (365).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCatalog, buildModels, createBaseTables, installCompatMacros } from '../src/engine/catalog';
import { openDuckDb } from '../src/engine/duckdb';
import { writeCommitRecords } from '../test/support/commit-records';

const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 5_000);
const days = Number(process.env.BENCH_DAYS ?? 365);

/** Runs a step and prints its wall time and the process CPU time (DuckDB's threads included). */
async function timed<T>(label: string, action: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = await action();
  const { user, system } = process.cpuUsage(cpu);
  const wall = ((performance.now() - started) / 1000).toFixed(2).padStart(7);
  console.log(`${label.padEnd(52)} ${wall} s wall ${((user + system) / 1e6).toFixed(2).padStart(7)} s cpu`);
  return result;
}

/** The machine's 1-minute load average: wall times on a shared machine only mean something beside it. */
function load(): string {
  return loadavg()[0]!.toFixed(1);
}

const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-bench-'));
try {
  console.log(
    `ledgerlake catalog benchmark: ${rows.toLocaleString('en-US')} transactions, ${accounts} accounts, ${days} days, ${cpus().length} cores`,
  );

  // Generate the lake with DuckDB itself: deterministic pseudo-random columns derived from the row number.
  const generator = await openDuckDb();
  mkdirSync(join(lakeDir, 'curated', 'transactions'), { recursive: true });
  mkdirSync(join(lakeDir, 'curated', 'customers'), { recursive: true });
  await timed('generate transactions Parquet (Hive partitions)', () =>
    generator.execute(`
      copy (
        select
          'T' || lpad(cast(i as varchar), 8, '0') as transaction_id,
          cast(timestamp '2024-01-01 00:00:00' + to_days(cast((i * 7919) % ${days} as integer))
            + to_seconds(cast((i * 104729) % 86400 as bigint)) as timestamptz) as event_time,
          'C' || cast(i % ${accounts} as varchar) as customer_id,
          'A' || cast(i % ${accounts} as varchar) as account_id,
          (['credit_card', 'debit_card', 'upi', 'net_banking'])[1 + i % 4] as channel,
          (['New York', 'Chicago', 'Houston', 'Seattle', 'Miami'])[1 + (i // 7) % 5] as city,
          (['deposit', 'deposit', 'withdrawal', 'payment', 'refund', 'fee'])[1 + (i // 3) % 6] as type,
          cast(1 + (i * 31) % 200000 / 100.0 as decimal(18, 2)) as amount,
          'USD' as currency,
          case when i % 10 = 0 then 'failed' when i % 50 = 1 then 'pending' else 'success' end as status,
          ((i * 13) % 5000) / 1000.0 as processing_time_s,
          'landing/transactions/bench-' || cast(i // 100000 as varchar) || '.csv' as source_key,
          cast(i % 100000 + 1 as integer) as source_line,
          cast(timestamp '2025-01-02 00:00:00' as timestamptz) as ingested_at,
          cast(timestamp '2024-01-01 00:00:00' + to_days(cast((i * 7919) % ${days} as integer)) as date) as dt
        from range(${rows}) as r (i)
      ) to '${join(lakeDir, 'curated', 'transactions')}' (format parquet, partition_by (dt), compression zstd)`),
  );
  await timed('generate customers Parquet (2 snapshots each)', () =>
    generator.execute(`
      copy (
        select
          'C' || cast(c as varchar) as customer_id,
          'Customer ' || cast(c as varchar) as name,
          'c' || cast(c as varchar) || '@example.com' as email,
          (['retail', 'premium', 'business'])[1 + (c + v) % 3] as segment,
          'Chicago' as city,
          cast(timestamp '2024-01-01 00:00:00' + to_days(cast(v * 180 as integer)) as timestamptz) as updated_at,
          'landing/customers/bench.csv' as source_key,
          cast(c * 2 + v + 1 as integer) as source_line,
          cast(timestamp '2025-01-02 00:00:00' as timestamptz) as ingested_at,
          cast(timestamp '2024-01-01 00:00:00' + to_days(cast(v * 180 as integer)) as date) as dt
        from range(${accounts}) as a (c) cross join range(2) as s (v)
      ) to '${join(lakeDir, 'curated', 'customers')}' (format parquet, partition_by (dt))`),
  );
  // Readers see a source file's rows once it is committed, as ingest does (src/ingest/commit.ts).
  for (const dataset of ['transactions', 'customers']) await writeCommitRecords(generator, lakeDir, dataset);
  await generator.close();

  // 1. The whole catalog, as `ledgerlake query` on any model would build it.
  const engine = await openDuckDb({ source: lakeDir });
  const build = await timed('build the whole catalog (base tables + all models)', () =>
    buildCatalog(engine, { lakeDir }),
  );
  for (const entry of build.refresh?.models ?? []) {
    console.log(
      `  refresh ${entry.model.padEnd(34)} ${entry.mode.padEnd(11)} ${String(entry.days.length).padStart(4)} days ` +
        `${String(entry.statements).padStart(3)} statements ${(entry.ms / 1000).toFixed(2).padStart(7)} s`,
    );
  }
  const slowest = [...build.models].sort((a, b) => b.ms - a.ms).slice(0, 6);
  for (const model of slowest) {
    console.log(
      `  ${model.name.padEnd(34)} ${model.materialized.padEnd(5)} ${(model.ms / 1000).toFixed(2).padStart(21)} s`,
    );
  }
  const snapshot = await engine.query(
    'select count(*) as snapshot_rows, count(distinct account_id) as accounts, min(balance_date) as first_day, max(balance_date) as last_day from fact_account_daily_balance',
  );
  console.log('  snapshot:', JSON.stringify(snapshot.rows[0]));
  await timed('query one balance (account A42 on 2024-07-01)', () =>
    engine.query(
      "select closing_balance from fact_account_daily_balance where account_id = 'A42' and balance_date = date '2024-07-01'",
    ),
  );
  await timed('query kpi_daily (365 days, 7-day moving averages)', () =>
    engine.query('select * from kpi_daily'),
  );
  await timed('query active_customers_daily (bitmaps, a view)', () =>
    engine.query('select * from active_customers_daily'),
  );
  await engine.close();

  // 2. Only what the daily balance snapshot needs, as `ledgerlake balance` builds it.
  const balanceEngine = await openDuckDb({ source: lakeDir });
  await timed('balance path: base tables + snapshot and its inputs', async () => {
    await installCompatMacros(balanceEngine);
    await createBaseTables(balanceEngine, { lakeDir });
    await buildModels(balanceEngine, { models: ['fact_account_daily_balance'] });
  });
  await timed('recompute the daily balance snapshot alone', () =>
    buildModels(balanceEngine, { models: ['fact_account_daily_balance'], includeDependencies: false }).then(
      () => undefined,
    ),
  );
  await balanceEngine.close();
  console.log(`load average at the end: ${load()}`);
} finally {
  rmSync(lakeDir, { recursive: true, force: true });
}
