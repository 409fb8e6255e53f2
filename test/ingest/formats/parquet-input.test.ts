import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSource } from '../../../src/ingest/formats/source-reader';
import { ingestObject } from '../../../src/ingest/ingest-object';
import { FsObjectStore } from '../../../src/storage/fs-store';
import { S3ObjectStore } from '../../../src/storage/s3-store';
import { type S3TestServer, startS3Server } from '../../support/s3-server';

const ROWS = 12_000;
const ROW_GROUP = 2_500;

/**
 * A transactions export written by DuckDB: every 10th amount is negative (quarantined by the contract's
 * `amount > 0`), every 7th is DECIMAL(18,2) with cents that a double cannot hold exactly, one column no
 * contract column takes, timestamps as TIMESTAMP, 5 row groups.
 */
const EXPORT_SQL = `
  SELECT 'T' || i AS transaction_id,
         TIMESTAMP '2026-01-01 10:00:00' + INTERVAL (i % 4) DAY AS event_time,
         'C' || (i % 9) AS customer_id,
         'upi' AS channel, 'deposit' AS type,
         CAST(CASE WHEN i % 10 = 0 THEN -1 ELSE i + 0.35 END AS DECIMAL(18,2)) AS amount,
         'success' AS status,
         i AS exporter_row_id
    FROM range(1, ${ROWS + 1}) t(i)`;

let dir: string;
let s3: S3TestServer;
let source: string;
let db: Awaited<ReturnType<DuckDBInstance['connect']>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'll-parquet-in-'));
  s3 = await startS3Server({ buckets: ['landing'] });
  db = await (await DuckDBInstance.create()).connect();
  source = join(dir, 'transactions.parquet');
  await db.run(`COPY (${EXPORT_SQL}) TO '${source}' (FORMAT parquet, ROW_GROUP_SIZE ${ROW_GROUP})`);
});

afterAll(async () => {
  db.closeSync();
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

async function scalar(sql: string): Promise<unknown[]> {
  return (await db.runAndReadAll(sql)).getRows()[0]!;
}

describe('Parquet files as input', () => {
  it('streams a Parquet file row group by row group: no batch spans two row groups', async () => {
    const opened = await openSource(createReadStream(source), 'transactions.parquet', { batchSize: 1000 });
    const sizes: number[] = [];
    let last = 0;
    for await (const batch of opened.batches()) {
      sizes.push(batch.records.length);
      expect(batch.lines[0]).toBe(last + 1);
      last = batch.lines.at(-1)!;
    }
    expect(opened.format).toBe('parquet');
    expect(last).toBe(ROWS);
    // The row groups DuckDB wrote, each handed out in batches of at most 1,000 rows.
    const groups = (
      await db.runAndReadAll(
        `SELECT DISTINCT row_group_id, row_group_num_rows::INTEGER FROM parquet_metadata('${source}') ORDER BY 1`,
      )
    ).getRows() as [bigint, number][];
    expect(groups.length).toBeGreaterThan(1);
    const expected = groups.flatMap(([, rows]) =>
      Array.from({ length: Math.ceil(rows / 1000) }, (_, k) => Math.min(1000, rows - k * 1000)),
    );
    expect(sizes).toEqual(expected);
  });

  it('ingests a Parquet object landed on S3 with the accounting of a CSV, and DuckDB reads back every valid row exactly', async () => {
    const landing = new S3ObjectStore({ client: s3.client, bucket: 'landing' });
    const lakeDir = join(dir, 'lake');
    const lake = new FsObjectStore(lakeDir);
    const key = 'landing/transactions/exports/2026/transactions.parquet';
    await landing.put(key, createReadStream(source));

    const { manifest } = await ingestObject({ landing, lake, key, tmpDir: dir, rowGroupSize: 4096 });

    expect(manifest.status).toBe('ok');
    expect(manifest.format).toBe('parquet');
    expect(manifest.rows_read).toBe(ROWS);
    expect(manifest.rows_quarantined).toBe(ROWS / 10);
    expect(manifest.rows_valid).toBe(ROWS - ROWS / 10);
    expect(manifest.rows_read).toBe(
      manifest.rows_valid + manifest.rows_quarantined + manifest.duplicates_dropped,
    );
    expect(manifest.ignored_columns).toEqual(['exporter_row_id']);
    expect(manifest.violations_by_rule).toEqual({ 'amount.range': ROWS / 10 });

    const [rows, cents, days] = await scalar(
      `SELECT count(*)::INTEGER, sum(amount * 100)::BIGINT::VARCHAR, count(DISTINCT CAST(event_time AS DATE))::INTEGER
         FROM read_parquet('${lakeDir}/curated/transactions/dt=*/*.parquet', hive_partitioning = false)`,
    );
    const [expectedRows, expectedCents] = await scalar(
      `SELECT count(*)::INTEGER, sum(amount * 100)::BIGINT::VARCHAR FROM (${EXPORT_SQL}) WHERE amount > 0`,
    );
    expect(rows).toBe(expectedRows);
    expect(cents).toBe(expectedCents);
    expect(days).toBe(4);

    const [quarantined, reason] = await scalar(
      `SELECT count(*)::INTEGER, min(reasons) FROM read_parquet('${lakeDir}/quarantine/transactions/dt=*/*.parquet')`,
    );
    expect(quarantined).toBe(ROWS / 10);
    expect(reason).toBe('amount must be > 0, got -1');
    // The spooled copies are gone.
    expect((await readdir(dir)).filter((name) => name.startsWith('ledgerlake-'))).toEqual([]);
  });

  it.each([
    [
      'a cut-off file',
      async (bytes: Buffer) => bytes.subarray(0, bytes.length - 100),
      'does not end with PAR1',
    ],
    [
      'a footer length past the file',
      async (bytes: Buffer) => {
        const copy = Buffer.from(bytes);
        copy.writeUInt32LE(0x7fffffff, copy.length - 8);
        return copy;
      },
      'the Parquet footer claims 2 GiB',
    ],
    [
      'not Parquet at all',
      async () => Buffer.from('PAR1 is how it starts, but nothing else is\n'),
      'not a Parquet file',
    ],
  ])('rejects %s whole, with the reason', async (_name, mangle, reason) => {
    const lakeDir = await mkdtemp(join(dir, 'bad-'));
    const lake = new FsObjectStore(lakeDir);
    const { readFile } = await import('node:fs/promises');
    const key = 'landing/transactions/bad.parquet';
    await lake.put(key, await mangle(await readFile(source)));

    const { manifest } = await ingestObject({ landing: lake, lake, key, tmpDir: lakeDir });

    expect(manifest.status).toBe('rejected');
    expect(manifest.rejection_reason).toContain(reason);
    expect(manifest.files_written.map((f) => f.kind).sort()).toEqual(['rejected_file', 'rejection_report']);
  });

  it('rejects a row group larger than the limit before reading it', async () => {
    const opened = openSource(createReadStream(source), 'transactions.parquet', {
      limits: { maxRowGroupBytes: 1024 },
    });
    await expect(opened).rejects.toThrow(/row group 1 holds .* more than the 1 KiB a row group may hold/);
  });
});
