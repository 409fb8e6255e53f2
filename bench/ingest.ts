/**
 * Ingest benchmark: `npm run bench:ingest [-- --rows 1000000 --big 4000000]`.
 *
 * Generates a transactions CSV, ingests it through the real pipeline (parse, validate, dedupe,
 * partition, Parquet) and converts the same file with DuckDB's single-threaded
 * `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet)`. Each run is its own process so its
 * peak RSS is its own; both sides load their code before the clock starts. The two alternate `--runs`
 * times (default 5) and the median time of each is compared: on a shared machine one run can be off by
 * a third. Prints rows/s, the ratio to DuckDB, peak RSS at two sizes and output size.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INGEST_BENCH_OPTIONS, median, runCount } from './runs';
import { generateCsv } from './transactions-csv';

const OUT = resolve('bench/out');

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet'))
      total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

interface RunFigures {
  seconds: number;
  peakRssMb: number;
  outputBytes: number;
  rowsValid?: number;
}

/** Child process: one measured run. */
async function child(kind: string, csv: string, target: string): Promise<void> {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  // Code is loaded before the clock starts, on both sides: the figure is throughput, not start-up.
  const { FsObjectStore } = await import('../src/storage/fs-store');
  const { ingestObject } = await import('../src/ingest/ingest-object');
  const { DuckDBInstance } =
    kind === 'duckdb' ? await import('@duckdb/node-api') : { DuckDBInstance: undefined };
  const started = performance.now();
  let rowsValid: number | undefined;
  if (kind === 'ingest' || !DuckDBInstance) {
    const lake = new FsObjectStore(target);
    const landing = new FsObjectStore(resolve(csv, '..'));
    const { manifest } = await ingestObject({
      landing,
      lake,
      key: csv.split('/').pop()!,
      dataset: 'transactions',
    });
    rowsValid = manifest.rows_valid;
  } else {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    await connection.run(
      `COPY (SELECT * FROM read_csv('${csv}')) TO '${join(target, 'out.parquet')}' (FORMAT parquet)`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const figures: RunFigures = {
    seconds,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    outputBytes: folderBytes(target),
    rowsValid,
  };
  console.log(JSON.stringify(figures));
}

function run(kind: string, csv: string): RunFigures {
  // Node's defaults, as the CLI runs ingest (bin/ledgerlake.mjs): no heap budget or young-generation flag.
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'bench/ingest.ts', '--child', kind, '--csv', csv],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(output.trim().split('\n').pop()!) as RunFigures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...INGEST_BENCH_OPTIONS,
      child: { type: 'string' },
      csv: { type: 'string' },
    },
  });
  mkdirSync(OUT, { recursive: true });
  if (values.child && values.csv) {
    await child(values.child, values.csv, join(OUT, `lake-${values.child}`));
    return;
  }
  const rows = Number(values.rows);
  const big = Number(values.big);
  console.log(
    `generating ${rows.toLocaleString('en-US')} and ${big.toLocaleString('en-US')} row CSVs in ${OUT} ...`,
  );
  const csv = await generateCsv(rows);
  const bigCsv = await generateCsv(big);
  const csvBytes = statSync(csv).size;

  const runs = runCount(values.runs, '--runs');
  const oursRuns: RunFigures[] = [];
  const duckRuns: RunFigures[] = [];
  for (let i = 0; i < runs; i++) {
    oursRuns.push(run('ingest', csv));
    duckRuns.push(run('duckdb', csv));
  }
  const ours = median(oursRuns);
  const duck = median(duckRuns);
  const oursBig = run('ingest', bigCsv);

  const mb = (n: number) => (n / 1e6).toFixed(1);
  const rate = (f: RunFigures, n: number) => Math.round(n / f.seconds);
  console.log(
    `\ningest benchmark (${rows.toLocaleString('en-US')} rows, ${mb(csvBytes)} MB CSV; median of ${runs} alternating runs)`,
  );
  const seconds = (figures: RunFigures[]) => figures.map((f) => f.seconds.toFixed(2)).join(', ');
  console.log(`  runs (s): ledgerlake ${seconds(oursRuns)}; duckdb ${seconds(duckRuns)}`);
  console.log(
    `  ledgerlake ingest      ${ours.seconds.toFixed(2)} s  ${rate(ours, rows).toLocaleString('en-US')} rows/s  peak RSS ${ours.peakRssMb.toFixed(0)} MB  parquet ${mb(ours.outputBytes)} MB (${((100 * ours.outputBytes) / csvBytes).toFixed(1)}% of CSV)`,
  );
  console.log(
    `  duckdb COPY, 1 thread  ${duck.seconds.toFixed(2)} s  ${rate(duck, rows).toLocaleString('en-US')} rows/s  peak RSS ${duck.peakRssMb.toFixed(0)} MB  parquet ${mb(duck.outputBytes)} MB`,
  );
  console.log(
    `  ratio ledgerlake/duckdb  ${(rate(ours, rows) / rate(duck, rows)).toFixed(2)}  (target >= 0.3, goal 0.5)`,
  );
  console.log(
    `  ledgerlake ingest ${big.toLocaleString('en-US')} rows  ${oursBig.seconds.toFixed(2)} s  ${rate(oursBig, big).toLocaleString('en-US')} rows/s  peak RSS ${oursBig.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  peak RSS growth ${rows.toLocaleString('en-US')} -> ${big.toLocaleString('en-US')} rows: ${(((oursBig.peakRssMb - ours.peakRssMb) / ours.peakRssMb) * 100).toFixed(1)}%  (target within 10%, under 300 MB)`,
  );
  if (ours.rowsValid !== rows) console.log(`  WARNING: ${ours.rowsValid} valid rows of ${rows}`);
}

await main();
