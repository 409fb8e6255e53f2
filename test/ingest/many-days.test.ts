import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { PartitionedWriter } from '../../src/ingest/partitioned-writer';
import type { ParquetColumn } from '../../src/parquet/part-writer';
import { FsObjectStore } from '../../src/storage/fs-store';

/**
 * Issue 13: a file spanning thousands of days must ingest within a Lambda's file descriptor limit
 * (1,024). The ingest runs in a child process under `ulimit -n 256`, well below one descriptor per day.
 */
const HELPER = join(import.meta.dirname, 'support', 'many-days-ingest.ts');
const FD_LIMIT = 256;
const DAYS = 2_500;
const ROWS_PER_DAY = 4;
/**
 * Small row groups so that the writer flushes days before the file ends, as it does with the default
 * 128k row groups once a five-year file passes 128k rows; a few rows a day keep the test fast.
 */
const ROW_GROUP_SIZE = 1_000;
const HEADER =
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status,processing_time_s';
const FIRST_DAY_MS = Date.UTC(2020, 0, 1);

let dir: string;
let duck: DuckDbEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingest-many-days-'));
  duck = await openDuckDb();
});
afterAll(async () => {
  await duck.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the helper under `ulimit -n`; returns its exit code and the JSON line it printed. */
function runLimited(...args: string[]): { status: number | null; outcome: Record<string, unknown> } {
  const command = `ulimit -n ${FD_LIMIT} && exec "$0" --import tsx "$@"`;
  const child = spawnSync('bash', ['-c', command, process.execPath, HELPER, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  expect(line, `helper printed nothing; stderr: ${child.stderr}`).toMatch(/^\{/);
  return { status: child.status, outcome: JSON.parse(line) };
}

/**
 * 2,500 consecutive days from 2020-01-01, four rows a day; every 10th day has one row with a negative
 * amount (quarantined on its day) and every 25th day repeats a transaction id (a duplicate).
 */
function manyDaysCsv(): string {
  const lines = [HEADER];
  for (let d = 0; d < DAYS; d++) {
    for (let r = 0; r < ROWS_PER_DAY; r++) {
      const at = new Date(FIRST_DAY_MS + d * 86_400_000 + r * 3_600_000).toISOString();
      const id = d % 25 === 0 && r === 3 ? `T${d}-0` : `T${d}-${r}`;
      const amount = d % 10 === 0 && r === 1 ? '-5.00' : `${10 + r}.00`;
      lines.push(`${id},${at},C${d % 50},upi,Austin,deposit,${amount},USD,success,0.5`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('ingesting a file that spans thousands of days', () => {
  it('succeeds under ulimit -n 256 with 2,500 days, every row accounted for and read back by DuckDB', async () => {
    const key = 'landing/transactions/backfill-2020-2026.csv';
    await new FsObjectStore(dir).put(key, manyDaysCsv());

    const { status, outcome } = runLimited('ingest', dir, key, String(ROW_GROUP_SIZE));

    expect(outcome.error).toBeUndefined();
    expect(status).toBe(0);
    const duplicates = DAYS / 25;
    const quarantined = DAYS / 10;
    expect(outcome).toMatchObject({
      ok: true,
      rowsRead: DAYS * ROWS_PER_DAY,
      rowsValid: DAYS * ROWS_PER_DAY - duplicates - quarantined,
      rowsQuarantined: quarantined,
      duplicates,
      partitions: DAYS,
      files: DAYS + quarantined,
    });
    const [curated] = (
      await duck.query(
        `select count(*)::integer as n, count(distinct dt)::integer as days, count(distinct source_file)::integer as files
         from (select *, filename as source_file from read_parquet('${dir}/curated/**/*.parquet', hive_partitioning = true, filename = true))`,
      )
    ).rows;
    expect(curated).toEqual({ n: outcome.rowsValid, days: DAYS, files: DAYS });
    const [quarantine] = (
      await duck.query(`select count(*)::integer as n from read_parquet('${dir}/quarantine/**/*.parquet')`)
    ).rows;
    expect(quarantine).toEqual({ n: quarantined });
  });

  it('fails with too many open files under the same limit when every day keeps its file open', () => {
    const staging = join(dir, 'unbounded');

    const { status, outcome } = runLimited('unbounded', staging, String(DAYS), String(ROW_GROUP_SIZE));

    expect(status).toBe(1);
    expect(outcome).toMatchObject({ ok: false, error: expect.stringMatching(/EMFILE|too many open files/i) });
  });
});

describe('PartitionedWriter with a bound on open part files', () => {
  const columns: ParquetColumn[] = [
    { name: 'id', type: 'string', required: true },
    { name: 'n', type: 'integer', required: true },
  ];

  it('writes each day as one complete file when its file is closed and reopened between row groups', async () => {
    const writer = new PartitionedWriter(columns, {}, join(dir, 'reopened'), 'part', {
      rowGroupSize: 5,
      maxBufferedRows: 8,
      maxOpenParts: 2,
    });
    // Round-robin over 7 days: with 2 files open, every row group goes to a file closed since its last one.
    for (let i = 0; i < 140; i++) await writer.add(18_262 + (i % 7), [`T${i}`, i]);

    const parts = await writer.finish();

    expect(parts.map((p) => [p.day, p.rows])).toEqual(Array.from({ length: 7 }, (_, d) => [18_262 + d, 20]));
    for (const [d, part] of parts.entries()) {
      const [read] = (
        await duck.query(
          `select count(*)::integer as n, sum(n)::integer as total, min(n)::integer as first
           from read_parquet('${part.path}')`,
        )
      ).rows;
      const expected = Array.from({ length: 20 }, (_, k) => d + 7 * k);
      expect(read).toEqual({ n: 20, total: expected.reduce((a, b) => a + b), first: d });
      const [groups] = (
        await duck.query(
          `select count(distinct row_group_id)::integer as n from parquet_metadata('${part.path}')`,
        )
      ).rows;
      expect(groups!.n).toBeGreaterThan(1);
    }
  });

  it.each([0, -1, Number.NaN])('refuses maxOpenParts %s', (maxOpenParts) => {
    expect(() => new PartitionedWriter(columns, {}, join(dir, 'refused'), 'part', { maxOpenParts })).toThrow(
      /maxOpenParts must be at least 1/,
    );
  });
});
