import type { SQSRecord } from 'aws-lambda';
import { UnreadableMessageError } from '../shared/errors';

/** One object-created notification: where the object is (key decoded) and what S3 said about it. */
export interface LandedObject {
  readonly bucket: string;
  /** The object key, URL-decoded (`landing/transactions/march+2024.csv` -> `.../march 2024.csv`). */
  readonly key: string;
  readonly eventName: string;
  readonly size: number | undefined;
}

interface S3NotificationBody {
  readonly Event?: string;
  readonly Records?: readonly {
    readonly eventName?: string;
    readonly s3?: {
      readonly bucket?: { readonly name?: string };
      readonly object?: { readonly key?: string; readonly size?: number };
    };
  }[];
}

/**
 * S3 event notifications URL-encode the key in form style: `+` is a space and `%2B` a plus sign.
 * (decodeURIComponent alone would keep `+`.)
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/**
 * The object-created notifications in one SQS message (S3 sends its notification JSON as the body).
 * Returns no objects for S3's `s3:TestEvent` (sent once when the notification is configured) and for
 * records that are not `ObjectCreated:*`.
 *
 * @throws UnreadableMessageError when the body is not an S3 notification; the message then goes to
 *   the dead-letter queue after its receives, where it can be inspected.
 */
export function landedObjects(record: Pick<SQSRecord, 'messageId' | 'body'>): LandedObject[] {
  let body: S3NotificationBody;
  try {
    body = JSON.parse(record.body) as S3NotificationBody;
  } catch (error) {
    throw new UnreadableMessageError(record.messageId, 'body is not JSON', { cause: error });
  }
  if (body.Event === 's3:TestEvent') return [];
  if (!Array.isArray(body.Records)) {
    throw new UnreadableMessageError(
      record.messageId,
      'body has no Records array: not an S3 event notification',
    );
  }
  const objects: LandedObject[] = [];
  for (const entry of body.Records) {
    const eventName = entry.eventName ?? '';
    if (!eventName.startsWith('ObjectCreated:')) continue;
    const bucket = entry.s3?.bucket?.name;
    const key = entry.s3?.object?.key;
    if (!bucket || !key) {
      throw new UnreadableMessageError(
        record.messageId,
        `${eventName} record without s3.bucket.name or s3.object.key`,
      );
    }
    let decoded: string;
    try {
      decoded = decodeS3Key(key);
    } catch (error) {
      throw new UnreadableMessageError(record.messageId, `key ${key} is not valid URL encoding`, {
        cause: error,
      });
    }
    objects.push({ bucket, key: decoded, eventName, size: entry.s3?.object?.size });
  }
  return objects;
}
