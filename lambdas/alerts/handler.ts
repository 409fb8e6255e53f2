import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { SnsAlertPublisher } from '../../src/alerts/publishers';
import { AthenaQueryEngine } from '../../src/engine/athena';
import { AthenaMartWriter } from '../../src/materialize/athena-writer';
import { publishDashboard } from '../../src/report/publish-report';
import { loadModels } from '../../src/sql/models';
import { S3ObjectStore, s3ClientConfig } from '../../src/storage/s3-store';
import { arn, bucketName, readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { recordQueryMetrics } from '../shared/query-metrics';
import { createAlertsHandler } from './alerts-handler';
import { createMartRefresh } from './mart-refresh';

/**
 * Entry point of the refresh-and-alerts function: after each ingest (the "ingested" topic, every
 * dataset) it refreshes the marts for the days the ingest touched, then evaluates the alerts for the
 * balance_moves days the refresh wrote; daily (schedule) it catches up; `{"rebuild": ...}` rebuilds.
 * Every run but an ingest's then writes the dashboard to the lake's `reports/dashboard/`.
 * Environment read and checked once, at cold start.
 */
const milliseconds = (value: string) =>
  /^[1-9]\d{2,7}$/.test(value) ? undefined : 'milliseconds, 100 to 99999999';
const env = readEnvironment({
  ATHENA_WORKGROUP: {},
  MATERIALIZE_WORKGROUP: {},
  ATHENA_DATABASE: {},
  LAKE_BUCKET: { check: bucketName },
  ALERT_TOPIC_ARN: { check: arn },
  LOOKBACK_DAYS: {
    required: false,
    check: (value) => (/^[1-9]\d?$/.test(value) ? undefined : 'a whole number of days from 1 to 99'),
  },
  QUERY_TIMEOUT_MS: { check: milliseconds },
  STOP_RESERVE_MS: { check: milliseconds },
  /** @default the `sql/` and `reference/` folders bundled next to this file */
  MODELS_DIR: { required: false },
});

const { logger, metrics } = createObservability(SERVICES.alerts);
const bundleDir = env.MODELS_DIR ?? dirname(fileURLToPath(import.meta.url));
const models = loadModels(join(bundleDir, 'sql'));

// The engines are built once per container; their deadline reads the current invocation's context.
let invocation: Context | undefined;
const athena = new AthenaClient({});
const engineIn = (workgroup: string) =>
  new AthenaQueryEngine({
    client: athena,
    workgroup,
    database: env.ATHENA_DATABASE,
    polling: { timeoutMs: Number(env.QUERY_TIMEOUT_MS) },
    deadline: () => invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
    stopReserveMs: Number(env.STOP_RESERVE_MS),
    onQueryFinished: recordQueryMetrics(metrics, logger),
  });
const engine = engineIn(env.ATHENA_WORKGROUP);
const materializeEngine = engineIn(env.MATERIALIZE_WORKGROUP);
const lake = new S3ObjectStore({ client: new S3Client(s3ClientConfig()), bucket: env.LAKE_BUCKET });
/** Report queries in flight at once (Athena runs them side by side; the workgroup's limits apply). */
const REPORT_CONCURRENCY = 4;

export const handler = createAlertsHandler({
  engine,
  ledger: lake,
  publisher: new SnsAlertPublisher(new SNSClient({}), env.ALERT_TOPIC_ARN),
  logger,
  metrics,
  lookbackDays: Number(env.LOOKBACK_DAYS ?? 3),
  refresh: createMartRefresh({
    engine: materializeEngine,
    lake,
    writer: new AthenaMartWriter({
      engine: materializeEngine,
      lake,
      database: env.ATHENA_DATABASE,
      lakeBucket: env.LAKE_BUCKET,
    }),
    models,
    referenceDir: join(bundleDir, 'reference'),
    logger,
  }),
  dailyReport: () => publishDashboard(engine, lake, { concurrency: REPORT_CONCURRENCY }),
  onInvocation: (context) => {
    invocation = context;
  },
  resetQueryTotals: () => ({
    refresh: materializeEngine.resetQueryTotals(),
    alerts: engine.resetQueryTotals(),
  }),
});
