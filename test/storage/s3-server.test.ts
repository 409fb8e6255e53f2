import { stat } from 'node:fs/promises';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startS3Server } from '../support/s3-server';

describe('startS3Server', () => {
  it('listens on 127.0.0.1 on a free port with the requested buckets created', async () => {
    const s3 = await startS3Server({ buckets: ['landing', 'curated'] });

    try {
      const buckets = await s3.client.send(new ListBucketsCommand({}));

      expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(buckets.Buckets?.map((bucket) => bucket.Name).sort()).toEqual(['curated', 'landing']);
    } finally {
      await s3.stop();
    }
  });

  it('runs two servers side by side on different ports with separate data', async () => {
    const [first, second] = await Promise.all([startS3Server(), startS3Server()]);

    try {
      await first.client.send(new CreateBucketCommand({ Bucket: 'only-in-first' }));
      const inSecond = await second.client.send(new ListBucketsCommand({}));

      expect(first.endpoint).not.toBe(second.endpoint);
      expect(inSecond.Buckets?.map((bucket) => bucket.Name)).toEqual(['test-bucket']);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  it('records the method, path, query and headers of each request it receives', async () => {
    const s3 = await startS3Server();

    try {
      await s3.client.send(
        new PutObjectCommand({
          Bucket: 'test-bucket',
          Key: 'dt=2024-01-01/a b.csv',
          Body: 'x',
          ContentType: 'text/csv',
        }),
      );
      const [put] = await s3.receivedRequests();

      expect(put?.method).toBe('PUT');
      expect(put?.path).toBe('/test-bucket/dt=2024-01-01/a b.csv');
      expect(put?.query.get('x-id')).toBe('PutObject');
      expect(put?.headers['content-type']).toBe('text/csv');
    } finally {
      await s3.stop();
    }
  });

  it('stops listening and removes its temp folder when stopped', async () => {
    const s3 = await startS3Server();
    await s3.client.send(new PutObjectCommand({ Bucket: 'test-bucket', Key: 'a.csv', Body: 'x' }));

    await s3.stop();

    await expect(stat(s3.directory)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fetch(s3.endpoint)).rejects.toThrow();
  });
});
