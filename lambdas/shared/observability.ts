import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger/metrics setup of every ledgerlake function: structured JSON logs and CloudWatch
 * Embedded Metric Format in one namespace. The stack alarms on these names, so they live here and are
 * imported by the stack too.
 */
export const METRICS_NAMESPACE = 'Ledgerlake';

/** Service names: the `service` dimension of every metric and the `service` key of every log line. */
export const SERVICES = {
  ingest: 'ingest',
  slackNotifier: 'slack-notifier',
  athenaViews: 'athena-views',
  alerts: 'alerts',
  dataTests: 'data-tests',
} as const;

/** Metrics the ingest function emits per dataset (dimensions `service` and `dataset`). */
export const INGEST_METRICS = {
  rowsRead: 'RowsRead',
  rowsValid: 'RowsValid',
  rowsQuarantined: 'RowsQuarantined',
  duplicatesDropped: 'DuplicatesDropped',
  filesIngested: 'FilesIngested',
  filesRejected: 'FilesRejected',
  filesSkipped: 'FilesSkipped',
} as const;

/**
 * Metrics of the daily sweep (dimension `service` only): abandoned ingest attempts it rolled back
 * (failed before their commit) or forward (committed, not finished). Steadily non-zero means ingests
 * keep failing half-way.
 */
export const SWEEP_METRICS = {
  attemptsRolledBack: 'AttemptsRolledBack',
  attemptsRolledForward: 'AttemptsRolledForward',
} as const;

/** Metric of failed "ingested" event publications (dimension `service` only). */
export const INGEST_EVENT_PUBLISH_FAILURES = 'IngestedEventPublishFailures';

/**
 * Metrics of the dashboard the alerts function writes to the lake after its daily run (dimension
 * `service` = alerts): 1 per page published, 1 per run that could not publish it (the stack alarms
 * on the failures).
 */
export const DAILY_REPORT_METRICS = {
  published: 'DailyReportsPublished',
  failures: 'DailyReportFailures',
} as const;

/** A logger and a metrics buffer for one service. */
export function createObservability(service: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: service }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service }),
  };
}
