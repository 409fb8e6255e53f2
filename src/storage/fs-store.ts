import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import {
  type FileHandle,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rmdir,
  stat,
  unlink,
  utimes,
} from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  type GetOptions,
  type ListOptions,
  type ObjectBody,
  ObjectChangedError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PutOptions,
} from './object-store';

/**
 * Name prefix of the temporary files a write goes through before it becomes visible. Reserved: keys
 * may not use it, and `list` never shows such files.
 */
export const TEMP_FILE_PREFIX = '.ledgerlake-tmp-';

/**
 * Why `link` may refuse where a copy works: another filesystem (EXDEV), one without hard links (FAT,
 * some network shares: EPERM, ENOTSUP, EOPNOTSUPP, ENOSYS), or too many links to the file (EMLINK).
 */
const LINK_REFUSED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** Read in 1 MiB chunks: the format readers and the hash do far less per-chunk work than with 64 KiB. */
const READ_CHUNK_BYTES = 1 << 20;

/** Raised for a key or prefix that cannot name an object in a lake (absolute, `..`, backslash...). */
export class InvalidObjectKeyError extends Error {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(
      `invalid object key ${JSON.stringify(key)}: ${reason}. Keys are relative, '/'-separated paths ` +
        `such as 'landing/transactions/2024-01-01.csv'.`,
    );
    this.name = 'InvalidObjectKeyError';
  }
}

interface KeyRule {
  readonly reason: string;
  /** True when the key (or, for prefixes, its complete folder segments) breaks the rule. */
  readonly breaks: (key: string, segments: readonly string[]) => boolean;
}

const COMMON_KEY_RULES: readonly KeyRule[] = [
  { reason: 'it is absolute; keys are relative to the store root', breaks: (key) => key.startsWith('/') },
  { reason: 'it contains a backslash; separate folders with /', breaks: (key) => key.includes('\\') },
  { reason: 'it contains a NUL character', breaks: (key) => key.includes('\0') },
  {
    reason: "it has a '.' or '..' segment; keys cannot leave the store root",
    breaks: (_key, segments) => segments.some((segment) => segment === '.' || segment === '..'),
  },
  {
    reason: 'it has an empty folder name (// in the key)',
    breaks: (key, segments) => !key.startsWith('/') && segments.some((segment) => segment === ''),
  },
  {
    reason: `a segment starts with the reserved name ${TEMP_FILE_PREFIX}`,
    breaks: (_key, segments) => segments.some((segment) => segment.startsWith(TEMP_FILE_PREFIX)),
  },
];

const OBJECT_KEY_RULES: readonly KeyRule[] = [
  { reason: 'it is empty', breaks: (key) => key === '' },
  { reason: 'it ends with /, which names a folder, not an object', breaks: (key) => key.endsWith('/') },
  ...COMMON_KEY_RULES,
];

/**
 * Checks that `key` can name an object in a lake, the same rules for local lakes and S3 so a key that
 * works locally works in the cloud. With `kind: 'prefix'` the empty string and a trailing `/` or a
 * partial last name (`curated/trans`) are allowed.
 *
 * @throws InvalidObjectKeyError naming the key and the rule it breaks.
 */
export function assertValidKey(key: string, kind: 'key' | 'prefix' = 'key'): void {
  const segments = key.split('/');
  // A prefix's last segment is a partial name (`curated/tr`), so only its complete folders are checked.
  const checked = kind === 'prefix' ? segments.slice(0, -1) : segments;
  const rules = kind === 'prefix' ? COMMON_KEY_RULES : OBJECT_KEY_RULES;
  const broken = rules.find((rule) => rule.breaks(key, checked));
  if (broken) throw new InvalidObjectKeyError(key, broken.reason);
}

/** Orders keys the way S3 lists them: by UTF-8 bytes (differs from `<` only beyond the BMP). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** An object's MD5 and the file it was taken of: every write makes a new inode, so these name a version. */
export interface CachedEtag {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly etag: string;
}

/** Enough to hold the fingerprints of a large local lake without growing without bound. */
const ETAG_CACHE_LIMIT = 50_000;

/** Bytes `[start, end)` of an object. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}
/** How often a write retries creating its temp file after a concurrent delete removed the empty folder. */
const TEMP_CREATE_ATTEMPTS = 5;

/**
 * The local lake: objects are files under `rootDir` (by default the `.ledgerlake/` folder), keys map
 * to relative paths. Writes go to a temp file in the target folder and are renamed (or linked) into
 * place, so a reader sees the old or the new file, never a part of one.
 */
export class FsObjectStore implements ObjectStore {
  readonly url: string;
  /** Absolute root folder of the lake. */
  readonly rootDir: string;
  private readonly etagCache = new Map<string, CachedEtag>();

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
    this.url = pathToFileURL(this.rootDir).href;
  }

  /**
   * `ObjectStore.get`; with `range`, only the bytes `[start, end)` (a split ingest reads a file's two
   * parts in two threads).
   */
  async get(key: string, options: GetOptions & { readonly range?: ByteRange } = {}): Promise<Readable> {
    const path = this.pathOf(key);
    const handle = await this.openExistingFile(key, path);
    if (options.ifMatch !== undefined) {
      // The version is checked on the open handle, so it is the one streamed; the etag is cached by
      // (inode, size, time), so after a `head` of the same version this reads nothing.
      let etag: string;
      try {
        etag = await this.etagOf(path, await handle.stat(), handle);
      } catch (error) {
        await handle.close();
        throw error;
      }
      if (etag !== options.ifMatch) {
        await handle.close();
        throw new ObjectChangedError(this.url, key, options.ifMatch);
      }
    }
    const { range } = options;
    if (range !== undefined && !(range.start >= 0 && range.end >= range.start)) {
      await handle.close();
      throw new RangeError(`invalid byte range [${range.start}, ${range.end}) of ${key}`);
    }
    if (range !== undefined && range.end === range.start) {
      // createReadStream's `end` is inclusive: an empty range has no way to be said to it.
      await handle.close();
      return Readable.from([]);
    }
    return handle.createReadStream({
      start: range?.start ?? 0,
      ...(range !== undefined ? { end: range.end - 1 } : {}),
      highWaterMark: READ_CHUNK_BYTES,
    });
  }

  async getText(key: string): Promise<string | undefined> {
    const path = this.pathOf(key);
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (isMissingFileError(error) || errorCode(error) === 'EISDIR') return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    return this.headAt(key, this.pathOf(key));
  }

  async put(key: string, body: ObjectBody, _options?: PutOptions): Promise<void> {
    const path = this.pathOf(key);
    // rename() atomically replaces any previous file: readers keep the old inode or open the new one.
    await this.writeThroughTemp(path, body, (tempPath) => rename(tempPath, path));
  }

  /**
   * Links the file into place when it is on the lake's filesystem, so its bytes are not written again
   * (measured: the 120 MB of Parquet of a 4M-row ingest committed in 1.1 s less); otherwise copies it.
   */
  async putFile(key: string, localPath: string, options?: PutOptions): Promise<void> {
    const path = this.pathOf(key);
    const copy = () =>
      this.put(key, createReadStream(localPath, { highWaterMark: READ_CHUNK_BYTES }), options);
    // link(2) does not follow a symbolic link: only a regular file is linked, anything else is copied.
    if (!(await lstat(localPath)).isFile()) return copy();
    let tempPath: string;
    try {
      tempPath = await this.linkTemp(dirname(path), localPath);
    } catch (error) {
      if (!LINK_REFUSED.has(errorCode(error) ?? '')) throw error;
      return copy();
    }
    try {
      // The object's time is when it was written, as for `put` (and for the sweeper: a fresh temp name
      // is not an abandoned one).
      const now = new Date();
      await utimes(tempPath, now, now);
      await rename(tempPath, path);
      this.etagCache.delete(path);
    } finally {
      await unlink(tempPath).catch((error: unknown) => {
        if (!isMissingFileError(error)) throw error;
      });
    }
  }

  /** The fingerprint this store took of `key`'s file, for a store in another thread (`rememberEtag`). */
  cachedEtag(key: string): CachedEtag | undefined {
    return this.etagCache.get(this.pathOf(key));
  }

  /**
   * Takes another store's fingerprint of `key`'s file (`cachedEtag`): a `get` with `ifMatch` of that
   * version then reads no byte to hash it, while a replaced file (another inode, size or time) is still
   * hashed. A split ingest's worker saves 100 MB of MD5 this way.
   */
  rememberEtag(key: string, cached: CachedEtag): void {
    this.remember(this.pathOf(key), cached, cached.etag);
  }

  async putIfAbsent(key: string, body: string | Uint8Array, _options?: PutOptions): Promise<boolean> {
    const path = this.pathOf(key);
    try {
      // link() is the exclusive create here: it fails with EEXIST when the name exists, and the content
      // is complete before the name appears (open(path, 'wx') would expose a half-written file).
      await this.writeThroughTemp(path, body, (tempPath) => link(tempPath, path));
      return true;
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    }
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<ObjectInfo> {
    assertValidKey(prefix, 'prefix');
    // Start at the deepest complete folder of the prefix; the rest may end mid-name (`curated/trans`).
    const folderKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.walk(folderKey, prefix, options.etags ?? true);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        // A missing key, or a key that names a folder, is not an object: nothing to delete.
        if (isMissingFileError(error) || errorCode(error) === 'EISDIR') continue;
        throw error;
      }
      this.etagCache.delete(path);
      await this.removeEmptyFolders(dirname(path));
    }
  }

  /**
   * Deletes the temp files of writes that never finished (the process was killed between writing a
   * temp file and renaming it into place) not modified for `olderThanMs`; a younger one may belong to
   * a write in progress. They are invisible to `list` and to readers, but hold disk space. Returns how
   * many were removed.
   */
  async sweepTemporaryFiles(options: { readonly olderThanMs: number; readonly now?: Date }): Promise<number> {
    const cutoff = (options.now ?? new Date()).getTime() - options.olderThanMs;
    let entries: Dirent[];
    try {
      entries = await readdir(this.rootDir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isMissingFileError(error)) return 0;
      throw error;
    }
    let removed = 0;
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.startsWith(TEMP_FILE_PREFIX)) continue;
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path).catch(() => undefined);
      if (!info || info.mtimeMs > cutoff) continue;
      await unlink(path).catch(() => undefined);
      removed++;
    }
    return removed;
  }

  /** Absolute file path of a key, after checking the key cannot escape the root. */
  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.rootDir, ...key.split('/'));
  }

  private async openExistingFile(key: string, path: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissingFileError(error)) throw new ObjectNotFoundError(this.url, key, { cause: error });
      throw error;
    }
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw new ObjectNotFoundError(this.url, key);
    }
    return handle;
  }

  /** Size, time and MD5 of an open file; undefined when the handle is not a regular file (a folder). */
  private async infoOf(key: string, path: string, handle: FileHandle): Promise<ObjectInfo | undefined> {
    // Stats and content come from the same open handle, so a concurrent replace cannot mix them.
    const stats = await handle.stat();
    if (!stats.isFile()) return undefined;
    const etag = await this.etagOf(path, stats, handle);
    return { key, size: stats.size, etag, lastModified: stats.mtime };
  }

  private async etagOf(path: string, stats: Stats, handle: FileHandle): Promise<string> {
    const cached = this.etagCache.get(path);
    // Every write creates a new inode (rename/link of a temp file), so (ino, size, mtime) changes with it.
    if (
      cached &&
      cached.ino === stats.ino &&
      cached.size === stats.size &&
      cached.mtimeMs === stats.mtimeMs
    ) {
      return cached.etag;
    }
    const hash = createHash('md5');
    await pipeline(
      handle.createReadStream({ start: 0, autoClose: false, highWaterMark: READ_CHUNK_BYTES }),
      hash,
    );
    const etag = hash.digest('hex');
    this.remember(path, stats, etag);
    return etag;
  }

  private remember(path: string, stats: Pick<Stats, 'ino' | 'size' | 'mtimeMs'>, etag: string): void {
    if (this.etagCache.size >= ETAG_CACHE_LIMIT) {
      // Map keeps insertion order: drop the oldest entry.
      const oldest = this.etagCache.keys().next().value;
      if (oldest !== undefined) this.etagCache.delete(oldest);
    }
    this.etagCache.delete(path);
    this.etagCache.set(path, { ino: stats.ino, size: stats.size, mtimeMs: stats.mtimeMs, etag });
  }

  /** Writes `body` to a temp file in the target folder, then `publish`es it; the temp file never stays. */
  private async writeThroughTemp(
    path: string,
    body: ObjectBody,
    publish: (tempPath: string) => Promise<void>,
  ): Promise<void> {
    const { tempPath, handle } = await this.createTempFile(dirname(path));
    try {
      // The MD5 is taken of the bytes as they are written, so the `head` that usually follows a write
      // (ingest of a landed file) reads nothing again (measured: 0.27 s less for a 100 MB file).
      const hash = createHash('md5');
      if (body instanceof Readable) {
        // pipeline() applies backpressure: the stream is never held in memory whole.
        await pipeline(
          body,
          async function* (chunks: AsyncIterable<Buffer | string>) {
            for await (const chunk of chunks) {
              hash.update(chunk);
              yield chunk;
            }
          },
          handle.createWriteStream({ highWaterMark: READ_CHUNK_BYTES }),
        );
      } else {
        hash.update(body);
        await handle.writeFile(body);
        await handle.close();
      }
      const stats = await stat(tempPath);
      await publish(tempPath);
      // rename and link keep the inode, size and time: the cache entry names the published file.
      this.remember(path, stats, hash.digest('hex'));
    } finally {
      await handle.close().catch(() => undefined);
      await unlink(tempPath).catch((error: unknown) => {
        if (!isMissingFileError(error)) throw error;
      });
    }
  }

  /** A temp name in `folder` linked to `localPath` (the same retries as `createTempFile`). */
  private async linkTemp(folder: string, localPath: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const tempPath = join(folder, TEMP_FILE_PREFIX + randomBytes(8).toString('hex'));
      try {
        await mkdir(folder, { recursive: true });
        await link(localPath, tempPath);
        return tempPath;
      } catch (error) {
        // ENOENT of the folder (a concurrent delete pruned it), not of the file: that one is the caller's.
        if (errorCode(error) === 'ENOENT' && attempt < TEMP_CREATE_ATTEMPTS && (await exists(localPath)))
          continue;
        throw error;
      }
    }
  }

  private async createTempFile(folder: string): Promise<{ tempPath: string; handle: FileHandle }> {
    for (let attempt = 1; ; attempt++) {
      const tempPath = join(folder, TEMP_FILE_PREFIX + randomBytes(8).toString('hex'));
      try {
        await mkdir(folder, { recursive: true });
        return { tempPath, handle: await open(tempPath, 'wx') };
      } catch (error) {
        // A concurrent delete prunes empty folders: one may vanish between (or during) mkdir and open.
        if (errorCode(error) === 'ENOENT' && attempt < TEMP_CREATE_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  private async *walk(folderKey: string, prefix: string, etags: boolean): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(folderKey === '' ? this.rootDir : join(this.rootDir, ...folderKey.split('/')), {
        withFileTypes: true,
      });
    } catch (error) {
      if (isMissingFileError(error) || errorCode(error) === 'ENOTDIR') return;
      throw error;
    }
    // Folders sort as `name/` so that `a-b` < `a/x` < `a0`, the order of the full keys.
    const children = entries
      .filter((entry) => !entry.name.startsWith(TEMP_FILE_PREFIX) && (entry.isFile() || entry.isDirectory()))
      .map((entry) => ({ entry, key: folderKey + entry.name + (entry.isDirectory() ? '/' : '') }))
      .filter((child) => child.key.startsWith(prefix) || prefix.startsWith(child.key))
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const { entry, key } of children) {
      if (entry.isDirectory()) {
        yield* this.walk(key, prefix, etags);
        continue;
      }
      const path = join(this.rootDir, ...key.split('/'));
      if (!etags) {
        // Keys, sizes and times only: a stat, not a read of the content.
        const stats = await stat(path).catch(() => undefined);
        if (stats?.isFile()) yield { key, size: stats.size, etag: '', lastModified: stats.mtime };
        continue;
      }
      const info = await this.headAt(key, path);
      if (info) yield info;
    }
  }

  /** Info of the file at `path`, or undefined when there is none (missing, a folder, deleted meanwhile). */
  private async headAt(key: string, path: string): Promise<ObjectInfo | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (isMissingFileError(error)) return undefined;
      throw error;
    }
    try {
      return await this.infoOf(key, path, handle);
    } finally {
      await handle.close();
    }
  }

  /** Removes `folder` and its parents while they are empty, never the root itself. */
  private async removeEmptyFolders(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.rootDir + sep)) {
      try {
        await rmdir(current);
      } catch {
        // Not empty (another object, or a write in progress), or already gone: stop here.
        return;
      }
      current = dirname(current);
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** ENOENT, or ENOTDIR when a folder of the key's path is a file (`a/b` when `a` is an object). */
function isMissingFileError(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
