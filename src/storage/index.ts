import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { FsObjectStore } from './fs-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';

export { assertValidKey, compareKeys, FsObjectStore, InvalidObjectKeyError } from './fs-store';
export type { ObjectBody, ObjectInfo, ObjectStore, PutOptions } from './object-store';
export { ObjectNotFoundError } from './object-store';
export type { S3ObjectStoreProps } from './s3-store';
export { InvalidS3ObjectStorePropsError, ObjectDeleteError, S3ObjectStore } from './s3-store';

/** Folder of the local lake when none is given. */
export const DEFAULT_LOCAL_LAKE = '.ledgerlake';

/** Raised by `openStore` for a location it cannot open. */
export class UnsupportedStoreLocationError extends Error {
  constructor(
    readonly location: string,
    reason: string,
  ) {
    super(
      `cannot open store ${JSON.stringify(location)}: ${reason}. Use a folder path, a file:// URL or ` +
        `s3://bucket/prefix.`,
    );
    this.name = 'UnsupportedStoreLocationError';
  }
}

export interface OpenStoreOptions {
  /**
   * Client for `s3://` locations.
   * @default a new S3Client with the SDK's default region, credentials and checksums
   */
  readonly s3Client?: S3Client;
}

/**
 * Opens the store a location names: `s3://bucket/prefix` gives an S3ObjectStore, a `file://` URL or a
 * plain path (relative to the working directory) an FsObjectStore.
 *
 * @throws UnsupportedStoreLocationError for another scheme or an `s3://` URL without a bucket.
 */
export function openStore(location: string, options: OpenStoreOptions = {}): ObjectStore {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1]?.toLowerCase();
  if (scheme === undefined) return new FsObjectStore(location);
  if (scheme === 'file') return new FsObjectStore(fileURLToPath(location));
  if (scheme !== 's3')
    throw new UnsupportedStoreLocationError(location, `the scheme ${scheme}:// is not supported`);
  const [bucket = '', ...prefixParts] = location.slice('s3://'.length).split('/');
  if (bucket === '') throw new UnsupportedStoreLocationError(location, 'the bucket name is missing');
  return new S3ObjectStore({
    client: options.s3Client ?? new S3Client({}),
    bucket,
    prefix: prefixParts.join('/'),
  });
}
