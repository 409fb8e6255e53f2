import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCliWith } from '../support/shipped-cli';

const exec = promisify(execFile);

/**
 * Issue 18: a progress bar on ingest of a large file, on stderr, only on a terminal. The shipped
 * binary runs under a pseudo-terminal (`script` from util-linux), and in a pipe as the control.
 */
let work: string;
let file: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ledgerlake-tty-'));
  file = join(work, 'big.csv');
  const lines = ['transaction_id,event_time,customer_id,channel,city,type,amount,currency,status'];
  for (let i = 0; i < 300_000; i++) {
    lines.push(
      `T${i},2024-06-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z,C${i % 99},upi,Austin,deposit,1.00,USD,success`,
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the binary with a pseudo-terminal as its stdin, stdout and stderr; returns what the terminal showed. */
async function onTerminal(env: Record<string, string | undefined>, ...args: string[]): Promise<string> {
  const command = [process.execPath, CLI, ...args]
    .map((part) => `'${part.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const { stdout } = await exec('script', ['-qefc', command, '/dev/null'], {
    cwd: work,
    env: { ...process.env, ...env },
    timeout: 60_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const BAR = /\rbig\.csv \[#*-*\] \d+% [\d,]+ rows/;

describe('the ingest progress bar', () => {
  it('is drawn on a terminal, then erased before the result line', async () => {
    const shown = await onTerminal(
      { CI: undefined },
      'ingest',
      file,
      '--dataset',
      'transactions',
      '--lake',
      join(work, 'tty-lake'),
    );
    expect(shown).toMatch(BAR);
    // Erased (carriage return + clear line) before the result is printed.
    expect(shown).toMatch(/\r\x1b\[K(\r\n|\n)?ok {9}/);
    expect(shown).toContain('300000 valid');
  }, 90_000);

  it('is not drawn in a pipe (the control: same file, same command)', async () => {
    const run = await runCliWith(
      { cwd: work, env: { CI: '' } },
      'ingest',
      file,
      '--dataset',
      'transactions',
      '--lake',
      join(work, 'pipe-lake'),
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(BAR);
    expect(run.stdout).toContain('300000 valid');
  }, 90_000);

  it('is not drawn on a terminal in CI', async () => {
    const shown = await onTerminal(
      { CI: 'true' },
      'ingest',
      file,
      '--dataset',
      'transactions',
      '--lake',
      join(work, 'ci-lake'),
    );
    expect(shown).not.toMatch(BAR);
    expect(shown).toContain('300000 valid');
  }, 90_000);
});
