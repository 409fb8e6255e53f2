import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AthenaClient } from '@aws-sdk/client-athena';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { AthenaQueryEngine } from '../../src/engine/athena';
import { loadDataTests } from '../../src/quality/declarations';
import { loadModels } from '../../src/sql/models';
import { arn, readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { recordQueryMetrics } from '../shared/query-metrics';
import { createDataTestsHandler } from './data-tests-handler';

/**
 * Entry point of the data-tests function: daily, after the marts' catch-up refresh, it runs the data
 * tests declared in the bundled sql/ through Athena and publishes each failure to the operations
 * topic. Environment read and checked once, at cold start.
 */
const env = readEnvironment({
  ATHENA_WORKGROUP: {},
  ATHENA_DATABASE: {},
  OPERATIONS_TOPIC_ARN: { check: arn },
  QUERY_TIMEOUT_MS: {
    check: (value) => (/^[1-9]\d{2,7}$/.test(value) ? undefined : 'milliseconds, 100 to 99999999'),
  },
  /** @default the `sql/` folder bundled next to this file */
  MODELS_DIR: { required: false },
});

const { logger, metrics } = createObservability(SERVICES.dataTests);
const sqlDir = join(env.MODELS_DIR ?? dirname(fileURLToPath(import.meta.url)), 'sql');
const tests = loadDataTests(loadModels(sqlDir), sqlDir);

let invocation: Context | undefined;
const engine = new AthenaQueryEngine({
  client: new AthenaClient({}),
  workgroup: env.ATHENA_WORKGROUP,
  database: env.ATHENA_DATABASE,
  polling: { timeoutMs: Number(env.QUERY_TIMEOUT_MS) },
  deadline: () => invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
  onQueryFinished: recordQueryMetrics(metrics, logger),
});

export const handler = createDataTestsHandler({
  engine,
  sns: new SNSClient({}),
  topicArn: env.OPERATIONS_TOPIC_ARN,
  tests,
  logger,
  metrics,
  onInvocation: (context) => {
    invocation = context;
  },
});
