/**
 * The behaviour every ObjectStore adapter promises, run against the local filesystem (a temp folder)
 * and S3 (s3rver on 127.0.0.1). Adapter-specific behaviour is tested in fs-store.test.ts and
 * s3-store.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FsObjectStore, InvalidObjectKeyError } from '../../src/storage/fs-store';
import { ObjectChangedError, ObjectNotFoundError, type ObjectStore } from '../../src/storage/object-store';
import { S3ObjectStore } from '../../src/storage/s3-store';
import { type S3TestServer, startS3Server } from '../support/s3-server';

interface Harness {
  /** A fresh, empty store for one test. */
  newStore(): Promise<ObjectStore>;
  stop(): Promise<void>;
}

const MIB = 1024 * 1024;

const adapters: { name: string; start: () => Promise<Harness> }[] = [
  {
    name: 'FsObjectStore',
    async start() {
      const base = await mkdtemp(join(tmpdir(), 'ledgerlake-fs-contract-'));
      let count = 0;
      return {
        newStore: async () => new FsObjectStore(join(base, `lake-${++count}`)),
        stop: () => rm(base, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3ObjectStore',
    async start() {
      const s3: S3TestServer = await startS3Server({ buckets: ['lake'] });
      let count = 0;
      return {
        // A fresh prefix per test; pages of 2 keys so every listing goes through pagination, and 5 MiB
        // parts so the 12 MB stream is a 3-part multipart upload.
        newStore: async () =>
          new S3ObjectStore({
            client: s3.client,
            bucket: 'lake',
            prefix: `test-${++count}/`,
            pageSize: 2,
            partSize: 5 * MIB,
          }),
        stop: () => s3.stop(),
      };
    },
  },
];

describe.each(adapters)('$name', ({ start }) => {
  let harness: Harness;
  let store: ObjectStore;

  beforeAll(async () => {
    harness = await start();
  });
  afterAll(async () => {
    await harness.stop();
  });
  beforeEach(async () => {
    store = await harness.newStore();
  });

  describe('put and get', () => {
    it.each([
      [
        'text',
        'date,amount\n2024-01-01,12.50\ngrüße ✓\n',
        Buffer.from('date,amount\n2024-01-01,12.50\ngrüße ✓\n'),
      ],
      [
        'bytes',
        Uint8Array.from({ length: 256 }, (_, index) => index),
        Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      ],
      ['an empty body', '', Buffer.alloc(0)],
    ])('returns the bytes that were written as %s', async (_kind, body, expected) => {
      await store.put('landing/transactions/file.csv', body);

      const read = await readAll(await store.get('landing/transactions/file.csv'));

      expect(read.equals(expected)).toBe(true);
    });

    it('round-trips a 12 MB stream without changing a byte', async () => {
      const { stream, sha256 } = generatedStream(12 * MIB + 12_345);

      await store.put('landing/transactions/big.csv', stream);

      expect(await sha256Of(await store.get('landing/transactions/big.csv'))).toBe(sha256);
      expect((await store.head('landing/transactions/big.csv'))?.size).toBe(12 * MIB + 12_345);
    });

    it('writes a local file as an object, replacing one, and keeps it after the file is deleted', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ledgerlake-put-file-'));
      try {
        const path = join(dir, 'part.parquet');
        const bytes = Buffer.from(Array.from({ length: 3 * MIB + 17 }, (_, i) => (i * 31) % 251));
        await writeFile(path, bytes);
        await store.put('curated/t/dt=2024-01-01/p.parquet', 'an older version');

        await store.putFile('curated/t/dt=2024-01-01/p.parquet', path);
        await rm(path);

        const head = await store.head('curated/t/dt=2024-01-01/p.parquet');
        expect(head?.size).toBe(bytes.length);
        // Not the etag of the older version (a store could keep it cached): the MD5 of one part.
        expect(head?.etag).toBe(createHash('md5').update(bytes).digest('hex'));
        expect(await sha256Of(await store.get('curated/t/dt=2024-01-01/p.parquet'))).toBe(
          createHash('sha256').update(bytes).digest('hex'),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('replaces the content when a key is written again', async () => {
      await store.put('manifests/transactions/a.json', '{"version":1}');

      await store.put('manifests/transactions/a.json', '{"version":2,"rows":10}');

      expect(await store.getText('manifests/transactions/a.json')).toBe('{"version":2,"rows":10}');
    });

    it('throws ObjectNotFoundError naming the key when getting a missing key', async () => {
      const failure = store.get('landing/transactions/missing.csv');

      await expect(failure).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(failure).rejects.toMatchObject({
        key: 'landing/transactions/missing.csv',
        url: store.url,
      });
    });

    it('reads the version head reported when asked to, and refuses a version that was replaced', async () => {
      await store.put('landing/transactions/v.csv', 'id\n1\n');
      const first = await store.head('landing/transactions/v.csv');

      const read = await readAll(await store.get('landing/transactions/v.csv', { ifMatch: first!.etag }));
      await store.put('landing/transactions/v.csv', 'id\n1\n2\n');
      const stale = store.get('landing/transactions/v.csv', { ifMatch: first!.etag });

      expect(read.toString()).toBe('id\n1\n');
      await expect(stale).rejects.toBeInstanceOf(ObjectChangedError);
      await expect(stale).rejects.toMatchObject({
        key: 'landing/transactions/v.csv',
        expectedEtag: first!.etag,
      });
      const current = await store.head('landing/transactions/v.csv');
      const again = await store.get('landing/transactions/v.csv', { ifMatch: current!.etag });
      expect((await readAll(again)).toString()).toBe('id\n1\n2\n');
    });

    it.each(['../outside.csv', '/etc/passwd', 'landing\\file.csv', 'landing//file.csv', 'landing/', ''])(
      'rejects the key %j with InvalidObjectKeyError',
      async (key) => {
        await expect(store.put(key, 'x')).rejects.toBeInstanceOf(InvalidObjectKeyError);
      },
    );
  });

  describe('head and getText', () => {
    it('reports the size and time of an object and the MD5 of a small one as its etag', async () => {
      const before = Date.now();

      await store.put('reference/accounts.csv', 'id,name\n1,cash\n');
      const info = await store.head('reference/accounts.csv');

      expect(info).toMatchObject({
        key: 'reference/accounts.csv',
        size: 15,
        etag: md5Hex('id,name\n1,cash\n'),
      });
      // S3 keeps whole seconds: allow for the truncation.
      expect(info?.lastModified.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    });

    it('gives equal content equal etags and different content of the same size different etags', async () => {
      await store.put('a.csv', 'same content');
      await store.put('b.csv', 'same content');
      const [a, b] = [await store.head('a.csv'), await store.head('b.csv')];

      await store.put('a.csv', 'SAME CONTENT');
      const changed = await store.head('a.csv');

      expect(a?.etag).toBe(b?.etag);
      expect(changed?.etag).not.toBe(a?.etag);
    });

    it('returns undefined from head and getText for a missing key', async () => {
      await store.put('landing/transactions/present.csv', 'x');

      expect(await store.head('landing/transactions/absent.csv')).toBeUndefined();
      expect(await store.getText('landing/transactions/absent.csv')).toBeUndefined();
    });

    it('reads a small object whole as UTF-8 text with getText', async () => {
      await store.put('manifests/transactions/m.json', Buffer.from('{"note":"Überweisung"}', 'utf8'));

      expect(await store.getText('manifests/transactions/m.json')).toBe('{"note":"Überweisung"}');
    });
  });

  describe('list', () => {
    const keys = [
      'curated/transactions/dt=2024-01-02/y.parquet',
      'b.txt',
      'a/sub/3.txt',
      'curated/transfers.txt',
      'a0.txt',
      'a/2.txt',
      'curated/transactions/dt=2024-01-01/x.parquet',
      'a-b.txt',
      'curated/trades/z.parquet',
      'a/1.txt',
    ];

    beforeEach(async () => {
      for (const key of keys) await store.put(key, `content of ${key}`);
    });

    it('lists every object in lexicographic key order, nested folders included', async () => {
      const listed = await listedKeys(store, '');

      expect(listed).toEqual([
        'a-b.txt',
        'a/1.txt',
        'a/2.txt',
        'a/sub/3.txt',
        'a0.txt',
        'b.txt',
        'curated/trades/z.parquet',
        'curated/transactions/dt=2024-01-01/x.parquet',
        'curated/transactions/dt=2024-01-02/y.parquet',
        'curated/transfers.txt',
      ]);
    });

    it.each([
      ['a/', ['a/1.txt', 'a/2.txt', 'a/sub/3.txt']],
      ['a', ['a-b.txt', 'a/1.txt', 'a/2.txt', 'a/sub/3.txt', 'a0.txt']],
      [
        'curated/trans',
        [
          'curated/transactions/dt=2024-01-01/x.parquet',
          'curated/transactions/dt=2024-01-02/y.parquet',
          'curated/transfers.txt',
        ],
      ],
      ['curated/transactions/dt=2024-01-01/', ['curated/transactions/dt=2024-01-01/x.parquet']],
      [
        'curated/transactions/dt=2024-01-0',
        ['curated/transactions/dt=2024-01-01/x.parquet', 'curated/transactions/dt=2024-01-02/y.parquet'],
      ],
      ['b.txt', ['b.txt']],
      ['nothing/', []],
    ])('lists only keys starting with %j', async (prefix, expected) => {
      const listed = await listedKeys(store, prefix);

      expect(listed).toEqual(expected);
    });

    it('lists each object with the size and etag head reports', async () => {
      const listed = [];
      for await (const info of store.list('a/')) listed.push(info);

      const heads = await Promise.all(listed.map((info) => store.head(info.key)));

      expect(listed.map(({ key, size, etag }) => ({ key, size, etag }))).toEqual(
        heads.map((info) => ({ key: info?.key, size: info?.size, etag: info?.etag })),
      );
      expect(listed[0]?.size).toBe(Buffer.byteLength('content of a/1.txt'));
    });
  });

  it('lists more objects than fit on one page', async () => {
    const keys = Array.from({ length: 7 }, (_, index) => `manifests/transactions/m${index}.json`);
    for (const key of [...keys].reverse()) await store.put(key, '{}');

    const listed = await listedKeys(store, 'manifests/');

    expect(listed).toEqual(keys);
  });

  describe('delete', () => {
    it('deletes the given objects and leaves the others', async () => {
      await store.put('landing/transactions/a.csv', 'a');
      await store.put('landing/transactions/b.csv', 'b');

      await store.delete(['landing/transactions/a.csv']);

      expect(await listedKeys(store, '')).toEqual(['landing/transactions/b.csv']);
    });

    it('ignores keys that do not exist', async () => {
      await store.put('landing/transactions/a.csv', 'a');

      await store.delete(['landing/transactions/missing.csv', 'landing/transactions/a.csv', 'nowhere/x']);

      expect(await store.head('landing/transactions/a.csv')).toBeUndefined();
    });

    it('does nothing when given no keys', async () => {
      await store.put('landing/transactions/a.csv', 'a');

      await store.delete([]);

      expect(await store.getText('landing/transactions/a.csv')).toBe('a');
    });
  });

  describe('putIfAbsent', () => {
    it('writes only the first time and leaves the first content in place', async () => {
      const first = await store.putIfAbsent('manifests/transactions/src-1.json', '{"writer":"first"}');
      const second = await store.putIfAbsent('manifests/transactions/src-1.json', '{"writer":"second"}');

      expect([first, second]).toEqual([true, false]);
      expect(await store.getText('manifests/transactions/src-1.json')).toBe('{"writer":"first"}');
    });

    it('refuses to replace an object written with put', async () => {
      await store.put('manifests/transactions/src-2.json', Buffer.from('{"writer":"put"}'));

      const written = await store.putIfAbsent('manifests/transactions/src-2.json', Buffer.from('{}'));

      expect(written).toBe(false);
      expect(await store.getText('manifests/transactions/src-2.json')).toBe('{"writer":"put"}');
    });
  });

  it.each([
    'curated/transactions/dt=2024-01-01/x.parquet',
    'landing/transactions/March statement (final).csv',
    'landing/partner=acme corp/k=v=w.csv',
  ])('stores, lists, reads and deletes the key %j', async (key) => {
    await store.put(key, 'payload');

    const listed = await listedKeys(store, key.slice(0, key.lastIndexOf('/') + 1));
    const text = await store.getText(key);
    await store.delete([key]);

    expect(listed).toEqual([key]);
    expect(text).toBe('payload');
    expect(await store.head(key)).toBeUndefined();
  });
});

/**
 * Deterministic, incompressible bytes as a lazily generated stream (never held whole), with the SHA-256
 * of the same bytes computed separately for comparison.
 */
function generatedStream(totalBytes: number): { stream: Readable; sha256: string } {
  const expected = createHash('sha256');
  for (const chunk of pseudoRandomChunks(totalBytes)) expected.update(chunk);
  return { stream: Readable.from(pseudoRandomChunks(totalBytes)), sha256: expected.digest('hex') };
}

function* pseudoRandomChunks(totalBytes: number, chunkBytes = 64 * 1024): Generator<Buffer> {
  let state = 0x9e3779b9;
  for (let offset = 0; offset < totalBytes; offset += chunkBytes) {
    const chunk = Buffer.alloc(Math.min(chunkBytes, totalBytes - offset));
    for (let index = 0; index + 4 <= chunk.length; index += 4) {
      // xorshift32: cheap, and no two chunks are alike, so a dropped or repeated part changes the hash.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk.writeUInt32LE(state >>> 0, index);
    }
    chunk[chunk.length - 1] = offset % 251;
    yield chunk;
  }
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function listedKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(prefix)) keys.push(info.key);
  return keys;
}

function md5Hex(content: string): string {
  return createHash('md5').update(content).digest('hex');
}
