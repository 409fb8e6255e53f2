import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Two payment systems may number their payments alike. A source that feeds the ledger
 * (examples/batch-pipeline's batch_transactions) and the built-in ledger both send a `BP-0101` on
 * 2026-03-01: they are two payments, and both must reach fact_transactions. A second version of one
 * source's payment on the same day is still one payment (the latest wins): the negative control that
 * the dedupe still works.
 */
const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const EXAMPLE = resolve('examples/batch-pipeline');

let project: string;

const cli = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, timeout: 120_000 });

async function factRows(): Promise<Record<string, unknown>[]> {
  const connection = await (await DuckDBInstance.create()).connect();
  try {
    const reader = await connection.runAndReadAll(
      `select source_dataset, transaction_id, cast(amount as varchar) as amount
         from read_parquet('${project}/.ledgerlake/marts/fact_transactions/*/*.parquet', hive_partitioning = true)
        order by source_dataset, transaction_id`,
    );
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'ledgerlake-collision-'));
  await cp(join(EXAMPLE, 'contracts'), join(project, 'contracts'), { recursive: true });
  await cp(join(EXAMPLE, 'reference'), join(project, 'reference'), { recursive: true });
  await mkdir(join(project, 'batch'));
  await writeFile(
    join(project, 'batch', 'day.csv'),
    'transaction_id,date_key,customer_key,channel_key,city_key,amount,status,processing_time\n' +
      'BP-0101,20260301,101,1,1,100.00,completed,0.8\n',
  );
  // The ledger's own BP-0101 (another payment), and two versions of its L-7 on the same day.
  await writeFile(
    join(project, 'ledger-1.csv'),
    'transaction_id,event_time,customer_id,channel,type,amount,status\n' +
      'BP-0101,2026-03-01T09:00:00Z,C1,upi,payment,7.00,success\n' +
      'L-7,2026-03-01T10:00:00Z,C1,upi,payment,1.00,success\n',
  );
  await cli('ingest', 'batch', '--dataset', 'batch_transactions');
  await cli('ingest', 'ledger-1.csv', '--dataset', 'transactions');
  await writeFile(
    join(project, 'ledger-2.csv'),
    'transaction_id,event_time,customer_id,channel,type,amount,status\n' +
      'L-7,2026-03-01T10:00:00Z,C1,upi,payment,2.00,success\n',
  );
  await cli('ingest', 'ledger-2.csv', '--dataset', 'transactions');
  await cli('refresh');
}, 240_000);

afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('one transaction id in two sources', () => {
  it('keeps both payments in fact_transactions, each with the dataset it came from', async () => {
    expect(await factRows()).toEqual([
      { source_dataset: 'batch_transactions', transaction_id: 'BP-0101', amount: '100.00' },
      { source_dataset: 'transactions', transaction_id: 'BP-0101', amount: '7.00' },
      // Negative control: the same source's second version of L-7 replaces the first.
      { source_dataset: 'transactions', transaction_id: 'L-7', amount: '2.00' },
    ]);
  });

  it('passes the data tests, the key test included', async () => {
    const { stdout } = await cli('test', '--select', 'fact_transactions');
    expect(stdout).toMatch(
      /^PASS {3}fact_transactions: unique\(source_dataset, transaction_id, event_date\)$/m,
    );
    // The id alone is not unique any more, which the warn-level test says without failing the run.
    expect(stdout).toMatch(/^WARN {3}fact_transactions: unique\(transaction_id\)/m);
  });
});
