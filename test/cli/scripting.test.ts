import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');

async function cli(
  cwd: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [CLI, ...args], {
      cwd,
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the shipped binary in scripts: exit codes, one error prefix, big results', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-scripting-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 on a usage mistake of a subcommand, with the ledgerlake: prefix', async () => {
    const { code, stdout, stderr } = await cli(dir, 'query', '--nope', 'select 1', '--lake', '.');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe("ledgerlake: unknown option '--nope'");
  });

  it('exits 1 on a query the engine refuses, with the same prefix', async () => {
    const { code, stderr } = await cli(dir, 'query', 'select nope from missing_table', '--lake', '.');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ledgerlake: query failed: Catalog Error: .*missing_table/);
  });

  it('keeps decimals and integers beyond 2^53 exact in --json, as strings', async () => {
    const { code, stdout } = await cli(
      dir,
      'query',
      "select cast('12345678901234567.89' as decimal(38, 2)) as amount, cast('9007199254740993' as bigint) as big, cast(3 as bigint) as small, cast('0.10' as decimal(18, 2)) as dime",
      '--lake',
      '.',
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      { amount: '12345678901234567.89', big: '9007199254740993', small: 3, dime: '0.10' },
    ]);
    // Negative control: through a double the same values would have lost their last digits.
    expect(String(Number('12345678901234567.89'))).not.toBe('12345678901234567.89');
    expect(String(Number('9007199254740993'))).not.toBe('9007199254740993');
  });

  it('prints a table of 200,000 rows (no call-stack overflow while aligning it)', async () => {
    const { code, stdout, stderr } = await cli(
      dir,
      'query',
      'select cast(range as bigint) as n from range(200000)',
      '--lake',
      '.',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(200_000 + 3);
    expect(lines[0]).toBe('     n');
    expect(lines.at(-2)).toBe('199999');
    expect(lines.at(-1)).toBe('(200000 rows)');
  });
});
