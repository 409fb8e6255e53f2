import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const EXAMPLE_CONTRACTS = resolve('examples/batch-pipeline/contracts');
const DAY = resolve('examples/batch-pipeline/raw/2026/03/03/transactions.csv');

let cwd: string;

async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, timeout: 60_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout: string; stderr: string; code: number };
    return { stdout, stderr, code };
  }
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'ledgerlake-contracts-option-'));
  await mkdir(join(cwd, 'broken'));
  await writeFile(
    join(cwd, 'broken', 'wires.yaml'),
    'name: wires\ndescription: Wires.\nprimaryKey: [id]\neventTime: day\ncolumns:\n  - name: id\n    type: string\n    description: Id.\n  - name: day\n    type: money\n    description: Day.\n',
  );
  await mkdir(join(cwd, 'shadowing'));
  await writeFile(
    join(cwd, 'shadowing', 'mine.yaml'),
    'name: transactions\ndescription: Mine.\nprimaryKey: [id]\neventTime: day\ncolumns:\n  - name: id\n    type: string\n    description: Id.\n  - name: day\n    type: date\n    description: Day.\n',
  );
});

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

describe('ledgerlake --contracts DIR', () => {
  it('reads the datasets of a contracts folder outside the working folder', async () => {
    const result = await cli(
      'ingest',
      DAY,
      '--dataset',
      'batch_transactions',
      '--contracts',
      EXAMPLE_CONTRACTS,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ok +landing\/batch_transactions\/.*transactions\.csv {2}2 valid, 0 quarantined/m,
    );
  });

  it('without it, knows only the built-in datasets (no ./contracts here)', async () => {
    const result = await cli('ingest', DAY, '--dataset', 'batch_transactions');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "ledgerlake: unknown dataset 'batch_transactions' (known: accounts, customer_profiles, customers, holdings_movements, invoices, organizations, sales, stock_movements, transactions, web_events)\n",
    );
  });

  it('reports a contract file that breaks the schema in one line naming the file and the place', async () => {
    const result = await cli('--contracts', 'broken', 'ingest', DAY);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `ledgerlake: broken/wires.yaml: columns[1].type: must be one of string, integer, double, decimal(18,2), date, timestamp, boolean\n`,
    );
  });

  it('refuses a contract that reuses a built-in dataset name', async () => {
    const result = await cli('--contracts', 'shadowing', 'datasets');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "ledgerlake: shadowing/mine.yaml: name: dataset 'transactions' is already declared in the built-in datasets/transactions.yaml\n",
    );
  });

  it('refuses a folder that does not exist', async () => {
    const result = await cli('ingest', DAY, '--contracts', 'nowhere');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ledgerlake: --contracts nowhere: no such folder\n');
  });
});
