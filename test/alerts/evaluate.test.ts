import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlertDateError, AlertDeliveryError, AlertRuleError } from '../../src/alerts/errors';
import { evaluateAlerts } from '../../src/alerts/evaluate';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import { FsObjectStore } from '../../src/storage/fs-store';
import { LakeFixture, transaction } from '../sql/lake-fixture';
import { accountRule, alertCatalog, RecordingPublisher, referenceDirWith } from './support';

/** 2024-06-01 is the baseline; on 2024-06-02 A1 goes 100 -> 160 and A2 200 -> 20; A3 stays. */
function ledger(a1Deposit: number) {
  return [
    transaction({
      transaction_id: 'a1-1',
      account_id: 'A1',
      event_time: '2024-06-01T09:00:00Z',
      amount: 100,
    }),
    transaction({
      transaction_id: 'a1-2',
      account_id: 'A1',
      event_time: '2024-06-02T09:00:00Z',
      amount: a1Deposit,
    }),
    transaction({
      transaction_id: 'a2-1',
      account_id: 'A2',
      event_time: '2024-06-01T09:00:00Z',
      amount: 200,
    }),
    transaction({
      transaction_id: 'a2-2',
      account_id: 'A2',
      event_time: '2024-06-02T09:00:00Z',
      type: 'withdrawal',
      amount: 180,
    }),
    transaction({
      transaction_id: 'a3-1',
      account_id: 'A3',
      event_time: '2024-06-01T09:00:00Z',
      amount: 100,
    }),
    transaction({ transaction_id: 'a3-2', account_id: 'A3', event_time: '2024-06-02T09:00:00Z', amount: 10 }),
  ];
}

describe('evaluateAlerts', () => {
  let lake: LakeFixture;
  let ledgerDir: string;
  let store: FsObjectStore;
  let engine: DuckDbEngine | undefined;
  const referenceDir = referenceDirWith([accountRule({ rule_name: 'account_move', severity: 'critical' })]);

  beforeEach(async () => {
    lake = await LakeFixture.create();
    ledgerDir = mkdtempSync(join(tmpdir(), 'ledgerlake-ledger-'));
    store = new FsObjectStore(ledgerDir);
  });

  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    await lake.close();
    rmSync(ledgerDir, { recursive: true, force: true });
  });

  async function catalog(): Promise<DuckDbEngine> {
    await engine?.close();
    engine = await alertCatalog(lake, referenceDir);
    return engine;
  }

  it('sends one digest per rule and day, largest move first, with rule, severity and model', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    const publisher = new RecordingPublisher();

    const result = await evaluateAlerts({ engine: await catalog(), store, publisher, date: '2024-06-02' });

    expect(result).toMatchObject({ dates: ['2024-06-02'], breaches: 2, alreadySent: 0 });
    expect(publisher.published).toHaveLength(1);
    const [{ digest, notification }] = publisher.published as [(typeof publisher.published)[number]];
    expect(digest.entries.map((e) => [e.entityId, e.previousBalance, e.currentBalance, e.revision])).toEqual([
      ['A2', 200, 20, false],
      ['A1', 100, 160, false],
    ]);
    expect(notification.subject).toBe('[CRITICAL] account_move 2024-06-02: 2 accounts moved, top A2 -90.0%');
    expect(notification.attributes).toMatchObject({
      rule: 'account_move',
      severity: 'critical',
      model: 'fact_account_daily_balance',
    });
  });

  it('sends each alert once when the evaluation runs three times', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    const publisher = new RecordingPublisher();
    const run = async () => evaluateAlerts({ engine: await catalog(), store, publisher, date: '2024-06-02' });

    const results = [await run(), await run(), await run()];

    expect(publisher.published).toHaveLength(1);
    expect(results.map((r) => [r.delivered.length, r.alreadySent])).toEqual([
      [1, 0],
      [0, 2],
      [0, 2],
    ]);
    const keys: string[] = [];
    for await (const object of store.list('alerts/sent/')) keys.push(object.key);
    expect(keys.map((key) => key.split('/').slice(0, 5).join('/'))).toEqual([
      'alerts/sent/account_move/2024-06-02/A1',
      'alerts/sent/account_move/2024-06-02/A2',
    ]);
  });

  it('alerts again, marked as a revision, when a corrected file changes the balance', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    const publisher = new RecordingPublisher();
    await evaluateAlerts({ engine: await catalog(), store, publisher, date: '2024-06-02' });
    await lake.writeCurated('transactions', 'ledger', ledger(90)); // same file name: the correction replaces it

    const result = await evaluateAlerts({ engine: await catalog(), store, publisher, date: '2024-06-02' });

    expect(result.alreadySent).toBe(1);
    expect(publisher.published).toHaveLength(2);
    const revised = publisher.published[1]!;
    expect(revised.digest.entries.map((e) => [e.entityId, e.currentBalance, e.revision])).toEqual([
      ['A1', 190, true],
    ]);
    expect(revised.notification.subject).toBe(
      '[CRITICAL] account_move 2024-06-02: 1 account moved (revised), top A1 +90.0%',
    );
  });

  it('releases its claims when publishing fails, so the next run sends the digest', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    const publisher = new RecordingPublisher();
    publisher.failNext = 1;
    const db = await catalog();

    const error = await evaluateAlerts({ engine: db, store, publisher, date: '2024-06-02' }).catch(
      (e: unknown) => e,
    );
    const retry = await evaluateAlerts({ engine: db, store, publisher, date: '2024-06-02' });

    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as Error).message).toMatch(
      /^1 alert digest\(s\) could not be published to recording \(account_move 2024-06-02: topic unavailable\)/,
    );
    expect(retry.delivered).toHaveLength(1);
    expect(publisher.published).toHaveLength(1);
  });

  it('evaluates the latest balance date when no date is given', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    const publisher = new RecordingPublisher();

    const result = await evaluateAlerts({ engine: await catalog(), store, publisher });

    expect(result.dates).toEqual(['2024-06-02']);
    expect(result.delivered).toHaveLength(1);
  });

  it('names the rule, the field and the value of a broken rule row', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));
    engine = await alertCatalog(lake, referenceDirWith([accountRule({ direction: 'sideways' })]));

    const error = await evaluateAlerts({ engine, store, publisher: new RecordingPublisher() }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(AlertRuleError);
    expect((error as Error).message).toBe(
      `reference/alert_rules.csv: rule 'account_move': direction must be up, down or both, got "sideways"; fix the row and run again`,
    );
  });

  it('rejects a date that is not YYYY-MM-DD before querying', async () => {
    await lake.writeCurated('transactions', 'ledger', ledger(60));

    const error = await evaluateAlerts({
      engine: await catalog(),
      store,
      publisher: new RecordingPublisher(),
      date: "2024-06-02' or true --",
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlertDateError);
  });
});
