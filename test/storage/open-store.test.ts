import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../src/storage/fs-store';
import { openStore, UnsupportedStoreLocationError } from '../../src/storage/index';
import { S3ObjectStore } from '../../src/storage/s3-store';

describe('openStore', () => {
  it.each([
    ['.ledgerlake', `file://${resolve('.ledgerlake')}`],
    ['/var/lake', 'file:///var/lake'],
    ['file:///var/lake%20one', 'file:///var/lake%20one'],
  ])('opens %j as a local lake at %s', (location, url) => {
    const store = openStore(location);

    expect(store).toBeInstanceOf(FsObjectStore);
    expect(store.url).toBe(url);
  });

  it.each([
    ['s3://acme-lake', 's3://acme-lake/'],
    ['s3://acme-lake/prod/ledger', 's3://acme-lake/prod/ledger/'],
    ['s3://acme-lake/prod/', 's3://acme-lake/prod/'],
  ])('opens %j as an S3 lake at %s', (location, url) => {
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });

    const store = openStore(location, { s3Client: client });

    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.url).toBe(url);
    client.destroy();
  });

  it.each([
    ['gs://bucket/lake', 'gs://'],
    ['s3:///lake', 'bucket name is missing'],
  ])('refuses %j and says why', (location, reason) => {
    expect(() => openStore(location)).toThrow(UnsupportedStoreLocationError);
    expect(() => openStore(location)).toThrow(reason);
  });
});
