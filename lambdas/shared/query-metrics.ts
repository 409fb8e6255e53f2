import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AthenaQueryStats } from '../../src/engine/athena';

/** Metrics of every Athena query a function runs (dimension `service`); one value per query. */
export const ATHENA_QUERY_METRICS = {
  dataScannedBytes: 'AthenaDataScannedBytes',
  engineTimeMs: 'AthenaEngineTimeMs',
} as const;

/**
 * An `onQueryFinished` callback for `AthenaQueryEngine`: adds what each query cost to the metrics
 * buffer (published with the function's other metrics) and logs one line per query, so a costly
 * query can be found by its execution id.
 */
export function recordQueryMetrics(metrics: Metrics, logger: Logger): (stats: AthenaQueryStats) => void {
  return (stats) => {
    metrics.addMetric(ATHENA_QUERY_METRICS.dataScannedBytes, MetricUnit.Bytes, stats.dataScannedBytes);
    metrics.addMetric(
      ATHENA_QUERY_METRICS.engineTimeMs,
      MetricUnit.Milliseconds,
      stats.engineExecutionTimeMs,
    );
    logger.info('athena query finished', {
      queryExecutionId: stats.queryExecutionId,
      state: stats.state,
      dataScannedBytes: stats.dataScannedBytes,
      engineExecutionTimeMs: stats.engineExecutionTimeMs,
      totalExecutionTimeMs: stats.totalExecutionTimeMs,
    });
  };
}
