/**
 * Issue 19: every file of the fuzz corpus (scripts/fuzz-corpus.ts) ingested through the shipped
 * binary, as a user would, gets its verdict: no crash, no stack trace, the documented exit code, a
 * message naming the file (and line and field where there is one), manifests that add up, no Parquet
 * or temp file for a rejected file, bounded memory and no raw control character on the terminal.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CorpusEntry, corpusFiles, writeCorpus } from '../../scripts/fuzz-corpus';
import type { Manifest } from '../../src/ingest/manifest';

const execFileAsync = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const PEAK_RSS = resolve('test/support/peak-rss.cjs');
/** Bytes a terminal would act on: every control character but newline and tab. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Peak RSS allowed for any ingest of the corpus. */
const MAX_PEAK_RSS_MIB = 400;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly peakRssMiB: number;
  /** The temp folder each CLI process used (os.tmpdir()). */
  readonly tmpdirs: readonly string[];
}

/** Runs the shipped binary in `cwd` with a private TMPDIR; reports its exit code, output and peak RSS. */
async function cli(cwd: string, args: readonly string[], shell?: string): Promise<Run> {
  const rssFile = join(cwd, `rss-${Math.random().toString(36).slice(2)}.jsonl`);
  const env = {
    ...process.env,
    TMPDIR: join(cwd, 'tmp'),
    NODE_OPTIONS: `--require ${PEAK_RSS}`,
    LEDGERLAKE_PEAK_RSS_FILE: rssFile,
  };
  await mkdir(env.TMPDIR, { recursive: true });
  const [file, argv] = shell
    ? ['bash', ['-c', `${shell} && exec "$0" "$@"`, process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  let code = 0;
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await execFileAsync(file, argv as string[], {
      cwd,
      env,
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    }));
  } catch (error) {
    const failed = error as { code?: number; stdout: string; stderr: string; killed?: boolean };
    if (failed.killed) throw new Error(`ledgerlake ${args.join(' ')} timed out`);
    ({ stdout, stderr } = failed);
    code = typeof failed.code === 'number' ? failed.code : -1;
  }
  const lines = (await readFile(rssFile, 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { maxRssMiB: number; tmpdir: string });
  return {
    code,
    stdout,
    stderr,
    peakRssMiB: Math.max(0, ...lines.map((l) => l.maxRssMiB)),
    tmpdirs: lines.map((l) => l.tmpdir),
  };
}

/** A landing key as the CLI prints it: control characters as `\xNN` / `\n` escapes. */
function printed(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The corpus, built in memory once: its entries name the tests, its bytes are written before the run. */
const CORPUS = corpusFiles();

let work: string;
let entries: CorpusEntry[];
let run: Run;
let manifests: Map<string, Manifest>;
let quarantined: Map<string, { line: number; reasons: string }[]>;
let curatedRows: Map<string, number>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'll-fuzz-'));
  entries = await writeCorpus(join(work, 'corpus'), CORPUS);
  run = await cli(work, ['ingest', 'corpus', '--dataset', 'transactions', '--lake', 'lake']);
  manifests = new Map();
  for (const path of await filesUnder(join(work, 'lake', 'manifests'))) {
    const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
    manifests.set(manifest.source_key, manifest);
  }
  const db = await (await DuckDBInstance.create()).connect();
  const read = async (sql: string) => (await db.runAndReadAll(sql)).getRows();
  quarantined = new Map();
  for (const [key, line, reasons] of (await read(
    `SELECT source_key, source_line::INTEGER, reasons FROM read_parquet('${work}/lake/quarantine/transactions/dt=*/*.parquet') ORDER BY 1, 2`,
  )) as [string, number, string][]) {
    quarantined.set(key, [...(quarantined.get(key) ?? []), { line, reasons }]);
  }
  curatedRows = new Map(
    (await read(
      `SELECT source_key, count(*)::INTEGER FROM read_parquet('${work}/lake/curated/transactions/dt=*/*.parquet', hive_partitioning = false) GROUP BY 1`,
    )) as [string, number][],
  );
  db.closeSync();
}, 180_000);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const keyOf = (entry: CorpusEntry) => `landing/transactions/corpus/${entry.file}`;

describe('the fuzz corpus through the shipped binary', () => {
  it('holds at least 80 kinds, each with a verdict of its own, all three verdicts among them', () => {
    expect(entries.length).toBeGreaterThanOrEqual(80);
    expect(new Set(entries.map((e) => e.kind)).size).toBe(entries.length);
    for (const verdict of ['accepted', 'quarantined', 'rejected'])
      expect(entries.filter((e) => e.expect.verdict === verdict).length).toBeGreaterThanOrEqual(20);
  });

  it('prints one line per file, no stack trace, nothing on stderr, and exits 1 because files were rejected', () => {
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/\n\s+at /);
    expect(run.stdout.trim().split('\n')).toHaveLength(entries.length);
    expect(run.code).toBe(1);
  });

  it('prints no raw control character, though names, headers and values hold them', () => {
    expect(entries.some((e) => RAW_CONTROL.test(e.file))).toBe(true);
    expect(run.stdout).not.toMatch(RAW_CONTROL);
    expect(run.stdout).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J\\nname.csv');
    expect(run.stdout).toContain('\\x1b[2J\\x1b]0;pwned\\x07');
  });

  it(`keeps the peak memory of the whole run under ${MAX_PEAK_RSS_MIB} MiB (gzip bombs and 17 MiB records included)`, () => {
    console.log(`fuzz corpus: ${entries.length} files, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`);
    expect(run.peakRssMiB).toBeGreaterThan(20); // the measurement ran
    expect(run.peakRssMiB).toBeLessThan(MAX_PEAK_RSS_MIB);
  });

  it('leaves no temp file in the lake and no staging folder in TMPDIR', async () => {
    const lakeFiles = await filesUnder(join(work, 'lake'));
    expect(lakeFiles.length).toBeGreaterThan(entries.length);
    expect(lakeFiles.filter((path) => path.includes('.ledgerlake-tmp-'))).toEqual([]);
    // Staging folders and spooled Parquet copies are named ledgerlake-* (tsx keeps its cache there too).
    const tmp = await readdir(join(work, 'tmp'));
    // TMPDIR reached every CLI process (so an empty folder below means nothing was left there).
    expect(run.tmpdirs.length).toBeGreaterThan(0);
    expect(new Set(run.tmpdirs)).toEqual(new Set([join(work, 'tmp')]));
    expect(tmp.filter((name) => name.startsWith('ledgerlake-'))).toEqual([]);
  });

  it.each(CORPUS.map(({ entry }): [string, CorpusEntry] => [entry.kind, entry]))(
    '%s: gets its verdict, named with the file, and its manifest adds up',
    (_kind, entry) => {
      const key = keyOf(entry);
      const manifest = manifests.get(key);
      expect(manifest, `no manifest for ${key}`).toBeDefined();
      const line = run.stdout.split('\n').find((l) => l.includes(`  ${printed(key)}  `));
      expect(line, `no line names ${key}`).toBeDefined();
      const m = manifest!;
      expect(m.rows_read).toBe(m.rows_valid + m.rows_quarantined + m.duplicates_dropped);
      const written = (kind: string) =>
        m.files_written.filter((f) => f.kind === kind).reduce((sum, f) => sum + f.rows, 0);
      expect(written('curated')).toBe(m.rows_valid);
      expect(written('quarantine')).toBe(m.rows_quarantined);
      expect(curatedRows.get(key) ?? 0).toBe(m.rows_valid);
      expect(quarantined.get(key)?.length ?? 0).toBe(m.rows_quarantined);

      const expected = entry.expect;
      if (expected.verdict === 'rejected') {
        expect(line).toMatch(/^REJECTED {3}/);
        expect(m.status).toBe('rejected');
        expect(m.rejection_reason).toContain(expected.reason);
        expect(line).toContain(printed(expected.reason));
        // Nothing but the copy of the file and its report: no Parquet.
        expect(m.files_written.map((f) => f.kind).sort()).toEqual(['rejected_file', 'rejection_report']);
      } else {
        expect(line).toMatch(/^ok {9}/);
        expect(m.status).toBe('ok');
        expect(m.rows_valid).toBe(expected.valid);
        if (expected.verdict === 'accepted') {
          expect(m.rows_quarantined).toBe(0);
          if (expected.ignored) expect(m.ignored_columns).toEqual(expected.ignored);
        } else {
          expect(m.rows_quarantined).toBe(expected.quarantined);
          const rows = quarantined.get(key)!;
          expect(rows[0]!.reasons).toContain(expected.reason);
          if (expected.line !== undefined) expect(rows[0]!.line).toBe(expected.line);
        }
      }
    },
  );
});

describe('exit codes and paths that are not regular files (shipped binary)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-paths-'));
    const header = 'transaction_id,event_time,customer_id,channel,type,amount,status\n';
    await writeFile(join(dir, 'good.csv'), `${header}T1,2026-01-15T10:00:00Z,C1,upi,deposit,1.00,success\n`);
    await writeFile(
      join(dir, 'some-bad.csv'),
      `${header}T1,2026-01-15T10:00:00Z,C1,upi,deposit,-1.00,success\n`,
    );
    await writeFile(join(dir, 'unreadable.csv'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a file ingested whole', 'good.csv', 0],
    ['a file with quarantined rows', 'some-bad.csv', 0],
    ['a file rejected whole', 'unreadable.csv', 1],
  ])('exits %s (%s) with code %i', async (_what, file, code) => {
    const result = await cli(dir, ['ingest', file, '--dataset', 'transactions', '--lake', `lake-${file}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(code);
  });

  it('refuses a FIFO, a symlink to /dev/zero and an empty folder named x.csv, lands nothing of them, and exits 1', async () => {
    const work = await mkdtemp(join(dir, 'odd-'));
    await execFileAsync('mkfifo', [join(work, 'pipe.csv')]);
    await symlink('/dev/zero', join(work, 'zero.csv'));
    await mkdir(join(work, 'x.csv'));

    const result = await cli(work, [
      'ingest',
      'pipe.csv',
      'zero.csv',
      'x.csv',
      '--dataset',
      'transactions',
      '--lake',
      'lake',
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      'REFUSED    pipe.csv  a FIFO (named pipe), not a regular file; ledgerlake ingests regular files and folders of them',
      'REFUSED    zero.csv  a character device, not a regular file; ledgerlake ingests regular files and folders of them',
      'REFUSED    x.csv  a folder holding no files to ingest; ledgerlake ingests regular files and folders of them',
    ]);
    expect(await filesUnder(join(work, 'lake'))).toEqual([]);
  });

  it('ingests a file spanning 2,500 days under a limit of 256 open files', async () => {
    const work = await mkdtemp(join(dir, 'days-'));
    const lines = ['transaction_id,event_time,customer_id,channel,type,amount,status'];
    const first = Date.UTC(2020, 0, 1);
    for (let d = 0; d < 2500; d++) {
      const day = new Date(first + d * 86_400_000).toISOString().slice(0, 10);
      lines.push(`T${d},${day}T10:00:00Z,C${d % 50},upi,deposit,${(d % 90) + 1}.00,success`);
    }
    await writeFile(join(work, 'backfill.csv'), `${lines.join('\n')}\n`);

    const result = await cli(
      work,
      ['ingest', 'backfill.csv', '--dataset', 'transactions', '--lake', 'lake'],
      'ulimit -n 256',
    );

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^ok {9}landing\/transactions\/backfill\.csv {2}2500 valid, 0 quarantined, 0 duplicates, 2500 days 2020-01-01\.\.2026-11-04/,
    );
    const curated = (await filesUnder(join(work, 'lake', 'curated'))).filter((p) => p.endsWith('.parquet'));
    expect(curated).toHaveLength(2500);
  });
});
