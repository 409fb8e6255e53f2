import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { QueryEngine } from '../../src/engine/query-engine';
import type { DataTest } from '../../src/quality/declarations';
import { dataTestNotification } from '../../src/quality/notification';
import { type DataTestStatus, runDataTests, summarize } from '../../src/quality/run';

/** Metrics of the data-tests function (dimension `service`). */
export const DATA_TEST_METRICS = {
  failed: 'DataTestsFailed',
  warned: 'DataTestsWarned',
  notRun: 'DataTestsNotRun',
  passed: 'DataTestsPassed',
} as const;

/** The one SNS client method the function calls; an `SNSClient` fits, and so does a test double. */
export type SnsSend = Pick<SNSClient, 'send'>;

export interface DataTestsHandlerDependencies {
  /** Athena in AWS (any QueryEngine in tests). */
  readonly engine: QueryEngine;
  readonly sns: SnsSend;
  /** The operations topic. */
  readonly topicArn: string;
  /** The tests to run (`loadDataTests` on the bundled sql/). */
  readonly tests: readonly DataTest[];
  readonly logger: Pick<Logger, 'info'>;
  readonly metrics: Pick<Metrics, 'addMetric'>;
  /** @default the current time */
  readonly now?: () => Date;
  readonly onInvocation?: (context: Context) => void;
}

/** What a run found. */
export interface DataTestsRunResult {
  readonly summary: Record<DataTestStatus, number>;
  /** Names of the tests a message was published for. */
  readonly published: readonly string[];
}

/**
 * Runs every data test through the engine and publishes one message to the operations topic per test
 * that failed, warned or could not run (the test's name, its model, the failing count and rows). A
 * failing test is a finding, not an error of the function: the run succeeds; a publish that fails
 * throws, so Lambda retries the run.
 */
export async function runDataTestsAndNotify(deps: DataTestsHandlerDependencies): Promise<DataTestsRunResult> {
  const results = await runDataTests(deps.engine, deps.tests, { now: deps.now?.() ?? new Date() });
  const where = `${deps.engine.name} ${deps.engine.source}`;
  const published: string[] = [];
  for (const result of results) {
    const notification = dataTestNotification(result, where);
    if (notification === undefined) continue;
    await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: notification.subject,
        Message: notification.text,
        MessageAttributes: Object.fromEntries(
          Object.entries(notification.attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
    published.push(result.name);
  }
  const summary = summarize(results);
  deps.metrics.addMetric(DATA_TEST_METRICS.failed, MetricUnit.Count, summary.fail);
  deps.metrics.addMetric(DATA_TEST_METRICS.warned, MetricUnit.Count, summary.warn);
  deps.metrics.addMetric(DATA_TEST_METRICS.notRun, MetricUnit.Count, summary.error);
  deps.metrics.addMetric(DATA_TEST_METRICS.passed, MetricUnit.Count, summary.pass);
  deps.logger.info('data tests run', {
    summary,
    notPassing: results
      .filter((r) => r.status !== 'pass')
      .map((r) => ({ test: r.name, status: r.status, failingCount: r.failingCount })),
  });
  return { summary, published };
}

/** The Lambda handler: `runDataTestsAndNotify` with the Lambda context in every log line and metrics flushed. */
export function createDataTestsHandler(
  deps: DataTestsHandlerDependencies & { readonly logger: Logger; readonly metrics: Metrics },
) {
  return middy<ScheduledEvent, DataTestsRunResult>((_event: ScheduledEvent, context: Context) => {
    deps.onInvocation?.(context);
    return runDataTestsAndNotify(deps);
  })
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics));
}
