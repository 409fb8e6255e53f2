import { tmpdir } from 'node:os';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type SweepResult, sweepAttempts } from '../../src/ingest/commit';
import { type IngestResult, ingestObject, SourceNotFoundError } from '../../src/ingest/ingest-object';
import { LAKE_PREFIXES } from '../../src/ingest/lake-layout';
import type { Manifest } from '../../src/ingest/manifest';
import { sweepStagingDirs } from '../../src/ingest/staging';
import { ObjectChangedError, type ObjectStore } from '../../src/storage/object-store';
import { INGEST_EVENT_PUBLISH_FAILURES, INGEST_METRICS, SWEEP_METRICS } from '../shared/observability';
import type { IngestedDataset } from './ingested-events';
import { landedObjects } from './s3-notifications';
import { SWEEP_EVENT } from './sweep-event';

export { SWEEP_EVENT };

export interface IngestHandlerDependencies {
  /** Name of the landing bucket; notifications for other buckets are ignored. */
  readonly landingBucket: string;
  /** The landing bucket as a store (keys `landing/<dataset>/...`). */
  readonly landing: ObjectStore;
  /** The lake bucket as a store (curated, quarantine, manifests). */
  readonly lake: ObjectStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Called once per batch with the datasets and days that received valid rows (files ingested for
   * the first time or with new content; skipped redeliveries are not reported). In AWS it publishes
   * to the "ingested" SNS topic. A failure is logged and counted, never retried: the data is in the
   * lake already, and the alerts' daily run catches up.
   * @default - nothing is called
   */
  readonly onIngested?: (datasets: readonly IngestedDataset[]) => Promise<void>;
  /**
   * Folder for Parquet staging files. Each batch starts by removing the staging folders left in it
   * (by an invocation cut off at its time limit). @default os.tmpdir()
   */
  readonly tmpDir?: string;
  /**
   * Time kept in reserve: no new file is started with less than this left, and the remaining messages
   * are reported as failures (they come back after the visibility timeout) instead of being cut off.
   * @default - one minute, or a quarter of the invocation's remaining time when that is shorter
   */
  readonly reserveMs?: number;
}

/** Per-dataset totals of one batch, turned into metrics. */
interface DatasetTotals {
  rowsRead: number;
  rowsValid: number;
  rowsQuarantined: number;
  duplicatesDropped: number;
  filesIngested: number;
  filesRejected: number;
  filesSkipped: number;
}

const emptyTotals = (): DatasetTotals => ({
  rowsRead: 0,
  rowsValid: 0,
  rowsQuarantined: 0,
  duplicatesDropped: 0,
  filesIngested: 0,
  filesRejected: 0,
  filesSkipped: 0,
});

/**
 * Processes one SQS batch of S3 notifications: each landed file goes through the same `ingestObject`
 * core the CLI uses. A message that fails (an S3 error, an unreadable body) is reported in
 * `batchItemFailures`, so only it is retried and, after `maxReceiveCount` receives, moved to the DLQ;
 * the others are deleted. A bad *file* is not a failure: it gets a `rejected` manifest and is
 * quarantined whole. Redelivery is harmless: the same content is skipped without writing anything.
 */
export async function processIngestBatch(
  event: SQSEvent,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  deps: IngestHandlerDependencies,
): Promise<SQSBatchResponse> {
  const { logger } = deps;
  // Stop starting new files when less than this is left: a minute, or a quarter of the invocation's
  // time when the function's timeout is short (a fixed minute would hand back every message).
  const reserveMs = deps.reserveMs ?? Math.min(60_000, context.getRemainingTimeInMillis() / 4);
  // One invocation at a time per sandbox: any staging folder in /tmp is what an invocation cut off at
  // its time limit left, and it would fill the function's ephemeral storage invocation after invocation.
  const swept = await sweepStagingDirs(deps.tmpDir ?? tmpdir(), { olderThanMs: 0 });
  if (swept > 0) logger.warn('removed staging folders an earlier invocation left', { folders: swept });
  const failures: SQSBatchItemFailure[] = [];
  const totals = new Map<string, DatasetTotals>();
  const touched = new Map<string, { dates: Set<string>; sourceKeys: string[]; rowsValid: number }>();

  for (const [index, record] of event.Records.entries()) {
    if (context.getRemainingTimeInMillis() < reserveMs) {
      const rest = event.Records.slice(index).map((left) => ({ itemIdentifier: left.messageId }));
      logger.warn('time is running out; returning the remaining messages to the queue', {
        messages: rest.length,
      });
      failures.push(...rest);
      break;
    }
    try {
      for (const object of landedObjects(record)) {
        if (object.bucket !== deps.landingBucket || !object.key.startsWith(LAKE_PREFIXES.landing)) {
          logger.info('ignoring object outside the landing zone', { bucket: object.bucket, key: object.key });
          continue;
        }
        const ingested = await ingestOrSkip(deps, object.key, record.messageId);
        if (ingested === undefined) continue;
        const { manifest, skipped } = ingested;
        const dataset = totals.get(manifest.dataset) ?? emptyTotals();
        totals.set(manifest.dataset, dataset);
        addToTotals(dataset, manifest, skipped);
        logger.info(skipped ? 'already ingested; nothing written' : 'ingested', summary(manifest, skipped));
        if (!skipped && manifest.partitions.length > 0) {
          const entry = touched.get(manifest.dataset) ?? {
            dates: new Set<string>(),
            sourceKeys: [],
            rowsValid: 0,
          };
          touched.set(manifest.dataset, entry);
          for (const date of manifest.partitions) entry.dates.add(date);
          entry.sourceKeys.push(manifest.source_key);
          entry.rowsValid += manifest.rows_valid;
        }
      }
    } catch (error) {
      logger.error('message failed; it will be retried', {
        messageId: record.messageId,
        error: error as Error,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }

  publishDatasetMetrics(deps.metrics, totals);
  if (deps.onIngested && touched.size > 0) {
    const datasets: IngestedDataset[] = [...touched].map(([dataset, entry]) => ({
      dataset,
      dates: [...entry.dates].sort(),
      sourceKeys: entry.sourceKeys,
      rowsValid: entry.rowsValid,
    }));
    try {
      await deps.onIngested(datasets);
    } catch (error) {
      logger.error('could not announce ingested datasets', {
        datasets: datasets.map((d) => d.dataset),
        error: error as Error,
      });
      deps.metrics.addMetric(INGEST_EVENT_PUBLISH_FAILURES, MetricUnit.Count, 1);
    }
  }
  return { batchItemFailures: failures };
}

/**
 * Ingests one landed object; undefined when there is nothing to ingest, so that the other objects of
 * the message still are and the message is not retried for it: the object is gone (retries cannot
 * help, and would fill the DLQ), or it was replaced while it was read (its new version has a
 * notification of its own). Other failures throw and fail the message.
 */
async function ingestOrSkip(
  deps: IngestHandlerDependencies,
  key: string,
  messageId: string,
): Promise<IngestResult | undefined> {
  const { logger } = deps;
  try {
    return await ingestObject({ landing: deps.landing, lake: deps.lake, key, tmpDir: deps.tmpDir });
  } catch (error) {
    if (error instanceof SourceNotFoundError) {
      logger.warn('landed object is gone; nothing to ingest', { messageId, key });
      return undefined;
    }
    if (error instanceof ObjectChangedError) {
      logger.warn('landed object changed while it was ingested; its new version is ingested on its own', {
        messageId,
        key,
      });
      return undefined;
    }
    throw error;
  }
}

function addToTotals(totals: DatasetTotals, manifest: Manifest, skipped: boolean): void {
  if (skipped) {
    totals.filesSkipped += 1;
    return;
  }
  totals.rowsRead += manifest.rows_read;
  totals.rowsValid += manifest.rows_valid;
  totals.rowsQuarantined += manifest.rows_quarantined;
  totals.duplicatesDropped += manifest.duplicates_dropped;
  if (manifest.status === 'rejected') totals.filesRejected += 1;
  else totals.filesIngested += 1;
}

function summary(manifest: Manifest, skipped: boolean): Record<string, unknown> {
  return {
    dataset: manifest.dataset,
    sourceKey: manifest.source_key,
    status: manifest.status,
    skipped,
    rejectionReason: manifest.rejection_reason ?? undefined,
    rowsRead: manifest.rows_read,
    rowsValid: manifest.rows_valid,
    rowsQuarantined: manifest.rows_quarantined,
    duplicatesDropped: manifest.duplicates_dropped,
    partitions: manifest.partitions,
    durationMs: manifest.duration_ms,
  };
}

/** One EMF document per dataset, with dimensions `service` and `dataset` (the alarms use the same). */
function publishDatasetMetrics(metrics: Metrics, totals: ReadonlyMap<string, DatasetTotals>): void {
  for (const [dataset, total] of totals) {
    metrics.addDimension('dataset', dataset);
    metrics.addMetric(INGEST_METRICS.rowsRead, MetricUnit.Count, total.rowsRead);
    metrics.addMetric(INGEST_METRICS.rowsValid, MetricUnit.Count, total.rowsValid);
    metrics.addMetric(INGEST_METRICS.rowsQuarantined, MetricUnit.Count, total.rowsQuarantined);
    metrics.addMetric(INGEST_METRICS.duplicatesDropped, MetricUnit.Count, total.duplicatesDropped);
    metrics.addMetric(INGEST_METRICS.filesIngested, MetricUnit.Count, total.filesIngested);
    metrics.addMetric(INGEST_METRICS.filesRejected, MetricUnit.Count, total.filesRejected);
    metrics.addMetric(INGEST_METRICS.filesSkipped, MetricUnit.Count, total.filesSkipped);
    // Publishing clears the dataset dimension before the next dataset.
    metrics.publishStoredMetrics();
  }
}

function isSweepEvent(event: unknown): event is typeof SWEEP_EVENT {
  return (
    typeof event === 'object' && event !== null && (event as { ledgerlake?: unknown }).ledgerlake === 'sweep'
  );
}

/**
 * The sweeper's run: settles the attempts no later ingest of their file came to clean up (rolled
 * forward when committed, back otherwise), and logs and counts what it did.
 */
export async function runSweep(deps: Pick<IngestHandlerDependencies, 'lake' | 'logger' | 'metrics'>) {
  const result = await sweepAttempts(deps.lake);
  deps.logger.info('swept the lake', { ...result });
  deps.metrics.addMetric(SWEEP_METRICS.attemptsRolledBack, MetricUnit.Count, result.rolledBack);
  deps.metrics.addMetric(SWEEP_METRICS.attemptsRolledForward, MetricUnit.Count, result.rolledForward);
  return result;
}

/**
 * The Lambda handler: `processIngestBatch` for SQS batches and `runSweep` for the daily schedule, with
 * the Powertools middlewares (Lambda context in every log line, cold-start metric, metrics flushed at
 * the end of each invocation).
 */
export function createIngestHandler(deps: IngestHandlerDependencies) {
  return middy<SQSEvent | typeof SWEEP_EVENT, SQSBatchResponse | SweepResult>(
    (event: SQSEvent | typeof SWEEP_EVENT, context: Context) =>
      isSweepEvent(event) ? runSweep(deps) : processIngestBatch(event, context, deps),
  )
    .use(injectLambdaContext(deps.logger))
    .use(logMetrics(deps.metrics, { captureColdStartMetric: true }));
}
