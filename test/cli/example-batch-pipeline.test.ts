import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * examples/batch-pipeline as a user runs it: a contracts folder (no TypeScript), its reference data and
 * day folders raw/YYYY/MM/DD/transactions.csv, through the shipped CLI from the example's folder. The
 * marts are then read straight from the lake's Parquet with DuckDB. A file of the built-in ledger lands
 * beside it, to show the two sources share the marts while each keeps its own channel fees.
 */
const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const EXAMPLE = resolve('examples/batch-pipeline');

let project: string;
let lake: string;
const outputs: string[] = [];

async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd: project, timeout: 120_000 });
  outputs.push(stdout);
  return stdout;
}

async function duckdb<T>(sql: string): Promise<T[]> {
  const connection = await (await DuckDBInstance.create()).connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    connection.closeSync();
  }
}

const marts = (model: string) =>
  `read_parquet('${lake}/marts/${model}/*/*.parquet', hive_partitioning = true)`;

async function lakeFiles(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(lake, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      files[relative(lake, join(entry.parentPath, entry.name))] = await readFile(
        join(entry.parentPath, entry.name),
        'base64',
      );
  }
  return files;
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'ledgerlake-example-'));
  await cp(EXAMPLE, project, { recursive: true });
  lake = join(project, '.ledgerlake');
  // One day of the built-in ledger: a upi payment, whose fee is reference/channels.csv's 0.30%.
  await writeFile(
    join(project, 'ledger.csv'),
    'transaction_id,event_time,customer_id,channel,type,amount,status\nL-1,2026-03-01T09:00:00Z,C1,upi,payment,1000.00,success\n',
  );
  await cli('ingest', 'raw', '--dataset', 'batch_transactions');
  await cli('ingest', 'ledger.csv', '--dataset', 'transactions');
  await cli('refresh');
}, 240_000);

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('examples/batch-pipeline through the CLI', () => {
  it('lands every valid row of each day folder and quarantines the two bad ones with their reasons', async () => {
    const [ingest] = outputs;
    expect(ingest).toContain(
      'landing/batch_transactions/raw/2026/03/01/transactions.csv  3 valid, 1 quarantined',
    );
    expect(ingest).toContain(
      'landing/batch_transactions/raw/2026/03/02/transactions.csv  2 valid, 1 quarantined',
    );
    expect(ingest).toContain(
      'landing/batch_transactions/raw/2026/03/03/transactions.csv  2 valid, 0 quarantined',
    );
    const quarantined = await duckdb<{ line: number; reasons: string }>(
      `select source_line as line, reasons from read_parquet('${lake}/quarantine/batch_transactions/*/*.parquet') order by source_key, source_line`,
    );
    expect(quarantined).toEqual([
      {
        line: 5,
        reasons:
          "channel '7' has no entry in reference/channels.csv (no row whose channel_key is 7); fee_percent '7' has no entry in reference/channels.csv (no row whose channel_key is 7)",
      },
      { line: 4, reasons: "date_key '2026-03-02' is not a valid date in any accepted format (yyyymmdd)" },
    ]);
  });

  it('puts the rows in fact_transactions with channel and city codes resolved through its reference data', async () => {
    const rows = await duckdb<Record<string, unknown>>(
      `select transaction_id, cast(event_date as varchar) as day, channel, city_key, customer_id, account_id,
              currency, status, cast(amount as varchar) as amount, cast(fee_percent as varchar) as fee,
              cast(revenue as varchar) as revenue
         from ${marts('fact_transactions')} order by transaction_id`,
    );
    expect(rows).toEqual([
      {
        transaction_id: 'BP-0101',
        day: '2026-03-01',
        channel: 'credit_card',
        city_key: 'new york',
        customer_id: '101',
        account_id: '101',
        currency: 'USD',
        status: 'success',
        amount: '100.00',
        fee: '1.50',
        revenue: '1.500000',
      },
      {
        transaction_id: 'BP-0102',
        day: '2026-03-01',
        channel: 'upi',
        city_key: 'los angeles',
        customer_id: '102',
        account_id: '102',
        currency: 'USD',
        status: 'success',
        amount: '20.01',
        fee: '0.50',
        revenue: '0.100050',
      },
      {
        transaction_id: 'BP-0103',
        day: '2026-03-01',
        channel: 'net_banking',
        city_key: 'chicago',
        customer_id: '103',
        account_id: '103',
        currency: 'USD',
        status: 'failed',
        amount: '50.00',
        fee: '1.00',
        revenue: '0.000000',
      },
      {
        transaction_id: 'BP-0201',
        day: '2026-03-02',
        channel: 'debit_card',
        city_key: 'houston',
        customer_id: '104',
        account_id: '104',
        currency: 'USD',
        status: 'success',
        amount: '200.00',
        fee: '0.80',
        revenue: '1.600000',
      },
      {
        transaction_id: 'BP-0202',
        day: '2026-03-02',
        channel: 'credit_card',
        city_key: 'phoenix',
        customer_id: '105',
        account_id: '105',
        currency: 'USD',
        status: 'pending',
        amount: '80.00',
        fee: '1.50',
        revenue: '0.000000',
      },
      {
        transaction_id: 'BP-0301',
        day: '2026-03-03',
        channel: 'upi',
        city_key: 'new york',
        customer_id: '101',
        account_id: '101',
        currency: 'USD',
        status: 'success',
        amount: '40.00',
        fee: '0.50',
        revenue: '0.200000',
      },
      {
        transaction_id: 'BP-0302',
        day: '2026-03-03',
        channel: 'net_banking',
        city_key: 'los angeles',
        customer_id: '102',
        account_id: '102',
        currency: 'USD',
        status: 'success',
        amount: '60.00',
        fee: '1.00',
        revenue: '0.600000',
      },
      // The built-in ledger keeps its own fee for upi (0.30, not the batch pipeline's 0.50).
      {
        transaction_id: 'L-1',
        day: '2026-03-01',
        channel: 'upi',
        city_key: 'unknown',
        customer_id: 'C1',
        account_id: 'C1',
        currency: 'USD',
        status: 'success',
        amount: '1000.00',
        fee: '0.30',
        revenue: '3.000000',
      },
    ]);
  });

  it('counts both sources in kpi_daily', async () => {
    const rows = await duckdb<Record<string, unknown>>(
      `select cast(kpi_date as varchar) as day, cast(revenue as varchar) as revenue, transaction_count,
              round(failure_rate, 6) as failure_rate, round(avg_processing_time_s, 6) as processing_s
         from ${marts('kpi_daily')} order by kpi_date`,
    );
    // 03-01: 1.50 + 0.10005 + 0 (failed) + 3.00 (ledger); 4 rows, 1 failed; times 0.8, 1.5, 4.0 and none.
    expect(rows).toEqual([
      {
        day: '2026-03-01',
        revenue: '4.600050',
        transaction_count: 4n,
        failure_rate: 0.25,
        processing_s: 2.1,
      },
      { day: '2026-03-02', revenue: '1.600000', transaction_count: 2n, failure_rate: 0, processing_s: 1.2 },
      { day: '2026-03-03', revenue: '0.800000', transaction_count: 2n, failure_rate: 0, processing_s: 2.25 },
    ]);
  });

  it('shows the new dataset in data_quality_daily and pipeline_freshness without a SQL edit', async () => {
    const quality = JSON.parse(
      await cli(
        'query',
        '--json',
        "select dataset, cast(dt as varchar) as dt, valid_rows, quarantined_rows from data_quality_daily where dataset = 'batch_transactions' and valid_rows > 0 order by dt",
      ),
    );
    expect(quality).toEqual([
      { dataset: 'batch_transactions', dt: '2026-03-01', valid_rows: 3, quarantined_rows: 1 },
      { dataset: 'batch_transactions', dt: '2026-03-02', valid_rows: 2, quarantined_rows: 0 },
      { dataset: 'batch_transactions', dt: '2026-03-03', valid_rows: 2, quarantined_rows: 0 },
    ]);
    const freshness = JSON.parse(
      await cli(
        'query',
        '--json',
        'select dataset, files_ingested, rows_valid, curated_rows, cast(latest_partition as varchar) as latest from pipeline_freshness order by dataset',
      ),
    );
    expect(freshness).toEqual([
      {
        dataset: 'batch_transactions',
        files_ingested: 3,
        rows_valid: 7,
        curated_rows: 7,
        latest: '2026-03-03',
      },
      { dataset: 'transactions', files_ingested: 1, rows_valid: 1, curated_rows: 1, latest: '2026-03-01' },
    ]);
  });

  it('changes nothing when the same tree is ingested and refreshed again', async () => {
    const before = await lakeFiles();
    const again = await cli('ingest', 'raw', '--dataset', 'batch_transactions');
    const refresh = await cli('refresh');
    expect(again.match(/^unchanged /gm)).toHaveLength(3);
    expect(refresh).not.toMatch(/changed: /);
    const after = await lakeFiles();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after).toEqual(before);
  });
});
