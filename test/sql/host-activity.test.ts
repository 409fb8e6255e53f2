import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, type CatalogBuild } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { type FixtureRow, LakeFixture } from './lake-fixture';

function hit(id: string, time: string, host: string, user: string | null, device = 'desktop'): FixtureRow {
  return { event_id: id, event_time: time, host, user_id: user, device, browser: 'firefox' };
}

describe('host activity arrays', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;
  let later: CatalogBuild;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('web_events', 'feb-01', [
      hit('E1', '2024-02-01T08:00:00Z', 'shop.example.com', 'U1'),
      hit('E2', '2024-02-01T09:00:00Z', 'shop.example.com', 'U1', 'mobile'),
      hit('E3', '2024-02-01T10:00:00Z', 'shop.example.com', null, 'mobile'), // anonymous: a hit, not a visitor
    ]);
    await lake.writeCurated('web_events', 'feb-03', [
      hit('E4', '2024-02-03T08:00:00Z', 'shop.example.com', 'U1'),
      hit('E5', '2024-02-03T09:00:00Z', 'shop.example.com', 'U2', 'tablet'),
    ]);
    const first = await openDuckDb({ source: lake.dir, threads: 1 });
    await buildCatalog(first, { lakeDir: lake.dir });
    await first.close();
    // Later: the blog's first visitor on 02-05 (the lake's last February day), and March begins.
    await lake.writeCurated('web_events', 'feb-05', [
      hit('E6', '2024-02-05T12:00:00Z', 'blog.example.com', 'U3'),
    ]);
    await lake.writeCurated('web_events', 'mar-01', [
      hit('E7', '2024-03-01T12:00:00Z', 'shop.example.com', 'U2'),
    ]);
    engine = await openDuckDb({ source: lake.dir, threads: 1 });
    later = await buildCatalog(engine, { lakeDir: lake.dir });
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it("gives a month's hits and unique visitors as arrays, one element per day, 0 on quiet days", async () => {
    const result = await engine.query(
      'select host, month_start, daily_hits, daily_unique_visitors, month_hits, active_days from host_activity_monthly order by month_start, host',
    );

    // February runs to 02-05, the lake's last February day. shop: 3 hits by U1, U1 and an anonymous
    // visitor on 02-01; nothing on 02-02; U1 and U2 on 02-03. blog: one visitor on 02-05 only.
    expect(result.rows).toEqual([
      {
        host: 'blog.example.com',
        month_start: '2024-02-01',
        daily_hits: [0, 0, 0, 0, 1],
        daily_unique_visitors: [0, 0, 0, 0, 1],
        month_hits: 1,
        active_days: 1,
      },
      {
        host: 'shop.example.com',
        month_start: '2024-02-01',
        daily_hits: [3, 0, 2, 0, 0],
        daily_unique_visitors: [1, 0, 2, 0, 0],
        month_hits: 5,
        active_days: 2,
      },
      {
        host: 'shop.example.com',
        month_start: '2024-03-01',
        daily_hits: [1],
        daily_unique_visitors: [1],
        month_hits: 1,
        active_days: 1,
      },
    ]);
  });

  it('unnests the arrays back to one row per host and day', async () => {
    const result = await engine.query(
      "select activity_date, hits, unique_visitors from host_activity_days where host = 'shop.example.com' order by activity_date",
    );

    expect(result.rows).toEqual([
      { activity_date: '2024-02-01', hits: 3, unique_visitors: 1 },
      { activity_date: '2024-02-02', hits: 0, unique_visitors: 0 },
      { activity_date: '2024-02-03', hits: 2, unique_visitors: 2 },
      { activity_date: '2024-02-04', hits: 0, unique_visitors: 0 },
      { activity_date: '2024-02-05', hits: 0, unique_visitors: 0 },
      { activity_date: '2024-03-01', hits: 1, unique_visitors: 1 },
    ]);
  });

  it('splits the hits of a day by device', async () => {
    const result = await engine.query(
      "select desktop_hits, mobile_hits, tablet_hits from fact_host_activity_daily where host = 'shop.example.com' and activity_date = date '2024-02-01'",
    );

    expect(result.rows).toEqual([{ desktop_hits: 1, mobile_hits: 2, tablet_hits: 0 }]);
  });

  it('builds the daily partitions day by day: a new day rebuilds that day only', () => {
    const refresh = later.refresh?.models.find((m) => m.model === 'fact_host_activity_daily');

    expect(refresh).toMatchObject({ mode: 'incremental', days: ['2024-02-05', '2024-03-01'] });
  });

  it('splits the customer activity bitmap by device and browser, leaving anonymous events out', async () => {
    const result = await engine.query(
      `select customer_id, device, browser, activity_date, activity_bitmap, active_days_last_32
       from customer_device_activity
       where activity_date in (date '2024-02-03', date '2024-03-01') order by all`,
    );

    // U1: desktop on 02-01 and 02-03 (2^2 + 2^0 on 02-03), mobile on 02-01 only (2^2); U2 on a tablet
    // on 02-03, then on a desktop on 03-01 (27 days later: the tablet day is bit 27). The anonymous
    // mobile hit of 02-01 has no visitor. On 03-01, U1's days are 29 and 28 days back.
    expect(result.rows).toEqual([
      {
        customer_id: 'U1',
        device: 'desktop',
        browser: 'firefox',
        activity_date: '2024-02-03',
        activity_bitmap: 5,
        active_days_last_32: 2,
      },
      {
        customer_id: 'U1',
        device: 'desktop',
        browser: 'firefox',
        activity_date: '2024-03-01',
        activity_bitmap: 2 ** 29 + 2 ** 27,
        active_days_last_32: 2,
      },
      {
        customer_id: 'U1',
        device: 'mobile',
        browser: 'firefox',
        activity_date: '2024-02-03',
        activity_bitmap: 4,
        active_days_last_32: 1,
      },
      {
        customer_id: 'U1',
        device: 'mobile',
        browser: 'firefox',
        activity_date: '2024-03-01',
        activity_bitmap: 2 ** 29,
        active_days_last_32: 1,
      },
      {
        customer_id: 'U2',
        device: 'desktop',
        browser: 'firefox',
        activity_date: '2024-03-01',
        activity_bitmap: 1,
        active_days_last_32: 1,
      },
      {
        customer_id: 'U2',
        device: 'tablet',
        browser: 'firefox',
        activity_date: '2024-02-03',
        activity_bitmap: 1,
        active_days_last_32: 1,
      },
      {
        customer_id: 'U2',
        device: 'tablet',
        browser: 'firefox',
        activity_date: '2024-03-01',
        activity_bitmap: 2 ** 27,
        active_days_last_32: 1,
      },
      {
        customer_id: 'U3',
        device: 'desktop',
        browser: 'firefox',
        activity_date: '2024-03-01',
        activity_bitmap: 2 ** 25,
        active_days_last_32: 1,
      },
    ]);
  });
});
