import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerBalanceCommand } from '../../src/cli/commands/balance';
import { registerQueryCommand } from '../../src/cli/commands/query';
import { createProgram, UsageError } from '../../src/cli/program';
import { holdingsMovement, LakeFixture, stockMovement, transaction } from '../sql/lake-fixture';

/** Runs the CLI in-process; returns what it printed, and the error it ended with, if any. */
async function run(args: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const program = createProgram()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => (stdout += text),
      writeErr: (text) => (stderr += text),
      outputError: (text) => (stderr += text),
    });
  registerQueryCommand(program);
  registerBalanceCommand(program);
  try {
    await program.parseAsync(args, { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    vi.restoreAllMocks();
  }
}

let lake: LakeFixture;

beforeAll(async () => {
  lake = await LakeFixture.create();
  await lake.writeCurated('transactions', 'ledger', [
    transaction({
      transaction_id: 'T1',
      account_id: 'A1',
      event_time: '2024-03-01T10:00:00Z',
      type: 'deposit',
      amount: 100,
    }),
    transaction({
      transaction_id: 'T2',
      account_id: 'A1',
      event_time: '2024-03-03T10:00:00Z',
      type: 'fee',
      amount: 2.5,
    }),
    transaction({
      transaction_id: 'T3',
      account_id: 'A1',
      event_time: '2024-03-04T10:00:00Z',
      amount: 40,
      status: 'failed',
    }),
    transaction({ transaction_id: 'T4', account_id: 'A2', event_time: '2024-03-05T10:00:00Z', amount: 1 }),
  ]);
  await lake.writeCurated('holdings_movements', 'book', [
    holdingsMovement({
      movement_id: 'H1',
      event_time: '2024-03-01T09:00:00Z',
      movement_type: 'buy',
      units: 80,
      price: 2.5,
    }),
    holdingsMovement({
      movement_id: 'H2',
      event_time: '2024-03-02T09:00:00Z',
      movement_type: 'lien',
      units: 30,
    }),
    holdingsMovement({
      movement_id: 'H3',
      event_time: '2024-03-03T09:00:00Z',
      product_id: 'GOLD',
      movement_type: 'transfer_in',
      units: 4,
    }),
  ]);
  await lake.writeCurated('stock_movements', 'stock', [
    stockMovement({
      movement_id: 'S1',
      event_time: '2024-03-01T08:00:00Z',
      movement_type: 'receipt',
      units: 50,
    }),
    stockMovement({
      movement_id: 'S2',
      event_time: '2024-03-02T08:00:00Z',
      movement_type: 'transfer',
      to_location_id: 'WH-B',
      units: 20,
    }),
  ]);
});

afterAll(async () => {
  await lake?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ledgerlake query', () => {
  it('prints an aligned table with numbers right-aligned', async () => {
    const { stdout, error } = await run([
      'query',
      'select account_id, sum(signed_amount) as balance from fact_transactions where is_successful group by account_id order by 1',
      '--lake',
      lake.dir,
    ]);

    expect(error).toBeUndefined();
    // A1: +100 - 2.50 fee = 97.5 (the failed 40 does not count); A2: +1.
    expect(stdout).toBe(
      [
        'account_id  balance',
        '----------  -------',
        'A1             97.5',
        'A2                1',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });

  it('prints JSON with --json', async () => {
    const { stdout } = await run([
      'query',
      'select count(*) as n from transactions',
      '--lake',
      lake.dir,
      '--json',
    ]);

    expect(JSON.parse(stdout)).toEqual([{ n: 4 }]);
  });

  it('fails with a one-line reason and exit code 1 on a SQL error', async () => {
    const { stderr, error } = await run(['query', 'select nope from transactions', '--lake', lake.dir]);

    expect(error).toBeInstanceOf(CommanderError);
    expect((error as CommanderError).exitCode).toBe(1);
    expect(stderr).toMatch(/^ledgerlake: query failed: Binder Error: .*"nope".*\n$/);
  });

  it('refuses a lake folder that does not exist', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'ledgerlake-')), 'nowhere');

    const { error } = await run(['query', 'select 1', '--lake', missing]);

    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(`lake folder ${missing} does not exist`);
    rmSync(join(missing, '..'), { recursive: true, force: true });
  });
});

describe('ledgerlake balance', () => {
  it.each([
    ['2024-03-01', 'closing balance 100.00', 'net change +100.00 from 1 successful'], // the deposit day
    ['2024-03-02', 'closing balance 100.00', 'net change +0.00 from 0 successful'], // no activity: carried over
    ['2024-03-04', 'closing balance 97.50', 'net change +0.00 from 0 successful'], // 100 - 2.50 fee; failed 40 ignored
  ])('gives the closing balance of A1 on %s', async (date, closing, detail) => {
    const { stdout, error } = await run(['balance', 'A1', '--date', date, '--lake', lake.dir]);

    expect(error).toBeUndefined();
    expect(stdout).toContain(`account A1 (customer C1) on ${date}: ${closing}`);
    expect(stdout).toContain(detail);
  });

  it('prints the balance as JSON with exact decimals, and the snapshot day it read', async () => {
    const { stdout, error } = await run([
      'balance',
      'A1',
      '--date',
      '2024-04-01',
      '--lake',
      lake.dir,
      '--json',
    ]);

    expect(error).toBeUndefined();
    expect(JSON.parse(stdout)).toEqual({
      model: 'account',
      id: 'A1',
      date: '2024-04-01',
      as_of: '2024-03-05',
      rows: [expect.objectContaining({ customer_id: 'C1', closing_balance: '97.50' })],
    });
  });

  it('carries the last balance past the end of the lake and says so', async () => {
    const { stdout } = await run(['balance', 'A1', '--date', '2024-04-01', '--lake', lake.dir]);

    expect(stdout).toContain('on 2024-04-01: closing balance 97.50 (the lake ends on 2024-03-05');
  });

  it.each([
    ['an unknown account', ['balance', 'NOPE', '--date', '2024-03-01'], "unknown account 'NOPE'"],
    [
      'a date before the first transaction',
      ['balance', 'A2', '--date', '2024-03-01'],
      "account 'A2' has no balance on 2024-03-01: its first transaction is on 2024-03-05",
    ],
  ])('explains %s and exits with 1', async (_label, args, message) => {
    const { stderr, error } = await run([...args, '--lake', lake.dir]);

    expect((error as CommanderError).exitCode).toBe(1);
    expect(stderr).toContain(message);
  });

  it('rejects a malformed date as a usage error', async () => {
    const { error } = await run(['balance', 'A1', '--date', '03/01/2024', '--lake', lake.dir]);

    expect(error).toBeInstanceOf(UsageError);
  });
});

describe('ledgerlake balance --model portfolio | inventory', () => {
  it("gives a client's held, pledged and available units of one product on a quiet day", async () => {
    const { stdout, error } = await run([
      'balance',
      'C1',
      '--model',
      'portfolio',
      '--product',
      'FUND-A',
      '--date',
      '2024-03-03',
      '--lake',
      lake.dir,
    ]);

    expect(error).toBeUndefined();
    // 80 bought at 2.50 on 03-01, 30 pledged on 03-02, nothing on 03-03 for FUND-A.
    expect(stdout).toBe(
      'client C1, product FUND-A on 2024-03-03: available 50.00 units (held 80.00, under lien 30.00)\n' +
        '  held change +0.00, lien change +0.00 from 0 movement(s) on 2024-03-03; last price 2.50, market value 200.00\n',
    );
  });

  it('lists every product of the client without --product', async () => {
    const { stdout } = await run([
      'balance',
      'C1',
      '--model',
      'portfolio',
      '--date',
      '2024-03-03',
      '--lake',
      lake.dir,
    ]);

    expect(stdout).toContain('client C1, product FUND-A on 2024-03-03: available 50.00 units');
    expect(stdout).toContain(
      'client C1, product GOLD on 2024-03-03: available 4.00 units (held 4.00, under lien 0.00)',
    );
    expect(stdout).toContain('no price known yet');
  });

  it('gives the units on hand at every location and the company-wide total', async () => {
    const { stdout, error } = await run([
      'balance',
      'SKU-1',
      '--model',
      'inventory',
      '--date',
      '2024-03-02',
      '--lake',
      lake.dir,
    ]);

    expect(error).toBeUndefined();
    expect(stdout.split('\n').filter((line) => !line.startsWith('  '))).toEqual([
      'product SKU-1 at WH-A on 2024-03-02: 30.00 units on hand',
      'product SKU-1 at WH-B on 2024-03-02: 20.00 units on hand',
      'product SKU-1 company-wide on 2024-03-02: 50.00 units on hand at 2 location(s)',
      '',
    ]);
    expect(stdout).toContain('transferred in 0.00 and out 20.00');
  });

  it('narrows to one location with --location and carries it past the end of the lake', async () => {
    const { stdout } = await run([
      'balance',
      'SKU-1',
      '--model',
      'inventory',
      '--location',
      'WH-B',
      '--date',
      '2024-04-01',
      '--lake',
      lake.dir,
    ]);

    expect(stdout).toContain(
      'product SKU-1 at WH-B on 2024-04-01: 20.00 units on hand (the lake ends on 2024-03-02; no later activity is known)',
    );
    expect(stdout).not.toContain('company-wide');
  });

  it.each([
    [
      ['balance', 'C1', '--model', 'portfolio', '--product', 'NOPE', '--date', '2024-03-03'],
      "unknown client 'C1' with product 'NOPE'",
    ],
    [
      ['balance', 'C1', '--model', 'portfolio', '--product', 'GOLD', '--date', '2024-03-01'],
      "client 'C1' with product 'GOLD' has no balance on 2024-03-01: its first movement is on 2024-03-03",
    ],
  ])('explains a lookup with no balance and exits with 1 (%j)', async (args, message) => {
    const { stderr, error } = await run([...args, '--lake', lake.dir]);

    expect((error as CommanderError).exitCode).toBe(1);
    expect(stderr).toContain(message);
  });

  it('rejects --product outside the portfolio model as a usage error', async () => {
    const { error } = await run([
      'balance',
      'A1',
      '--product',
      'FUND-A',
      '--date',
      '2024-03-01',
      '--lake',
      lake.dir,
    ]);

    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--product applies to --model portfolio, not to --model account');
  });
});
