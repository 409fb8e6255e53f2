import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsAlertPublisher } from '../../src/alerts/publishers';
import { AthenaQueryEngine } from '../../src/engine/athena';
import { S3ObjectStore } from '../../src/storage/s3-store';
import { arn, bucketName, readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { createAlertsHandler } from './alerts-handler';

/**
 * Entry point of the balance-alerts function: runs after each ingest that touched a balance dataset
 * (the "ingested" topic) and daily (catch-up). Environment read and checked once, at cold start.
 */
const env = readEnvironment({
  ATHENA_WORKGROUP: {},
  ATHENA_DATABASE: {},
  LAKE_BUCKET: { check: bucketName },
  ALERT_TOPIC_ARN: { check: arn },
  LOOKBACK_DAYS: {
    required: false,
    check: (value) => (/^[1-9]\d?$/.test(value) ? undefined : 'a whole number of days from 1 to 99'),
  },
});

const { logger, metrics } = createObservability(SERVICES.alerts);

export const handler = createAlertsHandler({
  engine: new AthenaQueryEngine({
    client: new AthenaClient({}),
    workgroup: env.ATHENA_WORKGROUP,
    database: env.ATHENA_DATABASE,
  }),
  ledger: new S3ObjectStore({ client: new S3Client({}), bucket: env.LAKE_BUCKET }),
  publisher: new SnsAlertPublisher(new SNSClient({}), env.ALERT_TOPIC_ARN),
  logger,
  metrics,
  lookbackDays: Number(env.LOOKBACK_DAYS ?? 3),
});
