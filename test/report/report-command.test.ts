import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerReportCommand } from '../../src/cli/commands/report';
import { createProgram, UsageError } from '../../src/cli/program';
import { readPayload } from '../../src/report/dashboard';

const folders: string[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ledgerlake-report-cli-'));
  folders.push(folder);
  return folder;
}

async function run(args: readonly string[]): Promise<string> {
  const program = createProgram().exitOverride();
  registerReportCommand(program);
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  await program.parseAsync(['node', 'ledgerlake', 'report', ...args]);
  return written.join('');
}

describe('ledgerlake report', () => {
  it('writes the page for an empty lake and prints where it went', async () => {
    const lake = tempFolder();
    const out = join(tempFolder(), 'nested', 'report.html');

    const printed = await run(['--lake', lake, '--out', out, '--from', '2024-01-01', '--to', '2024-01-07']);

    expect(printed).toMatch(
      new RegExp(`^report written to ${out} \\(\\d+ KB, duckdb · ${lake}, \\d+\\.\\d s\\)\\n$`),
    );
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('2024-01-01 to 2024-01-07 (7 days, UTC)');
    expect(readPayload(html).tx.d).toEqual([]);
  });

  it.each([
    [['--from', '2024-02-10', '--to', '2024-02-01'], '--from 2024-02-10 is after --to 2024-02-01; swap them'],
    [['--to', '2024-13-01'], "--to must be a date like 2024-06-30, got '2024-13-01'"],
    [['--engine', 'athena', '--workgroup', 'wg'], '--engine athena needs --workgroup W and --database D'],
    [['--database', 'db'], '--workgroup and --database go with --engine athena'],
    [['--port', '8080'], '--port goes with --serve'],
    [['--serve', '--port', '70000'], '--port must be at most 65535, got 70000'],
  ])('rejects %j with a usage error', async (args, message) => {
    const lake = tempFolder();

    const running = run(['--lake', lake, ...args]);

    await expect(running).rejects.toThrow(UsageError);
    await expect(running).rejects.toThrow(message);
  });
});

describe('ledgerlake report --serve (the shipped binary)', () => {
  let child: ChildProcess | undefined;

  // The binary re-runs itself with a heap flag: stop its whole process group, as Ctrl-C does.
  afterEach(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGINT');
    child = undefined;
  });

  it('serves the file it wrote at / on 127.0.0.1, and nothing else', async () => {
    const lake = tempFolder();
    const out = join(tempFolder(), 'report.html');
    child = spawn(
      process.execPath,
      [
        'bin/ledgerlake.mjs',
        'report',
        '--lake',
        lake,
        '--out',
        out,
        '--from',
        '2024-01-01',
        '--to',
        '2024-01-07',
        '--serve',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let printed = '';
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk) => {
        printed += String(chunk);
        const match = /serving (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl-C to stop\)/.exec(printed);
        if (match) resolve(match[1]!);
      });
      child!.once('exit', (code) => reject(new Error(`exited with ${code}: ${printed}`)));
    });

    const page = await fetch(url);
    const missing = await fetch(`${url}secrets.txt`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe(readFileSync(out, 'utf8'));
    expect(missing.status).toBe(404);
  }, 120_000);
});
