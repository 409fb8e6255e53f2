import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent, SNSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AlertsHandlerDependencies,
  alertDatesForEvent,
  type MartRefreshRequest,
  refreshRequestOf,
  runAlerts,
} from '../../lambdas/alerts/alerts-handler';
import { createMartRefresh } from '../../lambdas/alerts/mart-refresh';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { DuckDbMartWriter } from '../../src/materialize/duckdb-writer';
import type { RefreshResult } from '../../src/materialize/refresh';
import { loadModels, REPO_ROOT } from '../../src/sql/models';
import { FsObjectStore } from '../../src/storage/fs-store';
import { RecordingPublisher } from '../alerts/support';
import { LakeFixture } from '../sql/lake-fixture';

const ingested = (...messages: [dataset: string, dates: string[]][]): SNSEvent =>
  ({
    Records: messages.map(([dataset, dates]) => ({
      Sns: { Message: JSON.stringify({ type: 'ledgerlake.ingested', version: 1, dataset, dates }) },
    })),
  }) as unknown as SNSEvent;
const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent;

const transaction = (id: string, day: string, type: string, amount: number) => ({
  transaction_id: id,
  event_time: `${day}T09:00:00Z`,
  customer_id: 'C1',
  account_id: 'A1',
  channel: 'upi',
  city: 'Boston',
  type,
  amount,
  currency: 'USD',
  status: 'success',
});

describe('refresh then alerts, on the local lake with DuckDB', () => {
  let fixture: LakeFixture;
  let engine: DuckDbEngine;
  let requests: MartRefreshRequest[];
  let publisher: RecordingPublisher;
  let deps: AlertsHandlerDependencies;

  beforeEach(async () => {
    // A1 opens with 1000 on 1 June and receives 10 on each of the next two days; the marts are built.
    fixture = await LakeFixture.create();
    await fixture.writeCurated('transactions', 'june', [
      transaction('T1', '2024-06-01', 'deposit', 1000),
      transaction('T2', '2024-06-02', 'deposit', 10),
      transaction('T3', '2024-06-03', 'deposit', 10),
    ]);
    engine = await openDuckDb({ source: fixture.dir });
    await buildCatalog(engine, { lakeDir: fixture.dir });
    const lake = new FsObjectStore(fixture.dir);
    const models = loadModels();
    const refresh = createMartRefresh({
      engine,
      lake,
      writer: new DuckDbMartWriter(engine, fixture.dir),
      models,
      referenceDir: join(REPO_ROOT, 'reference'),
      logger: { info: () => {} },
    });
    requests = [];
    publisher = new RecordingPublisher();
    deps = {
      engine,
      ledger: lake,
      publisher,
      logger: { info: () => {} } as unknown as Logger,
      metrics: new Metrics({ namespace: 'test', serviceName: 'alerts' }),
      lookbackDays: 3,
      refresh: async (request) => {
        requests.push(request);
        return refresh(request);
      },
    };
  });

  afterEach(async () => {
    await engine.close();
    await fixture.close();
  });

  it('refreshes the days an ingest touched and alerts on exactly the balance_moves days it rewrote', async () => {
    // A late withdrawal of 900 on 2 June: that day's balance falls from 1010 to 110.
    await fixture.writeCurated('transactions', 'late', [transaction('T4', '2024-06-02', 'withdrawal', 900)]);

    const result = await runAlerts(ingested(['transactions', ['2024-06-02']]), deps);

    expect(requests).toEqual([{ hints: { transactions: ['2024-06-02'] } }]);
    expect(result.dates).toEqual(['2024-06-02', '2024-06-03']);
    expect(publisher.published.map((p) => [p.digest.day, p.digest.entries.map((e) => e.entityId)])).toEqual([
      ['2024-06-02', ['A1']],
    ]);
  });

  it('evaluates nothing when the ingest did not change balance_moves', async () => {
    const result = await runAlerts(ingested(['sales', ['2024-06-02']]), deps);

    expect(requests).toEqual([{ hints: { sales: ['2024-06-02'] } }]);
    expect(result.dates).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  it('catches up on the schedule: a refresh without hints, then the last days up to the latest balance', async () => {
    const result = await runAlerts(schedule, deps);

    expect(requests).toEqual([{}]);
    expect(result.dates).toEqual(['2024-06-01', '2024-06-02', '2024-06-03']);
  });

  it('publishes the dashboard on the schedule after the refresh and the alerts, and not after an ingest', async () => {
    const calls: string[] = [];
    const refresh = deps.refresh!;
    const withReport: AlertsHandlerDependencies = {
      ...deps,
      refresh: async (request) => {
        calls.push('refresh');
        return refresh(request);
      },
      dailyReport: async () => {
        calls.push(`report after ${publisher.published.length} digests`);
        return { keys: ['reports/dashboard/latest.html'], bytes: 1, from: '2024-06-01', to: '2024-06-03' };
      },
    };

    await runAlerts(ingested(['transactions', ['2024-06-02']]), withReport);
    await runAlerts(schedule, withReport);

    expect(calls).toEqual(['refresh', 'refresh', `report after ${publisher.published.length} digests`]);
  });

  it('counts a dashboard that could not be published without failing the run', async () => {
    const metrics = new Metrics({ namespace: 'test', serviceName: 'alerts' });
    const counted: string[] = [];
    const addMetric = metrics.addMetric.bind(metrics);
    metrics.addMetric = (name, unit, value) => {
      counted.push(`${name}=${value}`);
      return addMetric(name, unit, value);
    };
    const errors: unknown[] = [];
    const logger = { info: () => {}, error: (...args: unknown[]) => errors.push(args) } as unknown as Logger;

    const result = await runAlerts(schedule, {
      ...deps,
      metrics,
      logger,
      dailyReport: async () => {
        throw new Error('the sales query failed');
      },
    });

    expect(result.dates).toEqual(['2024-06-01', '2024-06-02', '2024-06-03']);
    expect(counted).toContain('DailyReportFailures=1');
    expect(counted).not.toContain('DailyReportsPublished=1');
    expect(errors).toHaveLength(1);
  });

  it('rebuilds on {"rebuild": [...]} and evaluates the last days', async () => {
    const result = await runAlerts({ rebuild: ['balance_moves'] }, deps);

    expect(requests).toEqual([{ rebuild: ['balance_moves'] }]);
    expect(result.dates).toEqual(['2024-06-01', '2024-06-02', '2024-06-03']);
  });
});

describe('what an event asks of the refresh', () => {
  it('hints every dataset of an ingest, merging the days of its messages', () => {
    const event = ingested(
      ['transactions', ['2024-06-03', '2024-06-01']],
      ['sales', ['2024-06-02']],
      ['transactions', ['2024-06-01', '2024-06-02']],
    );

    expect(refreshRequestOf(event)).toEqual({
      hints: { sales: ['2024-06-02'], transactions: ['2024-06-01', '2024-06-02', '2024-06-03'] },
    });
  });

  it.each([
    ['a catch-up on the schedule', schedule, {}],
    ['a rebuild of everything', { rebuild: true as const }, { rebuild: true }],
  ])('asks for %s', (_label, event, expected) => {
    expect(refreshRequestOf(event)).toEqual(expected);
  });

  it('refuses a rebuild that is neither true nor a list of model names, saying what to send', () => {
    expect(() => refreshRequestOf({ rebuild: 'all' } as never)).toThrow(
      'rebuild must be true or a list of model names, got "all"; e.g. {"rebuild": true} or {"rebuild": ["balance_moves"]}',
    );
  });

  it('evaluates the last days, not the whole history, when an ingest rebuilt balance_moves in full', () => {
    const refresh: RefreshResult = {
      changedInputs: {},
      models: [
        { model: 'balance_moves', mode: 'full', days: ['2024-01-01', '2024-06-03'], statements: 2, ms: 1 },
      ],
      partitions: { balance_moves: ['2024-01-01', '2024-06-03'] },
    };

    expect(alertDatesForEvent(ingested(['transactions', ['2024-06-03']]), refresh, 3)).toEqual({
      lookbackDays: 3,
      latestDate: '2024-06-03',
    });
  });
});
