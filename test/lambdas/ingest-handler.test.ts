import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIngestHandler, SWEEP_EVENT } from '../../lambdas/ingest/ingest-handler';
import type { IngestedDataset } from '../../lambdas/ingest/ingested-events';
import { INGEST_METRICS, METRICS_NAMESPACE, SERVICES } from '../../lambdas/shared/observability';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { attemptKey } from '../../src/ingest/lake-layout';
import type { Manifest } from '../../src/ingest/manifest';
import { S3ObjectStore } from '../../src/storage/s3-store';
import { type S3TestServer, startS3Server } from '../support/s3-server';

const LANDING = 'landing-bucket';
const LAKE = 'lake-bucket';
const KEY = 'landing/transactions/march 2024.csv';
const CSV = [
  'transaction_id,event_time,customer_id,channel,city,type,amount,currency,status',
  'T1,2024-03-01T10:00:00Z,C1,upi,Austin,deposit,100.00,USD,success',
  'T2,2024-03-02T11:00:00Z,C2,credit_card,Denver,payment,20.50,USD,success',
  'T3,2024-03-02T12:00:00Z,C3,upi,Denver,payment,-5.00,USD,success',
].join('\n');

let s3: S3TestServer;
let duck: DuckDbEngine;
let scratch: string;
let landing: S3ObjectStore;
let lake: S3ObjectStore;
let announced: IngestedDataset[][];
let emitted: string[];
let testNumber = 0;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [LANDING, LAKE] });
  duck = await openDuckDb();
});
afterAll(async () => {
  await duck.close();
  await s3.stop();
});
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ingest-handler-'));
  landing = new S3ObjectStore({ client: s3.client, bucket: LANDING });
  // A fresh folder of the lake bucket per test: the lake starts empty without deleting anything.
  testNumber += 1;
  lake = new S3ObjectStore({ client: s3.client, bucket: LAKE, prefix: `test-${testNumber}/` });
  announced = [];
  emitted = [];
  // Powertools writes logs and EMF metrics to stdout; keep the metric documents for assertions.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    emitted.push(String(chunk));
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(scratch, { recursive: true, force: true });
});

/** The handler as SQS invokes it. */
function handler() {
  const invoke = rawHandler();
  return async (event: SQSEvent, context: Context) => (await invoke(event, context)) as SQSBatchResponse;
}

function rawHandler() {
  return createIngestHandler({
    landingBucket: LANDING,
    landing,
    lake,
    logger: new Logger({ serviceName: SERVICES.ingest }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.ingest }),
    onIngested: async (datasets) => {
      announced.push([...datasets]);
    },
    tmpDir: scratch,
  });
}

const context = {
  functionName: 'ingest',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 600_000,
} as unknown as Context;

/** An SQS record carrying S3's notification for `key` (form-URL-encoded, as S3 sends it). */
function notification(messageId: string, key: string, bucket = LANDING): SQSRecord {
  const encodedKey = encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
  const body = {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodedKey, size: CSV.length } },
      },
    ],
  };
  return { messageId, body: JSON.stringify(body) } as SQSRecord;
}

async function lakeObjects(): Promise<Map<string, string>> {
  const objects = new Map<string, string>();
  for await (const info of lake.list('')) objects.set(info.key, info.etag);
  return objects;
}

describe('ingest handler (SQS batch of S3 notifications, against an S3-compatible server)', () => {
  it('writes Parquet, quarantine and a manifest for a landed CSV and announces the days it touched', async () => {
    await landing.put(KEY, CSV);
    const event: SQSEvent = { Records: [notification('m1', KEY)] };

    const response = await handler()(event, context);

    expect(response).toEqual({ batchItemFailures: [] });
    const keys = [...(await lakeObjects()).keys()];
    expect(keys.filter((key) => key.startsWith('curated/transactions/dt=2024-03-01/'))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith('curated/transactions/dt=2024-03-02/'))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith('quarantine/transactions/dt=2024-03-02/'))).toHaveLength(1);
    const manifestKey = keys.find((key) => key.startsWith('manifests/transactions/'));
    const manifest = JSON.parse((await lake.getText(manifestKey!))!) as Manifest;
    expect(manifest).toMatchObject({ source_key: KEY, rows_read: 3, rows_valid: 2, rows_quarantined: 1 });
    expect(announced).toEqual([
      [{ dataset: 'transactions', dates: ['2024-03-01', '2024-03-02'], sourceKeys: [KEY], rowsValid: 2 }],
    ]);
  });

  it('writes curated Parquet that DuckDB reads back with the declared values', async () => {
    await landing.put(KEY, CSV);
    await handler()({ Records: [notification('m1', KEY)] }, context);

    const curated = [...(await lakeObjects()).keys()].filter((key) => key.startsWith('curated/'));
    for (const [index, key] of curated.entries()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await lake.get(key)) chunks.push(chunk as Buffer);
      await writeFile(join(scratch, `part-${index}.parquet`), Buffer.concat(chunks));
    }
    const result = await duck.query(
      `SELECT transaction_id, amount FROM read_parquet('${scratch}/part-*.parquet') ORDER BY transaction_id`,
    );

    expect(result.rows).toEqual([
      { transaction_id: 'T1', amount: 100 },
      { transaction_id: 'T2', amount: 20.5 },
    ]);
  });

  it('changes nothing and announces nothing when the same notification is delivered again', async () => {
    await landing.put(KEY, CSV);
    const event: SQSEvent = { Records: [notification('m1', KEY)] };
    await handler()(event, context);
    const before = await lakeObjects();
    await s3.clearReceivedRequests();

    const response = await handler()(event, context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await lakeObjects()).toEqual(before);
    const writes = (await s3.receivedRequests()).filter((request) =>
      ['PUT', 'POST', 'DELETE'].includes(request.method),
    );
    expect(writes).toEqual([]);
    expect(announced).toHaveLength(1);
  });

  it('reports only the failing message of a batch, so the others are not processed again', async () => {
    await landing.put(KEY, CSV);
    const broken = { messageId: 'm-broken', body: 'not json' } as SQSRecord;
    const missing = notification('m-missing', 'landing/transactions/never-landed.csv');

    const response = await handler()({ Records: [broken, notification('m-good', KEY), missing] }, context);

    // The unreadable message is retried; the one for an object that never landed is dropped (see below).
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-broken' }]);
    expect([...(await lakeObjects()).keys()].some((key) => key.startsWith('manifests/transactions/'))).toBe(
      true,
    );
  });

  it.each([
    ['an S3 test event', { Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: LANDING }],
    ['a key outside landing/', JSON.parse(notification('x', 'exports/transactions.csv').body)],
    ['another bucket', JSON.parse(notification('x', KEY, 'some-other-bucket').body)],
  ])('skips %s without failing or writing', async (_case, body) => {
    await landing.put(KEY, CSV);

    const response = await handler()(
      { Records: [{ messageId: 'm1', body: JSON.stringify(body) } as SQSRecord] },
      context,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await lakeObjects()).size).toBe(0);
  });

  it('returns the remaining messages to the queue when the function is about to time out', async () => {
    await landing.put(KEY, CSV);
    // 15 minutes when the batch starts, then 10 s: less than the one-minute reserve.
    const times = [900_000];
    const nearlyOut = { ...context, getRemainingTimeInMillis: () => times.shift() ?? 10_000 } as Context;

    const response = await handler()(
      { Records: [notification('m1', KEY), notification('m2', KEY)] },
      nearlyOut,
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect((await lakeObjects()).size).toBe(0);
  });

  it('drops a notification whose object was deleted before ingest instead of retrying it into the DLQ', async () => {
    const response = await handler()(
      { Records: [notification('m1', 'landing/transactions/gone.csv')] },
      context,
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await lakeObjects()).size).toBe(0);
  });

  it('still ingests the other objects of a message when one of them is gone', async () => {
    await landing.put(KEY, CSV);
    const gone = JSON.parse(notification('x', 'landing/transactions/gone.csv').body).Records[0];
    const present = JSON.parse(notification('x', KEY).body).Records[0];
    const message = { messageId: 'm1', body: JSON.stringify({ Records: [gone, present] }) } as SQSRecord;

    const response = await handler()({ Records: [message] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect([...(await lakeObjects()).keys()].filter((key) => key.startsWith('manifests/'))).toHaveLength(1);
  });

  it('drops a notification whose object is replaced while it is ingested: the new version has its own', async () => {
    /** Replaces the object right after reporting it, as a second upload landing mid-ingest would. */
    class ReplacedAfterHead extends S3ObjectStore {
      override async head(key: string) {
        const info = await super.head(key);
        await this.put(key, `${CSV}\nT4,2024-03-03T09:00:00Z,C4,upi,Austin,deposit,1.00,USD,success`);
        return info;
      }
    }
    await landing.put(KEY, CSV);
    landing = new ReplacedAfterHead({ client: s3.client, bucket: LANDING });

    const response = await handler()({ Records: [notification('m1', KEY)] }, context);

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await lakeObjects()).size).toBe(0);
  });

  it('still ingests with a short function timeout, keeping a quarter of it in reserve', async () => {
    await landing.put(KEY, CSV);
    const shortTimeout = { ...context, getRemainingTimeInMillis: () => 30_000 } as Context;

    const response = await handler()({ Records: [notification('m1', KEY)] }, shortTimeout);

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await lakeObjects()).size).toBeGreaterThan(0);
  });

  it('emits row metrics per dataset with the dimensions the quarantine alarm uses', async () => {
    await landing.put(KEY, CSV);

    await handler()({ Records: [notification('m1', KEY)] }, context);

    const documents = emitted
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const datasetDocument = documents.find((document) => document.dataset === 'transactions');
    expect(datasetDocument).toMatchObject({
      service: SERVICES.ingest,
      dataset: 'transactions',
      [INGEST_METRICS.rowsRead]: 3,
      [INGEST_METRICS.rowsValid]: 2,
      [INGEST_METRICS.rowsQuarantined]: 1,
      [INGEST_METRICS.duplicatesDropped]: 0,
    });
    expect(JSON.stringify(datasetDocument)).toContain('[["service","dataset"]]');
  });
});

describe('the daily sweep on the ingest function', () => {
  it('removes the staging folders an invocation cut off at its time limit left in /tmp, at the next batch', async () => {
    const leftover = join(scratch, 'ledgerlake-staging-abc123');
    const unrelated = join(scratch, 'other-tool-abc123');
    await mkdir(join(leftover, 'curated'), { recursive: true });
    await writeFile(join(leftover, 'curated', 'part.parquet'), "a killed ingest's part");
    await mkdir(unrelated);

    await handler()({ Records: [] }, context);

    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);
  });

  it('rolls back an abandoned attempt, leaves a running one alone, and counts what it did', async () => {
    const base = {
      attempt_version: 1,
      dataset: 'transactions',
      source_etag: 'e1',
      started_at: '2024-03-01T00:00:00.000Z',
      owner: { host: 'another-host', pid: 1 },
      replaces: [],
      manifest: {},
    };
    const orphan = 'curated/transactions/dt=2024-03-01/old-e1-a1.parquet';
    await lake.put(orphan, 'rows');
    await lake.put(
      attemptKey('transactions', 'landing/transactions/old.csv', 'a1'),
      JSON.stringify({
        ...base,
        source_key: 'landing/transactions/old.csv',
        attempt: 'a1',
        lease_until: '2024-03-01T00:20:00.000Z',
        files: [orphan],
      }),
    );
    const running = attemptKey('transactions', 'landing/transactions/new.csv', 'a2');
    await lake.put(
      running,
      JSON.stringify({
        ...base,
        source_key: 'landing/transactions/new.csv',
        attempt: 'a2',
        lease_until: '2999-01-01T00:00:00.000Z',
        files: [],
      }),
    );

    const result = await rawHandler()(SWEEP_EVENT as unknown as SQSEvent, context);

    expect(result).toEqual({ rolledBack: 1, rolledForward: 0, running: 1, backfilled: 0, compacted: 0 });
    expect([...(await lakeObjects()).keys()].sort()).toEqual([running]);
    const metrics = emitted
      .filter((line) => line.includes('AttemptsRolledBack'))
      .map((line) => JSON.parse(line));
    expect(metrics).toEqual([expect.objectContaining({ AttemptsRolledBack: 1, AttemptsRolledForward: 0 })]);
  });
});
