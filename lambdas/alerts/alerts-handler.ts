import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ScheduledEvent, SNSEvent } from 'aws-lambda';
import { BALANCE_DATASETS } from '../../src/alerts/balance-datasets';
import { type AlertRunResult, evaluateAlerts } from '../../src/alerts/evaluate';
import type { AlertPublisher } from '../../src/alerts/types';
import type { QueryEngine } from '../../src/engine/query-engine';
import type { ObjectStore } from '../../src/storage/object-store';
import type { IngestedMessage } from '../ingest/ingested-events';

/** Metrics of the alerts function (dimension `service`). */
export const ALERT_METRICS = {
  breaches: 'AlertBreaches',
  alreadySent: 'AlertsAlreadySent',
  digestsDelivered: 'AlertDigestsDelivered',
} as const;

export interface AlertsHandlerDependencies {
  /** Athena in AWS (any QueryEngine in tests). */
  readonly engine: QueryEngine;
  /** The lake bucket: it holds the ledger of sent alerts. */
  readonly ledger: ObjectStore;
  /** The balance-alert topic. */
  readonly publisher: AlertPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Days the daily run looks back, so a missed day is caught up. */
  readonly lookbackDays: number;
}

/** What invokes the function: the "ingested" topic (after an ingest) or the daily schedule. */
export type AlertsEvent = SNSEvent | ScheduledEvent;

/**
 * The balance dates an event asks for: after an ingest, the days the balance datasets received
 * rows (undefined when the event names none of them: nothing to do); on the schedule, `'latest'`
 * (the last `lookbackDays` balance dates).
 */
export function datesOf(event: AlertsEvent): readonly string[] | 'latest' | undefined {
  if (!('Records' in event)) return 'latest';
  const dates = new Set<string>();
  for (const record of event.Records) {
    const message = JSON.parse(record.Sns.Message) as Partial<IngestedMessage>;
    if (message.type !== 'ledgerlake.ingested' || !BALANCE_DATASETS.includes(message.dataset ?? '')) continue;
    for (const date of message.dates ?? []) dates.add(date);
  }
  return dates.size === 0 ? undefined : [...dates].sort();
}

/** Evaluates the alert rules for the event's dates and publishes the digests. */
export async function runAlerts(
  event: AlertsEvent,
  deps: AlertsHandlerDependencies,
): Promise<AlertRunResult> {
  const dates = datesOf(event);
  if (dates === undefined) {
    deps.logger.info('no balance dataset in the event; nothing to evaluate');
    return { dates: [], breaches: 0, alreadySent: 0, delivered: [] };
  }
  const result = await evaluateAlerts({
    engine: deps.engine,
    store: deps.ledger,
    publisher: deps.publisher,
    ...(dates === 'latest' ? { lookbackDays: deps.lookbackDays } : { dates }),
  });
  deps.metrics.addMetric(ALERT_METRICS.breaches, MetricUnit.Count, result.breaches);
  deps.metrics.addMetric(ALERT_METRICS.alreadySent, MetricUnit.Count, result.alreadySent);
  deps.metrics.addMetric(ALERT_METRICS.digestsDelivered, MetricUnit.Count, result.delivered.length);
  deps.logger.info('alerts evaluated', {
    dates: result.dates,
    breaches: result.breaches,
    alreadySent: result.alreadySent,
    digests: result.delivered.map(({ digest }) => ({
      rule: digest.rule,
      day: digest.day,
      entities: digest.entries.length,
    })),
  });
  return result;
}

/** The Lambda handler: `runAlerts` with the Lambda context in every log line and metrics flushed. */
export function createAlertsHandler(deps: AlertsHandlerDependencies) {
  return middy<AlertsEvent, AlertRunResult>((event: AlertsEvent) => runAlerts(event, deps))
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics));
}
