import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3ObjectStore, s3ClientConfig } from '../../src/storage/s3-store';
import { arn, bucketName, readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { createIngestHandler } from './ingest-handler';
import { publishIngestedEvents } from './ingested-events';

/**
 * Entry point of the ingest function: reads and checks its environment once, at cold start, and
 * wires the S3 stores and the "ingested" topic into `createIngestHandler`.
 */
const env = readEnvironment({
  LANDING_BUCKET: { check: bucketName },
  LAKE_BUCKET: { check: bucketName },
  INGESTED_TOPIC_ARN: { required: false, check: arn },
});

const { logger, metrics } = createObservability(SERVICES.ingest);
const s3 = new S3Client(s3ClientConfig());

export const handler = createIngestHandler({
  landingBucket: env.LANDING_BUCKET,
  landing: new S3ObjectStore({ client: s3, bucket: env.LANDING_BUCKET }),
  lake: new S3ObjectStore({ client: s3, bucket: env.LAKE_BUCKET }),
  logger,
  metrics,
  onIngested: env.INGESTED_TOPIC_ARN
    ? publishIngestedEvents(new SNSClient({}), env.INGESTED_TOPIC_ARN)
    : undefined,
});
