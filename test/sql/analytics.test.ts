import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { loadModels } from '../../src/sql/models';
import { type FixtureRow, LakeFixture, transaction } from './lake-fixture';

async function catalogOver(lake: LakeFixture): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source: lake.dir });
  await buildCatalog(engine, { lakeDir: lake.dir });
  return engine;
}

/** `count` successful credit-card transactions of 100.00 (revenue 2.00 each) on `day`. */
function creditCardDay(day: string, count: number, status = 'success'): FixtureRow[] {
  return Array.from({ length: count }, (_, i) =>
    transaction({
      transaction_id: `${day}-${status}-${i}`,
      event_time: `${day}T10:00:00Z`,
      channel: 'credit_card',
      amount: 100,
      status,
      processing_time_s: 1 + i,
    }),
  );
}

describe('kpi_daily', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    // Successful transactions per day over 03-01..03-08: 1, 2, 0, 3, 1, 1, 1, 5 -> revenue 2 x count.
    // Day 2 also has one failed transaction (no revenue).
    const perDay = [1, 2, 0, 3, 1, 1, 1, 5];
    const rows = perDay.flatMap((count, i) => creditCardDay(`2024-03-0${i + 1}`, count));
    rows.push(...creditCardDay('2024-03-02', 1, 'failed'));
    await lake.writeCurated('transactions', 'ledger', rows);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('averages over the days that exist at the start of the series', async () => {
    const result = await engine.query(
      'select kpi_date, revenue, revenue_7d_avg from kpi_daily order by kpi_date',
    );

    // Daily revenue 2, 4, 0, 6, 2, 2, 2, 10. Moving average of the current and up to 6 previous days:
    // 2/1, 6/2, 6/3, 12/4, 14/5, 16/6, 18/7, then (4+0+6+2+2+2+10)/7 = 26/7 once day 1 drops out.
    const expected = [
      ['2024-03-01', 2, 2],
      ['2024-03-02', 4, 3],
      ['2024-03-03', 0, 2],
      ['2024-03-04', 6, 3],
      ['2024-03-05', 2, 2.8],
      ['2024-03-06', 2, 16 / 6],
      ['2024-03-07', 2, 18 / 7],
      ['2024-03-08', 10, 26 / 7],
    ];
    expect(result.rows.map((r) => [r.kpi_date, r.revenue, r.revenue_7d_avg])).toEqual(
      expected.map(([day, revenue, avg]) => [day, revenue, expect.closeTo(avg as number, 9)]),
    );
  });

  it('gives the failure rate per day and its moving average, null on days without transactions', async () => {
    const result = await engine.query(
      `select kpi_date, transaction_count, failure_rate, failure_rate_7d_avg, transaction_count_7d_avg
       from kpi_daily where kpi_date <= date '2024-03-03' order by kpi_date`,
    );

    // Day 1: 1 transaction, 0 failed. Day 2: 2 successful + 1 failed = 3, rate 1/3. Day 3: none.
    // Rate average on day 3 ignores the empty day: (0 + 1/3) / 2 = 1/6; count average (1+3+0)/3.
    expect(result.rows).toEqual([
      {
        kpi_date: '2024-03-01',
        transaction_count: 1,
        failure_rate: 0,
        failure_rate_7d_avg: 0,
        transaction_count_7d_avg: 1,
      },
      {
        kpi_date: '2024-03-02',
        transaction_count: 3,
        failure_rate: expect.closeTo(1 / 3, 9),
        failure_rate_7d_avg: expect.closeTo(1 / 6, 9),
        transaction_count_7d_avg: 2,
      },
      {
        kpi_date: '2024-03-03',
        transaction_count: 0,
        failure_rate: null,
        failure_rate_7d_avg: expect.closeTo(1 / 6, 9),
        transaction_count_7d_avg: expect.closeTo(4 / 3, 9),
      },
    ]);
  });

  it('reports failure rate and processing time per channel', async () => {
    const result = await engine.query(
      `select channel, transaction_count, failed_count, failure_rate, avg_processing_time_s, revenue
       from channel_performance where channel in ('credit_card', 'upi') order by channel`,
    );

    // 14 successful + 1 failed credit-card transactions. Processing times 1 + i per day:
    // day counts 1,2,0,3,1,1,1,5 give sums 1, 3, 0, 6, 1, 1, 1, 15 (=1+2+3+4+5) and the failed one 1,
    // total 29 over 15 transactions. Revenue 14 x 2.00 = 28. UPI: unused, zeros.
    expect(result.rows).toEqual([
      {
        channel: 'credit_card',
        transaction_count: 15,
        failed_count: 1,
        failure_rate: expect.closeTo(1 / 15, 9),
        avg_processing_time_s: expect.closeTo(29 / 15, 9),
        revenue: 28,
      },
      {
        channel: 'upi',
        transaction_count: 0,
        failed_count: 0,
        failure_rate: null,
        avg_processing_time_s: null,
        revenue: 0,
      },
    ]);
  });
});

describe('customer_activity', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    const active = (customer_id: string, day: string, status = 'success') =>
      transaction({
        transaction_id: `${customer_id}-${day}`,
        customer_id,
        event_time: `${day}T09:00:00Z`,
        status,
      });
    await lake.writeCurated('transactions', 'ledger', [
      active('C1', '2024-03-01'),
      active('C1', '2024-03-03', 'failed'), // an attempt counts as activity
      active('C1', '2024-03-10'),
      active('C2', '2024-03-10'),
      active('C3', '2024-01-01'),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it.each([
    // day, bitmap (bit i = active i days ago), today, last 7 days, last 28 days, active days
    ['2024-03-01', 1, true, true, true, 1], // bit 0
    ['2024-03-02', 2, false, true, true, 1], // 03-01 is 1 day ago: 2^1
    ['2024-03-03', 5, true, true, true, 2], // 2^0 + 2^2
    ['2024-03-08', 160, false, true, true, 2], // 03-03 5 days ago, 03-01 7 days ago: 2^5 + 2^7
    ['2024-03-09', 320, false, true, true, 2], // 2^6 + 2^8
    ['2024-03-10', 641, true, true, true, 3], // 2^0 + 2^7 + 2^9
  ])('gives customer C1 on %s the bitmap %i', async (day, bitmap, today, last7, last28, activeDays) => {
    const result = await engine.query(
      `select activity_bitmap, active_today, active_last_7_days, active_last_28_days, active_days_last_32
       from customer_activity where customer_id = 'C1' and activity_date = date '${day}'`,
    );

    expect(result.rows).toEqual([
      {
        activity_bitmap: bitmap,
        active_today: today,
        active_last_7_days: last7,
        active_last_28_days: last28,
        active_days_last_32: activeDays,
      },
    ]);
  });

  it('keeps a day in the bitmap for 32 days, then drops the customer', async () => {
    const result = await engine.query(
      `select activity_date, activity_bitmap, active_last_28_days from customer_activity
       where customer_id = 'C3' and activity_date >= date '2024-01-28' order by activity_date`,
    );

    // Active on 01-01 only: on 01-28 it is 27 days ago (still in the last 28), 01-29 is 28 days ago,
    // 02-01 is 31 days ago (the last bit, 2^31, beyond 32-bit integers), 02-02 has no row.
    expect(result.rows).toEqual([
      { activity_date: '2024-01-28', activity_bitmap: 2 ** 27, active_last_28_days: true },
      { activity_date: '2024-01-29', activity_bitmap: 2 ** 28, active_last_28_days: false },
      { activity_date: '2024-01-30', activity_bitmap: 2 ** 29, active_last_28_days: false },
      { activity_date: '2024-01-31', activity_bitmap: 2 ** 30, active_last_28_days: false },
      { activity_date: '2024-02-01', activity_bitmap: 2 ** 31, active_last_28_days: false },
    ]);
  });

  it('counts daily, weekly and monthly active customers', async () => {
    const result = await engine.query(
      `select activity_date, daily_active_customers, weekly_active_customers, monthly_active_customers
       from active_customers_daily where activity_date in (date '2024-01-15', date '2024-02-15', date '2024-03-09', date '2024-03-10')
       order by activity_date`,
    );

    // 01-15: C3 active 14 days ago. 02-15: nobody within 32 days (a gap-filled day).
    // 03-09: C1 active 6 days ago (03-03). 03-10: C1 and C2 active that day.
    expect(result.rows).toEqual([
      {
        activity_date: '2024-01-15',
        daily_active_customers: 0,
        weekly_active_customers: 0,
        monthly_active_customers: 1,
      },
      {
        activity_date: '2024-02-15',
        daily_active_customers: 0,
        weekly_active_customers: 0,
        monthly_active_customers: 0,
      },
      {
        activity_date: '2024-03-09',
        daily_active_customers: 0,
        weekly_active_customers: 1,
        monthly_active_customers: 1,
      },
      {
        activity_date: '2024-03-10',
        daily_active_customers: 2,
        weekly_active_customers: 2,
        monthly_active_customers: 2,
      },
    ]);
  });
});

describe('sales views', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    const line = (
      id: string,
      product: string,
      category: string,
      price: number,
      quantity: number,
      discount: number,
      region: string,
      day: string,
    ) => ({
      transaction_id: id,
      customer_id: 'C1',
      product_id: product,
      product_name: `Product ${product}`,
      category,
      price,
      quantity,
      discount,
      region,
      order_date: day,
      loyalty_points: 1,
    });
    await lake.writeCurated('sales', 'orders', [
      line('S1', 'P1', 'books', 19.99, 3, 0.15, 'west', '2024-01-10'),
      line('S2', 'P2', 'toys', 10, 1, 0, 'west', '2024-01-20'),
      line('S3', 'P3', 'toys', 50, 2, 0.5, 'south', '2024-02-05'),
      line('S4', 'P4', 'books', 5, 1, 0, 'south', '2024-02-06'),
      line('S5', 'P5', 'garden', 100, 1, 0.1, 'south', '2024-02-07'),
      line('S6', 'P6', 'garden', 1, 1, 0, 'west', '2024-02-08'),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('values an order line as quantity x price x (1 - discount)', async () => {
    const result = await engine.query(
      "select gross_value, total_value from fact_sales where transaction_id = 'S1'",
    );

    // 3 x 19.99 = 59.97 gross; x 0.85 = 50.9745 -> 50.97.
    expect(result.rows).toEqual([{ gross_value: 59.97, total_value: 50.97 }]);
  });

  it('ranks the top 5 products by sales value', async () => {
    const result = await engine.query(
      'select revenue_rank, product_id, total_value from top_products order by revenue_rank',
    );

    // P5 90.00, P1 50.97, P3 50.00 (2 x 50 x 0.5), P2 10.00, P4 5.00; P6 (1.00) is sixth.
    expect(result.rows).toEqual([
      { revenue_rank: 1, product_id: 'P5', total_value: 90 },
      { revenue_rank: 2, product_id: 'P1', total_value: 50.97 },
      { revenue_rank: 3, product_id: 'P3', total_value: 50 },
      { revenue_rank: 4, product_id: 'P2', total_value: 10 },
      { revenue_rank: 5, product_id: 'P4', total_value: 5 },
    ]);
  });

  it('trends sales by month with the change from the previous month', async () => {
    const result = await engine.query(
      'select month_start, order_lines, total_value, month_over_month_change from monthly_sales_trend order by month_start',
    );

    // January: 50.97 + 10.00 = 60.97. February: 50 + 5 + 90 + 1 = 146.00; change 146 / 60.97 - 1.
    expect(result.rows).toEqual([
      { month_start: '2024-01-01', order_lines: 2, total_value: 60.97, month_over_month_change: null },
      {
        month_start: '2024-02-01',
        order_lines: 4,
        total_value: 146,
        month_over_month_change: expect.closeTo(146 / 60.97 - 1, 9),
      },
    ]);
  });

  it('averages discounts per region and sums sales per region and category', async () => {
    const discounts = await engine.query(
      'select region, avg_discount, discount_value from avg_discount_by_region order by region',
    );
    const byCategory = await engine.query(
      "select category, units, total_value from sales_by_region_category where region = 'south' order by category",
    );

    // south: discounts 0.5, 0, 0.1 -> 0.2; given away 50 + 0 + 10 = 60.
    // west: 0.15, 0, 0 -> 0.05; given away 59.97 - 50.97 = 9.00.
    expect(discounts.rows).toEqual([
      { region: 'south', avg_discount: expect.closeTo(0.2, 9), discount_value: 60 },
      { region: 'west', avg_discount: expect.closeTo(0.05, 9), discount_value: 9 },
    ]);
    expect(byCategory.rows).toEqual([
      { category: 'books', units: 1, total_value: 5 },
      { category: 'garden', units: 1, total_value: 90 },
      { category: 'toys', units: 2, total_value: 50 },
    ]);
  });
});

describe('data quality and freshness', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    const valid = Array.from({ length: 7 }, (_, i) =>
      transaction({ transaction_id: `T${i}`, event_time: '2024-03-01T10:00:00Z', amount: 500 + i * 100 }),
    );
    await lake.writeCurated('transactions', 'ledger', valid, '2024-03-02T06:00:00Z');
    await lake.writeQuarantine(
      'transactions',
      'ledger',
      [
        { dt: '2024-03-01', rules: 'amount.range' },
        { dt: '2024-03-01', rules: 'amount.range|channel.allowed_values' },
        { dt: '2024-03-01', rules: 'transaction_id.required' },
      ],
      '2024-03-02T06:00:00Z',
    );
    const manifest = (
      source: string,
      ingestedAt: string,
      read: number,
      validRows: number,
      quarantined: number,
    ) => ({
      manifest_version: 1,
      dataset: 'transactions',
      source_key: `landing/transactions/${source}`,
      source_etag: 'abc',
      status: 'ok',
      rejection_reason: null,
      format: 'csv',
      compression: 'none',
      delimiter: ',',
      ingested_at: ingestedAt,
      started_at: ingestedAt,
      finished_at: ingestedAt,
      duration_ms: 12,
      rows_read: read,
      rows_valid: validRows,
      rows_quarantined: quarantined,
      duplicates_dropped: read - validRows - quarantined,
      partitions: ['2024-03-01'],
      files_written: [],
      bytes_in: 100,
      bytes_out: 50,
      ignored_columns: [],
      violations_by_rule: { 'amount.range': 2 },
    });
    lake.writeManifest('transactions', 'old', manifest('old.csv', '2024-03-01T06:00:00.000Z', 4, 4, 0));
    lake.writeManifest(
      'transactions',
      'ledger',
      manifest('ledger.csv', '2024-03-02T06:00:00.000Z', 11, 7, 3),
    );
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('counts quarantined rows per dataset, day and rule', async () => {
    const result = await engine.query(
      'select dataset, dt, rule_id, field, rule_name, rejected_rows from data_quality_rejections order by rule_id',
    );

    // The row breaking two rules counts once under each.
    expect(result.rows).toEqual([
      {
        dataset: 'transactions',
        dt: '2024-03-01',
        rule_id: 'amount.range',
        field: 'amount',
        rule_name: 'range',
        rejected_rows: 2,
      },
      {
        dataset: 'transactions',
        dt: '2024-03-01',
        rule_id: 'channel.allowed_values',
        field: 'channel',
        rule_name: 'allowed_values',
        rejected_rows: 1,
      },
      {
        dataset: 'transactions',
        dt: '2024-03-01',
        rule_id: 'transaction_id.required',
        field: 'transaction_id',
        rule_name: 'required',
        rejected_rows: 1,
      },
    ]);
  });

  it('gives the share of rows rejected per dataset and day', async () => {
    const result = await engine.query('select * from data_quality_daily');

    // 7 valid + 3 quarantined on 03-01: 3 / 10 rejected.
    expect(result.rows).toEqual([
      { dataset: 'transactions', dt: '2024-03-01', valid_rows: 7, quarantined_rows: 3, share_rejected: 0.3 },
    ]);
  });

  it('reports the last ingest time and row counts per dataset', async () => {
    const result = await engine.query('select * from pipeline_freshness');

    // Two manifests: 4 + 11 read, 4 + 7 valid, 0 + 3 quarantined, 0 + 1 duplicate; the latest at 03-02 06:00.
    expect(result.rows).toEqual([
      {
        dataset: 'transactions',
        last_ingested_at: '2024-03-02T06:00:00.000Z',
        files_ingested: 2,
        files_rejected: 0,
        rows_read: 15,
        rows_valid: 11,
        rows_quarantined: 3,
        duplicates_dropped: 1,
        latest_partition: '2024-03-01',
        curated_rows: 7,
      },
    ]);
  });

  it('lists high-value transactions above 1000', async () => {
    const result = await engine.query(
      'select transaction_id, amount from high_value_transactions order by transaction_id',
    );

    // Amounts 500, 600, ..., 1100: only T6 (1100) is above 1000.
    expect(result.rows).toEqual([{ transaction_id: 'T6', amount: 1100 }]);
  });
});

describe('views that count every dataset', () => {
  it('int_curated_rows_per_day, generated from the contracts, has a line for every dataset contract', () => {
    const model = loadModels().find((m) => m.name === 'int_curated_rows_per_day');
    const listed = [...(model?.sql ?? '').matchAll(/select '([a-z_]+)' as dataset/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(DATASETS.map((d) => d.name).sort());
  });

  it.each(['sql/analytics/data_quality_daily.sql', 'sql/analytics/pipeline_freshness.sql'])(
    '%s names no dataset itself: it reads the generated counts',
    (file) => {
      const sql = readFileSync(file, 'utf8');
      expect(sql).toContain('from int_curated_rows_per_day');
      for (const { name } of DATASETS) expect(sql).not.toMatch(new RegExp(`from ${name}\\b`));
    },
  );
});

describe('high_value_orders', () => {
  it('lists orders worth more than 1000 with their time of day and display case', async () => {
    const lake = await LakeFixture.create();
    const order = (
      id: string,
      price: number,
      quantity: number,
      discount: number,
      extra: Record<string, string>,
    ) => ({
      transaction_id: id,
      customer_id: 'C1',
      product_id: `P-${id}`,
      product_name: `Product ${id}`,
      category: 'garden',
      price,
      quantity,
      discount,
      region: 'west',
      order_date: '2024-02-09',
      loyalty_points: 1,
      ...extra,
    });
    await lake.writeCurated('sales', 'orders', [
      order('B1', 600, 2, 0.1, {
        category_display: 'Garden',
        region_display: 'West',
        order_time: '2024-02-09T14:35:00Z',
      }),
      // Exactly 1000 after its discount: not above it.
      order('B2', 1250, 1, 0.2, { order_time: '2024-02-09T09:00:00Z' }),
      // A row as a file from before the display and time columns has it.
      order('B3', 2000, 1, 0, {}),
    ]);
    const engine = await catalogOver(lake);
    try {
      const result = await engine.query(
        'select transaction_id, order_time, category, region, total_value from high_value_orders order by transaction_id',
      );

      // B1: 2 x 600 x 0.9 = 1080. B2: 1250 x 0.8 = 1000.00, not above 1000. B3: the lower-case values
      // and midnight of its order day.
      expect(result.rows).toEqual([
        {
          transaction_id: 'B1',
          order_time: '2024-02-09T14:35:00.000Z',
          category: 'Garden',
          region: 'West',
          total_value: 1080,
        },
        {
          transaction_id: 'B3',
          order_time: '2024-02-09T00:00:00.000Z',
          category: 'garden',
          region: 'west',
          total_value: 2000,
        },
      ]);
    } finally {
      await engine.close();
      await lake.close();
    }
  });
});
