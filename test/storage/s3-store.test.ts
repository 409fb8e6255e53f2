import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  type DeleteObjectsCommandInput,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../src/storage/object-store';
import { InvalidS3ObjectStorePropsError, ObjectDeleteError, S3ObjectStore } from '../../src/storage/s3-store';
import { createS3TestClient, type S3TestServer, startS3Server } from '../support/s3-server';

const MIB = 1024 * 1024;
let s3: S3TestServer;
let prefixCount = 0;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['lake'] });
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  await s3.clearReceivedRequests();
});

function newStore(props: { pageSize?: number; partSize?: number } = {}): S3ObjectStore {
  return new S3ObjectStore({
    client: s3.client,
    bucket: 'lake',
    prefix: `s3-test-${++prefixCount}`,
    ...props,
  });
}

describe('get with ifMatch', () => {
  it('sends If-Match with the quoted ETag on GetObject, and none without ifMatch', async () => {
    const store = newStore();
    await store.put('landing/transactions/a.csv', 'id\n1\n');
    const { etag } = (await store.head('landing/transactions/a.csv'))!;
    await s3.clearReceivedRequests();

    (await store.get('landing/transactions/a.csv', { ifMatch: etag })).resume();
    (await store.get('landing/transactions/a.csv')).resume();

    const gets = (await s3.receivedRequests()).filter((request) => request.method === 'GET');
    expect(gets.map((request) => request.headers['if-match'])).toEqual([`"${etag}"`, undefined]);
  });
});

describe('putIfAbsent', () => {
  it('sends If-None-Match: * on a single PutObject', async () => {
    const store = newStore();

    await store.putIfAbsent('manifests/transactions/a.json', '{}');

    const puts = (await s3.receivedRequests()).filter((request) => request.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.headers['if-none-match']).toBe('*');
    expect(puts[0]?.path).toBe(`/lake/${store.prefix}manifests/transactions/a.json`);
  });

  it('returns false when the server answers 412 PreconditionFailed', async () => {
    const store = newStore();
    await store.putIfAbsent('manifests/transactions/a.json', 'first');

    const written = await store.putIfAbsent('manifests/transactions/a.json', 'second');

    expect(written).toBe(false);
    expect(await store.getText('manifests/transactions/a.json')).toBe('first');
  });

  it('lets exactly one of many concurrent calls on one key win', async () => {
    const store = newStore();
    const writers = Array.from({ length: 10 }, (_, index) => `{"writer":${index}}`);

    const results = await Promise.all(writers.map((body) => store.putIfAbsent('ledger.json', body)));

    expect(results.filter((written) => written)).toHaveLength(1);
    expect(await store.getText('ledger.json')).toBe(writers[results.indexOf(true)]);
  });

  it('shows that s3rver alone ignores If-None-Match on PUT, which is why the test server emulates it', async () => {
    const plain = await startS3Server({ buckets: ['lake'], conditionalWrites: false });
    const store = new S3ObjectStore({ client: plain.client, bucket: 'lake' });

    try {
      const results = [
        await store.putIfAbsent('a.json', 'first'),
        await store.putIfAbsent('a.json', 'second'),
      ];

      expect(results).toEqual([true, true]);
      expect(await store.getText('a.json')).toBe('second');
    } finally {
      await plain.stop();
    }
  });

  describe('against a server that answers every PUT with one error', () => {
    let server: Server;
    let client: S3Client;
    let status = 0;
    let code = '';

    beforeAll(async () => {
      server = createServer((request: IncomingMessage, response: ServerResponse) => {
        request.resume();
        request.on('end', () => {
          response.statusCode = status;
          response.setHeader('Content-Type', 'application/xml');
          response.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>m</Message></Error>`,
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      client = createS3TestClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
    afterAll(async () => {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it.each([
      [412, 'PreconditionFailed'],
      [409, 'ConditionalRequestConflict'],
    ])('maps %i %s to false', async (httpStatus, errorCode) => {
      [status, code] = [httpStatus, errorCode];
      const store = new S3ObjectStore({ client, bucket: 'lake' });

      const written = await store.putIfAbsent('a.json', '{}');

      expect(written).toBe(false);
    });

    it('rethrows any other error', async () => {
      [status, code] = [403, 'AccessDenied'];
      const store = new S3ObjectStore({ client, bucket: 'lake' });

      await expect(store.putIfAbsent('a.json', '{}')).rejects.toMatchObject({ name: 'AccessDenied' });
    });
  });
});

describe('put', () => {
  it('uploads a large stream in parts of partSize', async () => {
    const store = newStore({ partSize: 5 * MIB });
    const chunk = Buffer.alloc(MIB, 0x61);

    await store.put('landing/transactions/big.csv', Readable.from(Array.from({ length: 12 }, () => chunk)));

    const parts = (await s3.receivedRequests()).filter((request) => request.query.has('partNumber'));
    expect(parts.map((part) => Number(part.headers['content-length']))).toEqual([5 * MIB, 5 * MIB, 2 * MIB]);
    expect((await store.head('landing/transactions/big.csv'))?.size).toBe(12 * MIB);
  });

  it('sends a body smaller than one part as a single PutObject', async () => {
    const store = newStore();

    await store.put('manifests/transactions/m.json', Readable.from([Buffer.from('{"rows":3}')]));

    const requests = await s3.receivedRequests();
    expect(requests.map((request) => `${request.method} ${request.query.get('x-id')}`)).toEqual([
      'PUT PutObject',
    ]);
  });

  it.each([
    [{ contentType: 'text/csv' }, 'text/csv'],
    [undefined, 'application/octet-stream'],
  ])('stores the content type of put %j as %s', async (options, expected) => {
    const store = newStore();

    await store.put('landing/transactions/a.csv', 'a,b\n', options);

    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: 'lake', Key: `${store.prefix}landing/transactions/a.csv` }),
    );
    expect(head.ContentType).toBe(expected);
  });
});

describe('list', () => {
  it('asks for pages of pageSize keys and follows the continuation tokens', async () => {
    const store = newStore({ pageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) await store.put(`manifests/${name}.json`, '{}');
    await s3.clearReceivedRequests();

    const keys: string[] = [];
    for await (const info of store.list('manifests/')) keys.push(info.key);

    const lists = (await s3.receivedRequests()).filter((request) => request.query.get('list-type') === '2');
    expect(keys).toEqual([
      'manifests/a.json',
      'manifests/b.json',
      'manifests/c.json',
      'manifests/d.json',
      'manifests/e.json',
    ]);
    expect(lists.map((request) => request.query.get('max-keys'))).toEqual(['2', '2', '2']);
    expect(lists.map((request) => request.query.has('continuation-token'))).toEqual([false, true, true]);
  });

  it('sees only the objects under its own prefix and lists keys without it', async () => {
    const tenantA = new S3ObjectStore({ client: s3.client, bucket: 'lake', prefix: 'tenant-a' });
    const tenantAB = new S3ObjectStore({ client: s3.client, bucket: 'lake', prefix: 'tenant-ab/' });
    await tenantA.put('landing/x.csv', 'a');
    await tenantAB.put('landing/y.csv', 'b');

    const keys: string[] = [];
    for await (const info of tenantA.list('')) keys.push(info.key);

    expect(keys).toEqual(['landing/x.csv']);
    expect(tenantA.url).toBe('s3://lake/tenant-a/');
    const raw = await s3.client.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: 'tenant-a/' }));
    expect(raw.Contents?.map((object) => object.Key)).toEqual(['tenant-a/landing/x.csv']);
  });
});

describe('delete', () => {
  it('deletes in batches of at most 1000 keys', async () => {
    const client = s3.createClient();
    const batchSizes: number[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DeleteObjectsCommand') {
          batchSizes.push((args.input as DeleteObjectsCommandInput).Delete?.Objects?.length ?? 0);
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    const store = new S3ObjectStore({ client, bucket: 'lake', prefix: `s3-test-${++prefixCount}` });
    const keys = Array.from(
      { length: 2001 },
      (_, index) => `curated/t/dt=2024-01-01/${String(index).padStart(4, '0')}.parquet`,
    );
    await store.put(keys[0]!, 'first');
    await store.put(keys[2000]!, 'last');

    await store.delete(keys);

    expect(batchSizes).toEqual([1000, 1000, 1]);
    expect([await store.head(keys[0]!), await store.head(keys[2000]!)]).toEqual([undefined, undefined]);
  });
});

describe('errors', () => {
  it('raises ObjectDeleteError naming the keys DeleteObjects could not delete', async () => {
    const failing = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('Content-Type', 'application/xml');
        response.end(
          '<?xml version="1.0" encoding="UTF-8"?><DeleteResult><Error><Key>p/locked.csv</Key>' +
            '<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>',
        );
      });
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const failingClient = createS3TestClient(`http://127.0.0.1:${(failing.address() as AddressInfo).port}`);
    const store = new S3ObjectStore({ client: failingClient, bucket: 'lake', prefix: 'p' });

    try {
      const failure = store.delete(['locked.csv', 'free.csv']);

      await expect(failure).rejects.toBeInstanceOf(ObjectDeleteError);
      await expect(failure).rejects.toMatchObject({
        failures: [{ key: 'locked.csv', code: 'AccessDenied', message: 'Access Denied' }],
      });
    } finally {
      failingClient.destroy();
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  it('does not hide a missing bucket as a missing object', async () => {
    const store = new S3ObjectStore({ client: s3.client, bucket: 'no-such-bucket' });

    const failure = store.get('a.csv');

    await expect(failure).rejects.toMatchObject({ name: 'NoSuchBucket' });
    await expect(failure).rejects.not.toBeInstanceOf(ObjectNotFoundError);
  });

  it('keeps the SDK error as the cause of ObjectNotFoundError', async () => {
    const store = newStore();

    const failure = store.get('missing.csv');

    await expect(failure).rejects.toMatchObject({ url: store.url, cause: { name: 'NoSuchKey' } });
  });

  it.each([
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 1001 }, 'pageSize'],
    [{ partSize: MIB }, 'partSize'],
    [{ queueSize: 0 }, 'queueSize'],
    [{ bucket: '' }, 'bucket'],
    [{ bucket: 'lake/landing' }, 'bucket'],
  ])('rejects the props %j naming %s', (props, name) => {
    expect(() => new S3ObjectStore({ client: s3.client, bucket: 'lake', ...props })).toThrow(
      new RegExp(`S3ObjectStore: ${name}`),
    );
    expect(() => new S3ObjectStore({ client: s3.client, bucket: 'lake', ...props })).toThrow(
      InvalidS3ObjectStorePropsError,
    );
  });

  it('streams GetObject bodies as Node.js readables', async () => {
    const store = newStore();
    await store.put('a.csv', 'streamed');

    const body = await store.get('a.csv');

    expect(body).toBeInstanceOf(Readable);
    expect(Buffer.concat(await body.toArray()).toString()).toBe('streamed');
  });
});
