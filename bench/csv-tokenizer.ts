/**
 * Speed and memory of the streaming source readers. Not a test: it prints figures.
 *
 *   node --import tsx bench/csv-tokenizer.ts [rows] [--unicode] [--duckdb]
 *
 * Generates a transactions-like CSV of `rows` rows (default 1M, ~78 bytes a row, 11 columns, about 2% of
 * rows with a quoted city containing a comma; `--unicode` adds non-ASCII city names), streams it from disk
 * through `openSource` and iterates all batches. Then the same file gzipped, and a JSON array and an NDJSON
 * file of 200k objects with a nested `product` object. Peak RSS is sampled while each reader runs.
 * `--duckdb` first times DuckDB's single-thread CSV -> Parquet on the same file, the yardstick of
 * ENGINEERING_NOTES.md, so that both are measured under the same machine load. CPU time is printed next
 * to wall time because the machines are shared.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { openSource } from '../src/ingest/formats/source-reader';

const READ_CHUNK_BYTES = 1 << 20;
const CHANNELS = ['web', 'mobile', 'branch', 'atm'];
const CITIES = ['Berlin', 'Paris', 'Madrid', 'Lisbon', 'Oslo', 'Vienna', 'Dublin', 'Rome'];
const UNICODE_CITIES = ['Zürich', 'São Paulo', 'Kraków', 'Malmö'];
const TYPES = ['debit', 'credit'];
const STATUSES = ['settled', 'pending', 'failed'];

const args = process.argv.slice(2);
const rows = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const unicode = args.includes('--unicode');
const objects = Math.max(1, Math.round(rows / 5));

/** A deterministic pseudo-random sequence, so that runs are comparable. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)]!;
}

async function writeLines(path: string, lines: () => Generator<string>): Promise<void> {
  // Joins lines into ~1 MB writes so that generating the file stays cheap and bounded.
  async function* blocks(): AsyncGenerator<string> {
    let block: string[] = [];
    let size = 0;
    for (const line of lines()) {
      block.push(line);
      size += line.length;
      if (size > READ_CHUNK_BYTES) {
        yield block.join('');
        block = [];
        size = 0;
      }
    }
    if (block.length > 0) yield block.join('');
  }
  await pipeline(blocks(), createWriteStream(path));
}

function* transactionLines(count: number): Generator<string> {
  const next = random(42);
  yield 'transaction_id,event_time,customer_id,account_id,channel,city,type,amount,currency,status,processing_time_s\n';
  const start = Date.UTC(2024, 0, 1);
  for (let i = 1; i <= count; i++) {
    const time = new Date(start + i * 1000).toISOString().slice(0, 19) + 'Z';
    const roll = next();
    let city = pick(CITIES, next);
    if (roll < 0.02) city = `"${city}, ${city === 'Paris' ? 'FR' : 'EU'}"`;
    else if (unicode && roll < 0.03) city = pick(UNICODE_CITIES, next);
    const amount = (next() * 5000).toFixed(2);
    yield `T${String(i).padStart(9, '0')},${time},C${Math.floor(next() * 100_000)},A${Math.floor(next() * 200_000)},` +
      `${pick(CHANNELS, next)},${city},${pick(TYPES, next)},${amount},EUR,${pick(STATUSES, next)},${next().toFixed(3)}\n`;
  }
}

function orderObject(i: number, next: () => number): string {
  return JSON.stringify({
    order_id: `O${i}`,
    ordered_at: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    customer_id: `C${Math.floor(next() * 100_000)}`,
    quantity: 1 + Math.floor(next() * 5),
    note: i % 50 === 0 ? 'says "hi" [x] {y}' : null,
    product: {
      sku: `SKU-${Math.floor(next() * 5000)}`,
      name: 'Widget',
      price: Number((next() * 200).toFixed(2)),
    },
  });
}

function* jsonArrayLines(count: number): Generator<string> {
  const next = random(7);
  yield '[\n';
  for (let i = 1; i <= count; i++) yield `  ${orderObject(i, next)}${i < count ? ',' : ''}\n`;
  yield ']\n';
}

function* ndjsonLines(count: number): Generator<string> {
  const next = random(7);
  for (let i = 1; i <= count; i++) yield `${orderObject(i, next)}\n`;
}

interface Measurement {
  readonly records: number;
  readonly seconds: number;
  /** CPU time of this process: steadier than wall time on a shared machine. */
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly maxBatch: number;
}

async function measure(path: string, fileName: string): Promise<Measurement> {
  globalThis.gc?.();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 20);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const source = await openSource(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }), fileName);
  let records = 0;
  let maxBatch = 0;
  for await (const batch of source.batches()) {
    records += batch.records.length;
    maxBatch = Math.max(maxBatch, batch.records.length);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    records,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxBatch,
    peakRssMb: peakRss / 2 ** 20,
  };
}

async function report(label: string, path: string, fileName: string, runs = 3): Promise<void> {
  const bytes = (await stat(path)).size;
  const results: Measurement[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(path, fileName));
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const peak = Math.max(...results.map((result) => result.peakRssMb));
  const cpu = [...results].map((result) => result.cpuSeconds).sort((a, b) => a - b);
  console.log(
    `${label.padEnd(11)} ${String(median.records).padStart(8)} records  wall ${median.seconds.toFixed(2)} s (median of ${runs},` +
      ` best ${sorted[0]!.seconds.toFixed(2)})  cpu ${cpu[Math.floor(cpu.length / 2)]!.toFixed(2)} s (best ${cpu[0]!.toFixed(2)})` +
      `  ${Math.round(median.records / median.seconds).toLocaleString('en')} rec/s` +
      `  ${(bytes / 2 ** 20 / median.seconds).toFixed(0)} MB/s of ${(bytes / 2 ** 20).toFixed(1)} MB` +
      `  peak RSS ${peak.toFixed(0)} MB  max batch ${median.maxBatch}`,
  );
}

/** The yardstick of the notes, measured under the same load: DuckDB, 1 thread, CSV -> Parquet. */
async function reportDuckDb(csvPath: string, dir: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  for (let run = 0; run < 3; run++) {
    const db = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await db.connect();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await connection.run(
      `COPY (SELECT * FROM read_csv('${csvPath}')) TO '${join(dir, 'reference.parquet')}' (FORMAT parquet)`,
    );
    const cpu = process.cpuUsage(cpuBefore);
    seconds.push((performance.now() - started) / 1000);
    cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    connection.closeSync();
  }
  seconds.sort((a, b) => a - b);
  cpuSeconds.sort((a, b) => a - b);
  console.log(
    `${'DuckDB ref'.padEnd(11)} CSV -> Parquet, 1 thread: wall ${seconds[1]!.toFixed(2)} s (best ${seconds[0]!.toFixed(2)})` +
      `  cpu ${cpuSeconds[1]!.toFixed(2)} s (best ${cpuSeconds[0]!.toFixed(2)})  ${Math.round(rows / seconds[1]!).toLocaleString('en')} rows/s`,
  );
}

const dir = await mkdtemp(join(tmpdir(), 'ledgerlake-bench-'));
try {
  const csvPath = join(dir, 'transactions.csv');
  await writeLines(csvPath, () => transactionLines(rows));
  await pipeline(createReadStream(csvPath), createGzip(), createWriteStream(`${csvPath}.gz`));
  const jsonPath = join(dir, 'orders.json');
  await writeLines(jsonPath, () => jsonArrayLines(objects));
  const ndjsonPath = join(dir, 'orders.ndjson');
  await writeLines(ndjsonPath, () => ndjsonLines(objects));
  console.log(
    `node ${process.version}, ${rows} CSV rows${unicode ? ' (with non-ASCII cities)' : ''}, ${objects} JSON objects`,
  );
  await report('CSV', csvPath, 'transactions.csv');
  await report('CSV gzip', `${csvPath}.gz`, 'transactions.csv.gz');
  await report('JSON array', jsonPath, 'orders.json');
  await report('NDJSON', ndjsonPath, 'orders.ndjson');
  // Last, so that DuckDB's memory does not count in the readers' peak RSS.
  if (args.includes('--duckdb')) await reportDuckDb(csvPath, dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}
