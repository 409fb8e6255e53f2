import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landingKey } from '../../src/cli/commands/ingest';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');
const HEADER = 'transaction_id,event_time,customer_id,channel,type,amount,status\n';
const DAYS = ['2026-03-01', '2026-03-02', '2026-03-03'];
const ROWS_PER_DAY = 500;

/** `raw/YYYY/MM/DD/transactions.csv`, 500 rows each, as a real batch pipeline drops them. */
async function writeDropTree(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const day of DAYS) {
    const folder = join(root, 'raw', ...day.split('-'));
    await mkdir(folder, { recursive: true });
    let csv = HEADER;
    for (let i = 0; i < ROWS_PER_DAY; i++)
      csv += `T-${day}-${i},${day}T10:00:00Z,C${i % 40},upi,deposit,${i + 1}.00,success\n`;
    const file = join(folder, 'transactions.csv');
    await writeFile(file, csv);
    files.push(file);
  }
  return files;
}

async function cli(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI, ...args], { cwd, timeout: 60_000 });
  return stdout;
}

/** Every file of the lake with its SHA-256, to prove a re-ingest is byte-identical. */
async function snapshot(lake: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(lake, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(lake, path)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return out;
}

async function curatedRows(lake: string): Promise<{ rows: number; ids: number }> {
  const db = await (await DuckDBInstance.create()).connect();
  const reader = await db.runAndReadAll(
    `SELECT count(*)::INTEGER, count(DISTINCT transaction_id)::INTEGER
       FROM read_parquet('${lake}/curated/transactions/dt=*/*.parquet', hive_partitioning = false)`,
  );
  const [rows, ids] = reader.getRows()[0] as [number, number];
  db.closeSync();
  return { rows, ids };
}

describe('ledgerlake ingest keeps a drop tree of same-named files apart (shipped binary)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'll-drops-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lands every row of a folder tree, each file once, and a second ingest changes nothing', async () => {
    const work = join(dir, 'tree');
    await writeDropTree(work);

    const first = await cli(work, 'ingest', 'raw', '--lake', 'lake');
    const lines = first.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const day of DAYS)
      expect(first).toContain(
        `ok         landing/transactions/raw/${day.replaceAll('-', '/')}/transactions.csv  500 valid`,
      );
    expect(await curatedRows(join(work, 'lake'))).toEqual({ rows: 1500, ids: 1500 });
    const manifests = await readdir(join(work, 'lake', 'manifests', 'transactions'));
    expect(manifests).toHaveLength(3);

    const before = await snapshot(join(work, 'lake'));
    const again = await cli(work, 'ingest', 'raw', '--lake', 'lake');
    expect(
      again
        .trim()
        .split('\n')
        .every((line) => line.startsWith('unchanged  ')),
    ).toBe(true);
    expect(await snapshot(join(work, 'lake'))).toEqual(before);
  });

  it('lands the same tree file by file with the same keys as the folder, so neither replaces another', async () => {
    const work = join(dir, 'one-by-one');
    const files = await writeDropTree(work);
    for (const file of files) await cli(work, 'ingest', relative(work, file), '--lake', 'lake');
    expect(await curatedRows(join(work, 'lake'))).toEqual({ rows: 1500, ids: 1500 });

    // The folder after the files: the same three sources, already ingested.
    const folder = await cli(work, 'ingest', 'raw', '--lake', 'lake');
    expect(folder.trim().split('\n')).toEqual(
      DAYS.map(
        (day) =>
          `unchanged  landing/transactions/raw/${day.replaceAll('-', '/')}/transactions.csv  (already ingested; --force to ingest again)`,
      ),
    );
  });

  it('keeps two sales.json of two folders as two sources', async () => {
    const work = join(dir, 'sales');
    const order = (id: string, day: string) =>
      JSON.stringify({
        order_id: id,
        order_date: day,
        customer_id: 'C1',
        product: { product_id: 'P1', category: 'Books', price: 10 },
        quantity: 1,
        region: 'North',
      });
    for (const [folder, day] of [
      ['2026-03-01', '2026-03-01'],
      ['2026-03-02', '2026-03-02'],
    ] as const) {
      await mkdir(join(work, 'exports', folder), { recursive: true });
      await writeFile(
        join(work, 'exports', folder, 'sales.json'),
        `[${order(`O-${day}-1`, day)},${order(`O-${day}-2`, day)}]`,
      );
    }
    await cli(work, 'ingest', join('exports', '2026-03-01', 'sales.json'), '--lake', 'lake');
    await cli(work, 'ingest', join('exports', '2026-03-02', 'sales.json'), '--lake', 'lake');
    const manifests = await readdir(join(work, 'lake', 'manifests', 'sales'));
    const valid = await Promise.all(
      manifests.map(async (m) =>
        JSON.parse(await readFile(join(work, 'lake', 'manifests', 'sales', m), 'utf8')),
      ),
    );
    expect(valid.map((m) => [m.source_key, m.rows_valid]).sort()).toEqual([
      ['landing/sales/exports/2026-03-01/sales.json', 2],
      ['landing/sales/exports/2026-03-02/sales.json', 2],
    ]);
  });
});

describe('landingKey', () => {
  const cwd = '/home/me/project';
  it.each([
    [
      'raw/2026/03/01/transactions.csv',
      'transactions',
      'landing/transactions/raw/2026/03/01/transactions.csv',
    ],
    ['/home/me/project/raw/x.csv', 'transactions', 'landing/transactions/raw/x.csv'],
    ['/data/landing/sales/2024/orders.json', 'sales', 'landing/sales/2024/orders.json'],
    ['/elsewhere/exports/a.csv', 'transactions', 'landing/transactions/elsewhere/exports/a.csv'],
    ['../up/a.csv', 'transactions', 'landing/transactions/home/me/up/a.csv'],
  ])('lands %s (dataset %s) as %s', (path, dataset, key) => {
    expect(landingKey({ path, dataset }, cwd)).toBe(key);
  });
});
