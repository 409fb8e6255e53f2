import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { assertValidKey } from './fs-store';
import {
  type GetOptions,
  type ObjectBody,
  ObjectChangedError,
  type ObjectInfo,
  ObjectNotFoundError,
  type ObjectStore,
  type PutOptions,
} from './object-store';

/** S3's own limits, which the props are checked against. */
const S3_MAX_KEYS_PER_PAGE = 1000;
const S3_MAX_KEYS_PER_DELETE = 1000;
const S3_MIN_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface S3ObjectStoreProps {
  /** The client to send requests with (region, credentials, endpoint are its concern). */
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * Folder inside the bucket that acts as the store root; a missing trailing `/` is added.
   * @default '' (the bucket root)
   */
  readonly prefix?: string;
  /**
   * Keys asked for per ListObjectsV2 request (MaxKeys), 1 to 1000.
   * @default 1000
   */
  readonly pageSize?: number;
  /**
   * Size of each multipart part for streamed uploads, at least 5 MiB. 8 MiB parts allow objects up to
   * about 78 GiB within S3's 10,000-part limit while keeping the buffer small.
   * @default 8 MiB
   */
  readonly partSize?: number;
  /**
   * Parts uploaded in parallel. An upload buffers at most about (queueSize + 1) × partSize bytes: with
   * the defaults about 40 MiB, which fits a 256 MB Lambda next to the Parquet writer.
   * @default 4
   */
  readonly queueSize?: number;
}

/** Bounds on how long an S3 request may take and how often it is tried. */
export interface S3RequestLimits {
  /** Time to open a connection. @default 5000 */
  readonly connectionTimeoutMs?: number;
  /**
   * Time a connection may go without sending or receiving a byte, including while a body streams: a
   * stalled response fails after this long instead of running to the Lambda's limit. @default 30000
   */
  readonly socketTimeoutMs?: number;
  /** Tries per request, the first included (SDK standard retry mode: backoff with jitter). @default 5 */
  readonly maxAttempts?: number;
}

/**
 * The S3 client settings of the lake and landing stores: connect and socket timeouts, and bounded
 * retries with exponential backoff of throttling (503 SlowDown), 5xx, connection resets and timeouts,
 * all by the SDK (`retryMode: 'standard'`), none by hand. With the defaults a request fails for good
 * within about 5 x (5 + 30) s plus backoff.
 */
export function s3ClientConfig(limits: S3RequestLimits = {}): S3ClientConfig {
  return {
    maxAttempts: limits.maxAttempts ?? 5,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: limits.connectionTimeoutMs ?? 5_000,
      socketTimeout: limits.socketTimeoutMs ?? 30_000,
    },
  };
}

/** Raised by the S3ObjectStore constructor for props S3 would reject; names the prop and the limit. */
export class InvalidS3ObjectStorePropsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidS3ObjectStorePropsError';
  }
}

/** Raised when DeleteObjects reports keys it could not delete (permissions, object lock...). */
export class ObjectDeleteError extends Error {
  constructor(
    readonly url: string,
    readonly failures: readonly { readonly key: string; readonly code: string; readonly message: string }[],
  ) {
    const shown = failures
      .slice(0, 5)
      .map((failure) => `${failure.key} (${failure.code}: ${failure.message})`)
      .join(', ');
    super(
      `could not delete ${failures.length} object(s) in ${url}: ${shown}${failures.length > 5 ? ', ...' : ''}`,
    );
    this.name = 'ObjectDeleteError';
  }
}

const PROPS_RULES: readonly {
  readonly breaks: (props: S3ObjectStoreProps) => boolean;
  readonly message: (props: S3ObjectStoreProps) => string;
}[] = [
  {
    breaks: (props) => props.bucket.trim() === '' || props.bucket.includes('/'),
    message: (props) => `bucket must be a bucket name without '/', got ${JSON.stringify(props.bucket)}`,
  },
  {
    breaks: (props) =>
      props.pageSize !== undefined &&
      !(Number.isInteger(props.pageSize) && props.pageSize >= 1 && props.pageSize <= S3_MAX_KEYS_PER_PAGE),
    message: (props) =>
      `pageSize must be an integer from 1 to ${S3_MAX_KEYS_PER_PAGE}, got ${props.pageSize}`,
  },
  {
    breaks: (props) => props.partSize !== undefined && !(props.partSize >= S3_MIN_PART_SIZE),
    message: (props) =>
      `partSize must be at least ${S3_MIN_PART_SIZE} bytes (5 MiB, S3's minimum), got ${props.partSize}`,
  },
  {
    breaks: (props) =>
      props.queueSize !== undefined && !(Number.isInteger(props.queueSize) && props.queueSize >= 1),
    message: (props) => `queueSize must be a positive integer, got ${props.queueSize}`,
  },
];

/**
 * The lake in an S3 bucket (or a folder of one). Streams in both directions; writes are single
 * PutObjects or multipart uploads, which S3 makes visible atomically when complete.
 */
export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Folder inside the bucket, '' or ending with '/'. */
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly pageSize: number;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(props: S3ObjectStoreProps) {
    const broken = PROPS_RULES.find((rule) => rule.breaks(props));
    if (broken) throw new InvalidS3ObjectStorePropsError(`S3ObjectStore: ${broken.message(props)}`);
    const prefix = (props.prefix ?? '').replace(/^\/+/, '');
    if (prefix !== '') assertValidKey(prefix, 'prefix');
    this.client = props.client;
    this.bucket = props.bucket;
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.pageSize = props.pageSize ?? S3_MAX_KEYS_PER_PAGE;
    this.partSize = props.partSize ?? 8 * 1024 * 1024;
    this.queueSize = props.queueSize ?? 4;
    this.url = `s3://${this.bucket}/${this.prefix}`;
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    try {
      const output = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.s3Key(key),
          // ETags are quoted on the wire; `head` gives them without quotes.
          IfMatch: options.ifMatch === undefined ? undefined : `"${options.ifMatch}"`,
        }),
      );
      if (!(output.Body instanceof Readable)) {
        throw new TypeError(`GetObject of ${key} in ${this.url} returned no Node.js stream`);
      }
      return output.Body;
    } catch (error) {
      if (isMissingObject(error)) throw new ObjectNotFoundError(this.url, key, { cause: error });
      if (options.ifMatch !== undefined && (hasName(error, 'PreconditionFailed') || hasStatus(error, 412))) {
        throw new ObjectChangedError(this.url, key, options.ifMatch, { cause: error });
      }
      throw error;
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const output = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.s3Key(key) }),
      );
      return (await output.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const output = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.s3Key(key) }),
      );
      return {
        key,
        size: output.ContentLength ?? 0,
        etag: unquote(output.ETag),
        lastModified: output.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isMissingObject(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: ObjectBody, options?: PutOptions): Promise<void> {
    // Upload sends one PutObject when the body fits in one part, else a multipart upload whose parts
    // are read from the stream as they are sent (bounded memory); a failed upload is aborted.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.s3Key(key),
        Body: body,
        ContentType: options?.contentType ?? DEFAULT_CONTENT_TYPE,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
    });
    await upload.done();
  }

  async putFile(key: string, path: string, options?: PutOptions): Promise<void> {
    await this.put(key, createReadStream(path, { highWaterMark: 1 << 20 }), options);
  }

  async putIfAbsent(key: string, body: string | Uint8Array, options?: PutOptions): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.s3Key(key),
          Body: body,
          ContentType: options?.contentType ?? DEFAULT_CONTENT_TYPE,
          IfNoneMatch: '*',
        }),
      );
      return true;
    } catch (error) {
      // 412: the key exists. 409: a concurrent conditional write to the key is in flight; the caller
      // lost that race too, so it must not act as the writer either.
      if (hasStatus(error, 412) || hasName(error, 'PreconditionFailed')) return false;
      if (hasStatus(error, 409) || hasName(error, 'ConditionalRequestConflict')) return false;
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertValidKey(prefix, 'prefix');
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: this.pageSize,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield {
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          etag: unquote(object.ETag),
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async delete(keys: readonly string[]): Promise<void> {
    const failures: { key: string; code: string; message: string }[] = [];
    for (let start = 0; start < keys.length; start += S3_MAX_KEYS_PER_DELETE) {
      const batch = keys.slice(start, start + S3_MAX_KEYS_PER_DELETE);
      // Quiet: S3 reports only the failures. Missing keys are not failures.
      const output = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((key) => ({ Key: this.s3Key(key) })), Quiet: true },
        }),
      );
      for (const failure of output.Errors ?? []) {
        failures.push({
          key: (failure.Key ?? '').slice(this.prefix.length),
          code: failure.Code ?? 'Unknown',
          message: failure.Message ?? '',
        });
      }
    }
    if (failures.length > 0) throw new ObjectDeleteError(this.url, failures);
  }

  private s3Key(key: string): string {
    assertValidKey(key);
    return this.prefix + key;
  }
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}

function hasStatus(error: unknown, status: number): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === status;
}

function hasName(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/**
 * NoSuchKey (GetObject) or NotFound (HeadObject, which has no body to name the error). A missing
 * bucket (NoSuchBucket) is a configuration error and is not hidden.
 */
function isMissingObject(error: unknown): boolean {
  return hasName(error, 'NoSuchKey') || hasName(error, 'NotFound');
}
