import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseTables } from '../../src/engine/catalog';
import { openDuckDb } from '../../src/engine/duckdb';
import { CLI, runCli, runCliWith } from '../support/shipped-cli';

/**
 * Issue 20: `kill -9` of the shipped binary at several points of a large ingest. After each kill the
 * lake is read as readers read it: all of the file or none of it, never a part; the next ingest of the
 * same file converges to exactly one clean ingest, with no orphan part left.
 */

const HEADER =
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status,processing_time_s';
const ROWS = 500_000;
const DAYS = 80;
/**
 * Curated parts an ingest of the book writes: its 35 MB are split in two threads (`--threads 2`,
 * src/ingest/split-ingest.ts), and each half holds every day.
 */
const PARTS = 2 * DAYS;
const INVALID = Math.floor((ROWS - 1) / 100) + 1;
const VALID = ROWS - INVALID;

let work: string;

function writeBook(path: string, version: number): void {
  const lines = [HEADER];
  for (let i = 0; i < ROWS; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + (i % DAYS))).toISOString().slice(0, 10);
    const amount = i % 100 === 0 ? 'x' : `${(i % 997) + 1}.00`;
    lines.push(`T${i},${day}T10:00:00Z,C${i % 50},upi,v${version},deposit,${amount},USD,success,0.5`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ledgerlake-kill-'));
  writeBook(join(work, 'v1.csv'), 1);
  writeBook(join(work, 'v2.csv'), 2);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Files under a folder, recursively (none when it does not exist). */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** What readers see in the lake: rows per version, quarantined rows, stored rows, attempt records. */
async function readersSee(lake: string) {
  const engine = await openDuckDb();
  try {
    await createBaseTables(engine, { lakeDir: lake });
    const count = async (sql: string) => Number((await engine.query(sql)).rows[0]?.n ?? 0);
    const { rows } = await engine.query('select city, count(*) as n from transactions group by city');
    return {
      versions: Object.fromEntries(rows.map((r) => [String(r.city), Number(r.n)])),
      quarantined: await count('select count(*) as n from quarantine'),
      storedRows: await count('select count(*) as n from transactions_parts'),
      attempts: files(join(lake, '_attempts')).length,
    };
  } finally {
    await engine.close();
  }
}

const clean = (version: number) => ({
  versions: { [`v${version}`]: VALID },
  quarantined: INVALID,
  storedRows: VALID,
  attempts: 0,
});

/**
 * Runs `ledgerlake ingest` on `file` (landed as `landing/transactions/book.csv`) and kills its whole
 * process group with SIGKILL as soon as `when` holds for the lake; resolves with what the lake held then.
 */
async function ingestAndKill(
  lake: string,
  file: string,
  when: (lake: string) => boolean,
  env: Readonly<Record<string, string>> = {},
) {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'ingest', file, '--dataset', 'transactions', '--lake', lake, '--threads', '2'],
    { cwd: work, detached: true, stdio: 'ignore', env: { ...process.env, ...env } },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let killed = false;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (when(lake)) {
      // The CLI may run the ingest in a child of its own: the group goes, as with a machine's crash.
      process.kill(-child.pid!, 'SIGKILL');
      killed = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await exited;
  return { killed };
}

const curatedParts = (lake: string) =>
  files(join(lake, 'curated')).filter((f) => f.endsWith('.parquet')).length;

describe('kill -9 of the shipped binary mid-ingest', () => {
  const NONE = [{}, 0];
  const ALL = [{ v1: VALID }, INVALID];
  // Before the commit readers must see nothing; once the curated parts are all written the kill may
  // land before or after the commit (the quarantine parts and the commit follow within milliseconds),
  // and readers must see nothing or everything.
  const points: [string, (lake: string) => boolean, unknown[][]][] = [
    [
      'while it stages the file (nothing written to the lake yet)',
      (lake) => files(join(lake, 'landing')).length > 0,
      [NONE],
    ],
    ['right after the first curated part', (lake) => curatedParts(lake) >= 1, [NONE]],
    ['half-way through the parts', (lake) => curatedParts(lake) >= PARTS / 2, [NONE]],
    ['once every curated part is written', (lake) => curatedParts(lake) >= PARTS, [NONE, ALL]],
  ];

  it.each(points)(
    '%s: readers see none or all of it, and a second ingest converges',
    async (_point, when, allowed) => {
      const lake = mkdtempSync(join(work, 'lake-'));
      const { killed } = await ingestAndKill(lake, join(work, 'v1.csv'), when);
      expect(killed).toBe(true);
      const seen = await readersSee(lake);
      expect(allowed).toContainEqual([seen.versions, seen.quarantined]);

      const retry = await runCli(
        work,
        'ingest',
        join(work, 'v1.csv'),
        '--dataset',
        'transactions',
        '--lake',
        lake,
      );
      expect([retry.code, retry.stderr]).toEqual([0, '']);
      expect(await readersSee(lake)).toEqual(clean(1));
    },
    120_000,
  );

  it('a corrected file killed half-way: readers keep all of the old version; the next ingest switches whole', async () => {
    const lake = mkdtempSync(join(work, 'lake-'));
    const landed = join(work, 'book.csv');
    writeBook(landed, 1);
    const first = await runCli(
      work,
      'ingest',
      landed,
      '--dataset',
      'transactions',
      '--lake',
      lake,
      '--threads',
      '2',
    );
    expect(first.code).toBe(0);
    expect(await readersSee(lake)).toEqual(clean(1));

    expect(curatedParts(lake)).toBe(PARTS);
    writeBook(landed, 2);
    const { killed } = await ingestAndKill(lake, landed, (l) => curatedParts(l) >= PARTS + PARTS / 2);
    expect(killed).toBe(true);
    const seen = await readersSee(lake);
    expect([seen.versions, seen.quarantined]).toEqual([{ v1: VALID }, INVALID]);
    // The killed attempt's parts are stored, and not seen: the check above is not vacuous.
    expect(seen.storedRows).toBeGreaterThan(VALID);

    expect((await runCli(work, 'ingest', landed, '--dataset', 'transactions', '--lake', lake)).code).toBe(0);
    expect(await readersSee(lake)).toEqual(clean(2));
  }, 120_000);

  it('a killed ingest, then `ledgerlake sweep`: its parts, attempt and staging folder are gone, and nothing was ever visible', async () => {
    const lake = mkdtempSync(join(work, 'lake-'));
    const temp = mkdtempSync(join(work, 'tmp-'));
    const { killed } = await ingestAndKill(lake, join(work, 'v1.csv'), (l) => curatedParts(l) >= DAYS / 2, {
      TMPDIR: temp,
    });
    expect(killed).toBe(true);
    const before = await readersSee(lake);
    expect(before.attempts).toBe(1);
    expect(before.storedRows).toBeGreaterThan(0);
    expect(readdirSync(temp).filter((name) => name.startsWith('ledgerlake-staging-'))).toHaveLength(1);

    const swept = await runCliWith(
      { cwd: work, env: { TMPDIR: temp } },
      'sweep',
      '--lake',
      lake,
      '--older-than',
      '0',
      '--json',
    );

    expect([swept.code, swept.stderr]).toEqual([0, '']);
    expect(JSON.parse(swept.stdout)).toEqual({
      rolledBack: 1,
      rolledForward: 0,
      running: 0,
      backfilled: 0,
      compacted: 0,
      tempFiles: expect.any(Number),
      stagingDirs: 1,
    });
    expect(await readersSee(lake)).toEqual({ versions: {}, quarantined: 0, storedRows: 0, attempts: 0 });
    expect(readdirSync(temp)).toEqual([]);
    expect(curatedParts(lake)).toBe(0);
  }, 120_000);
});
