import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent, SNSEvent } from 'aws-lambda';
import { BALANCE_DATASETS } from '../../src/alerts/balance-datasets';
import {
  type AlertRunResult,
  alertDatesAfterRefresh,
  BALANCE_MOVES_VIEW,
  type EvaluateAlertsOptions,
  evaluateAlerts,
} from '../../src/alerts/evaluate';
import type { AlertPublisher } from '../../src/alerts/types';
import type { QueryEngine } from '../../src/engine/query-engine';
import type { RefreshResult } from '../../src/materialize/refresh';
import type { PublishedDashboard } from '../../src/report/publish-report';
import type { ObjectStore } from '../../src/storage/object-store';
import type { IngestedMessage } from '../ingest/ingested-events';
import { DAILY_REPORT_METRICS } from '../shared/observability';

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
  /**
   * Brings the materialized marts up to date before the alerts are evaluated (`createMartRefresh`).
   * With it, an ingest evaluates exactly the `balance_moves` days the refresh wrote.
   * @default - no refresh: the alerts read balance_moves as it is, for the days of the event
   */
  readonly refresh?: MartRefresh;
  /**
   * Writes the dashboard to the lake (`publishDashboard` through the queries' engine), after the
   * refresh and the alerts of every run that is not an ingest's: the daily schedule, a manual
   * invocation, a rebuild. It runs inside this invocation because the function's reserved
   * concurrency of 1 is what keeps refreshes apart: while it runs no refresh can delete a mart
   * partition it reads (athena-writer.ts: delete, then INSERT INTO). A failure is logged and counted
   * (`DAILY_REPORT_METRICS.failures`, alarmed), not thrown: the refresh and alerts it follows
   * succeeded, and a retry of the whole run would only redo them.
   * @default - no report
   */
  readonly dailyReport?: () => Promise<PublishedDashboard>;
  /** Called first in each invocation with its context (the engines' deadline reads it). */
  readonly onInvocation?: (context: Context) => void;
  /**
   * Returns what the queries of the invocation cost and starts counting again (logged at its end).
   * @default - nothing logged
   */
  readonly resetQueryTotals?: () => Record<string, unknown>;
}

/** What a refresh is asked to do: list only these days (an ingest's), or rebuild models in full. */
export interface MartRefreshRequest {
  /** Per dataset, the days an ingest touched. @default - every day of every dataset (catch-up) */
  readonly hints?: Readonly<Record<string, readonly string[]>>;
  /** @default false */
  readonly rebuild?: boolean | readonly string[];
}

export type MartRefresh = (request: MartRefreshRequest) => Promise<RefreshResult>;

/**
 * A manual rebuild, e.g. after a changed rule or a new model:
 * `{"rebuild": true}` (every model) or `{"rebuild": ["balance_moves"]}` (those and what reads them).
 */
export interface RebuildEvent {
  readonly rebuild: true | readonly string[];
}

/** What invokes the function: the "ingested" topic (after an ingest), the daily schedule, or a rebuild. */
export type AlertsEvent = SNSEvent | ScheduledEvent | RebuildEvent;

/** The refresh an event asks for: an ingest's days of every dataset, a rebuild, or a catch-up. */
export function refreshRequestOf(event: AlertsEvent): MartRefreshRequest {
  if ('rebuild' in event) {
    const rebuild = event.rebuild;
    if (rebuild !== true && !(Array.isArray(rebuild) && rebuild.every((name) => typeof name === 'string')))
      throw new TypeError(
        `rebuild must be true or a list of model names, got ${JSON.stringify(rebuild)}; ` +
          'e.g. {"rebuild": true} or {"rebuild": ["balance_moves"]}',
      );
    return { rebuild };
  }
  if (!('Records' in event)) return {};
  const hints = new Map<string, Set<string>>();
  for (const record of event.Records) {
    const message = JSON.parse(record.Sns.Message) as Partial<IngestedMessage>;
    if (message.type !== 'ledgerlake.ingested' || typeof message.dataset !== 'string') continue;
    const days = hints.get(message.dataset) ?? new Set<string>();
    for (const date of message.dates ?? []) days.add(date);
    hints.set(message.dataset, days);
  }
  return {
    hints: Object.fromEntries(
      [...hints.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([dataset, days]) => [dataset, [...days].sort()]),
    ),
  };
}

/**
 * Which balance dates to evaluate after a refresh: after an ingest, exactly the days the refresh
 * wrote in balance_moves (`alertDatesAfterRefresh`, as the CLI does; none when it did not change);
 * on the schedule, after a rebuild, or when balance_moves was rebuilt in full (a changed rule rewrites
 * every day: alerting the whole history would flood), the last `lookbackDays` up to its latest day.
 * Undefined: nothing to evaluate.
 */
export function alertDatesForEvent(
  event: AlertsEvent,
  refresh: RefreshResult,
  lookbackDays: number,
): Pick<EvaluateAlertsOptions, 'dates' | 'lookbackDays' | 'latestDate'> | undefined {
  const after = alertDatesAfterRefresh(refresh);
  if ('Records' in event) {
    if (after.dates !== undefined) return { dates: after.dates };
    const moves = refresh.models.find((model) => model.model === BALANCE_MOVES_VIEW);
    if (moves?.mode !== 'full') return undefined;
  }
  return after.latestDate === undefined ? undefined : { lookbackDays, latestDate: after.latestDate };
}

/**
 * Without a refresh: the balance dates an event asks for: after an ingest, the days the balance datasets received
 * rows (undefined when the event names none of them: nothing to do); on the schedule, `'latest'`
 * (the last `lookbackDays` balance dates).
 */
export function datesOf(event: AlertsEvent): readonly string[] | 'latest' | undefined {
  if (!('Records' in event)) return 'latest';
  // (A rebuild event needs a refresh; without one it evaluates the latest days.)
  const dates = new Set<string>();
  for (const record of event.Records) {
    const message = JSON.parse(record.Sns.Message) as Partial<IngestedMessage>;
    if (message.type !== 'ledgerlake.ingested' || !BALANCE_DATASETS.includes(message.dataset ?? '')) continue;
    for (const date of message.dates ?? []) dates.add(date);
  }
  return dates.size === 0 ? undefined : [...dates].sort();
}

const NOTHING_EVALUATED: AlertRunResult = { dates: [], breaches: 0, alreadySent: 0, delivered: [] };

/**
 * Refreshes the marts (with `deps.refresh`), then evaluates the alert rules for the dates that
 * follow from the event and the refresh, and publishes the digests.
 */
export async function runAlerts(
  event: AlertsEvent,
  deps: AlertsHandlerDependencies,
): Promise<AlertRunResult> {
  try {
    const which = deps.refresh
      ? await refreshThenChooseDates(event, deps, deps.refresh)
      : legacyDates(event, deps);
    const result = which === undefined ? NOTHING_EVALUATED : await evaluate(which, deps);
    if (deps.dailyReport !== undefined && !('Records' in event)) await publishReport(deps, deps.dailyReport);
    return result;
  } finally {
    const totals = deps.resetQueryTotals?.();
    if (totals !== undefined) deps.logger.info('athena queries of this run', totals);
  }
}

async function refreshThenChooseDates(
  event: AlertsEvent,
  deps: AlertsHandlerDependencies,
  refresh: MartRefresh,
): Promise<Pick<EvaluateAlertsOptions, 'dates' | 'lookbackDays' | 'latestDate'> | undefined> {
  const request = refreshRequestOf(event);
  if (request.hints !== undefined && Object.keys(request.hints).length === 0) {
    deps.logger.info('no ingested dataset in the event; nothing to refresh');
    return undefined;
  }
  const result = await refresh(request);
  deps.logger.info('marts refreshed', {
    hints: request.hints,
    rebuild: request.rebuild,
    changedInputs: result.changedInputs,
    models: result.models.map(({ model, mode, days, statements, ms }) => ({
      model,
      mode,
      days: days.length === 0 ? [] : [days[0], days.at(-1)],
      statements,
      ms: Math.round(ms),
    })),
  });
  const which = alertDatesForEvent(event, result, deps.lookbackDays);
  if (which === undefined) deps.logger.info('balance_moves did not change; nothing to evaluate');
  return which;
}

function legacyDates(
  event: AlertsEvent,
  deps: AlertsHandlerDependencies,
): Pick<EvaluateAlertsOptions, 'dates' | 'lookbackDays'> | undefined {
  const dates = datesOf(event);
  if (dates === undefined) {
    deps.logger.info('no balance dataset in the event; nothing to evaluate');
    return undefined;
  }
  return dates === 'latest' ? { lookbackDays: deps.lookbackDays } : { dates };
}

async function evaluate(
  which: Pick<EvaluateAlertsOptions, 'dates' | 'lookbackDays' | 'latestDate'>,
  deps: AlertsHandlerDependencies,
): Promise<AlertRunResult> {
  const result = await evaluateAlerts({
    engine: deps.engine,
    store: deps.ledger,
    publisher: deps.publisher,
    ...which,
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

/** Publishes the dashboard; a failure is logged and counted, the run goes on (see `dailyReport`). */
async function publishReport(
  deps: AlertsHandlerDependencies,
  dailyReport: () => Promise<PublishedDashboard>,
): Promise<void> {
  try {
    const published = await dailyReport();
    deps.metrics.addMetric(DAILY_REPORT_METRICS.published, MetricUnit.Count, 1);
    deps.logger.info('dashboard published', { ...published });
  } catch (error) {
    deps.metrics.addMetric(DAILY_REPORT_METRICS.failures, MetricUnit.Count, 1);
    deps.logger.error('dashboard not published', error instanceof Error ? error : String(error));
  }
}

/** The Lambda handler: `runAlerts` with the Lambda context in every log line and metrics flushed. */
export function createAlertsHandler(deps: AlertsHandlerDependencies) {
  return middy<AlertsEvent, AlertRunResult>((event: AlertsEvent, context: Context) => {
    deps.onInvocation?.(context);
    return runAlerts(event, deps);
  })
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics));
}
