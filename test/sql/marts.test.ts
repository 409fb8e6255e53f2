import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { LAKE_CALENDAR } from '../../src/ingest/lake-layout';
import { LakeFixture, transaction } from './lake-fixture';

/** Builds the whole catalog over a fixture lake; the caller closes both. */
async function catalogOver(lake: LakeFixture): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source: lake.dir });
  await buildCatalog(engine, { lakeDir: lake.dir });
  return engine;
}

describe('fact_account_daily_balance', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('transactions', 'ledger', [
      transaction({
        transaction_id: 'T1',
        account_id: 'A1',
        event_time: '2024-03-01T10:00:00Z',
        type: 'deposit',
        amount: 100,
      }),
      transaction({
        transaction_id: 'T2',
        account_id: 'A1',
        event_time: '2024-03-01T12:00:00Z',
        type: 'payment',
        amount: 30,
      }),
      transaction({
        transaction_id: 'T3',
        account_id: 'A1',
        event_time: '2024-03-03T09:00:00Z',
        type: 'withdrawal',
        amount: 20,
      }),
      transaction({
        transaction_id: 'T4',
        account_id: 'A1',
        event_time: '2024-03-03T10:00:00Z',
        type: 'deposit',
        amount: 500,
        status: 'failed',
      }),
      transaction({
        transaction_id: 'T5',
        account_id: 'A1',
        event_time: '2024-03-04T10:00:00Z',
        type: 'refund',
        amount: 5,
        status: 'pending',
      }),
      // A2 only exists to put the lake's last day on 2024-03-05.
      transaction({
        transaction_id: 'T6',
        account_id: 'A2',
        customer_id: 'C2',
        event_time: '2024-03-05T08:00:00Z',
        amount: 10,
      }),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('carries the balance over days without activity up to the last day in the lake', async () => {
    const result = await engine.query(
      `select balance_date, opening_balance, net_change, closing_balance, transaction_count
       from fact_account_daily_balance where account_id = 'A1' order by balance_date`,
    );

    // 03-01: +100 deposit - 30 payment = +70. 03-02: no activity. 03-03: -20 withdrawal (the failed
    // deposit of 500 does not count). 03-04: only a pending refund, which does not count. 03-05: nothing.
    expect(result.rows).toEqual([
      {
        balance_date: '2024-03-01',
        opening_balance: 0,
        net_change: 70,
        closing_balance: 70,
        transaction_count: 2,
      },
      {
        balance_date: '2024-03-02',
        opening_balance: 70,
        net_change: 0,
        closing_balance: 70,
        transaction_count: 0,
      },
      {
        balance_date: '2024-03-03',
        opening_balance: 70,
        net_change: -20,
        closing_balance: 50,
        transaction_count: 1,
      },
      {
        balance_date: '2024-03-04',
        opening_balance: 50,
        net_change: 0,
        closing_balance: 50,
        transaction_count: 0,
      },
      {
        balance_date: '2024-03-05',
        opening_balance: 50,
        net_change: 0,
        closing_balance: 50,
        transaction_count: 0,
      },
    ]);
  });

  it('does not move balances with failed or pending transactions', async () => {
    const result = await engine.query(
      `select sum(net_change) as moved, sum(transaction_count) as counted
       from fact_account_daily_balance where account_id = 'A1'`,
    );

    // Successful only: +100 - 30 - 20 = 50 over 3 transactions; the failed 500 and pending 5 are left out.
    expect(result.rows).toEqual([{ moved: 50, counted: 3 }]);
  });

  it('starts each account on its first transaction day and exposes the customer and date key', async () => {
    const result = await engine.query(
      `select account_id, customer_id, balance_date, date_key, closing_balance
       from fact_account_daily_balance where account_id = 'A2'`,
    );

    expect(result.rows).toEqual([
      {
        account_id: 'A2',
        customer_id: 'C2',
        balance_date: '2024-03-05',
        date_key: 20240305,
        closing_balance: 10,
      },
    ]);
  });
});

describe('staging dedupe', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated(
      'transactions',
      'monday',
      [
        transaction({ transaction_id: 'T1', event_time: '2024-03-01T10:00:00Z', amount: 100 }),
        transaction({ transaction_id: 'T2', event_time: '2024-03-01T11:00:00Z', amount: 20 }),
      ],
      '2024-03-01T23:00:00Z',
    );
    // The corrected file, ingested a day later, holds a new version of T1 (same day, a later time).
    await lake.writeCurated(
      'transactions',
      'monday-corrected',
      [transaction({ transaction_id: 'T1', event_time: '2024-03-01T12:00:00Z', amount: 150 })],
      '2024-03-02T23:00:00Z',
    );
    // Another file holds T4 on two days: the dedupe is per event day, so these are two rows.
    await lake.writeCurated(
      'transactions',
      'two-days',
      [
        transaction({ transaction_id: 'T4', event_time: '2024-03-01T09:00:00Z', amount: 7 }),
        transaction({ transaction_id: 'T4', event_time: '2024-03-02T09:00:00Z', amount: 8 }),
      ],
      '2024-03-02T23:00:00Z',
    );
    // Same ingest time: the tie is broken by source_key ('b-file' > 'a-file').
    await lake.writeCurated(
      'transactions',
      'a-file',
      [transaction({ transaction_id: 'T3', event_time: '2024-03-01T10:00:00Z', amount: 1 })],
      '2024-03-03T00:00:00Z',
    );
    await lake.writeCurated(
      'transactions',
      'b-file',
      [transaction({ transaction_id: 'T3', event_time: '2024-03-01T10:00:00Z', amount: 2 })],
      '2024-03-03T00:00:00Z',
    );
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('keeps the latest ingested version of a transaction within its day across two files', async () => {
    const result = await engine.query(
      "select transaction_id, amount, event_date, source_key from stg_transactions where transaction_id <> 'T4' order by transaction_id",
    );

    expect(result.rows).toEqual([
      {
        transaction_id: 'T1',
        amount: 150,
        event_date: '2024-03-01',
        source_key: 'landing/transactions/monday-corrected.csv',
      },
      {
        transaction_id: 'T2',
        amount: 20,
        event_date: '2024-03-01',
        source_key: 'landing/transactions/monday.csv',
      },
      {
        transaction_id: 'T3',
        amount: 2,
        event_date: '2024-03-01',
        source_key: 'landing/transactions/b-file.csv',
      },
    ]);
  });

  it('counts every ingested version in the base table but one per key in the fact', async () => {
    const base = await engine.query('select count(*) as n from transactions');
    const fact = await engine.query('select count(*) as n from fact_transactions');

    // 2 + 1 + 1 + 1 + 2 rows ingested; T1, T2, T3 once and T4 on each of its two days.
    expect([base.rows[0]?.n, fact.rows[0]?.n]).toEqual([7, 5]);
  });

  it('lists a key seen on two event days in transactions_on_several_days, and no other', async () => {
    const result = await engine.query('select * from transactions_on_several_days');

    expect(result.rows).toEqual([
      {
        transaction_id: 'T4',
        day_count: 2,
        first_day: '2024-03-01',
        last_day: '2024-03-02',
        latest_source_key: 'landing/transactions/two-days.csv',
      },
    ]);
  });

  it('keeps a key seen on two event days once per day (the dedupe is per day, so a day rebuilds alone)', async () => {
    const result = await engine.query(
      "select event_date, amount from fact_transactions where transaction_id = 'T4' order by event_date",
    );

    expect(result.rows).toEqual([
      { event_date: '2024-03-01', amount: 7 },
      { event_date: '2024-03-02', amount: 8 },
    ]);
  });
});

describe('dim_customer (SCD2)', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    const snapshot = (updated_at: string, segment: string, name = 'Ann Lee') => ({
      customer_id: 'C1',
      name,
      email: 'ann@example.com',
      segment,
      city: 'Boston',
      updated_at,
    });
    await lake.writeCurated('customers', 'snapshots', [
      snapshot('2024-01-01T00:00:00Z', 'retail'),
      // A name change alone is not a tracked change: no new version.
      snapshot('2024-02-01T00:00:00Z', 'retail', 'Ann Lee-Smith'),
      snapshot('2024-03-01T00:00:00Z', 'premium'),
      snapshot('2024-04-01T00:00:00Z', 'business'),
    ]);
    await lake.writeCurated('transactions', 'ledger', [
      transaction({ transaction_id: 'before-first', customer_id: 'C1', event_time: '2023-12-31T10:00:00Z' }),
      transaction({ transaction_id: 'in-march', customer_id: 'C1', event_time: '2024-03-15T10:00:00Z' }),
      transaction({ transaction_id: 'at-change', customer_id: 'C1', event_time: '2024-04-01T00:00:00Z' }),
      transaction({ transaction_id: 'stranger', customer_id: 'C9', event_time: '2024-03-15T10:00:00Z' }),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('keeps one version per segment change for a customer who changed segment twice', async () => {
    const result = await engine.query(
      `select customer_key, segment, customer_name, valid_from, valid_to, version_number, is_current
       from dim_customer where customer_id = 'C1' order by valid_from`,
    );

    expect(result.rows).toEqual([
      {
        customer_key: 1,
        segment: 'retail',
        customer_name: 'Ann Lee',
        valid_from: '2024-01-01T00:00:00.000Z',
        valid_to: '2024-03-01T00:00:00.000Z',
        version_number: 1,
        is_current: false,
      },
      {
        customer_key: 2,
        segment: 'premium',
        customer_name: 'Ann Lee',
        valid_from: '2024-03-01T00:00:00.000Z',
        valid_to: '2024-04-01T00:00:00.000Z',
        version_number: 2,
        is_current: false,
      },
      {
        customer_key: 3,
        segment: 'business',
        customer_name: 'Ann Lee',
        valid_from: '2024-04-01T00:00:00.000Z',
        valid_to: '9999-12-31T00:00:00.000Z',
        version_number: 3,
        is_current: true,
      },
    ]);
  });

  it('has an unknown member with key -1', async () => {
    const result = await engine.query(
      'select customer_id, segment from dim_customer where customer_key = -1',
    );

    expect(result.rows).toEqual([{ customer_id: 'unknown', segment: 'unknown' }]);
  });

  it('points each transaction at the customer version valid at its time, or -1', async () => {
    const result = await engine.query(
      'select transaction_id, customer_key from fact_transactions order by transaction_id',
    );

    // Before the first snapshot -> version 1 (key 1); mid-March -> premium (key 2); exactly at the
    // April change -> business (key 3, valid_from is inclusive); C9 has no snapshot -> -1.
    expect(result.rows).toEqual([
      { transaction_id: 'at-change', customer_key: 3 },
      { transaction_id: 'before-first', customer_key: 1 },
      { transaction_id: 'in-march', customer_key: 2 },
      { transaction_id: 'stranger', customer_key: -1 },
    ]);
  });
});

describe('fact_transactions', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    const at = '2024-03-01T10:00:00Z';
    await lake.writeCurated('transactions', 'ledger', [
      transaction({
        transaction_id: 'cc',
        event_time: at,
        channel: 'credit_card',
        amount: 250,
        processing_time_s: 0.5,
      }),
      transaction({
        transaction_id: 'dc',
        event_time: at,
        channel: 'debit_card',
        amount: 150.5,
        processing_time_s: 1,
      }),
      transaction({
        transaction_id: 'upi',
        event_time: at,
        channel: 'upi',
        amount: 99.99,
        processing_time_s: 2.99,
      }),
      transaction({
        transaction_id: 'nb-failed',
        event_time: at,
        channel: 'net_banking',
        amount: 1000,
        status: 'failed',
        processing_time_s: 3,
      }),
      transaction({
        transaction_id: 'cc-withdrawal',
        event_time: at,
        channel: 'credit_card',
        type: 'withdrawal',
        amount: 10.01,
        processing_time_s: null,
        city: 'Gotham',
      }),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('computes revenue from the channel fee for successful transactions only', async () => {
    const result = await engine.query(
      'select transaction_id, fee_percent, revenue from fact_transactions order by transaction_id',
    );

    // reference/channels.csv: credit_card 2.00, debit_card 1.00, upi 0.30, net_banking 0.75 (percent).
    expect(result.rows).toEqual([
      { transaction_id: 'cc', fee_percent: 2, revenue: 5 }, // 250.00 x 2.00 / 100
      { transaction_id: 'cc-withdrawal', fee_percent: 2, revenue: 0.2002 }, // 10.01 x 2.00 / 100
      { transaction_id: 'dc', fee_percent: 1, revenue: 1.505 }, // 150.50 x 1.00 / 100
      { transaction_id: 'nb-failed', fee_percent: 0.75, revenue: 0 }, // failed: no fee
      { transaction_id: 'upi', fee_percent: 0.3, revenue: 0.29997 }, // 99.99 x 0.30 / 100, exact
    ]);
  });

  it('signs amounts by type and buckets processing delays', async () => {
    const result = await engine.query(
      'select transaction_id, signed_amount, processing_delay_bucket, city_key from fact_transactions order by transaction_id',
    );

    expect(result.rows).toEqual([
      { transaction_id: 'cc', signed_amount: 250, processing_delay_bucket: 'fast', city_key: 'boston' },
      {
        transaction_id: 'cc-withdrawal',
        signed_amount: -10.01,
        processing_delay_bucket: 'unknown',
        city_key: 'gotham',
      },
      { transaction_id: 'dc', signed_amount: 150.5, processing_delay_bucket: 'medium', city_key: 'boston' },
      {
        transaction_id: 'nb-failed',
        signed_amount: 1000,
        processing_delay_bucket: 'slow',
        city_key: 'boston',
      },
      { transaction_id: 'upi', signed_amount: 99.99, processing_delay_bucket: 'medium', city_key: 'boston' },
    ]);
  });

  it('adds cities missing from the reference to dim_city with an unknown region', async () => {
    const result = await engine.query(
      "select city_key, city_name, state, region from dim_city where city_key in ('boston', 'gotham', 'unknown') order by city_key",
    );

    expect(result.rows).toEqual([
      { city_key: 'boston', city_name: 'Boston', state: 'MA', region: 'northeast' },
      { city_key: 'gotham', city_name: 'Gotham', state: null, region: 'unknown' },
      { city_key: 'unknown', city_name: 'Unknown', state: null, region: 'unknown' },
    ]);
  });
});

describe('dim_date', () => {
  let engine: DuckDbEngine;
  let lake: LakeFixture;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('covers every day from 2020-01-01 to 2030-12-31 once', async () => {
    const result = await engine.query(
      'select count(*) as days, count(distinct date_key) as keys, min(date_day) as first, max(date_day) as last from dim_date',
    );

    // 2020..2030 is 11 years, three of them leap years (2020, 2024, 2028): 11 x 365 + 3 = 4018.
    expect(result.rows).toEqual([{ days: 4018, keys: 4018, first: '2020-01-01', last: '2030-12-31' }]);
    // The ingest quarantines event times outside this calendar, so it must be the same one.
    expect([result.rows[0]?.first, result.rows[0]?.last]).toEqual([LAKE_CALENDAR.first, LAKE_CALENDAR.last]);
  });

  it('describes a day with its week, month and quarter attributes', async () => {
    const result = await engine.query("select * from dim_date where date_day = date '2024-02-29'");

    expect(result.rows).toEqual([
      {
        date_key: 20240229,
        date_day: '2024-02-29',
        day_of_month: 29,
        day_of_week: 4,
        day_name: 'Thursday',
        is_weekday: true,
        iso_week: 9,
        week_start: '2024-02-26',
        month_number: 2,
        month_start: '2024-02-01',
        month_end: '2024-02-29',
        is_month_start: false,
        is_month_end: true,
        quarter_number: 1,
        year_number: 2024,
      },
    ]);
  });
});
