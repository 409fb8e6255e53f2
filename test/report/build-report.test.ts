import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import { type QueryEngine, QueryError, type QueryResult } from '../../src/engine/query-engine';
import {
  buildReport,
  ReportRangeError,
  reportQueryCount,
  resolveReportSpan,
} from '../../src/report/build-report';
import { CUBE_QUERIES, fetchCubes } from '../../src/report/cubes';
import { contentSecurityPolicy, readPayload } from '../../src/report/dashboard';
import { DASHBOARD_SCRIPT } from '../../src/report/dashboard-script';
import { checkTrinoGrammar, formatGrammarError } from '../../src/sql/trino-grammar';
import type { LakeFixture } from '../sql/lake-fixture';
import { htmlStructureProblems } from './html-structure';
import { createReportLake, HOSTILE_CATEGORY, HOSTILE_CITY, SPAN } from './report-fixture';

let lake: LakeFixture;
let engine: DuckDbEngine;
const now = new Date('2024-03-15T12:00:00Z');

beforeAll(async () => {
  ({ lake, engine } = await createReportLake());
});

afterAll(async () => {
  await engine?.close();
  await lake?.close();
});

const payloadOf = readPayload;

describe('the report cubes (one SQL text each)', () => {
  it.each(Object.entries(CUBE_QUERIES))('%s is valid Trino SQL', (name, query) => {
    const errors = checkTrinoGrammar(`report:${name}`, query.sql(SPAN));

    expect(errors.map(formatGrammarError)).toEqual([]);
  });

  it('rejects a DuckDB-only query in the grammar check (negative control)', () => {
    expect(checkTrinoGrammar('control', 'select x::int from t qualify row_number() over () = 1')).not.toEqual(
      [],
    );
  });

  it('sums transactions per day, channel, city and segment, with the 6 days before the span', async () => {
    const cubes = await fetchCubes(engine, SPAN);

    const c = cubes.transactions.columns;
    expect(cubes.transactions.error).toBeUndefined();
    expect(c.day).toEqual([
      '2024-03-02',
      '2024-03-03',
      '2024-03-09',
      '2024-03-10',
      '2024-03-12',
      '2024-03-13',
    ]);
    expect(c.channel).toEqual(['credit_card', 'upi', 'credit_card', 'upi', 'credit_card', 'upi']);
    expect(c.city_key).toEqual(['boston', 'boston', 'boston', 'seattle', 'boston', 'seattle']);
    expect(c.segment).toEqual(['retail', 'retail', 'retail', 'premium', 'retail', 'premium']);
    expect(c.failed_count).toEqual([0, 1, 0, 0, 1, 0]);
    // 2% of 100, 0 (failed), 2% of 200, 0.3% of 1000, 0 (failed), 0.3% of 100: in millionths.
    expect(c.revenue_micros).toEqual([2_000_000, 0, 4_000_000, 3_000_000, 0, 300_000]);
    expect(c.processing_ms).toEqual([1000, 3000, 500, 1500, 2500, 500]);
  });

  it('puts an order line under its customer city and segment, in cents', async () => {
    const cubes = await fetchCubes(engine, SPAN);

    const c = cubes.sales.columns;
    expect(c.category).toEqual([HOSTILE_CATEGORY, 'home']);
    expect(c.city_key).toEqual(['boston', 'boston']);
    expect(c.segment).toEqual(['retail', 'retail']);
    expect(c.value_cents).toEqual([1800, 5000]);
    expect(c.discount_e4).toEqual([1000, 0]);
  });

  it('sums the closing balances per day of the holders of a city and segment', async () => {
    const cubes = await fetchCubes(engine, SPAN);

    const c = cubes.balances.columns;
    const on13 = c.day!.flatMap((day, i) => (day === '2024-03-13' ? [i] : []));
    // Boston retail: A1 200 + A3 100 + A9 1 (C1's account from 1 Feb); Seattle premium: A2 900 after -100.
    expect(
      on13.map((i) => [c.city_key![i], c.accounts![i], c.closing_cents![i], c.outflow_cents![i]]),
    ).toEqual([
      ['boston', 3, 30_100, 0],
      ['seattle', 1, 90_000, 10_000],
    ]);
  });

  it('embeds the days an account moved, and its first day of the span', async () => {
    const cubes = await fetchCubes(engine, SPAN);

    const c = cubes.accountDays.columns;
    const rows = c.account_id!.map((id, i) => [
      id,
      c.day![i],
      c.opening_cents![i],
      c.change_cents![i],
      c.closing_cents![i],
    ]);
    expect(rows).toEqual([
      ['A1', '2024-03-09', 0, 20_000, 20_000],
      ['A2', '2024-03-10', 0, 100_000, 100_000],
      ['A2', '2024-03-13', 100_000, -10_000, 90_000],
      ['A3', '2024-03-08', 10_000, 0, 10_000],
      ['A9', '2024-03-08', 100, 0, 100],
    ]);
    // A2's jump from zero to 1,000 is the one breach (from_zero needs 1,000 or more).
    expect(cubes.alerts.columns.entity_id).toEqual(['A2']);
    // The alerted account comes first among the accounts the page holds.
    expect(cubes.accountDays.rows).toBe(5);
  });

  it('reads each dimension the filters list from the reference data, unlisted cities as unknown', async () => {
    const cubes = await fetchCubes(engine, SPAN);

    const c = cubes.cities.columns;
    const at = (key: string) => c.city_key!.indexOf(key);
    expect([c.state![at('boston')], c.region![at('boston')]]).toEqual(['MA', 'northeast']);
    expect([c.state![at('seattle')], c.region![at('seattle')]]).toEqual(['WA', 'west']);
    expect([c.state![at(HOSTILE_CITY.toLowerCase())], c.region![at(HOSTILE_CITY.toLowerCase())]]).toEqual([
      'unknown',
      'unknown',
    ]);
    expect(cubes.channels.columns.channel).toEqual(['credit_card', 'debit_card', 'net_banking', 'upi']);
  });
});

describe('buildReport on a hand-made lake', () => {
  it('embeds the cubes as columns of integers: day steps, dictionary indexes, millionths', async () => {
    const html = await buildReport(engine, { ...SPAN, now });

    const payload = payloadOf(html);
    expect(payload.span).toEqual({
      from: '2024-03-08',
      to: '2024-03-14',
      dataFrom: '2024-03-02',
      selectFrom: '2024-03-08',
      selectTo: '2024-03-14',
    });
    // Days 0, 1, 7, 8, 10, 11 after 2 Mar, each as a step from the row before.
    expect(payload.tx.d).toEqual([0, 1, 6, 1, 2, 1]);
    expect(payload.tx.rev).toEqual([2_000_000, 0, 4_000_000, 3_000_000, 0, 300_000]);
    expect(payload.tx.ch.map((i: number) => payload.dims.channels[i]?.[0])).toEqual([
      'credit_card',
      'upi',
      'credit_card',
      'upi',
      'credit_card',
      'upi',
    ]);
    expect(payload.tx.ci.map((i: number) => payload.dims.cities[i]?.[3])).toEqual([
      'northeast',
      'northeast',
      'northeast',
      'west',
      'northeast',
      'west',
    ]);
    // A2: first row 10 Mar (day 8) closing 1,000.00, then 3 days later a move of -100.00.
    const a2 = payload.accounts.ids.indexOf('A2');
    const before = payload.accounts.rows.slice(0, a2).reduce((sum, n) => sum + n, 0);
    expect(payload.accounts.firstClose[a2]).toBe(100_000);
    expect(payload.accounts.step.slice(before, before + 2)).toEqual([8, 3]);
    expect(payload.accounts.chg.slice(before, before + 2)).toEqual([100_000, -10_000]);
    expect(payload.currency).toBe('USD');
    expect(payload.errors).toEqual({});
  });

  it('keeps names from the data out of the markup and lets only its own script run', async () => {
    const html = await buildReport(engine, { ...SPAN, now });

    expect(html).not.toContain(HOSTILE_CATEGORY);
    expect(html).not.toContain(HOSTILE_CITY);
    expect(html).not.toContain('onerror');
    expect(payloadOf(html).dims.categories).toContain(HOSTILE_CATEGORY);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain(`<script>${DASHBOARD_SCRIPT}</script>`);
    expect(html).toContain(contentSecurityPolicy());
    expect(htmlStructureProblems(html)).toEqual([]);
  });

  it('says which engine, lake and days the page was built from', async () => {
    const html = await buildReport(engine, { ...SPAN, now });

    const footer = html.slice(html.indexOf('<footer'));
    expect(footer).toContain(`duckdb · ${lake.dir}`);
    expect(footer).toContain(
      '2024-03-08 to 2024-03-14 (7 days, UTC), with 6 days before for the moving averages',
    );
    expect(footer).toContain(`2024-03-15 12:00:00 UTC from ${reportQueryCount(SPAN)} queries`);
  });

  it('stays well formed on days without data', async () => {
    const html = await buildReport(engine, { from: '2030-01-01', to: '2030-01-07', now });

    expect(payloadOf(html).tx.d).toEqual([]);
    expect(htmlStructureProblems(html)).toEqual([]);
  });

  it('holds a year up to the latest day with transactions and opens on its last 14 days', async () => {
    const span = await resolveReportSpan(engine, { now });

    expect(span).toEqual({
      from: '2023-03-15',
      to: '2024-03-13',
      selectFrom: '2024-02-29',
      selectTo: '2024-03-13',
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

  it('leaves the cubes of a missing view empty with the reason, and the others as usual', async () => {
    const partial = withoutRelations(engine, ['balance_moves']);

    const payload = payloadOf(await buildReport(partial, { ...SPAN, now }));

    expect(payload.errors).toEqual({
      accountDays: 'Table with name balance_moves does not exist!',
      alerts: 'Table with name balance_moves does not exist!',
    });
    expect(payload.alerts.d).toEqual([]);
    expect(payload.tx.d).toHaveLength(6);
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
        try {
          return await engine.query(sql);
        } finally {
          inFlight -= 1;
        }
      },
    };

    const parallel = await buildReport(slow, { ...SPAN, now, concurrency: 4 });

    expect(mostInFlight).toBe(4);
    expect(parallel).toBe(await buildReport(engine, { ...SPAN, now }));
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

    await expect(buildReport(broken, SPAN)).rejects.toThrow('connection lost');
  });
});
