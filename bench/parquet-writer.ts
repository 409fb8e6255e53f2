/**
 * Benchmark of the Parquet part writer on the transactions shape (plus lineage columns).
 * Run: node --import tsx bench/parquet-writer.ts [rows] [codec]
 * Prints the writer's time (column building excluded), rows/s, output size and peak RSS, then the same
 * rows written by DuckDB's single-thread `COPY ... TO (FORMAT parquet)` for comparison.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  fileSink,
  type ParquetCodec,
  type ParquetColumn,
  ParquetPartWriter,
} from '../src/parquet/part-writer';

const ROW_GROUP_SIZE = 131_072;
const rows = Number(process.argv[2] ?? 1_000_000);
const codec = (process.argv[3] ?? 'SNAPPY') as ParquetCodec;

const columns: ParquetColumn[] = [
  { name: 'transaction_id', type: 'string', required: true },
  { name: 'event_time', type: 'timestamp', required: true },
  { name: 'customer_id', type: 'string', required: true },
  { name: 'account_id', type: 'string', required: true },
  { name: 'channel', type: 'string' },
  { name: 'city', type: 'string' },
  { name: 'type', type: 'string', required: true },
  { name: 'amount', type: 'decimal(18,2)', required: true },
  { name: 'currency', type: 'string', required: true },
  { name: 'status', type: 'string' },
  { name: 'processing_time_s', type: 'double' },
  { name: 'source_key', type: 'string', required: true },
  { name: 'source_line', type: 'integer', required: true },
  { name: 'ingested_at', type: 'timestamp', required: true },
];

const CHANNELS = ['online', 'branch', 'atm', 'mobile'];
const CITIES = Array.from({ length: 20 }, (_, i) => `City ${String.fromCharCode(65 + i)}`);
const TYPES = ['purchase', 'refund', 'transfer', 'withdrawal', 'deposit'];
const STATUSES = ['completed', 'pending', 'failed'];
const CUSTOMERS = Array.from({ length: 5000 }, (_, i) => `C${String(i).padStart(5, '0')}`);
const START_MS = Date.UTC(2024, 0, 1);
const INGESTED_AT = Date.UTC(2024, 5, 1, 12);

/** Deterministic pseudo-random numbers so runs are comparable. */
let seed = 42;
function random(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}
function pick<T>(values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

function buildRowGroup(start: number, count: number): unknown[][] {
  const data: unknown[][] = columns.map(() => new Array(count));
  for (let i = 0; i < count; i++) {
    const n = start + i;
    const customer = pick(CUSTOMERS);
    data[0]![i] = `T${String(n).padStart(8, '0')}`;
    data[1]![i] = START_MS + n * 15_000 + Math.floor(random() * 1000);
    data[2]![i] = customer;
    data[3]![i] = customer;
    data[4]![i] = random() < 0.01 ? null : pick(CHANNELS);
    data[5]![i] = pick(CITIES);
    data[6]![i] = pick(TYPES);
    data[7]![i] = Math.floor(random() * 500_000) + 1;
    data[8]![i] = random() < 0.97 ? 'USD' : 'EUR';
    data[9]![i] = pick(STATUSES);
    data[10]![i] = Math.round(random() * 5000) / 1000;
    data[11]![i] = 'landing/transactions/2024-06-01/transactions.csv';
    data[12]![i] = n + 2;
    data[13]![i] = INGESTED_AT;
  }
  return data;
}

async function benchWriter(path: string): Promise<void> {
  const writer = new ParquetPartWriter(fileSink(path), columns, { codec });
  let writeSeconds = 0;
  let cpuSeconds = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const result = await work();
    const used = process.cpuUsage(cpu);
    cpuSeconds += (used.user + used.system) / 1e6;
    writeSeconds += Number(process.hrtime.bigint() - wall) / 1e9;
    return result;
  };
  for (let start = 0; start < rows; start += ROW_GROUP_SIZE) {
    const group = buildRowGroup(start, Math.min(ROW_GROUP_SIZE, rows - start));
    await timed(() => writer.writeRowGroup(group));
  }
  const totals = await timed(() => writer.finish());
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    `ParquetPartWriter (${codec}): ${rows} rows in ${totals.rowGroups} row groups: ` +
      `${writeSeconds.toFixed(2)} s writing (${cpuSeconds.toFixed(2)} s CPU, includes GC threads), ` +
      `${Math.round(rows / writeSeconds).toLocaleString('en')} rows/s, ` +
      `${(statSync(path).size / 1e6).toFixed(1)} MB, peak RSS ${peakRssMb.toFixed(0)} MB (includes the test data)`,
  );
}

async function benchDuckDb(source: string, path: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  // Load the rows first so only the Parquet encoding is timed, like the JS writer above.
  await connection.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${source}')`);
  const t0 = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await connection.run(
    `COPY t TO '${path}' (FORMAT parquet, COMPRESSION ${codec === 'UNCOMPRESSED' ? 'uncompressed' : codec.toLowerCase()}, ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`,
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const used = process.cpuUsage(cpu);
  console.log(
    `DuckDB COPY (1 thread, from an in-memory table): ${seconds.toFixed(2)} s ` +
      `(${((used.user + used.system) / 1e6).toFixed(2)} s CPU), ` +
      `${Math.round(rows / seconds).toLocaleString('en')} rows/s, ${(statSync(path).size / 1e6).toFixed(1)} MB`,
  );
  connection.closeSync();
  instance.closeSync();
}

const folder = mkdtempSync(join(tmpdir(), 'ledgerlake-parquet-bench-'));
try {
  const ours = join(folder, 'part.parquet');
  await benchWriter(ours);
  if (!process.argv.includes('--no-duckdb')) await benchDuckDb(ours, join(folder, 'duckdb.parquet'));
} finally {
  rmSync(folder, { recursive: true, force: true });
}
