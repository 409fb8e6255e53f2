import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');

/** Runs the shipped binary; resolves with its output and exit code whatever the code. */
async function cli(
  cwd: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd, timeout: 90_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

let work: string;

beforeAll(async () => {
  // Two days of transactions, ingested by the CLI: real manifests, real curated files.
  work = await mkdtemp(join(tmpdir(), 'ledgerlake-test-cmd-'));
  await mkdir(join(work, 'raw'));
  for (const day of ['2026-03-01', '2026-03-02']) {
    let csv = 'transaction_id,event_time,customer_id,channel,type,amount,status\n';
    for (let i = 0; i < 20; i++)
      csv += `T-${day}-${i},${day}T10:00:00Z,C${i % 4},upi,deposit,${i + 1}.00,success\n`;
    await writeFile(join(work, 'raw', `transactions-${day}.csv`), csv);
  }
  const ingest = await cli(work, 'ingest', 'raw');
  expect(ingest.code).toBe(0);
}, 120_000);

afterAll(() => rm(work, { recursive: true, force: true }));

describe('ledgerlake test', () => {
  it('passes on a clean lake: one line per test and a summary, exit 0', async () => {
    const { stdout, code } = await cli(work, 'test');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS {3}stg_transactions: reconciles_with_manifests\(transactions\)$/m);
    expect(stdout).toMatch(
      /^PASS {3}fact_transactions: unique\(source_dataset, transaction_id, event_date\)$/m,
    );
    expect(stdout).toMatch(/^\d+ tests: \d+ passed, 0 failed, 0 warned, 0 could not run/m);
    expect(stdout).not.toMatch(/^(FAIL|WARN|ERROR)/m);
  });

  it('runs only the selected models with --select, as JSON with --json', async () => {
    const { stdout, code } = await cli(work, 'test', '--select', 'stg_transactions', 'dim_date', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { summary: Record<string, number>; results: { model: string }[] };
    expect(new Set(report.results.map((r) => r.model))).toEqual(new Set(['stg_transactions', 'dim_date']));
    expect(report.summary).toEqual({ pass: report.results.length, fail: 0, warn: 0, error: 0 });
  });

  it('rejects an unknown --select name with exit code 2', async () => {
    const { stderr, code } = await cli(work, 'test', '--select', 'fact_nothing');
    expect(code).toBe(2);
    expect(stderr).toContain('--select fact_nothing: no such model or dataset');
  });

  it('fails with exit 1 and the failing rows when a curated file goes missing', async () => {
    const lake = join(work, '.ledgerlake');
    const day = join(lake, 'curated', 'transactions', 'dt=2026-03-02');
    const [file] = await readdir(day);
    await unlink(join(day, file!));
    const { stdout, code } = await cli(work, 'test', '--select', 'transactions');
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^FAIL {3}stg_transactions: reconciles_with_manifests\(transactions\) {2}2 failing rows$/m,
    );
    expect(stdout).toContain('landing/transactions/raw/transactions-2026-03-02.csv');
    expect(stdout).toContain('valid rows differ from curated rows');
    expect(stdout).toContain('a day the manifest lists holds no curated rows');
    expect(stdout).toMatch(/^1 tests: 0 passed, 1 failed/m);
  });
});
