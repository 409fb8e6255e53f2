import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import { invoiceRow, LakeFixture, transaction } from '../sql/lake-fixture';
import { accountRule, alertCatalog, organizationRule, referenceDirWith } from './support';

type Row = Record<string, unknown>;

async function moves(engine: DuckDbEngine, where: string): Promise<readonly Row[]> {
  const { rows } = await engine.query(
    `select rule_name, entity_id, balance_date, previous_balance, current_balance, change, change_rate,
       is_from_zero, is_sign_flip, is_breach
     from balance_moves where ${where} order by rule_name, entity_id, balance_date`,
  );
  return rows;
}

/**
 * The known-answer ledger. 2024-06-01 is the lake's first day (the baseline: no alerts on it);
 * 2024-06-02 holds the moves under test; 2024-06-03 has activity on one account only.
 */
const LEDGER = [
  transaction({ transaction_id: 'up-1', account_id: 'up', event_time: '2024-06-01T09:00:00Z', amount: 100 }),
  transaction({ transaction_id: 'up-2', account_id: 'up', event_time: '2024-06-02T09:00:00Z', amount: 60 }),
  transaction({
    transaction_id: 'down-1',
    account_id: 'down',
    event_time: '2024-06-01T09:00:00Z',
    amount: 160,
  }),
  transaction({
    transaction_id: 'down-2',
    account_id: 'down',
    event_time: '2024-06-02T09:00:00Z',
    type: 'withdrawal',
    amount: 70,
  }),
  transaction({ transaction_id: 'new-1', account_id: 'new', event_time: '2024-06-02T09:00:00Z', amount: 50 }),
  transaction({
    transaction_id: 'flip-1',
    account_id: 'flip',
    event_time: '2024-06-01T09:00:00Z',
    amount: 100,
  }),
  transaction({
    transaction_id: 'flip-2',
    account_id: 'flip',
    event_time: '2024-06-02T09:00:00Z',
    type: 'payment',
    amount: 130,
  }),
  transaction({
    transaction_id: 'failed-1',
    account_id: 'failed',
    event_time: '2024-06-01T09:00:00Z',
    amount: 100,
  }),
  transaction({
    transaction_id: 'failed-2',
    account_id: 'failed',
    event_time: '2024-06-02T09:00:00Z',
    amount: 900,
    status: 'failed',
  }),
  transaction({
    transaction_id: 'quiet-1',
    account_id: 'quiet',
    event_time: '2024-06-01T09:00:00Z',
    amount: 100,
  }),
  transaction({
    transaction_id: 'quiet-2',
    account_id: 'quiet',
    event_time: '2024-06-03T09:00:00Z',
    amount: 20,
  }),
];

describe('balance_moves on ledger balances', () => {
  let lake: LakeFixture;
  const engines: DuckDbEngine[] = [];

  async function catalogWith(...rules: Parameters<typeof referenceDirWith>[0]): Promise<DuckDbEngine> {
    const engine = await alertCatalog(lake, referenceDirWith(rules));
    engines.push(engine);
    return engine;
  }

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('transactions', 'ledger', LEDGER);
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close();
  });

  afterAll(async () => {
    await lake.close();
  });

  it('alerts on 100 -> 160 (+60%) and not on 160 -> 90 (-43.75%)', async () => {
    const engine = await catalogWith(accountRule());

    const rows = await moves(engine, `entity_id in ('up', 'down') and balance_date = date '2024-06-02'`);

    expect(rows).toEqual([
      expect.objectContaining({ entity_id: 'down', previous_balance: 160, current_balance: 90, change: -70 }),
      expect.objectContaining({ entity_id: 'up', previous_balance: 100, current_balance: 160, change: 60 }),
    ]);
    expect(rows[0]!.change_rate).toBeCloseTo(-0.4375, 10);
    expect(rows[0]!.is_breach).toBe(false);
    expect(rows[1]!.change_rate).toBeCloseTo(0.6, 10);
    expect(rows[1]!.is_breach).toBe(true);
  });

  it.each([
    ['from_zero', 25, true],
    ['from_zero', 50.01, false],
    ['ignore', 0, false],
  ])(
    'treats 0 -> 50 by the rule’s zero behaviour (%s above %d alerts: %s) with no change rate',
    async (zeroPrevious, minimum, alerts) => {
      const engine = await catalogWith(
        accountRule({ zero_previous: zeroPrevious, from_zero_min_amount: minimum }),
      );

      const rows = await moves(engine, `entity_id = 'new'`);

      expect(rows).toEqual([
        expect.objectContaining({
          balance_date: '2024-06-02',
          previous_balance: 0,
          current_balance: 50,
          change_rate: null,
          is_from_zero: true,
          is_breach: alerts,
        }),
        expect.objectContaining({
          balance_date: '2024-06-03',
          previous_balance: 50,
          current_balance: 50,
          is_breach: false,
        }),
      ]);
    },
  );

  it('reports a positive balance turning negative as a sign flip', async () => {
    const engine = await catalogWith(accountRule());

    const rows = await moves(engine, `entity_id = 'flip' and balance_date = date '2024-06-02'`);

    expect(rows).toEqual([
      expect.objectContaining({
        previous_balance: 100,
        current_balance: -30,
        change: -130,
        is_sign_flip: true,
        is_breach: true,
      }),
    ]);
  });

  it('never alerts on a failed transaction, however large', async () => {
    const engine = await catalogWith(accountRule({ threshold_rate: 0.01 }));

    const rows = await moves(engine, `entity_id = 'failed'`);

    expect(rows.map((r) => [r.balance_date, r.current_balance, r.is_breach])).toEqual([
      ['2024-06-02', 100, false],
      ['2024-06-03', 100, false],
    ]);
  });

  it('keeps the balance on a day without activity and measures the next move from it', async () => {
    const engine = await catalogWith(accountRule({ threshold_rate: 0.2 }));

    const rows = await moves(engine, `entity_id = 'quiet'`);

    expect(rows).toEqual([
      expect.objectContaining({
        balance_date: '2024-06-02',
        previous_balance: 100,
        current_balance: 100,
        change: 0,
        is_breach: false,
      }),
      expect.objectContaining({
        balance_date: '2024-06-03',
        previous_balance: 100,
        current_balance: 120,
        change: 20,
        is_breach: true,
      }),
    ]);
  });

  it('has no baseline on the lake’s first day, so it never alerts on every balance at once', async () => {
    const engine = await catalogWith(accountRule());

    const rows = await moves(engine, `balance_date = date '2024-06-01'`);

    expect(rows).toEqual([]);
  });

  it.each([
    ['a lower threshold', { threshold_rate: 0.4 }, ['down', 'flip', 'new', 'up']],
    ['a higher threshold', { threshold_rate: 0.7 }, ['flip', 'new']],
    ['direction up', { direction: 'up' }, ['new', 'up']],
    ['direction down', { direction: 'down' }, ['flip']],
    ['a minimum absolute change', { min_abs_change: 100 }, ['flip']],
  ])('takes its thresholds from the rule row: %s', async (_label, overrides, breaching) => {
    const engine = await catalogWith(accountRule(overrides));

    const rows = await moves(engine, `is_breach and balance_date = date '2024-06-02'`);

    expect(rows.map((r) => r.entity_id)).toEqual(breaching);
  });

  it('applies every rule of the table, each with its own thresholds', async () => {
    const engine = await catalogWith(
      accountRule({ rule_name: 'loose', threshold_rate: 0.4 }),
      accountRule({ rule_name: 'strict', threshold_rate: 1.2 }),
    );

    const rows = await moves(engine, `is_breach and balance_date = date '2024-06-02'`);

    expect(rows.map((r) => `${r.rule_name}:${r.entity_id}`)).toEqual([
      'loose:down',
      'loose:flip',
      'loose:new',
      'loose:up',
      'strict:flip',
      'strict:new',
    ]);
  });
});

describe('fact_organization_daily_financials', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  const invoice = invoiceRow;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('organizations', 'orgs-2024-06-01', [
      {
        organization_id: 'org-1',
        legal_entity_country_code: 'DE',
        count_total_contracts_active: 3,
        first_payment_date: null,
        last_payment_date: null,
        snapshot_date: '2024-06-01',
      },
    ]);
    // Day 1: two open invoices. Day 2: both paid (one in USD at 0.9). Day 3: a first delivery
    // later replaced by a corrected one in which one invoice was credited.
    await lake.writeCurated('invoices', 'invoices-2024-06-01', [
      invoice({
        invoice_id: 'i1',
        organization_id: 'org-1',
        status: 'open',
        amount: 600,
        snapshot_date: '2024-06-01',
      }),
      invoice({
        invoice_id: 'i2',
        organization_id: 'org-1',
        status: 'open',
        amount: 400,
        snapshot_date: '2024-06-01',
      }),
      invoice({
        invoice_id: 'i9',
        organization_id: 'org-2',
        status: 'open',
        amount: 50,
        snapshot_date: '2024-06-01',
      }),
    ]);
    await lake.writeCurated('invoices', 'invoices-2024-06-02', [
      invoice({
        invoice_id: 'i1',
        organization_id: 'org-1',
        status: 'paid',
        amount: 600,
        payment_amount: 600,
        snapshot_date: '2024-06-02',
      }),
      invoice({
        invoice_id: 'i2',
        organization_id: 'org-1',
        status: 'paid',
        amount: 400,
        payment_currency: 'USD',
        payment_amount: 440,
        fx_rate_payment: 0.9,
        snapshot_date: '2024-06-02',
      }),
    ]);
    await lake.writeCurated(
      'invoices',
      'invoices-2024-06-03-first',
      [
        invoice({
          invoice_id: 'i1',
          organization_id: 'org-1',
          status: 'open',
          amount: 9999,
          snapshot_date: '2024-06-03',
        }),
      ],
      '2024-06-03T08:00:00Z',
    );
    await lake.writeCurated(
      'invoices',
      'invoices-2024-06-03-corrected',
      [
        invoice({
          invoice_id: 'i1',
          organization_id: 'org-1',
          status: 'paid',
          amount: 600,
          payment_amount: 600,
          snapshot_date: '2024-06-03',
        }),
        invoice({
          invoice_id: 'i2',
          organization_id: 'org-1',
          status: 'credited',
          amount: 400,
          snapshot_date: '2024-06-03',
        }),
      ],
      '2024-06-03T09:00:00Z',
    );
    engine = await alertCatalog(
      lake,
      referenceDirWith([organizationRule('balance'), organizationRule('realized_revenue')]),
    );
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('computes accrued, realized, accepted and balance per organization and snapshot date', async () => {
    const { rows } = await engine.query(
      `select organization_id, snapshot_date, legal_entity_country_code, count_total_contracts_active, invoice_count,
         open_invoice_count, accrued_revenue, realized_revenue, accepted_payments, balance
       from fact_organization_daily_financials order by organization_id, snapshot_date`,
    );

    expect(rows).toEqual([
      {
        organization_id: 'org-1',
        snapshot_date: '2024-06-01',
        legal_entity_country_code: 'DE',
        count_total_contracts_active: 3,
        invoice_count: 2,
        open_invoice_count: 2,
        accrued_revenue: 1000,
        realized_revenue: 0,
        accepted_payments: 0,
        balance: 1000,
      },
      {
        organization_id: 'org-1',
        snapshot_date: '2024-06-02',
        legal_entity_country_code: 'DE',
        count_total_contracts_active: 3,
        invoice_count: 2,
        open_invoice_count: 0,
        accrued_revenue: 1000,
        realized_revenue: 1000,
        accepted_payments: 996, // 600 + 440 USD x 0.9
        balance: 4,
      },
      {
        organization_id: 'org-1',
        snapshot_date: '2024-06-03',
        legal_entity_country_code: 'DE',
        count_total_contracts_active: 3,
        invoice_count: 2,
        open_invoice_count: 0,
        accrued_revenue: 200, // 600 paid - 400 credited; the first delivery of the day is replaced
        realized_revenue: 600,
        accepted_payments: 600,
        balance: -400,
      },
      // org-2 vanished from later snapshots: its open balance falls to 0 instead of disappearing.
      ...['2024-06-01', '2024-06-02', '2024-06-03'].map((day, index) => ({
        organization_id: 'org-2',
        snapshot_date: day,
        legal_entity_country_code: null,
        count_total_contracts_active: null,
        invoice_count: index === 0 ? 1 : 0,
        open_invoice_count: index === 0 ? 1 : 0,
        accrued_revenue: index === 0 ? 50 : 0,
        realized_revenue: 0,
        accepted_payments: 0,
        balance: index === 0 ? 50 : 0,
      })),
    ]);
  });

  it('alerts when an organization’s invoices move from open to paid', async () => {
    const rows = await moves(engine, `entity_id = 'org-1' and balance_date = date '2024-06-02'`);

    expect(rows).toEqual([
      expect.objectContaining({
        rule_name: 'organization_balance_move',
        previous_balance: 1000,
        current_balance: 4,
        change: -996,
        is_breach: true,
      }),
      expect.objectContaining({
        rule_name: 'organization_realized_revenue_move',
        previous_balance: 0,
        current_balance: 1000,
        is_from_zero: true,
        is_breach: true,
      }),
    ]);
  });
});
