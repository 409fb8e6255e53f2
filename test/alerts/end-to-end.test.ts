import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ScheduledEvent, SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datesOf, runAlerts } from '../../lambdas/alerts/alerts-handler';
import { plantBalanceMoves } from '../../src/alerts/demo-moves';
import { runAlertsCommand } from '../../src/cli/commands/alerts';
import { buildCatalog } from '../../src/engine/catalog';
import { openDuckDb } from '../../src/engine/duckdb';
import { ingestObject } from '../../src/ingest/ingest-object';
import { FsObjectStore } from '../../src/storage/fs-store';
import { RecordingPublisher } from './support';

const LAST_DAY = '2024-06-30';

/** A lake holding the demo's planted moves, ingested through the real pipeline, plus an earlier day as baseline. */
async function plantedLake(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgerlake-alerts-e2e-'));
  const lake = new FsObjectStore(dir);
  const earlier =
    'transaction_id,event_time,customer_id,account_id,channel,city,type,amount,currency,status\n' +
    'BASE-1,2024-06-20T09:00:00Z,C0,A0,upi,Boston,deposit,10.00,USD,success\n';
  const files = [
    { key: 'landing/transactions/baseline.csv', body: new TextEncoder().encode(earlier) },
    ...plantBalanceMoves(LAST_DAY).files,
  ];
  for (const file of files) {
    await lake.put(file.key, file.body);
    const { manifest } = await ingestObject({ landing: lake, lake, key: file.key });
    expect(manifest, file.key).toMatchObject({ status: 'ok', rows_quarantined: 0 });
  }
  return dir;
}

describe('balance alerts end to end on the local lake', () => {
  let dir: string;
  let server: Server;
  let webhook: string;
  const slackBodies: { text: string }[] = [];

  beforeAll(async () => {
    dir = await plantedLake();
    server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      slackBodies.push(JSON.parse(body));
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    webhook = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T/B/X`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the digests of the planted moves and posts them to Slack, then sends nothing on a second run', async () => {
    let first = '';
    let second = '';

    await runAlertsCommand({ lake: dir, slackWebhook: webhook }, (text) => {
      first += text;
    });
    await runAlertsCommand({ lake: dir, slackWebhook: webhook }, (text) => {
      second += text;
    });

    const planted = plantBalanceMoves(LAST_DAY).alerts;
    expect(first).toContain(
      '[WARNING] account_balance_move 2024-06-30: 3 accounts moved, top ALERT-DROP -75.0%',
    );
    expect(first).toContain(
      '[WARNING] organization_balance_move 2024-06-30: 1 organization moved, top ORG-ACME -100.0%',
    );
    expect(first).toContain(
      '[WARNING] portfolio_available_move 2024-06-30: 1 holding moved, top ALERT-CLIENT/FUND-ALERT -80.0%',
    );
    expect(first).toContain(
      '[WARNING] inventory_position_drop 2024-06-30: 1 stock position moved, top SKU-ALERT@BR-ALERT -70.0%',
    );
    for (const alert of planted) expect(first).toContain(`  ${alert.entityId} `);
    expect(first).toContain('sign flip: positive to negative');
    expect(first.trimEnd().split('\n').at(-1)).toBe(
      '2024-06-30: 6 balance move(s) breached a rule; 4 digest(s) sent to the console and Slack',
    );
    expect(slackBodies.map((b) => b.text)).toEqual([
      ':warning: [WARNING] account_balance_move 2024-06-30: 3 accounts moved, top ALERT-DROP -75.0%',
      ':warning: [WARNING] inventory_position_drop 2024-06-30: 1 stock position moved, top SKU-ALERT@BR-ALERT -70.0%',
      ':warning: [WARNING] organization_balance_move 2024-06-30: 1 organization moved, top ORG-ACME -100.0%',
      ':warning: [WARNING] portfolio_available_move 2024-06-30: 1 holding moved, top ALERT-CLIENT/FUND-ALERT -80.0%',
    ]);
    expect(second).toBe(
      '2024-06-30: 6 balance move(s) breached a rule; 0 digest(s) sent to the console and Slack, ' +
        '6 already alerted earlier (alerts/sent/ in the lake)\n',
    );
  });

  describe('the alerts Lambda logic on the DuckDB engine', () => {
    const deps = async (publisher: RecordingPublisher) => {
      const engine = await openDuckDb({ source: dir });
      await buildCatalog(engine, { lakeDir: dir, models: ['balance_moves'] });
      const ledgerDir = mkdtempSync(join(tmpdir(), 'ledgerlake-alerts-ledger-'));
      return {
        engine,
        ledger: new FsObjectStore(ledgerDir),
        publisher,
        logger: { info: () => {} } as unknown as Logger,
        metrics: new Metrics({ namespace: 'test', serviceName: 'alerts' }),
        lookbackDays: 3,
      };
    };

    const ingested = (dataset: string, dates: string[]): SNSEvent =>
      ({
        Records: [
          { Sns: { Message: JSON.stringify({ type: 'ledgerlake.ingested', version: 1, dataset, dates }) } },
        ],
      }) as unknown as SNSEvent;

    it.each([
      ['an ingest of transactions', ingested('transactions', ['2024-06-30']), ['2024-06-30']],
      ['an ingest of sales (not a balance dataset)', ingested('sales', ['2024-06-30']), undefined],
      [
        'the daily schedule',
        { source: 'aws.events', 'detail-type': 'Scheduled Event' } as ScheduledEvent,
        'latest',
      ],
    ])('evaluates the dates of %s', (_label, event, expected) => {
      expect(datesOf(event)).toEqual(expected);
    });

    it('delivers the digests for the dates an ingest touched, through the same QueryEngine interface', async () => {
      const publisher = new RecordingPublisher();
      const dependencies = await deps(publisher);

      const result = await runAlerts(ingested('transactions', ['2024-06-30']), dependencies);
      await dependencies.engine.close();

      expect(result.dates).toEqual(['2024-06-30']);
      expect(
        publisher.published.map((p) => [p.digest.rule, p.digest.entries.map((e) => e.entityId)]),
      ).toEqual([
        ['account_balance_move', ['ALERT-DROP', 'ALERT-UP', 'ALERT-FLIP']], // by |change|: 1500, 900, 800,
        ['inventory_position_drop', ['SKU-ALERT@BR-ALERT']],
        ['organization_balance_move', ['ORG-ACME']],
        ['portfolio_available_move', ['ALERT-CLIENT/FUND-ALERT']],
      ]);
    });

    it('catches up on the last days on the schedule, including the from-zero moves of the baseline day', async () => {
      const publisher = new RecordingPublisher();
      const dependencies = await deps(publisher);

      const result = await runAlerts({ source: 'aws.events' } as ScheduledEvent, dependencies);
      await dependencies.engine.close();

      expect(result.dates).toEqual(['2024-06-28', '2024-06-29', '2024-06-30']);
      expect(
        publisher.published.map((p) => `${p.digest.day} ${p.digest.rule} ${p.digest.entries.length}`),
      ).toEqual([
        '2024-06-28 account_balance_move 2',
        '2024-06-30 account_balance_move 3',
        '2024-06-30 inventory_position_drop 1',
        '2024-06-30 organization_balance_move 1',
        '2024-06-30 portfolio_available_move 1',
      ]);
    });
  });
});
