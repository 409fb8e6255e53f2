import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import { checkReportPage, findChromium, launchChromium, VIEWPORTS } from './chromium';
import { openDemoLake, writeReportFile } from './demo-report';

/** Screenshots land here for people to look at (git-ignored). */
const ARTIFACTS = resolve('artifacts');
const chromium = findChromium();
const MISSING =
  'no Chromium found (looked for /usr/bin/chromium, /usr/bin/chromium-browser, $CHROMIUM_PATH); ' +
  'install it with `apt-get install -y chromium` to run the report browser test';
if (!chromium && !process.env.CI) console.warn(`report browser test skipped: ${MISSING}`);

// In CI the browser is part of the machine (.ci/run installs it): its absence is a failure, not a skip.
if (!chromium && process.env.CI) {
  describe('the report browser test in CI', () => {
    it('has a Chromium to run in', () => {
      expect.fail(MISSING);
    });
  });
}

/** A selection as the page's filters express it ('' = all). */
interface Selection {
  readonly from: string;
  readonly to: string;
  readonly region?: string;
  readonly state?: string;
  readonly city?: string;
  readonly channel?: string;
  readonly segment?: string;
}

const money = (v: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const count = (v: number) => v.toLocaleString('en-US');

/** The WHERE clause of a selection on fact_transactions t, dim_city ci, dim_customer c. */
function where(s: Selection): string {
  const parts = [`t.event_date between date '${s.from}' and date '${s.to}'`];
  if (s.region) parts.push(`ci.region = '${s.region}'`);
  if (s.state) parts.push(`coalesce(ci.state, 'unknown') = '${s.state}'`);
  if (s.city) parts.push(`t.city_key = '${s.city}'`);
  if (s.channel) parts.push(`t.channel = '${s.channel}'`);
  if (s.segment) parts.push(`coalesce(c.segment, 'unknown') = '${s.segment}'`);
  return parts.join(' and ');
}

const FROM_TRANSACTIONS = `from fact_transactions as t
left join dim_city as ci on t.city_key = ci.city_key
left join dim_customer as c on t.customer_key = c.customer_key`;

describe.skipIf(!chromium)(
  'the demo report in headless Chromium (skipped when no Chromium is installed)',
  () => {
    let lakeDir: string;
    let reportFile: string;
    let browser: Browser;
    let engine: DuckDbEngine;
    let page: Page;

    beforeAll(async () => {
      lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-report-'));
      mkdirSync(ARTIFACTS, { recursive: true });
      reportFile = join(ARTIFACTS, 'report.html');
      engine = await openDemoLake(lakeDir);
      await writeReportFile(engine, reportFile);
      browser = await launchChromium(chromium!);
      page = await browser.newPage({ viewport: VIEWPORTS.laptop });
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await engine?.close();
      if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
    });

    async function open(url: string): Promise<void> {
      await page.goto(url);
      await page.waitForSelector('html[data-ready]');
    }

    /** One row of SQL on the demo lake. */
    async function sqlRow(sql: string): Promise<Record<string, unknown>> {
      const { rows } = await engine.query(sql);
      expect(rows.length, sql).toBeGreaterThan(0);
      return rows[0] as Record<string, unknown>;
    }

    /** The KPI figures the SQL gives for a selection, formatted as the page writes them. */
    async function expectedKpis(s: Selection) {
      const row = await sqlRow(`select count(*) as n, count_if(t.status = 'failed') as failed,
  cast(sum(t.revenue) as double) as revenue, avg(t.processing_time_s) as processing
${FROM_TRANSACTIONS}
where ${where(s)}`);
      const n = Number(row.n);
      expect(n, `transactions in ${JSON.stringify(s)}`).toBeGreaterThan(0);
      return {
        revenue: money(Number(row.revenue)),
        transactions: count(n),
        'failure-rate': `${((Number(row.failed) / n) * 100).toFixed(1)}%`,
        'processing-time': Number(row.processing).toFixed(2),
      };
    }

    async function pageKpis(): Promise<Record<string, string>> {
      const values: Record<string, string> = {};
      for (const key of ['revenue', 'transactions', 'failure-rate', 'processing-time']) {
        const text = await page.locator(`[data-kpi="${key}"] .kpi-value`).innerText();
        values[key] = text.replace(/\s+(USD|s)$/, '').trim();
      }
      return values;
    }

    /** The rows of a figures table, as text cells. */
    async function figures(name: string): Promise<string[][]> {
      return page.$$eval(`table[data-figures="${name}"] tbody tr`, (rows) =>
        rows.map((row) => [...row.children].map((cell) => (cell.textContent ?? '').trim())),
      );
    }

    async function select(s: Selection): Promise<void> {
      await open(`file://${reportFile}`);
      await page.fill('input[name=from]', s.from);
      await page.fill('input[name=to]', s.to);
      // The cascade: a region lists its states, a state its cities.
      if (s.region) await page.selectOption('select[name=region]', s.region);
      if (s.state) await page.selectOption('select[name=state]', s.state);
      if (s.city) await page.selectOption('select[name=city]', s.city);
      if (s.channel) await page.selectOption('select[name=channel]', s.channel);
      if (s.segment) await page.selectOption('select[name=segment]', s.segment);
    }

    /** The days the page opened on, and the busiest region, state, city, channel and segment. */
    async function busiest(): Promise<Required<Selection>> {
      await open(`file://${reportFile}`);
      const from = await page.inputValue('input[name=from]');
      const to = await page.inputValue('input[name=to]');
      const top = async (column: string, filter = 'true') =>
        String(
          (
            await sqlRow(`select ${column} as v, count(*) as n ${FROM_TRANSACTIONS}
where t.event_date between date '${from}' and date '${to}' and ${filter}
group by 1 order by n desc, v limit 1`)
          ).v,
        );
      const region = await top('ci.region', "ci.region <> 'unknown'");
      const state = await top("coalesce(ci.state, 'unknown')", `ci.region = '${region}'`);
      const city = await top('t.city_key', `ci.state = '${state}'`);
      return {
        from,
        to,
        region,
        state,
        city,
        channel: await top('t.channel'),
        segment: await top("coalesce(c.segment, 'unknown')"),
      };
    }

    it.each(Object.entries(VIEWPORTS))(
      'renders at %s width with no console errors, no requests, every chart drawn and nothing overflowing',
      async (name, viewport) => {
        const screenshot = join(ARTIFACTS, `report-${name}.png`);

        const check = await checkReportPage(browser, reportFile, viewport, [screenshot]);

        expect(check.errors).toEqual([]);
        expect(check.requests).toEqual([]);
        expect(check.charts.length).toBeGreaterThanOrEqual(10);
        for (const chart of check.charts) {
          expect(chart, chart.label).toEqual({
            label: chart.label,
            width: expect.toSatisfy((w: number) => w > 200 && w <= viewport.width),
            height: expect.toSatisfy((h: number) => h > 80),
            marks: expect.toSatisfy((n: number) => n > 0),
          });
        }
        expect(check.overflowPx).toBe(0);
      },
      60_000,
    );

    it('opens on the last 14 days of the lake with the KPI figures SQL gives for them', async () => {
      const latest = String(
        (await sqlRow('select cast(max(event_date) as varchar) as d from fact_transactions')).d,
      );

      const s = await busiest();

      expect(s.to).toBe(latest);
      expect(await pageKpis()).toEqual(await expectedKpis({ from: s.from, to: s.to }));
    });

    it.each([
      [
        'a shorter date range',
        (s: Required<Selection>): Selection => ({ from: s.from, to: addDays(s.from, 4) }),
      ],
      ['a region', (s: Required<Selection>): Selection => ({ from: s.from, to: s.to, region: s.region })],
      [
        'a region and a state',
        (s: Required<Selection>): Selection => ({ from: s.from, to: s.to, region: s.region, state: s.state }),
      ],
      [
        'a region, a state and a city',
        (s: Required<Selection>): Selection => ({
          from: s.from,
          to: s.to,
          region: s.region,
          state: s.state,
          city: s.city,
        }),
      ],
      [
        'a payment channel',
        (s: Required<Selection>): Selection => ({ from: s.from, to: s.to, channel: s.channel }),
      ],
      [
        'a customer segment',
        (s: Required<Selection>): Selection => ({ from: s.from, to: s.to, segment: s.segment }),
      ],
      ['every filter at once', (s: Required<Selection>): Selection => s],
    ])('shows the KPI figures SQL gives with %s, and keeps it in the URL fragment', async (_, choose) => {
      const selection = choose(await busiest());

      await select(selection);

      expect(await pageKpis()).toEqual(await expectedKpis(selection));
      const fragment = new URLSearchParams(new URL(page.url()).hash.slice(1));
      for (const key of ['region', 'state', 'city', 'channel', 'segment'] as const) {
        expect(fragment.get(key) ?? undefined, key).toBe(selection[key]);
      }
    });

    it('reproduces a view from its link', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to, region: s.region, segment: s.segment });
      const link = page.url();
      const shown = await pageKpis();

      await page.goto('about:blank');
      await open(link);

      expect(await pageKpis()).toEqual(shown);
      expect(await page.inputValue('select[name=region]')).toBe(s.region);
      expect(await page.inputValue('select[name=segment]')).toBe(s.segment);
      // Negative control: without the fragment the page shows other figures.
      await open(`file://${reportFile}`);
      expect(await pageKpis()).not.toEqual(shown);
    });

    it('lists only the states of the selected region and the cities of the selected state', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to, region: s.region, state: s.state });

      const states = await page.$$eval('select[name=state] option', (o) =>
        o.map((x) => x.getAttribute('value')),
      );
      const cities = await page.$$eval('select[name=city] option', (o) =>
        o.map((x) => x.getAttribute('value')),
      );

      const expectedStates = await engine.query(
        `select distinct coalesce(state, 'unknown') as s from dim_city where region = '${s.region}' order by 1`,
      );
      const expectedCities = await engine.query(
        `select city_key, city_name from dim_city where region = '${s.region}' and coalesce(state, 'unknown') = '${s.state}' order by city_name`,
      );
      expect(states).toEqual(['', ...expectedStates.rows.map((r) => r.s)]);
      expect(cities).toEqual(['', ...expectedCities.rows.map((r) => r.city_key)]);
    });

    it('compares the payment channels by revenue as SQL does, under the other filters', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to, region: s.region });

      const rows = await figures('compare-channel');

      const { rows: expected } = await engine.query(`select coalesce(max(ch.display_name), t.channel) as name,
  cast(sum(t.revenue) as double) as revenue, count(*) as n
${FROM_TRANSACTIONS}
left join dim_channel as ch on t.channel = ch.channel
where ${where({ from: s.from, to: s.to, region: s.region })}
group by t.channel order by revenue desc, name limit 4`);
      expect(rows.map((r) => r.slice(0, 3))).toEqual(
        expected.map((r) => [String(r.name), money(Number(r.revenue)), count(Number(r.n))]),
      );
    });

    it('shows the top 6 regions with the rest as one bar when the region filter is all', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to });

      const rows = await figures('compare-geo');

      const { rows: expected } =
        await engine.query(`select ci.region as name, cast(sum(t.revenue) as double) as revenue
${FROM_TRANSACTIONS}
where ${where({ from: s.from, to: s.to })}
group by ci.region order by revenue desc, name`);
      const top = expected.slice(0, 6).map((r) => [String(r.name), money(Number(r.revenue))]);
      const rest = expected.slice(6);
      if (rest.length > 0) {
        const others = rest.reduce((sum, r) => sum + Number(r.revenue), 0);
        top.push([`${rest.length} other${rest.length === 1 ? '' : 's'}`, money(others)]);
      }
      expect(rows.map((r) => r.slice(0, 2))).toEqual(top);
    });

    it('draws the 7-day moving averages as kpi_daily computes them', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to });

      const revenue = await figures('trend-revenue');
      const failure = await figures('trend-failure');

      const { rows } =
        await engine.query(`select cast(kpi_date as varchar) as day, cast(revenue as double) as revenue,
  revenue_7d_avg, failure_rate_7d_avg
from kpi_daily where kpi_date between date '${s.from}' and date '${s.to}' order by kpi_date`);
      expect(revenue).toEqual(
        rows.map((r) => [r.day, money(Number(r.revenue)), money(Number(r.revenue_7d_avg))]),
      );
      expect(failure.map((r) => [r[0], r[2]])).toEqual(
        rows.map((r) => [r.day, `${(Number(r.failure_rate_7d_avg) * 100).toFixed(2)}%`]),
      );
    });

    it('follows a segment in the moving average, computed by SQL over the filtered days', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to, segment: s.segment });

      const revenue = await figures('trend-revenue');

      const { rows } = await engine.query(`with days as (
  select date_day as day from dim_date
  where date_day between (select min(event_date) from fact_transactions) and date '${s.to}'
),
filtered as (
  select t.event_date as day, sum(t.revenue) as revenue
  ${FROM_TRANSACTIONS}
  where coalesce(c.segment, 'unknown') = '${s.segment}'
  group by 1
),
daily as (
  select days.day, cast(coalesce(filtered.revenue, 0) as double) as revenue,
    avg(cast(coalesce(filtered.revenue, 0) as double)) over (order by days.day rows between 6 preceding and current row) as ma
  from days left join filtered on days.day = filtered.day
)
select cast(day as varchar) as day, revenue, ma from daily where day between date '${s.from}' and date '${s.to}' order by day`);
      expect(revenue).toEqual(rows.map((r) => [r.day, money(Number(r.revenue)), money(Number(r.ma))]));
    });

    it('sums the sales of the customers of a region as SQL does', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to, region: s.region });

      const shown = await page.locator('[data-kpi="sales-value"] .kpi-value').innerText();

      const row = await sqlRow(`select cast(sum(f.total_value) as double) as value
from fact_sales as f
left join dim_customer as c on f.customer_key = c.customer_key
left join dim_city as ci on lower(c.city) = ci.city_key
where f.order_date between date '${s.from}' and date '${s.to}' and ci.region = '${s.region}'`);
      expect(shown.trim()).toBe(money(Number(row.value)));
    });

    it('finds an account by the search box and shows its moves of the selected days', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to });
      const account = await page.$eval('#account-list option', (o) => o.getAttribute('value') ?? '');

      await page.fill('#account-search', account);
      await page.press('#account-search', 'Enter');
      await page.locator('#account-search').blur();

      const moves = await figures('account-moves');
      const { rows } =
        await engine.query(`select cast(balance_date as varchar) as day, cast(opening_balance as double) as o,
  cast(net_change as double) as m, cast(closing_balance as double) as c
from fact_account_daily_balance
where account_id = '${account}' and net_change <> 0 and balance_date between date '${s.from}' and date '${s.to}'
order by balance_date`);
      expect(rows.length).toBeGreaterThan(0);
      expect(moves).toEqual(
        rows.map((r) => [
          r.day,
          money(Number(r.o)),
          `${Number(r.m) > 0 ? '+' : '−'}${money(Math.abs(Number(r.m)))}`,
          money(Number(r.c)),
        ]),
      );
      expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('account')).toBe(account);
    });

    it('lists the alerts of the selected days', async () => {
      const s = await busiest();
      await select({ from: s.from, to: addDays(s.from, 2) });

      const rows = await figures('alerts');

      const { rows: expected } =
        await engine.query(`select cast(balance_date as varchar) as day, rule_name, entity_id
from balance_moves where is_breach and balance_date between date '${s.from}' and date '${addDays(s.from, 2)}'
order by 1, 2, 3`);
      expect(expected.length).toBeGreaterThan(0);
      expect(rows.map((r) => [r[0], r[1], r[3]])).toEqual(
        expected.map((r) => [r.day, r.rule_name, r.entity_id]),
      );
    });

    const units = (v: number) => money(v);
    const dash = (v: unknown) => (v === null ? '\u2013' : units(Number(v)));

    it('shows a picked product’s units held, under lien and available per day, as SQL has them', async () => {
      const s = await busiest();
      await select({ from: s.from, to: s.to });
      const { rows: products } = await engine.query(
        `select product_id, count(distinct lien_units) as lien_levels from fact_portfolio_daily_balance
         where balance_date between date '${s.from}' and date '${s.to}' group by 1 order by 2 desc, 1 limit 2`,
      );
      expect(products.length).toBe(2);
      const expectedFor = async (product: string) =>
        (
          await engine.query(`select cast(balance_date as varchar) as day, cast(sum(held_units) as double) as h,
  cast(sum(lien_units) as double) as l, cast(sum(available_units) as double) as a, cast(sum(market_value) as double) as v
from fact_portfolio_daily_balance where product_id = '${product}' and balance_date between date '${s.from}' and date '${s.to}'
group by 1 order by 1`)
        ).rows;
      const seen: string[][][] = [];
      for (const { product_id: product } of products) {
        await page.selectOption('select[name=product]', String(product));
        const expected = await expectedFor(String(product));
        expect(expected.length).toBeGreaterThan(0);
        const shown = await figures('portfolio-units');
        expect(shown).toEqual(expected.map((r) => [r.day, dash(r.h), dash(r.l), dash(r.a)]));
        expect(await figures('portfolio-value')).toEqual(expected.map((r) => [r.day, dash(r.v)]));
        expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('product')).toBe(product);
        seen.push(shown);
      }
      // Negative control: the picker filters (two products never show the same figures).
      expect(seen[0]).not.toEqual(seen[1]);
      // At least one of the two has units under lien in the span: the lien column is not always 0.
      expect(seen.flat().some((row) => row[2] !== '0.00')).toBe(true);

      // All products: the table of the last selected day.
      await page.selectOption('select[name=product]', '');
      const { rows: lastDay } = await engine.query(`select product_id, cast(sum(held_units) as double) as h,
  cast(sum(available_units) as double) as a from fact_portfolio_daily_balance
where balance_date = date '${s.to}' group by 1 order by 1`);
      const table = await figures('portfolio-products');
      expect(table.map((r) => [r[0], r[2], r[4]]).sort()).toEqual(
        lastDay.map((r) => [r.product_id, units(Number(r.h)), units(Number(r.a))]),
      );
    });

    it('shows a picked stock item’s units on hand, receipts and issues per day, as SQL has them', async () => {
      const s = await busiest();
      await page.goto(`file://${reportFile}#from=${s.from}&to=${s.to}`);
      await page.waitForSelector('html[data-ready]');
      const { rows: skus } = await engine.query(
        `select product_id from inventory_daily_totals where position_date between date '${s.from}' and date '${s.to}'
         group by 1 order by sum(issued_units) desc, 1 limit 2`,
      );
      const seen: string[][][] = [];
      for (const { product_id: sku } of skus) {
        await page.selectOption('select[name=sku]', String(sku));
        const { rows: expected } =
          await engine.query(`select cast(position_date as varchar) as day, cast(units_on_hand as double) as h,
  cast(received_units as double) as r, cast(issued_units as double) as i, negative_locations as n
from inventory_daily_totals where product_id = '${sku}' and position_date between date '${s.from}' and date '${s.to}' order by 1`);
        expect(expected.length).toBeGreaterThan(0);
        const shown = await figures('inventory-units');
        expect(shown).toEqual(
          expected.map((r) => [
            r.day,
            units(Number(r.h)),
            units(Number(r.r)),
            units(Number(r.i)),
            count(Number(r.n)),
          ]),
        );
        expect(new URLSearchParams(new URL(page.url()).hash.slice(1)).get('sku')).toBe(sku);
        seen.push(shown);
      }
      expect(skus.length).toBe(2);
      expect(seen[0]).not.toEqual(seen[1]);

      // A link reproduces the view: the fragment alone selects the item.
      await page.goto(`file://${reportFile}#from=${s.from}&to=${s.to}&sku=${skus[0]!.product_id}`);
      await page.waitForSelector('html[data-ready]');
      expect(await figures('inventory-units')).toEqual(seen[0]);
      expect(await page.$eval('select[name=sku]', (el) => (el as unknown as { value: string }).value)).toBe(
        skus[0]!.product_id,
      );
    });

    it('reaches every filter with the keyboard, in order', async () => {
      await open(`file://${reportFile}`);
      const reached: string[] = [];

      for (let i = 0; i < 30; i += 1) {
        await page.keyboard.press('Tab');
        reached.push(
          await page.evaluate(
            'document.activeElement.getAttribute("name") || document.activeElement.tagName',
          ),
        );
      }

      expect(reached).toEqual(
        expect.arrayContaining(['from', 'to', 'region', 'state', 'city', 'channel', 'segment', 'BUTTON']),
      );
      await page.keyboard.press('Escape');
    });
  },
);

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
