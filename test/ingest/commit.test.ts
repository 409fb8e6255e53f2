import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCatalog, createBaseTables } from '../../src/engine/catalog';
import { openDuckDb } from '../../src/engine/duckdb';
import {
  type AttemptRecord,
  IngestInProgressError,
  recoverSource,
  sweepAttempts,
  uncommittedOutputs,
} from '../../src/ingest/commit';
import { ingestObject } from '../../src/ingest/ingest-object';
import { attemptKey, commitKey, curatedKey, outputStem } from '../../src/ingest/lake-layout';
import { fingerprintDays } from '../../src/materialize/state';
import { FsObjectStore, TEMP_FILE_PREFIX } from '../../src/storage/fs-store';
import { ObjectChangedError } from '../../src/storage/object-store';

const HEADER =
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status,processing_time_s';
const KEY = 'landing/transactions/day.csv';
const CSV = `${HEADER}\nT1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,1.00,USD,success,0.5\nT2,2024-06-02T10:00:00Z,C1,upi,Austin,deposit,2.00,USD,success,0.5\n`;

let dir: string;
let lake: FsObjectStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'commit-test-'));
  lake = new FsObjectStore(dir);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keys(prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for await (const info of lake.list(prefix, { etags: false })) found.push(info.key);
  return found;
}

async function visibleRows(): Promise<number> {
  const engine = await openDuckDb();
  try {
    await createBaseTables(engine, { lakeDir: dir });
    return Number((await engine.query('select count(*) as n from transactions')).rows[0]?.n);
  } finally {
    await engine.close();
  }
}

/** An attempt record as another process would have left it, with one part written. */
async function strandedAttempt(fields: Partial<AttemptRecord> & { etag: string; attempt: string }) {
  const stem = outputStem(KEY, fields.etag, fields.attempt);
  const part = curatedKey('transactions', 19_875, stem);
  await lake.put(part, 'a part of a failed attempt');
  const record: AttemptRecord = {
    attempt_version: 1,
    dataset: 'transactions',
    source_key: KEY,
    source_etag: fields.etag,
    attempt: fields.attempt,
    started_at: '2026-01-01T00:00:00.000Z',
    lease_until: fields.lease_until ?? '2999-01-01T00:00:00.000Z',
    owner: fields.owner ?? { host: 'another-host', pid: 4242 },
    files: [part],
    replaces: [],
    manifest: {} as AttemptRecord['manifest'],
  };
  await lake.put(attemptKey('transactions', KEY, fields.attempt), JSON.stringify(record));
  return { part, record };
}

describe('the commit protocol on a local lake', () => {
  it('writes attempt, parts, commit, manifest and removes the attempt: what is left is exactly one version', async () => {
    await lake.put(KEY, CSV);
    const { manifest } = await ingestObject({ landing: lake, lake, key: KEY });

    expect(manifest.attempt).toMatch(/^[0-9a-z]+$/);
    expect(await keys('_attempts/')).toEqual([]);
    expect(JSON.parse((await lake.getText(commitKey('transactions', KEY, manifest.attempt!)))!)).toEqual({
      commit_version: 1,
      dataset: 'transactions',
      source_key: KEY,
      source_etag: manifest.source_etag,
      attempt: manifest.attempt,
      ingested_at: manifest.ingested_at,
      status: 'ok',
    });
    expect(await visibleRows()).toBe(2);
  });

  it('rolls back an attempt whose owner is alive only on another host once its lease has run out', async () => {
    await lake.put(KEY, CSV);
    const etag = (await lake.head(KEY))!.etag;
    const { part } = await strandedAttempt({
      etag: 'other0000000',
      attempt: 'a1',
      lease_until: '2020-01-01T00:00:00.000Z',
    });

    const state = await recoverSource(lake, 'transactions', KEY);

    expect(state.recovered).toEqual([{ attempt: 'a1', action: 'rolled-back' }]);
    expect(await lake.head(part)).toBeUndefined();
    expect(await keys('_attempts/')).toEqual([]);
    expect(etag).not.toBe('other0000000');
  });

  it('leaves a running attempt of another host alone, and refuses to ingest the same content next to it', async () => {
    await lake.put(KEY, CSV);
    const etag = (await lake.head(KEY))!.etag;
    const { part } = await strandedAttempt({ etag, attempt: 'a1' });

    await expect(ingestObject({ landing: lake, lake, key: KEY })).rejects.toBeInstanceOf(
      IngestInProgressError,
    );
    expect(await lake.head(part)).toBeDefined();
    expect(await keys('commits/')).toEqual([]);
  });

  it('rolls back at once an attempt of this host whose process is gone (kill -9)', async () => {
    await lake.put(KEY, CSV);
    const etag = (await lake.head(KEY))!.etag;
    const { part } = await strandedAttempt({
      etag,
      attempt: 'a1',
      owner: { host: hostname(), pid: 2 ** 22 + 12_345 },
    });

    const { manifest, skipped } = await ingestObject({ landing: lake, lake, key: KEY });

    expect(skipped).toBe(false);
    expect(manifest.rows_valid).toBe(2);
    expect(await lake.head(part)).toBeUndefined();
    expect(await visibleRows()).toBe(2);
  });

  it("leaves a live process's attempt on this host alone (negative control of the check above)", async () => {
    await lake.put(KEY, CSV);
    // The parent of this test process is alive and is not this process.
    const { part } = await strandedAttempt({
      etag: 'other0000000',
      attempt: 'a1',
      owner: { host: hostname(), pid: process.ppid },
    });

    const state = await recoverSource(lake, 'transactions', KEY);

    expect(state.running.map((a) => a.attempt)).toEqual(['a1']);
    expect(await lake.head(part)).toBeDefined();
  });

  it('gives a lake from before commit records a commit for each manifest, so its rows stay visible', async () => {
    await lake.put(KEY, CSV);
    const { manifest } = await ingestObject({ landing: lake, lake, key: KEY });
    await lake.delete([commitKey('transactions', KEY, manifest.attempt!)]);
    expect(await visibleRows()).toBe(0);

    expect(await sweepAttempts(lake)).toEqual({
      rolledBack: 0,
      rolledForward: 0,
      running: 0,
      backfilled: 1,
      compacted: 0,
    });
    expect(await visibleRows()).toBe(2);
    expect(await sweepAttempts(lake)).toMatchObject({ backfilled: 0 });
  });

  it('upgrades a lake from before commit records when the catalog is built, so a query sees its rows', async () => {
    await lake.put(KEY, CSV);
    await ingestObject({ landing: lake, lake, key: KEY });
    await rm(join(dir, 'commits'), { recursive: true });
    const engine = await openDuckDb();
    try {
      await buildCatalog(engine, { lakeDir: dir, models: [] });
      expect(Number((await engine.query('select count(*) as n from transactions')).rows[0]?.n)).toBe(2);
    } finally {
      await engine.close();
    }
    expect(await keys('commits/')).toHaveLength(1);
  });

  it('leaves the parts of an uncommitted attempt out of the refresh fingerprints, and counts them once committed', async () => {
    await lake.put(KEY, CSV);
    const before = await fingerprintDays(lake, 'transactions');
    const { record } = await strandedAttempt({ etag: 'other0000000', attempt: 'a1' });
    const isUncommitted = await uncommittedOutputs(lake, 'transactions');
    expect(isUncommitted(record.files[0]!.split('/').at(-1)!)).toBe(true);
    expect(await fingerprintDays(lake, 'transactions')).toEqual(before);

    // The same part under a committed attempt is counted (negative control).
    await lake.put(
      commitKey('transactions', KEY, 'a1'),
      JSON.stringify({ dataset: 'transactions', source_key: KEY, attempt: 'a1' }),
    );
    expect(Object.keys(await fingerprintDays(lake, 'transactions'))).toEqual(['2024-06-01']);
  });

  it('fails, showing nothing, when the landed file is rewritten in place (same path, same size) while it is read', async () => {
    const key = 'landing/transactions/edited.csv';
    await lake.put(key, CSV);
    let edited = false;
    const ingest = ingestObject({
      landing: lake,
      lake,
      key,
      onProgress: () => {
        if (edited) return;
        edited = true;
        // An editor saving over the file: new bytes at the same offset, same length, no rename.
        const fd = openSync(join(dir, key), 'r+');
        writeSync(fd, Buffer.from('T9'), 0, 2, HEADER.length + 1);
        closeSync(fd);
      },
    });
    await expect(ingest).rejects.toBeInstanceOf(ObjectChangedError);
    expect(edited).toBe(true);
    expect(await keys('commits/')).toEqual([]);
    expect(await keys('curated/')).toEqual([]);
    expect(await keys('manifests/')).toEqual([]);
  });
});

describe('folding commit records (the daily sweep)', () => {
  const later = () => new Date(Date.now() + 60_000);
  const commitFiles = async () => (await keys('commits/')).map((key) => key.split('/').at(-1)!);

  it('folds the records of many files into one, and readers see the same rows', async () => {
    for (const day of ['a', 'b', 'c']) {
      await lake.put(
        `landing/transactions/${day}.csv`,
        CSV.replaceAll('\nT1,', `\nT1${day},`).replaceAll('\nT2,', `\nT2${day},`),
      );
      await ingestObject({ landing: lake, lake, key: `landing/transactions/${day}.csv` });
    }
    expect(await commitFiles()).toHaveLength(3);
    expect(await visibleRows()).toBe(6);

    expect(await sweepAttempts(lake, { now: later, compactAfterMs: 0 })).toMatchObject({ compacted: 3 });

    expect(await commitFiles()).toEqual([expect.stringMatching(/^compacted-[0-9a-z]+\.json$/)]);
    expect(await visibleRows()).toBe(6);
    // Folding again with nothing new writes nothing.
    expect(await sweepAttempts(lake, { now: later, compactAfterMs: 0 })).toMatchObject({ compacted: 0 });
    expect(await commitFiles()).toHaveLength(1);
  });

  it('after folding, an unchanged file is still skipped and a corrected one replaces it whole', async () => {
    await lake.put(KEY, CSV);
    await ingestObject({ landing: lake, lake, key: KEY });
    await sweepAttempts(lake, { now: later, compactAfterMs: 0 });

    expect((await ingestObject({ landing: lake, lake, key: KEY })).skipped).toBe(true);
    expect(await visibleRows()).toBe(2);

    // A corrected file: one row. The folded line names the old version; the newest record wins.
    await lake.put(KEY, `${HEADER}\nT1,2024-06-01T10:00:00Z,C1,upi,Austin,deposit,5.00,USD,success,0.5\n`);
    await ingestObject({ landing: lake, lake, key: KEY });
    expect(await visibleRows()).toBe(1);
    expect(await sweepAttempts(lake, { now: later, compactAfterMs: 0 })).toMatchObject({
      compacted: expect.any(Number),
    });
    expect(await visibleRows()).toBe(1);
    expect(await commitFiles()).toHaveLength(1);
  });

  it('does not fold the record of a file whose attempt is still recorded (recovery looks for it by name)', async () => {
    await lake.put(KEY, CSV);
    const etag = (await lake.head(KEY))!.etag;
    await strandedAttempt({ etag, attempt: 'a1' });
    await lake.put(
      commitKey('transactions', KEY, 'a1'),
      JSON.stringify({
        dataset: 'transactions',
        source_key: KEY,
        attempt: 'a1',
        ingested_at: '2026-01-01T00:00:00.000Z',
      }),
    );

    expect(await sweepAttempts(lake, { now: later, compactAfterMs: 0 })).toMatchObject({
      running: 0,
      rolledForward: 1,
    });
    // Rolled forward first (its record exists), then nothing pending: now it may be folded.
    expect(await keys('_attempts/')).toEqual([]);
  });
});

describe('sweeping the temp files of writes that never finished', () => {
  it('removes old temp files and keeps young ones and real objects', async () => {
    await lake.put('curated/transactions/dt=2024-06-01/kept.parquet', 'rows');
    const folder = join(dir, 'curated', 'transactions', 'dt=2024-06-01');
    const old = join(folder, `${TEMP_FILE_PREFIX}killed`);
    const young = join(folder, `${TEMP_FILE_PREFIX}writing`);
    await writeFile(old, 'half a file');
    await writeFile(young, 'half a file');
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);

    expect(await lake.sweepTemporaryFiles({ olderThanMs: 24 * 3_600_000 })).toBe(1);
    expect(await keys('curated/')).toEqual(['curated/transactions/dt=2024-06-01/kept.parquet']);
    expect((await readdir(folder)).sort()).toEqual([`${TEMP_FILE_PREFIX}writing`, 'kept.parquet'].sort());
  });
});
