/**
 * `FsObjectStore.putFile` on filesystems that refuse hard links (FAT, some network shares): `link` is
 * made to fail as those do, and the file must be copied instead; any other failure must surface.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const refusal = vi.hoisted(() => ({ code: undefined as string | undefined }));

vi.mock('node:fs/promises', async (original) => {
  const actual = await original<typeof import('node:fs/promises')>();
  return {
    ...actual,
    link: async (from: string, to: string) => {
      if (refusal.code === undefined) return actual.link(from, to);
      throw Object.assign(new Error(`${refusal.code}: link ${from} -> ${to}`), { code: refusal.code });
    },
  };
});

const { FsObjectStore } = await import('../../src/storage/fs-store');

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'ledgerlake-fs-link-'));
});
afterEach(async () => {
  refusal.code = undefined;
  await rm(base, { recursive: true, force: true });
});

describe('putFile where hard links are refused', () => {
  it.each(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'])(
    'copies the file when link fails with %s',
    async (code) => {
      const store = new FsObjectStore(join(base, 'lake'));
      await writeFile(join(base, 'part.parquet'), `PAR1 ${code}`);
      refusal.code = code;

      await store.putFile('curated/p.parquet', join(base, 'part.parquet'));

      expect(await readFile(join(base, 'lake', 'curated', 'p.parquet'), 'utf8')).toBe(`PAR1 ${code}`);
      // A copy, not a link that slipped past the mock.
      expect((await stat(join(base, 'lake', 'curated', 'p.parquet'))).ino).not.toBe(
        (await stat(join(base, 'part.parquet'))).ino,
      );
    },
  );

  it('fails on any other error of link, writing nothing', async () => {
    const store = new FsObjectStore(join(base, 'lake'));
    await writeFile(join(base, 'part.parquet'), 'PAR1');
    refusal.code = 'EIO';

    await expect(store.putFile('curated/p.parquet', join(base, 'part.parquet'))).rejects.toThrow('EIO');
    expect(await store.head('curated/p.parquet')).toBeUndefined();
  });
});
