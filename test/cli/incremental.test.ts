import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const HEADER = 'transaction_id,event_time,customer_id,account_id,channel,city,type,amount,currency,status\n';

/** CSV rows: one deposit a day of 100 for account A1 on each of the given days. */
function deposits(days: readonly string[], amount = 100, prefix = 'D'): string {
  return (
    HEADER +
    days
      .map((day) => `${prefix}-${day},${day}T09:00:00Z,C1,A1,upi,Boston,deposit,${amount}.00,USD,success\n`)
      .join('')
  );
}

let scratch = '';
/** Writes a CSV into the test folder and returns its path. */
async function fileOf(name: string, text: string): Promise<string> {
  const path = join(scratch, name);
  await writeFile(path, text);
  return path;
}

async function cli(lake: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--lake', lake], { timeout: 60_000 });
  return stdout;
}

describe('ledgerlake ingest, then alerts: the marts follow what arrived (shipped binary)', () => {
  let dir: string;
  let lake: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-incremental-'));
    scratch = dir;
    lake = join(dir, 'lake');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('alerts on the day a late file moved, not only on the latest day', async () => {
    const first = join(dir, 'transactions-june.csv');
    await writeFile(first, deposits(['2024-06-01', '2024-06-02', '2024-06-03', '2024-06-04', '2024-06-05']));
    await cli(lake, 'ingest', first);
    const initial = await cli(lake, 'alerts');
    // A full first build looks at the latest day only: A1 moved 400 -> 500, under 50%.
    expect(initial).toContain('2024-06-05: 0 balance move(s) breached a rule');

    // A late file for 2 June: A1 receives 5,000 that day (100 -> 5,200: a breach on 2 June).
    const late = join(dir, 'transactions-late.csv');
    await writeFile(late, deposits(['2024-06-02'], 5000, 'LATE'));
    await cli(lake, 'ingest', late);
    const after = await cli(lake, 'alerts');

    expect(after).toContain('2024-06-02..2024-06-05: 1 balance move(s) breached a rule; 1 digest(s) sent');
    expect(after).toContain('A1');
    const state = JSON.parse(await readFile(join(lake, 'marts', '_state.json'), 'utf8'));
    expect(state.models.fact_account_daily_balance.partitions).toEqual([
      '2024-06-01',
      '2024-06-02',
      '2024-06-03',
      '2024-06-04',
      '2024-06-05',
    ]);

    // Nothing new arrived: nothing is rebuilt and nothing is sent again.
    const again = await cli(lake, 'alerts');
    expect(again).toContain('2024-06-05: 0 balance move(s) breached a rule');
  });

  it('prints an alert run as JSON with --json: the breach once, then nothing again', async () => {
    const jsonLake = join(dir, 'json-lake');
    const days = ['2024-07-01', '2024-07-02', '2024-07-03'];
    await cli(jsonLake, 'ingest', await fileOf('transactions-july.csv', deposits(days)));
    await cli(jsonLake, 'alerts');
    // 3 July: A1 receives 5,000 more (200 -> 5,300), a breach of the account rule.
    await cli(
      jsonLake,
      'ingest',
      await fileOf('transactions-july-big.csv', deposits(['2024-07-03'], 5000, 'BIG')),
    );
    const run1 = JSON.parse(await cli(jsonLake, 'alerts', '--json')) as {
      dates: string[];
      breaches: number;
      digests: { day: string; model: string; subject: string; entries: { entityId?: string }[] }[];
    };
    expect(run1.dates).toEqual(['2024-07-03']);
    expect(run1.breaches).toBe(1);
    expect(run1.digests).toHaveLength(1);
    expect(run1.digests[0]).toMatchObject({ day: '2024-07-03', model: 'fact_account_daily_balance' });
    expect(JSON.stringify(run1.digests[0]!.entries)).toContain('A1');
    const run2 = JSON.parse(await cli(jsonLake, 'alerts', '--json', '--date', '2024-07-03')) as {
      breaches: number;
      already_sent: number;
      digests: unknown[];
    };
    expect(run2).toMatchObject({ breaches: 1, already_sent: 1, digests: [] });
  });

  it('says what a refresh did, rebuilds in full on request, and refuses an unknown model', async () => {
    const quiet = await cli(lake, 'refresh');
    const rebuilt = await cli(lake, 'refresh', '--rebuild', '--model', 'fact_account_daily_balance');
    const unknown = await cli(lake, 'refresh', '--model', 'kpi').catch(
      (error: { code: number; stderr: string }) => error,
    );

    expect(quiet).toContain('curated data unchanged since the last refresh');
    expect(quiet).toMatch(/fact_account_daily_balance\s+unchanged/);
    expect(rebuilt).toMatch(
      /fact_account_daily_balance\s+full\s+5 days 2024-06-01\.\.2024-06-05, 1 statement/,
    );
    expect(rebuilt).toMatch(/fact_transactions\s+unchanged/);
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toContain("'kpi' is not an incremental model");
  });

  it('answers a point-in-time balance from the materialized snapshot', async () => {
    const out = await cli(lake, 'balance', 'A1', '--date', '2024-06-03');
    expect(out).toMatch(/5,?300/);
  });
});
