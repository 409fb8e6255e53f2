import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { type QueryEngine, QueryError, type QueryResult } from '../../src/engine/query-engine';
import {
  buildReport,
  ReportRangeError,
  reportQueryCount,
  resolveReportRange,
} from '../../src/report/build-report';
import { NO_DATA_TEXT } from '../../src/report/render';
import { type FixtureRow, LakeFixture, transaction } from '../sql/lake-fixture';
import { htmlStructureProblems } from './html-structure';

/*
 * A hand-made lake whose figures were worked out by hand. Range 2024-03-08..2024-03-14 (7 days),
 * previous period 2024-03-01..2024-03-07. Fees: credit_card 2%, upi 0.3% (reference/channels.csv).
 *
 * previous: T1 credit_card success deposit 100 (A3, 1.0 s) -> revenue 2.00
 *           T2 upi failed 50 (A3, 3.0 s)
 *   -> revenue 2.00, 2 transactions, failure rate 50%, avg 2.00 s
 * current:  T3 credit_card success deposit 200 (A1, 0.5 s) -> 4.00
 *           T4 upi success deposit 1000 (A2, 1.5 s) -> 3.00
 *           T5 credit_card failed withdrawal 300 (A1, 2.5 s) -> 0 (and no balance move)
 *           T6 upi success withdrawal 100 (A2, 0.5 s) -> 0.30
 *   -> revenue 7.30 (+265.0%), 4 transactions (+100.0%), failure rate 25.0% (-25.0 pp),
 *      avg 1.25 s (-37.5%)
 * balances over the range: A2 0 -> 900 (+900.00), A1 0 -> 200 (+200.00), A3 100 -> 100.
 */
const RANGE = { from: '2024-03-08', to: '2024-03-14' };
const HOSTILE_PRODUCT = '<img src=x onerror=alert(1)>';
const HOSTILE_REGION = '<script>alert("r")</script>';

function tx(id: string, day: string, overrides: Partial<Record<string, string | number>>): FixtureRow {
  return transaction({ transaction_id: id, event_time: `${day}T10:00:00Z`, ...overrides });
}

function saleLine(
  id: string,
  product: string,
  name: string,
  category: string,
  region: string,
  price: number,
  quantity: number,
  discount: number,
): FixtureRow {
  return {
    transaction_id: id,
    customer_id: 'C1',
    product_id: product,
    product_name: name,
    category,
    price,
    quantity,
    discount,
    region,
    order_date: '2024-03-10',
    loyalty_points: 1,
  };
}

let lake: LakeFixture;
let engine: DuckDbEngine;
const now = new Date('2024-03-15T12:00:00Z');

beforeAll(async () => {
  lake = await LakeFixture.create();
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
    tx('T4', '2024-03-10', { account_id: 'A2', channel: 'upi', amount: 1000, processing_time_s: 1.5 }),
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
      channel: 'upi',
      type: 'withdrawal',
      amount: 100,
      processing_time_s: 0.5,
    }),
  ]);
  await lake.writeCurated('sales', 'orders', [
    saleLine('S1', 'P1', HOSTILE_PRODUCT, 'books', 'west', 10, 2, 0.1),
    saleLine('S2', 'P2', 'Desk lamp', 'home', HOSTILE_REGION, 50, 1, 0),
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
  engine = await openDuckDb({ source: lake.dir });
  await buildCatalog(engine, { lakeDir: lake.dir });
});

afterAll(async () => {
  await engine?.close();
  await lake?.close();
});

/** The text of one `<section id=...>`, tags removed and whitespace collapsed. */
function sectionText(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  const end = html.indexOf('</section>', start);
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0);
  return html
    .slice(start, end)
    .replace(/<title>[\s\S]*?<\/title>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

const SECTIONS = ['kpis', 'trends', 'channels', 'sales', 'balances', 'quality'] as const;

describe('buildReport on a hand-made lake', () => {
  it('shows the KPI cards computed from the range and their change against the previous period', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const kpis = sectionText(html, 'kpis');
    expect(kpis).toContain('Revenue 7.30 USD ▲ +265.0%');
    expect(kpis).toContain('Transactions 4 ▲ +100.0%');
    expect(kpis).toContain('Failure rate 25.0% ▼ −25.0 pp');
    expect(kpis).toContain('Avg processing time 1.25 s ▼ −37.5%');
  });

  it('colours a rising failure rate as bad and rising revenue as good', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    expect(html).toMatch(/<h3>Revenue<\/h3>.*?<p class="kpi-change good">/s);
    expect(html).toMatch(/<h3>Failure rate<\/h3>.*?<p class="kpi-change good">/s);
    expect(html).toMatch(/<h3>Transactions<\/h3>.*?<p class="kpi-change good">/s);
  });

  it('draws one daily column per day of the range, with the value in its tooltip', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const revenueChart = html.slice(
      html.indexOf('aria-label="Daily revenue'),
      html.indexOf('</svg>', html.indexOf('aria-label="Daily revenue')),
    );
    expect(revenueChart.match(/<rect class="hit"/g)).toHaveLength(7);
    expect(revenueChart).toContain('<title>10 Mar 2024\nrevenue: 3.00 USD');
    // The lake's last transaction is on 13 Mar: the 14th is not a day without revenue, it is unknown.
    expect(revenueChart).toContain('<title>14 Mar 2024\nrevenue: no data');
  });

  it('compares channels by failure rate and processing time over the range', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const channels = sectionText(html, 'channels');
    expect(channels).toContain('Credit card 50.0% of 2');
    expect(channels).toContain('UPI 0.0% of 2');
    expect(channels).toContain('Credit card 1.50 s');
    expect(channels).toContain('UPI 1.00 s');
  });

  it('lists the accounts with the largest balance moves, failed transactions not counted', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const balances = sectionText(html, 'balances');
    expect(balances).toMatch(
      /A2 \(C1\) 0\.00 900\.00 \+900\.00 from zero A1 \(C1\) 0\.00 200\.00 \+200\.00 from zero A3 \(C1\) 100\.00 100\.00 0\.00 0\.0%/,
    );
  });

  it('shows sales by region and the top products from the order lines', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const sales = sectionText(html, 'sales');
    // S1: 2 x 10 x 0.9 = 18.00; S2: 1 x 50 = 50.00.
    expect(html).toContain('<title>Desk lamp (home)\nsales value: 50.00</title>');
    expect(sales).toContain('west 10.0%');
    expect(html).toContain('<title>west\nhome: 0.00\nbooks: 18.00\ntotal: 18.00</title>');
  });

  it('counts rejected rows per dataset and rule, a row with two rules under each', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    expect(html).toContain(
      '<title>10 Mar 2024\ntransactions · amount.range: 2 rows\ntransactions · channel.allowed_values: 0 rows</title>',
    );
    expect(html).toContain(
      '<title>11 Mar 2024\ntransactions · amount.range: 1 rows\ntransactions · channel.allowed_values: 1 rows</title>',
    );
    const quality = sectionText(html, 'quality');
    // In the range: 4 valid transactions (T3..T6) and 3 quarantined rows -> 3 / 7 rejected.
    expect(quality).toContain('transactions 4 3 42.9% 3 h ago 2024-03-13');
  });

  it('says which engine, lake and range the page was built from', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    const footer = html.slice(html.indexOf('<footer'));
    expect(footer).toContain(`duckdb · ${lake.dir}`);
    expect(footer).toContain(
      '2024-03-08 to 2024-03-14 (7 days, UTC); compared with 2024-03-01 to 2024-03-07',
    );
    expect(footer).toContain(`2024-03-15 12:00:00 UTC from ${reportQueryCount(RANGE)} queries`);
  });

  it('escapes names from the data everywhere they appear', async () => {
    const html = await buildReport(engine, { ...RANGE, now });

    expect(html).not.toContain(HOSTILE_PRODUCT);
    expect(html).not.toContain(HOSTILE_REGION);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;r&quot;)&lt;/script&gt;');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(htmlStructureProblems(html)).toEqual([]);
  });

  it('gives every section the no-data text on a range without data, and stays well formed', async () => {
    const html = await buildReport(engine, { from: '2030-01-01', to: '2030-01-07', now });

    for (const id of SECTIONS)
      expect([id, sectionText(html, id)]).toEqual([id, expect.stringContaining(NO_DATA_TEXT)]);
    expect(html).not.toContain('<svg');
    expect(htmlStructureProblems(html)).toEqual([]);
  });

  it('defaults to the 14 days up to the latest day with transactions', async () => {
    const range = await resolveReportRange(engine, { now });

    expect(range).toEqual({
      from: '2024-02-29',
      to: '2024-03-13',
      days: 14,
      previousFrom: '2024-02-15',
      previousTo: '2024-02-28',
    });
  });

  it.each([
    [{ from: '2024-03-10', to: '2024-03-01' }, 'from 2024-03-10 is after to 2024-03-01'],
    [{ from: '2024-02-30' }, "from must be a date like 2024-06-30, got '2024-02-30'"],
    [{ to: "2024-03-01' or 1=1" }, 'to must be a date like 2024-06-30'],
  ])('rejects the range %j before any SQL is built', async (options, message) => {
    await expect(buildReport(engine, options)).rejects.toThrow(ReportRangeError);
    await expect(buildReport(engine, options)).rejects.toThrow(message);
  });
});

describe('buildReport when views are missing', () => {
  /** The catalog's engine, except that the named relations do not exist (as on an older deployment). */
  function withoutRelations(inner: QueryEngine, missing: readonly string[]): QueryEngine {
    return {
      name: inner.name,
      source: inner.source,
      close: () => inner.close(),
      async query(sql: string): Promise<QueryResult> {
        const name = missing.find((relation) => new RegExp(`\\b${relation}\\b`).test(sql));
        if (name) throw new QueryError(`Table with name ${name} does not exist!`, sql);
        return inner.query(sql);
      },
    };
  }

  it('renders the missing blocks empty with the reason and the rest of the page as usual', async () => {
    const partial = withoutRelations(engine, ['balance_moves', 'fact_organization_daily_financials']);

    const html = await buildReport(partial, { ...RANGE, now });

    const balances = sectionText(html, 'balances');
    expect(balances).toContain(
      `Alerts raised per day Balance moves that breached an alert rule; each is alerted once. ${NO_DATA_TEXT} Table with name balance_moves does not exist!`,
    );
    expect(balances).toContain(
      `${NO_DATA_TEXT} Table with name fact_organization_daily_financials does not exist!`,
    );
    expect(balances).toContain('A2 (C1) 0.00 900.00');
    expect(sectionText(html, 'kpis')).not.toContain(NO_DATA_TEXT);
  });

  it('runs up to `concurrency` queries side by side and renders the same page', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const slow: QueryEngine = {
      name: engine.name,
      source: engine.source,
      close: async () => {},
      async query(sql: string): Promise<QueryResult> {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        // DuckDB runs one statement per connection at a time; the waits above overlap, the queries don't.
        try {
          return await engine.query(sql);
        } finally {
          inFlight -= 1;
        }
      },
    };

    const parallel = await buildReport(slow, { ...RANGE, now, concurrency: 4 });

    expect(mostInFlight).toBe(4);
    expect(parallel).toBe(await buildReport(engine, { ...RANGE, now }));
  });

  it('raises errors that are not query failures instead of hiding them', async () => {
    const broken: QueryEngine = {
      name: 'broken',
      source: 'nowhere',
      close: async () => {},
      query: async () => {
        throw new TypeError('connection lost');
      },
    };

    await expect(buildReport(broken, RANGE)).rejects.toThrow('connection lost');
  });
});
