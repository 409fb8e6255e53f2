import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { transactions } from '../../datasets';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { uncommittedOutputs } from '../../src/ingest/commit';
import { ingestObject } from '../../src/ingest/ingest-object';
import { attemptKey, commitKey } from '../../src/ingest/lake-layout';
import type { Manifest } from '../../src/ingest/manifest';
import { planSplit, SPLIT_MIN_BYTES } from '../../src/ingest/split-ingest';
import { FsObjectStore } from '../../src/storage/fs-store';

/**
 * How the worker thread fails, for the tests of the fallback: when it gets the key pass's findings (its
 * start), it is killed ('exit'), or reports a failed pass ('failed') or an error ('error') as a real
 * worker does. The worker itself is the real one; undefined leaves it alone.
 */
const failure = vi.hoisted(() => ({ mode: undefined as 'exit' | 'failed' | 'error' | undefined }));
vi.mock('node:worker_threads', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:worker_threads')>();
  class FailingWorker extends real.Worker {
    override postMessage(value: unknown): void {
      super.postMessage(value);
      if (failure.mode === 'exit') void this.terminate();
      else if (failure.mode === 'failed') this.emit('message', { type: 'failed', message: 'no space left' });
      else if (failure.mode === 'error') this.emit('error', new Error('the worker broke'));
    }
  }
  return { ...real, Worker: FailingWorker };
});

const HEADER =
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status,processing_time_s';
const NOW = new Date('2024-07-01T08:00:00.000Z');
const CITIES = ['Austin', 'Miami', 'São Paulo', 'Zürich', '"New\nYork"', '"Quoted, with comma"'];

let dir: string;
let duck: DuckDbEngine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'split-ingest-test-'));
  duck = await openDuckDb();
});
afterAll(async () => {
  await duck.close();
  await rm(dir, { recursive: true, force: true });
});

/** A deterministic pseudo-random sequence (xorshift). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/**
 * A CSV a little larger than `SPLIT_MIN_BYTES`: five days in random order, some rows invalid, quoted
 * cities with a comma or a newline, non-ASCII text, and ids repeated within each half and across the
 * middle (`T<n>` of the first rows again among the last).
 */
function transactionsCsv(options: { eol: string; bom: boolean; cityOf?: (i: number) => string }): string {
  const next = random(42);
  const lines = [HEADER];
  let size = 0;
  const row = (id: string, amount: string) => {
    const day = 1 + Math.floor(next() * 5);
    const second = Math.floor(next() * 86_400);
    const time = new Date(Date.UTC(2024, 5, day, 0, 0, second)).toISOString();
    const i = lines.length;
    const city = options.cityOf ? options.cityOf(i) : CITIES[Math.floor(next() * CITIES.length)]!;
    const line = `${id},${time},C${i % 97},upi,${city},deposit,${amount},USD,success,0.5`;
    lines.push(line);
    size += Buffer.byteLength(line) + options.eol.length;
  };
  for (let i = 0; size < SPLIT_MIN_BYTES * 1.1; i++) {
    if (i % 1009 === 0) row(`T${i}`, 'not-a-number');
    else if (i % 50_000 === 7)
      row(`T${i - 1}`, '2.00'); // the previous row's id: a duplicate in the same half
    else if (i > 100_000 && i % 20_000 === 3)
      row(`T${(i % 400) + 1}`, '3.00'); // an id of the first rows
    else row(`T${i}`, `${1 + (i % 5000) / 100}`);
  }
  return (options.bom ? '\uFEFF' : '') + lines.join(options.eol) + options.eol;
}

const lfCsv = transactionsCsv({ eol: '\n', bom: false });

interface Ingested {
  readonly manifest: Manifest;
  readonly lake: string;
}

/**
 * Lands `csv` in a lake of its own (or `options.lake`) and ingests it with `threads`; `options.warnings`
 * collects the ingest's.
 */
async function ingest(
  name: string,
  csv: string,
  threads: number,
  options: { readonly lake?: string; readonly warnings?: string[] } = {},
): Promise<Ingested> {
  const lake = join(dir, options.lake ?? `${name}-${threads}`);
  const { warnings } = options;
  const store = new FsObjectStore(lake);
  const key = `landing/transactions/${name}.csv`;
  await store.put(key, csv);
  const { manifest } = await ingestObject({
    landing: store,
    lake: store,
    key,
    now: () => NOW,
    threads,
    onWarning: (warning) => warnings?.push(warning),
  });
  return { manifest, lake };
}

const filesOf = (lake: string, kind: 'curated' | 'quarantine') =>
  `read_parquet('${join(lake, kind, 'transactions', '**', '*.parquet')}')`;

/** Rows (every column) of one lake that the other does not have as often; [] when both hold the same. */
async function difference(a: string, b: string, kind: 'curated' | 'quarantine') {
  const { rows } = await duck.query(
    `(select * from ${filesOf(a, kind)} except all select * from ${filesOf(b, kind)}) union all ` +
      `(select * from ${filesOf(b, kind)} except all select * from ${filesOf(a, kind)}) limit 5`,
  );
  return rows;
}

async function rowCount(lake: string, kind: 'curated' | 'quarantine') {
  return Number((await duck.query(`select count(*) as n from ${filesOf(lake, kind)}`)).rows[0]!.n);
}

/** What two ingests of one file must agree on: the manifest but for times and file names. */
const COUNTED = [
  'status',
  'rows_read',
  'rows_valid',
  'rows_quarantined',
  'duplicates_dropped',
  'violations_by_rule',
  'partitions',
  'format',
  'compression',
  'delimiter',
  'ignored_columns',
] as const;

const counts = (manifest: Manifest) => Object.fromEntries(COUNTED.map((field) => [field, manifest[field]]));

const secondPartFiles = (manifest: Manifest) =>
  manifest.files_written.filter((f) => /-p2-[^/-]+\.parquet$/.test(f.key));

/** Ingests `csv` in one thread and in two, and checks both wrote the same rows and counts. */
async function expectSameAsOneThread(name: string, csv: string) {
  const one = await ingest(name, csv, 1);
  const two = await ingest(name, csv, 2);
  expect(secondPartFiles(one.manifest)).toEqual([]);
  expect(counts(two.manifest)).toEqual(counts(one.manifest));
  for (const kind of ['curated', 'quarantine'] as const) {
    const expected = kind === 'curated' ? one.manifest.rows_valid : one.manifest.rows_quarantined;
    expect(await rowCount(one.lake, kind)).toBe(expected);
    expect(await rowCount(two.lake, kind)).toBe(expected);
    expect(await difference(one.lake, two.lake, kind)).toEqual([]);
  }
  return { one, two };
}

describe('split ingest', () => {
  it('writes the rows, reasons, lines and counts of an ingest in one thread, from two threads', async () => {
    const csv = transactionsCsv({ eol: '\r\n', bom: true });
    const { one, two } = await expectSameAsOneThread('crlf', csv);
    // The file was split: the worker's parts are there, with rows of every day.
    const second = secondPartFiles(two.manifest);
    expect(second.filter((f) => f.kind === 'curated').map((f) => f.partition)).toEqual(
      two.manifest.partitions,
    );
    expect(second.some((f) => f.kind === 'quarantine')).toBe(true);
    // What the file holds, so that the comparison is not between two empty lakes: duplicates within
    // the halves and across the middle, quarantined rows, quoted newlines.
    expect(one.manifest.duplicates_dropped).toBeGreaterThanOrEqual(5);
    expect(one.manifest.rows_quarantined).toBeGreaterThan(100);
    expect(one.manifest.violations_by_rule).toEqual({ 'amount.type': one.manifest.rows_quarantined });
    const curated = `select * from ${filesOf(two.lake, 'curated')}`;
    const newYork = await duck.query(`${curated} where city = 'New\nYork' limit 1`);
    expect(newYork.rows).toHaveLength(1);
    // T4 of the first rows is superseded by its repeats in the second half, and they by the last.
    const t4 = (await duck.query(`${curated} where transaction_id = 'T4'`)).rows;
    expect(t4).toHaveLength(1);
    expect(t4[0]!.amount).toBe(3);
    // Its physical line: quoted cities hold newlines of their own.
    const lastRepeat = csv.slice(0, csv.lastIndexOf('\r\nT4,') + 2).split('\n').length;
    expect(t4[0]!.source_line).toBe(lastRepeat);
    expect(lastRepeat).toBeGreaterThan(two.manifest.rows_read / 2);
  });

  it('writes the same with LF line endings and no byte order mark', async () => {
    const { one, two } = await expectSameAsOneThread('lf', lfCsv);
    expect(secondPartFiles(two.manifest).length).toBeGreaterThan(0);
    // The negative control of the comparison: a lake of other rows differs.
    const other = await ingest(
      'other',
      `${HEADER}\nT1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5\n`,
      1,
    );
    expect(await difference(one.lake, other.lake, 'curated')).not.toEqual([]);

    // Until its commit record is written, both parts' files are an uncommitted attempt's: readers and
    // the refresh's fingerprints must not count them (the attempt id ends every output's name).
    const store = new FsObjectStore(two.lake);
    const { attempt, source_key: key } = two.manifest;
    const names = two.manifest.files_written.map((f) => f.key.slice(f.key.lastIndexOf('/') + 1));
    const pending = async () => {
      const isUncommitted = await uncommittedOutputs(store, 'transactions');
      return names.filter(isUncommitted);
    };
    await store.put(attemptKey('transactions', key, attempt!), '{}');
    expect(await pending()).toEqual([]); // the commit record is there: committed
    const commit = (await store.getText(commitKey('transactions', key, attempt!)))!;
    await store.delete([commitKey('transactions', key, attempt!)]);
    expect(await pending()).toEqual(names);
    expect(names.filter((name) => name.includes('-p2-')).length).toBeGreaterThan(0);
    await store.put(commitKey('transactions', key, attempt!), commit);
  });

  describe('when the worker fails, ingests the file again in this thread and says why', () => {
    afterEach(() => {
      failure.mode = undefined;
    });

    it.each([
      ['exit', "the split ingest's worker exited (code 1)"],
      ['failed', 'no space left'],
      ['error', 'the worker broke'],
    ] as const)('worker %s', async (mode, reason) => {
      const one = await ingest('lf', lfCsv, 1);
      failure.mode = mode;
      const warnings: string[] = [];
      const two = await ingest('lf', lfCsv, 2, { lake: `failed-${mode}`, warnings });
      const error = mode === 'error' ? 'Error' : 'SplitWorkerError';
      expect(warnings).toEqual([
        `landing/transactions/lf.csv: the second half failed in its thread (${error}: ${reason})`,
      ]);
      // Nothing of the failed half is kept, and nothing is missing: what one thread writes.
      expect(secondPartFiles(two.manifest)).toEqual([]);
      expect(counts(two.manifest)).toEqual(counts(one.manifest));
      for (const kind of ['curated', 'quarantine'] as const) {
        const expected = kind === 'curated' ? one.manifest.rows_valid : one.manifest.rows_quarantined;
        expect(await rowCount(two.lake, kind)).toBe(expected);
        expect(await difference(one.lake, two.lake, kind)).toEqual([]);
      }
    });

    it('(the control: the same ingest with the worker left alone splits and warns of nothing)', async () => {
      const warnings: string[] = [];
      const two = await ingest('lf', lfCsv, 2, { lake: 'unfailed', warnings });
      expect(warnings).toEqual([]);
      expect(secondPartFiles(two.manifest).length).toBeGreaterThan(0);
    });
  });

  it('ingests in one thread when the contract cannot be copied to the worker', async () => {
    // A contract given in code may hold what a thread cannot receive (here a function).
    const contract = { ...transactions, describe: () => 'payments' };
    const store = new FsObjectStore(join(dir, 'code-contract'));
    await store.put('landing/transactions/code.csv', lfCsv);
    const { manifest } = await ingestObject({
      landing: store,
      lake: store,
      key: 'landing/transactions/code.csv',
      datasets: [contract],
      now: () => NOW,
      threads: 2,
    });
    expect(secondPartFiles(manifest)).toEqual([]);
    const lf = await ingest('lf', lfCsv, 1);
    expect(counts(manifest)).toEqual(counts(lf.manifest));
  });

  it('ingests in one thread from a subclass of the local store (the worker would read past it)', async () => {
    class CountingStore extends FsObjectStore {
      gets = 0;
      override get(...args: Parameters<FsObjectStore['get']>) {
        this.gets++;
        return super.get(...args);
      }
    }
    const store = new CountingStore(join(dir, 'subclass'));
    await store.put('landing/transactions/sub.csv', lfCsv);
    const { manifest } = await ingestObject({
      landing: store,
      lake: store,
      key: 'landing/transactions/sub.csv',
      now: () => NOW,
      threads: 2,
    });
    expect(secondPartFiles(manifest)).toEqual([]);
    expect(manifest.rows_read).toBeGreaterThan(100_000);
    // Every read of the file went through the subclass: the key pass and the main pass.
    expect(store.gets).toBe(2);
  });

  it('ingests in one thread when the cut it found is inside a quoted field', async () => {
    // Every city is a quoted field of five lines: the middle lines look like records, yet are not.
    const csv = transactionsCsv({ eol: '\n', bom: false, cityOf: (i) => `"City ${i}\nA\nB\nC\nD"` });
    const store = new FsObjectStore(join(dir, 'plan'));
    await store.put('landing/transactions/multiline.csv', csv);
    const info = (await store.head('landing/transactions/multiline.csv'))!;
    const version = { key: info.key, etag: info.etag, size: info.size, landedAt: info.lastModified };
    const plan = await planSplit(store, version);
    // A cut was proposed, between two lines of a city...
    expect(plan).toBeDefined();
    const text = csv.slice(0, plan!.first.end);
    expect(text.endsWith('\nB\n') || text.endsWith('\nA\n') || text.endsWith('\nC\n')).toBe(true);
    // ...and refused: the ingest in two threads wrote what one thread writes, and no second part.
    const { two } = await expectSameAsOneThread('multiline', csv);
    expect(secondPartFiles(two.manifest)).toEqual([]);
    expect(two.manifest.rows_valid).toBeGreaterThan(100_000);
  });
});

describe('planSplit', () => {
  const version = async (name: string, body: string | Uint8Array) => {
    const store = new FsObjectStore(join(dir, 'plans'));
    await store.put(name, body);
    const info = (await store.head(name))!;
    return { store, version: { key: name, etag: info.etag, size: info.size, landedAt: info.lastModified } };
  };
  const csv = transactionsCsv({ eol: '\n', bom: false });

  it('cuts after a newline near the middle and numbers the second part from the line there', async () => {
    const { store, version: v } = await version('landing/transactions/a.csv', csv);
    const plan = (await planSplit(store, v))!;
    expect(plan.first).toEqual({ start: 0, end: plan.second.start, headerEnd: 0, firstLine: 1 });
    const bytes = Buffer.from(csv);
    expect(bytes[plan.second.start - 1]).toBe(0x0a);
    expect(Math.abs(plan.second.start - bytes.length / 2)).toBeLessThan(1000);
    const linesBefore = bytes.subarray(0, plan.second.start).toString().split('\n').length;
    expect(plan.line).toBe(linesBefore);
    // The header's one line is read first: it is numbered so that the cut's line follows it.
    expect(plan.second).toEqual({
      start: plan.second.start,
      end: bytes.length,
      headerEnd: HEADER.length + 1,
      firstLine: plan.line - 1,
    });
  });

  it('does not split what it cannot cut safely', async () => {
    const small = await version('landing/transactions/small.csv', csv.slice(0, 1_000_000));
    expect(await planSplit(small.store, small.version)).toBeUndefined();
    // Gzip's magic number first, whatever the name says (and large enough not to be refused for size).
    const gz = await version(
      'landing/transactions/raw.csv',
      Buffer.concat([gzipSync('x'), Buffer.from(csv)]),
    );
    expect(await planSplit(gz.store, gz.version)).toBeUndefined();
    const json = await version('landing/transactions/a.ndjson', csv);
    expect(await planSplit(json.store, json.version)).toBeUndefined();
    const quotedHeader = await version('landing/transactions/q.csv', `"transaction_id",${csv.slice(15)}`);
    expect(await planSplit(quotedHeader.store, quotedHeader.version)).toBeUndefined();
    // The positive control: the same file under a CSV name, unquoted, is cut.
    const plain = await version('landing/transactions/p.csv', csv);
    expect(await planSplit(plain.store, plain.version)).toBeDefined();
  });
});

describe('FsObjectStore byte ranges', () => {
  it('reads [start, end), and nothing for an empty range', async () => {
    const path = join(dir, 'ranges');
    const store = new FsObjectStore(path);
    await store.put('a.txt', 'abcdefghij');
    const read = async (start: number, end: number) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get('a.txt', { range: { start, end } })) chunks.push(chunk);
      return Buffer.concat(chunks).toString();
    };
    expect(await read(2, 5)).toBe('cde');
    expect(await read(0, 10)).toBe('abcdefghij');
    expect(await read(4, 4)).toBe('');
    await expect(store.get('a.txt', { range: { start: 5, end: 4 } })).rejects.toThrow(RangeError);
  });
});
