import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE, SERVICES } from '../../lambdas/shared/observability';
import { ATHENA_QUERY_METRICS, recordQueryMetrics } from '../../lambdas/shared/query-metrics';
import type { AthenaQueryStats } from '../../src/engine/athena';

let emitted: string[];

beforeEach(() => {
  emitted = [];
  // Powertools writes logs and EMF metrics to stdout; keep every line for assertions.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    emitted.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function emittedDocuments(): Record<string, unknown>[] {
  return emitted
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const daily: AthenaQueryStats = {
  queryExecutionId: 'q-daily',
  sql: 'select * from balance_moves',
  state: 'SUCCEEDED',
  dataScannedBytes: 52_428_800,
  engineExecutionTimeMs: 1_200,
  totalExecutionTimeMs: 1_450,
  statementType: 'DML',
};
const failed: AthenaQueryStats = {
  queryExecutionId: 'q-failed',
  sql: 'select nope',
  state: 'FAILED',
  dataScannedBytes: 0,
  engineExecutionTimeMs: 35,
  totalExecutionTimeMs: 80,
};

describe('recordQueryMetrics', () => {
  it('adds the bytes scanned and the engine time of every query to the EMF document, in bytes and milliseconds', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.alerts });
    const record = recordQueryMetrics(metrics, new Logger({ serviceName: SERVICES.alerts }));

    record(daily);
    record(failed);
    metrics.publishStoredMetrics();

    const document = emittedDocuments().find((candidate) => '_aws' in candidate);
    expect(document).toMatchObject({
      service: SERVICES.alerts,
      [ATHENA_QUERY_METRICS.dataScannedBytes]: [52_428_800, 0],
      [ATHENA_QUERY_METRICS.engineTimeMs]: [1_200, 35],
    });
    expect(document?._aws).toMatchObject({
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Metrics: expect.arrayContaining([
            { Name: 'AthenaDataScannedBytes', Unit: 'Bytes' },
            { Name: 'AthenaEngineTimeMs', Unit: 'Milliseconds' },
          ]),
        },
      ],
    });
  });

  it('logs one info line per query with its id, state, bytes and engine time', () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICES.alerts });
    const record = recordQueryMetrics(metrics, new Logger({ serviceName: SERVICES.alerts }));

    record(daily);
    record(failed);

    const lines = emittedDocuments().filter((candidate) => candidate.message === 'athena query finished');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        queryExecutionId: 'q-daily',
        state: 'SUCCEEDED',
        dataScannedBytes: 52_428_800,
        engineExecutionTimeMs: 1_200,
      }),
      expect.objectContaining({
        level: 'INFO',
        queryExecutionId: 'q-failed',
        state: 'FAILED',
        dataScannedBytes: 0,
        engineExecutionTimeMs: 35,
      }),
    ]);
  });
});
