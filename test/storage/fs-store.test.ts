import { createHash } from 'node:crypto';
import {
  type FileHandle,
  lstat,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FsObjectStore, InvalidObjectKeyError, TEMP_FILE_PREFIX } from '../../src/storage/fs-store';
import { ObjectChangedError, ObjectNotFoundError } from '../../src/storage/object-store';

let base: string;
let root: string;
let store: FsObjectStore;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ledgerlake-fs-store-'));
  root = join(base, 'lake');
  store = new FsObjectStore(root);
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('keys', () => {
  it.each([
    ['../escape.csv', "'..'"],
    ['landing/../../escape.csv', "'..'"],
    ['/etc/passwd', 'absolute'],
    ['landing\\..\\escape.csv', 'backslash'],
    ['landing/./file.csv', "'.'"],
    [`landing/${TEMP_FILE_PREFIX}x`, 'reserved'],
  ])('rejects %j and says why (%s)', async (key, reason) => {
    const failure = store.put(key, 'secret');

    await expect(failure).rejects.toBeInstanceOf(InvalidObjectKeyError);
    await expect(failure).rejects.toThrow(reason);
    expect(await readdir(base)).toEqual([]);
  });

  it.each([
    ['get', () => store.get('../x')],
    ['getText', () => store.getText('../x')],
    ['head', () => store.head('../x')],
    ['putIfAbsent', () => store.putIfAbsent('../x', 'x')],
    ['delete', () => store.delete(['../x'])],
    [
      'list',
      async () => {
        for await (const _ of store.list('../')) break;
      },
    ],
  ])('checks the key in %s', async (_operation, call) => {
    await expect(call()).rejects.toBeInstanceOf(InvalidObjectKeyError);
  });

  it('maps keys to files under the root folder', async () => {
    await store.put('curated/transactions/dt=2024-01-01/part 1.parquet', 'rows');

    expect(
      await readFile(join(root, 'curated', 'transactions', 'dt=2024-01-01', 'part 1.parquet'), 'utf8'),
    ).toBe('rows');
  });

  it('points its url at the absolute root folder', () => {
    expect(store.url).toBe(`file://${root}`);
  });
});

describe('atomic writes', () => {
  it('leaves no file and no temp file when the stream fails part way', async () => {
    const failing = Readable.from(
      (async function* () {
        yield Buffer.alloc(256 * 1024, 1);
        throw new Error('connection reset while reading the upload');
      })(),
    );

    await expect(store.put('landing/transactions/partial.csv', failing)).rejects.toThrow('connection reset');

    expect(await store.head('landing/transactions/partial.csv')).toBeUndefined();
    expect(await readdir(join(root, 'landing', 'transactions'))).toEqual([]);
  });

  it('keeps the previous content when a replacing stream fails', async () => {
    await store.put('landing/transactions/a.csv', 'old complete content');
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('new but ');
        throw new Error('disk quota exceeded');
      })(),
    );

    await expect(store.put('landing/transactions/a.csv', failing)).rejects.toThrow('disk quota');

    expect(await store.getText('landing/transactions/a.csv')).toBe('old complete content');
    expect(await readdir(join(root, 'landing', 'transactions'))).toEqual(['a.csv']);
  });

  it('shows readers the old or the new content while a stream is being written, never a part', async () => {
    await store.put('report.csv', 'old');
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = Readable.from(
      (async function* () {
        yield Buffer.from('new first half, ');
        await gate;
        yield Buffer.from('new second half');
      })(),
    );

    const writing = store.put('report.csv', slow);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await store.getText('report.csv');
    release();
    await writing;

    expect(during).toBe('old');
    expect(await store.getText('report.csv')).toBe('new first half, new second half');
  });

  it('lets exactly one of many concurrent putIfAbsent calls on one key win', async () => {
    const writers = Array.from({ length: 25 }, (_, index) => `{"writer":${index}}`);

    const results = await Promise.all(
      writers.map((body) => store.putIfAbsent('manifests/ledger.json', body)),
    );

    expect(results.filter((written) => written)).toHaveLength(1);
    expect(await store.getText('manifests/ledger.json')).toBe(writers[results.indexOf(true)]);
    expect(await readdir(join(root, 'manifests'))).toEqual(['ledger.json']);
  });

  it('does not list the temp files of writes in progress', async () => {
    await store.put('landing/transactions/a.csv', 'a');
    await writeFile(join(root, 'landing', 'transactions', `${TEMP_FILE_PREFIX}0123456789abcdef`), 'half');

    const keys: string[] = [];
    for await (const info of store.list('landing/')) keys.push(info.key);

    expect(keys).toEqual(['landing/transactions/a.csv']);
  });
});

describe('delete', () => {
  it('removes folders left empty, up to but not including the root', async () => {
    await store.put('curated/transactions/dt=2024-01-01/x.parquet', 'x');

    await store.delete(['curated/transactions/dt=2024-01-01/x.parquet']);

    expect(await readdir(root)).toEqual([]);
  });

  it('keeps folders that still hold objects', async () => {
    await store.put('curated/transactions/dt=2024-01-01/x.parquet', 'x');
    await store.put('curated/transactions/dt=2024-01-02/y.parquet', 'y');

    await store.delete(['curated/transactions/dt=2024-01-01/x.parquet']);

    expect(await readdir(join(root, 'curated', 'transactions'))).toEqual(['dt=2024-01-02']);
  });

  it('ignores a key that names a folder', async () => {
    await store.put('curated/transactions/x.parquet', 'x');

    await store.delete(['curated/transactions']);

    expect(await store.getText('curated/transactions/x.parquet')).toBe('x');
  });

  it('lets writes and deletes in the same folder run together', async () => {
    const keys = Array.from({ length: 40 }, (_, index) => `landing/transactions/f${index}.csv`);

    await Promise.all(
      keys.map(async (key) => {
        await store.put(key, key);
        await store.delete([key]);
        await store.put(key, key);
      }),
    );

    const listed: string[] = [];
    for await (const info of store.list('landing/')) listed.push(info.key);
    expect(listed).toHaveLength(40);
  });
});

describe('folders and missing roots', () => {
  it('treats a folder as no object', async () => {
    await store.put('curated/transactions/x.parquet', 'x');

    await expect(store.get('curated/transactions')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(await store.getText('curated/transactions')).toBeUndefined();
    expect(await store.head('curated/transactions')).toBeUndefined();
  });

  it('lists nothing from a lake folder that does not exist yet', async () => {
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);

    expect(keys).toEqual([]);
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['bytes', () => Buffer.from('id,amount\n1,2\n')],
    ['text', () => 'id,city\n1,Zürich\n'],
    [
      'a stream of buffers',
      () => Readable.from([Buffer.from('id,'), Buffer.from('amount\n'), Buffer.from('1,2\n')]),
    ],
    [
      'a stream of strings',
      () => Readable.from(['id,city\n', '1,Zürich\n', '2,Kraków\n'], { objectMode: true }),
    ],
  ])(
    'gives the MD5 of what it wrote from %s as the etag, as a fresh store reading the file does',
    async (_kind, body) => {
      await store.put('landing/x.csv', body());
      const bytes = await readFile(join(root, 'landing', 'x.csv'));

      const written = await store.head('landing/x.csv');
      const reread = await new FsObjectStore(root).head('landing/x.csv');

      expect(written?.etag).toBe(createHash('md5').update(bytes).digest('hex'));
      expect(reread?.etag).toBe(written?.etag);
    },
  );

  it('takes the etag while writing, so the head after a put reads nothing', async () => {
    await store.put('landing/x.csv', Readable.from([Buffer.from('aaaa')]));
    const probe = await open(join(root, 'landing', 'x.csv'));
    const reads = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'createReadStream');
    await probe.close();
    try {
      expect((await store.head('landing/x.csv'))?.etag).toBe(createHash('md5').update('aaaa').digest('hex'));
      expect(reads).not.toHaveBeenCalled();
      // The control: a store that did not write the file reads it for its etag.
      await new FsObjectStore(root).head('landing/x.csv');
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('links a local file of its own filesystem into place, and copies one of another (/dev/shm)', async () => {
    const here = join(base, 'staged.parquet');
    await writeFile(here, 'PAR1 same filesystem');
    const shm = await mkdtemp('/dev/shm/ledgerlake-fs-store-');
    try {
      const there = join(shm, 'staged.parquet');
      await writeFile(there, 'PAR1 another filesystem');
      // The control: /dev/shm is another filesystem, so a link to it fails (EXDEV) and must be copied.
      expect((await stat(there)).dev).not.toBe((await stat(base)).dev);

      await store.putFile('curated/a.parquet', here);
      await store.putFile('curated/b.parquet', there);

      const linked = await stat(join(root, 'curated', 'a.parquet'));
      const copied = await stat(join(root, 'curated', 'b.parquet'));
      expect(linked.ino).toBe((await stat(here)).ino);
      expect(copied.ino).not.toBe((await stat(there)).ino);
      expect(await readFile(join(root, 'curated', 'b.parquet'), 'utf8')).toBe('PAR1 another filesystem');
      expect((await readdir(join(root, 'curated'))).sort()).toEqual(['a.parquet', 'b.parquet']);
    } finally {
      await rm(shm, { recursive: true, force: true });
    }
  });

  it('copies a symbolic link to a file rather than linking the link, and dates a linked object when it is written', async () => {
    const staged = join(base, 'staged.parquet');
    await writeFile(staged, 'PAR1 staged long ago');
    const longAgo = new Date('2001-02-03T04:05:06Z');
    await utimes(staged, longAgo, longAgo);
    await symlink('staged.parquet', join(base, 'alias.parquet'));
    const before = Date.now() - 1000;

    await store.putFile('curated/linked.parquet', staged);
    await store.putFile('curated/from-symlink.parquet', join(base, 'alias.parquet'));

    const fromSymlink = await lstat(join(root, 'curated', 'from-symlink.parquet'));
    expect(fromSymlink.isFile()).toBe(true);
    expect(await readFile(join(root, 'curated', 'from-symlink.parquet'), 'utf8')).toBe(
      'PAR1 staged long ago',
    );
    const linked = await store.head('curated/linked.parquet');
    expect(linked?.lastModified.getTime()).toBeGreaterThanOrEqual(before);
    expect((await stat(join(root, 'curated', 'linked.parquet'))).ino).toBe((await stat(staged)).ino);
  });

  it('recomputes the etag of a file changed behind its back', async () => {
    await store.put('reference/accounts.csv', 'aaaa');
    const before = await store.head('reference/accounts.csv');

    await writeFile(join(root, 'reference', 'accounts.csv'), 'bbbb');
    const after = await store.head('reference/accounts.csv');

    expect(after?.etag).not.toBe(before?.etag);
  });
});

describe('fingerprints handed to another store', () => {
  it('trusts a remembered fingerprint of the same file, and hashes a replaced one', async () => {
    const writer = new FsObjectStore(root);
    await writer.put('landing/a.csv', 'x,y\n1,2\n');
    const real = writer.cachedEtag('landing/a.csv')!;
    expect(real.etag).toBe(createHash('md5').update('x,y\n1,2\n').digest('hex'));

    // A fingerprint of this file is believed without reading it: a made-up MD5 is matched.
    const reader = new FsObjectStore(root);
    await expect(reader.get('landing/a.csv', { ifMatch: 'not-the-md5' })).rejects.toThrow(ObjectChangedError);
    reader.rememberEtag('landing/a.csv', { ...real, etag: 'not-the-md5' });
    await expect(reader.get('landing/a.csv', { ifMatch: 'not-the-md5' })).resolves.toBeDefined();

    // Once the file is replaced (a new inode), the remembered fingerprint no longer applies.
    await writer.put('landing/a.csv', 'x,y\n3,4\n');
    await expect(reader.get('landing/a.csv', { ifMatch: 'not-the-md5' })).rejects.toThrow(ObjectChangedError);
    await expect(reader.head('landing/a.csv')).resolves.toMatchObject({
      etag: writer.cachedEtag('landing/a.csv')!.etag,
    });
  });
});
