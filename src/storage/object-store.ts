import type { Readable } from 'node:stream';

/** What the store knows about one object. */
export interface ObjectInfo {
  /** Key relative to the store root, `/`-separated, e.g. `landing/transactions/2024-01-01.csv`. */
  readonly key: string;
  readonly size: number;
  /**
   * A fingerprint of the content: the S3 ETag (quotes removed), or the MD5 hex of a local file.
   * Equal content gives an equal etag within one store.
   */
  readonly etag: string;
  readonly lastModified: Date;
}

/** A body the store can write: a stream (uploaded without buffering it whole), bytes or text. */
export type ObjectBody = Readable | Uint8Array | string;

export interface PutOptions {
  /** @default 'application/octet-stream' */
  readonly contentType?: string;
}

export interface ListOptions {
  /** @default true */
  readonly etags?: boolean;
}

export interface GetOptions {
  /**
   * Read this version only: the etag `head` gave. When the object has been replaced since, `get` throws
   * `ObjectChangedError` instead of streaming other content (S3 `If-Match`). Lets a reader that reads an
   * object more than once be sure every read sees the same bytes.
   */
  readonly ifMatch?: string;
}

/**
 * The one storage interface of the pipeline core. Two adapters implement it: the local filesystem
 * (the default lake, `.ledgerlake/`) and S3. Keys never start with `/`.
 */
export interface ObjectStore {
  /** Where the store points, for messages: `file:///abs/path` or `s3://bucket/prefix`. */
  readonly url: string;
  /**
   * Streams an object's bytes. Throws `ObjectNotFoundError` when the key does not exist, and
   * `ObjectChangedError` when `options.ifMatch` names another version than the one stored.
   */
  get(key: string, options?: GetOptions): Promise<Readable>;
  /** Reads a small object whole (manifests, reports). Returns undefined when the key does not exist. */
  getText(key: string): Promise<string | undefined>;
  /** Size, etag and time of an object, or undefined when it does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Writes an object, replacing any previous one; readers see the old or the new object, never a part. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<void>;
  /**
   * Writes the local file at `path` as the object, with the guarantees of `put`. The file stays the
   * caller's to delete; the local store may link it into place instead of copying it, so the caller
   * must not change it afterwards (ingest stages Parquet parts so, then commits them).
   */
  putFile(key: string, path: string, options?: PutOptions): Promise<void>;
  /**
   * Writes an object only if the key does not exist yet (S3 `If-None-Match: *`, an exclusive create on
   * disk). Returns false, writing nothing, when it already exists. Used for exactly-once ledgers.
   */
  putIfAbsent(key: string, body: string | Uint8Array, options?: PutOptions): Promise<boolean>;
  /**
   * Every object whose key starts with `prefix`, in lexicographic key order. With `etags: false` the
   * caller needs only keys, sizes and times: a store for which the etag costs a read of the content
   * (the local one) may return an empty etag.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo>;
  /** Deletes objects; keys that do not exist are ignored. */
  delete(keys: readonly string[]): Promise<void>;
}

/** Raised by `ObjectStore.get` for a key that does not exist. */
export class ObjectNotFoundError extends Error {
  constructor(
    readonly url: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`no object ${key} in ${url}`, options);
    this.name = 'ObjectNotFoundError';
  }
}

/** Raised by `ObjectStore.get` with `ifMatch` when the object is no longer that version. */
export class ObjectChangedError extends Error {
  constructor(
    readonly url: string,
    readonly key: string,
    readonly expectedEtag: string,
    options?: { cause?: unknown },
  ) {
    super(`${key} in ${url} changed while it was being read (expected version ${expectedEtag})`, options);
    this.name = 'ObjectChangedError';
  }
}
