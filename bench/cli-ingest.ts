/**
 * End-to-end ingest benchmark, as a user runs it: `npm run bench:cli-ingest [-- --rows 1000000 --big
 * 4000000 --runs 5 --big-runs 3 --wide 300000]`.
 *
 * Times whole processes from spawn to exit, start-up included, on the same CSV:
 * - ledgerlake: `node bin/ledgerlake.mjs ingest <csv> --dataset transactions --lake <empty folder>`
 *   (the shipped binary: lands the file, hashes it, validates, writes Parquet, commits);
 * - DuckDB: a Node process that opens DuckDB with `threads = 1` and runs
 *   `COPY (SELECT * FROM read_csv(<csv>)) TO <file> (FORMAT parquet)` (what a user would script).
 * The two alternate `--runs` times and the medians are compared. Peak RSS is the largest high-water mark
 * (VmHWM, polled every 10 ms) of any process of the run's tree (the CLI is one process; a child would
 * count too, the tree being walked every 0.5 s); each size's figure is the highest of its runs. `--big-runs` ledgerlake runs on `--big` rows
 * check that peak RSS stays flat, and one run on `--wide` rows of about 1.1 KB each (a project folder of
 * their own with a `notes` contract; 0 skips it) that it does not grow with the width of the rows.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INGEST_BENCH_OPTIONS, median, runCount } from './runs';
import { generateCsv, OUT } from './transactions-csv';

interface Run {
  readonly seconds: number;
  readonly peakRssMb: number;
}

/** Process ids of `pid` and its descendants, from /proc. */
function tree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  visit(pid);
  return out;
}

function highWaterMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Polls between reading the peak RSS of the processes known: how often the process tree is walked
 * again for new ones. Walking all of /proc every 10 ms took 15% of a core (451 ms of CPU in 3 s), which
 * on a 2-core machine slowed ledgerlake's two threads and not DuckDB's one; reading the known processes'
 * status every 10 ms and walking the tree every 0.5 s takes 3% (83 ms, an empty 10 ms timer 36 ms).
 */
const POLLS_PER_TREE_WALK = 50;

/**
 * Runs a command to its end; wall time and the largest peak RSS seen in its process tree (a process of
 * it is seen once it has lived until the next walk of the tree, at most 0.5 s).
 */
async function measure(command: string, args: readonly string[], cwd?: string): Promise<Run> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], cwd });
  let peak = 0;
  let polls = 0;
  let pids = [child.pid!];
  const poll = setInterval(() => {
    if (++polls % POLLS_PER_TREE_WALK === 0) pids = tree(child.pid!);
    for (const pid of pids) peak = Math.max(peak, highWaterMb(pid));
  }, 10);
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(poll);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
  return { seconds, peakRssMb: peak };
}

const CLI = resolve('bin/ledgerlake.mjs');

async function ours(csv: string): Promise<Run> {
  const lake = mkdtempSync(join(tmpdir(), 'ledgerlake-bench-cli-'));
  try {
    return await measure(process.execPath, [CLI, 'ingest', csv, '--dataset', 'transactions', '--lake', lake]);
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

/**
 * A project folder with a contract of wide rows (an id, a time and a note of about 1.1 KB) and a CSV of
 * `rows` of them over three days, written once under bench/out/.
 */
async function wideProject(rows: number): Promise<{ folder: string; csv: string }> {
  const folder = join(OUT, `wide-${rows}`);
  const csv = join(folder, 'notes.csv');
  if (existsSync(csv)) return { folder, csv };
  mkdirSync(join(folder, 'contracts'), { recursive: true });
  writeFileSync(
    join(folder, 'contracts', 'notes.yaml'),
    [
      'name: notes',
      'description: "Wide rows: a long free-text note per row."',
      'primaryKey: [note_id]',
      'eventTime: event_time',
      'columns:',
      '  - { name: note_id, type: string, required: true, description: Id. }',
      '  - { name: event_time, type: timestamp, required: true, description: When. }',
      '  - { name: note, type: string, description: Free text. }',
      '',
    ].join('\n'),
  );
  const partial = `${csv}.partial`;
  const out = createWriteStream(partial);
  out.write('note_id,event_time,note\n');
  const filler = 'lorem ipsum dolor sit amet '.repeat(40);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    chunk += `N${i},2024-01-0${1 + Math.floor((i * 3) / rows)}T10:00:00Z,${i} ${filler}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  renameSync(partial, csv);
  return { folder, csv };
}

async function wide(rows: number): Promise<Run> {
  const { folder, csv } = await wideProject(rows);
  const lake = mkdtempSync(join(tmpdir(), 'ledgerlake-bench-wide-'));
  try {
    return await measure(
      process.execPath,
      [CLI, 'ingest', csv, '--dataset', 'notes', '--lake', lake],
      folder,
    );
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

async function duckdb(csv: string): Promise<Run> {
  const out = mkdtempSync(join(tmpdir(), 'ledgerlake-bench-duck-'));
  const script = `
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    await connection.run(\`COPY (SELECT * FROM read_csv('${csv}')) TO '${join(out, 'out.parquet')}' (FORMAT parquet)\`);`;
  try {
    return await measure(process.execPath, ['--input-type=module', '-e', script]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...INGEST_BENCH_OPTIONS,
      'big-runs': { type: 'string', default: '3' },
      wide: { type: 'string', default: '300000' },
    },
  });
  if (!existsSync(resolve('dist', 'cli.mjs'))) throw new Error('build the CLI first: npm run build');
  const rows = Number(values.rows);
  const big = Number(values.big);
  const csv = await generateCsv(rows);
  const bigCsv = await generateCsv(big);
  const runs = runCount(values.runs, '--runs');
  const mine: Run[] = [];
  const theirs: Run[] = [];
  for (let i = 0; i < runs; i++) {
    mine.push(await ours(csv));
    theirs.push(await duckdb(csv));
  }
  const a = median(mine);
  const b = median(theirs);
  const largeRuns: Run[] = [];
  for (let i = 0; i < runCount(values['big-runs'], '--big-runs'); i++) largeRuns.push(await ours(bigCsv));
  // Both sizes' peak RSS is the highest of their runs (see median()).
  const large = median(largeRuns);
  const list = (r: readonly Run[]) => r.map((x) => x.seconds.toFixed(2)).join(', ');
  console.log(
    `end-to-end ingest of ${rows.toLocaleString('en-US')} rows, whole processes, median of ${runs} alternating runs`,
  );
  console.log(`  runs (s): ledgerlake ${list(mine)}; duckdb ${list(theirs)}`);
  console.log(
    `  ledgerlake ingest (CLI)    ${a.seconds.toFixed(2)} s  peak RSS ${a.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  duckdb COPY, 1 thread      ${b.seconds.toFixed(2)} s  peak RSS ${b.peakRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  ratio (duckdb time / ledgerlake time)  ${(b.seconds / a.seconds).toFixed(2)}  (goal >= 0.5)`,
  );
  console.log(
    `  ledgerlake ingest (CLI) of ${big.toLocaleString('en-US')} rows  ${large.seconds.toFixed(2)} s  peak RSS ${large.peakRssMb.toFixed(0)} MB` +
      ` (runs: ${largeRuns.map((r) => `${r.seconds.toFixed(1)} s ${r.peakRssMb.toFixed(0)} MB`).join(', ')})` +
      `  (${(((large.peakRssMb - a.peakRssMb) / a.peakRssMb) * 100).toFixed(1)}% vs ${rows.toLocaleString('en-US')}; goal <= +10%, <= 300 MB)`,
  );
  const wideRows = Number(values.wide);
  if (!Number.isInteger(wideRows) || wideRows < 0)
    throw new Error(`--wide must be a whole number, got '${values.wide}'`);
  if (wideRows > 0) {
    const run = await wide(wideRows);
    const megabytes = statSync((await wideProject(wideRows)).csv).size / 1e6;
    console.log(
      `  ledgerlake ingest (CLI) of ${wideRows.toLocaleString('en-US')} wide rows (a 1.1 KB note each, ${megabytes.toFixed(0)} MB)  ` +
        `${run.seconds.toFixed(2)} s  peak RSS ${run.peakRssMb.toFixed(0)} MB  (goal <= 300 MB)`,
    );
  }
}

await main();
