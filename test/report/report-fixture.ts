import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { type FixtureRow, LakeFixture, transaction } from '../sql/lake-fixture';

/*
 * A hand-made lake whose figures were worked out by hand. The page holds 2024-03-08..2024-03-14
 * (7 days), its cubes start 6 days earlier (2024-03-02). Fees: credit_card 2%, upi 0.3%
 * (reference/channels.csv). Customers: C1 retail in Boston (MA, northeast), C2 premium in Seattle
 * (WA, west).
 *
 * previous 7 days: T1 C1 Boston credit_card success deposit 100 (A3, 1.0 s) -> revenue 2.00
 *                  T2 C1 Boston upi failed 50 (A3, 3.0 s)
 *   -> revenue 2.00, 2 transactions, failure rate 50%, avg 2.00 s
 * the 7 days:      T3 C1 Boston credit_card success deposit 200 (A1, 0.5 s) -> 4.00
 *                  T4 C2 Seattle upi success deposit 1000 (A2, 1.5 s) -> 3.00
 *                  T5 C1 Boston credit_card failed withdrawal 300 (A1, 2.5 s) -> 0 (no balance move)
 *                  T6 C2 Seattle upi success withdrawal 100 (A2, 0.5 s) -> 0.30
 *   -> revenue 7.30 (+265.0%), 4 transactions (+100.0%), failure rate 25.0% (-25.0 pp),
 *      avg 1.25 s (-37.5%)
 *   west / premium (T4, T6): revenue 3.30, 2 transactions, 0.0%, 1.00 s, nothing the 7 days before
 *   retail (T3, T5): revenue 4.00 (+100.0% on 2.00), 2 transactions, 50.0%, 1.50 s
 * balances over the 7 days: A2 0 -> 1000 (10 Mar) -> 900 (13 Mar), A1 0 -> 200 (9 Mar), A3 100.
 * sales on 10 Mar (C1): S1 2 x 10 x 0.9 = 18.00 (hostile category), S2 1 x 50 = 50.00 (home).
 */
export const SPAN = { from: '2024-03-08', to: '2024-03-14' };
export const HOSTILE_CATEGORY = '<img src=x onerror=alert(1)>';
export const HOSTILE_CITY = '<script>alert("c")</script>';

function tx(id: string, day: string, overrides: Partial<Record<string, string | number>>): FixtureRow {
  return transaction({ transaction_id: id, event_time: `${day}T10:00:00Z`, ...overrides });
}

function saleLine(
  id: string,
  product: string,
  category: string,
  price: number,
  quantity: number,
  discount: number,
) {
  return {
    transaction_id: id,
    customer_id: 'C1',
    product_id: product,
    product_name: product,
    category,
    price,
    quantity,
    discount,
    region: 'west',
    order_date: '2024-03-10',
    loyalty_points: 1,
  };
}

/** The lake above, with its catalog built on DuckDB. */
export async function createReportLake(): Promise<{ lake: LakeFixture; engine: DuckDbEngine }> {
  const lake = await LakeFixture.create();
  await lake.writeCurated('customers', 'crm', [
    {
      customer_id: 'C1',
      name: 'Ann',
      email: 'ann@example.com',
      segment: 'retail',
      city: 'Boston',
      updated_at: '2024-01-01T00:00:00Z',
    },
    {
      customer_id: 'C2',
      name: 'Bo',
      email: 'bo@example.com',
      segment: 'premium',
      city: 'Seattle',
      updated_at: '2024-01-01T00:00:00Z',
    },
  ]);
  await lake.writeCurated('transactions', 'ledger', [
    tx('T1', '2024-03-02', { account_id: 'A3', channel: 'credit_card', amount: 100, processing_time_s: 1.0 }),
    tx('T2', '2024-03-03', {
      account_id: 'A3',
      channel: 'upi',
      amount: 50,
      status: 'failed',
      processing_time_s: 3.0,
    }),
    tx('T3', '2024-03-09', { account_id: 'A1', channel: 'credit_card', amount: 200, processing_time_s: 0.5 }),
    tx('T4', '2024-03-10', {
      account_id: 'A2',
      customer_id: 'C2',
      city: 'Seattle',
      channel: 'upi',
      amount: 1000,
      processing_time_s: 1.5,
    }),
    tx('T5', '2024-03-12', {
      account_id: 'A1',
      channel: 'credit_card',
      type: 'withdrawal',
      amount: 300,
      status: 'failed',
      processing_time_s: 2.5,
    }),
    tx('T6', '2024-03-13', {
      account_id: 'A2',
      customer_id: 'C2',
      city: 'Seattle',
      channel: 'upi',
      type: 'withdrawal',
      amount: 100,
      processing_time_s: 0.5,
    }),
  ]);
  // A city nobody listed, named to break out of HTML: it lands in dim_city as region 'unknown'.
  await lake.writeCurated('transactions', 'hostile', [
    tx('T7', '2024-02-01', { account_id: 'A9', city: HOSTILE_CITY, amount: 1 }),
  ]);
  await lake.writeCurated('sales', 'orders', [
    saleLine('S1', 'P1', HOSTILE_CATEGORY, 10, 2, 0.1),
    saleLine('S2', 'P2', 'home', 50, 1, 0),
  ]);
  await lake.writeQuarantine('transactions', 'ledger', [
    { dt: '2024-03-10', rules: 'amount.range' },
    { dt: '2024-03-10', rules: 'amount.range' },
    { dt: '2024-03-11', rules: 'amount.range|channel.allowed_values' },
  ]);
  lake.writeManifest('transactions', 'ledger', {
    dataset: 'transactions',
    status: 'ok',
    ingested_at: '2024-03-15T09:00:00.000Z',
    rows_read: 9,
    rows_valid: 6,
    rows_quarantined: 3,
    duplicates_dropped: 0,
  });
  const engine = await openDuckDb({ source: lake.dir });
  await buildCatalog(engine, { lakeDir: lake.dir });
  return { lake, engine };
}
