import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalog, type CatalogBuild } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { type FixtureRow, LakeFixture, transaction } from './lake-fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function build(
  lake: LakeFixture,
  rebuild = false,
): Promise<{ engine: DuckDbEngine; catalog: CatalogBuild }> {
  const engine = await openDuckDb({ source: lake.dir, threads: 1 });
  cleanups.push(() => engine.close());
  const catalog = await buildCatalog(engine, { lakeDir: lake.dir, rebuild });
  return { engine, catalog };
}

const move = (
  id: string,
  time: string,
  type: string,
  amount: number,
  extra: Partial<Record<string, string>> = {},
): FixtureRow =>
  transaction({
    transaction_id: id,
    event_time: time,
    type,
    amount,
    customer_id: 'C1',
    account_id: 'A1',
    ...extra,
  });

const SUMMARY =
  'select customer_id, month_start, currency, transactions, successful_transactions, failed_transactions, money_in, money_out, net_amount, active_days, accounts_used, channels_used, summary_date from fact_customer_monthly_summary order by all';

describe('fact_customer_monthly_summary', () => {
  it('sums a month per customer and currency, and rebuilds only the month a late file touches', async () => {
    const lake = await LakeFixture.create();
    cleanups.push(() => lake.close());
    await lake.writeCurated('transactions', 'feb', [
      move('T1', '2024-02-03T09:00:00Z', 'deposit', 500),
      move('T2', '2024-02-03T10:00:00Z', 'withdrawal', 120, { channel: 'card' }),
      move('T3', '2024-02-10T10:00:00Z', 'payment', 80, { account_id: 'A2' }),
      move('T4', '2024-02-11T10:00:00Z', 'withdrawal', 999, { status: 'failed' }), // moves nothing
      move('T5', '2024-02-20T10:00:00Z', 'deposit', 40, { currency: 'EUR' }), // its own row
      move('T6', '2024-02-26T10:00:00Z', 'deposit', 10, { customer_id: 'C2', account_id: 'B1' }),
    ]);
    await lake.writeCurated('transactions', 'mar', [
      move('T7', '2024-03-01T10:00:00Z', 'refund', 15),
      move('T8', '2024-03-04T10:00:00Z', 'fee', 5),
    ]);
    const first = await build(lake);
    // Hand-worked: C1's February in USD is 500 in, 120 + 80 out (the failed 999 counts as a
    // transaction, not as money), on 02-03, 02-10 and 02-11, two accounts, two channels. Each row sits
    // on its month's latest transaction day in the lake: 02-26 and 03-04.
    const expected = [
      ['C1', '2024-02-01', 'EUR', 1, 1, 0, 40, 0, 40, 1, 1, 1, '2024-02-26'],
      ['C1', '2024-02-01', 'USD', 4, 3, 1, 500, 200, 300, 3, 2, 2, '2024-02-26'],
      ['C1', '2024-03-01', 'USD', 2, 2, 0, 15, 5, 10, 2, 1, 1, '2024-03-04'],
      ['C2', '2024-02-01', 'USD', 1, 1, 0, 10, 0, 10, 1, 1, 1, '2024-02-26'],
    ];
    const columns = SUMMARY.slice('select '.length, SUMMARY.indexOf(' from')).split(', ');
    const asRows = (rows: (string | number)[][]) =>
      rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]])));
    expect((await first.engine.query(SUMMARY)).rows).toEqual(asRows(expected));

    // A late February file (a new latest February day) rebuilds February's days only, and the
    // February rows move to 02-28; March is untouched.
    await lake.writeCurated('transactions', 'feb-late', [move('T9', '2024-02-28T10:00:00Z', 'deposit', 1)]);
    const later = await build(lake);
    const refresh = later.catalog.refresh?.models.find((m) => m.model === 'fact_customer_monthly_summary');
    expect(refresh).toMatchObject({ mode: 'incremental' });
    expect(refresh?.days).toEqual([
      '2024-02-03',
      '2024-02-10',
      '2024-02-11',
      '2024-02-20',
      '2024-02-26',
      '2024-02-28',
    ]);
    const afterLate = (await later.engine.query(SUMMARY)).rows;
    expect(afterLate).toEqual(
      asRows([
        ['C1', '2024-02-01', 'EUR', 1, 1, 0, 40, 0, 40, 1, 1, 1, '2024-02-28'],
        ['C1', '2024-02-01', 'USD', 5, 4, 1, 501, 200, 301, 4, 2, 2, '2024-02-28'],
        ['C1', '2024-03-01', 'USD', 2, 2, 0, 15, 5, 10, 2, 1, 1, '2024-03-04'],
        ['C2', '2024-02-01', 'USD', 1, 1, 0, 10, 0, 10, 1, 1, 1, '2024-02-28'],
      ]),
    );
    // The old February partition (02-26) was emptied, not left behind: one row per key.
    const full = await build(lake, true);
    expect((await full.engine.query(SUMMARY)).rows).toEqual(afterLate);
  });
});
