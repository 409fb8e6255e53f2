import { describe, expect, it } from 'vitest';
import { decodeS3Key, landedObjects } from '../../lambdas/ingest/s3-notifications';
import { UnreadableMessageError } from '../../lambdas/shared/errors';

describe('S3 notifications in SQS messages', () => {
  it.each([
    ['landing/transactions/march+2024.csv', 'landing/transactions/march 2024.csv'],
    ['landing/transactions/a%2Bb.csv', 'landing/transactions/a+b.csv'],
    ['landing/sales/caf%C3%A9%3A1.json', 'landing/sales/café:1.json'],
  ])('decodes the key %s to %s', (encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });

  it('returns the created objects of a notification with decoded keys', () => {
    const body = JSON.stringify({
      Records: [
        {
          eventName: 'ObjectCreated:Put',
          s3: { bucket: { name: 'b' }, object: { key: 'landing/x/a+b.csv', size: 7 } },
        },
        {
          eventName: 'ObjectRemoved:Delete',
          s3: { bucket: { name: 'b' }, object: { key: 'landing/x/old.csv' } },
        },
      ],
    });

    expect(landedObjects({ messageId: 'm', body })).toEqual([
      { bucket: 'b', key: 'landing/x/a b.csv', eventName: 'ObjectCreated:Put', size: 7 },
    ]);
  });

  it('returns nothing for the S3 test event sent when the notification is configured', () => {
    expect(
      landedObjects({
        messageId: 'm',
        body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
      }),
    ).toEqual([]);
  });

  it.each([
    ['not JSON', 'not json', 'SQS message m: body is not JSON'],
    ['JSON without Records', '{"hello":1}', 'SQS message m: body has no Records array'],
    [
      'a record without key',
      '{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}',
      'without s3.bucket.name or s3.object.key',
    ],
  ])('rejects a body that is %s', (_case, body, message) => {
    expect(() => landedObjects({ messageId: 'm', body })).toThrow(UnreadableMessageError);
    expect(() => landedObjects({ messageId: 'm', body })).toThrow(message);
  });
});
