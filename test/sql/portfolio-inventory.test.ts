import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { holdingsMovement, LakeFixture, stockMovement } from './lake-fixture';

async function catalogOver(lake: LakeFixture): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source: lake.dir, threads: 1 });
  await buildCatalog(engine, { lakeDir: lake.dir });
  return engine;
}

describe('fact_portfolio_daily_balance', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('holdings_movements', 'book', [
      holdingsMovement({
        movement_id: 'M1',
        event_time: '2024-03-01T10:00:00Z',
        movement_type: 'buy',
        units: 100,
        price: 10,
      }),
      // 03-02 quiet; a lien of 60 on 03-03, released on 03-05 when 30 are sold.
      holdingsMovement({
        movement_id: 'M2',
        event_time: '2024-03-03T09:00:00Z',
        movement_type: 'lien',
        units: 60,
      }),
      holdingsMovement({
        movement_id: 'M3',
        event_time: '2024-03-05T09:00:00Z',
        movement_type: 'lien_release',
        units: 60,
      }),
      holdingsMovement({
        movement_id: 'M4',
        event_time: '2024-03-05T11:00:00Z',
        movement_type: 'sell',
        units: 30,
        price: 12,
      }),
      // A second client's first holding on 03-06 puts the lake's last day there.
      holdingsMovement({
        movement_id: 'M5',
        event_time: '2024-03-06T08:00:00Z',
        client_id: 'C2',
        product_id: 'GOLD',
        product_type: 'commodity',
        movement_type: 'transfer_in',
        units: 5,
      }),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('carries held, lien and available units over quiet days, through a lien placed and released', async () => {
    const result = await engine.query(
      `select balance_date, held_units, lien_units, available_units, held_change, lien_change, movement_count
       from fact_portfolio_daily_balance where client_id = 'C1' and product_id = 'FUND-A' order by balance_date`,
    );

    // 03-01 buy 100. 03-02 quiet. 03-03 lien 60: 40 available. 03-04 quiet. 03-05 release 60, sell 30:
    // 70 held, none pledged. 03-06 quiet (the lake's last day).
    expect(result.rows).toEqual([
      day('2024-03-01', 100, 0, 100, 100, 0, 1),
      day('2024-03-02', 100, 0, 100, 0, 0, 0),
      day('2024-03-03', 100, 60, 40, 0, 60, 1),
      day('2024-03-04', 100, 60, 40, 0, 0, 0),
      day('2024-03-05', 70, 0, 70, -30, -60, 2),
      day('2024-03-06', 70, 0, 70, 0, 0, 0),
    ]);
  });

  it('values the held units at the latest known price, also on days whose movements have none', async () => {
    const result = await engine.query(
      `select balance_date, last_price, market_value from fact_portfolio_daily_balance
       where client_id = 'C1' and balance_date in (date '2024-03-03', date '2024-03-05') order by balance_date`,
    );

    // The lien of 03-03 has no price: the buy's 10 stands (100 x 10); the sell of 03-05 at 12 sets it (70 x 12).
    expect(result.rows).toEqual([
      { balance_date: '2024-03-03', last_price: 10, market_value: 1000 },
      { balance_date: '2024-03-05', last_price: 12, market_value: 840 },
    ]);
  });

  it('starts a pair on its first movement and keeps its product type', async () => {
    const result = await engine.query(
      `select client_id, product_id, product_type, balance_date, available_units, last_price, market_value
       from fact_portfolio_daily_balance where client_id = 'C2'`,
    );

    expect(result.rows).toEqual([
      {
        client_id: 'C2',
        product_id: 'GOLD',
        product_type: 'commodity',
        balance_date: '2024-03-06',
        available_units: 5,
        last_price: null,
        market_value: null,
      },
    ]);
  });

  it('breaches the 50% rule on available units when the lien is placed and when it is released', async () => {
    const result = await engine.query(
      `select entity_id, balance_date, previous_balance, current_balance, is_breach from balance_moves
       where rule_name = 'portfolio_available_move' order by entity_id, balance_date`,
    );

    // 100 -> 40 is -60%, 40 -> 70 is +75%; quiet days do not move; C2's first holding comes from zero,
    // which the rule ignores (zero_previous = ignore), so buying a product never alerts by itself.
    const breaches = result.rows.filter((row) => row.is_breach);
    expect(breaches).toEqual([
      {
        entity_id: 'C1/FUND-A',
        balance_date: '2024-03-03',
        previous_balance: 100,
        current_balance: 40,
        is_breach: true,
      },
      {
        entity_id: 'C1/FUND-A',
        balance_date: '2024-03-05',
        previous_balance: 40,
        current_balance: 70,
        is_breach: true,
      },
    ]);
    expect(result.rows.map((row) => `${row.entity_id} ${row.balance_date}`)).toContain('C2/GOLD 2024-03-06');
  });
});

describe('fact_inventory_daily_position and inventory_daily_totals', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('stock_movements', 'stock', [
      stockMovement({
        movement_id: 'S1',
        event_time: '2024-03-01T08:00:00Z',
        movement_type: 'receipt',
        units: 100,
      }),
      stockMovement({
        movement_id: 'S2',
        event_time: '2024-03-01T09:00:00Z',
        location_id: 'WH-B',
        movement_type: 'receipt',
        units: 20,
      }),
      stockMovement({
        movement_id: 'S3',
        event_time: '2024-03-02T08:00:00Z',
        movement_type: 'transfer',
        to_location_id: 'WH-B',
        units: 30,
      }),
      stockMovement({
        movement_id: 'S4',
        event_time: '2024-03-02T12:00:00Z',
        location_id: 'WH-B',
        movement_type: 'issue',
        units: 5,
      }),
      // 03-03 quiet for SKU-1. On 03-04 WH-A counts 65 where 70 were expected, then issues 10.
      stockMovement({
        movement_id: 'S5',
        event_time: '2024-03-04T07:00:00Z',
        movement_type: 'count',
        units: 65,
      }),
      stockMovement({
        movement_id: 'S6',
        event_time: '2024-03-04T15:00:00Z',
        movement_type: 'issue',
        units: 10,
      }),
      // A transfer without a destination: its units go to UNKNOWN, not out of the company.
      stockMovement({
        movement_id: 'S7',
        event_time: '2024-03-05T10:00:00Z',
        location_id: 'WH-B',
        movement_type: 'transfer',
        units: 10,
      }),
      // SKU-2 at WH-C: 10 received, 6 issued (a drop of 60%), then an adjustment of -5 takes it below zero.
      stockMovement({
        movement_id: 'S8',
        event_time: '2024-03-01T10:00:00Z',
        product_id: 'SKU-2',
        location_id: 'WH-C',
        movement_type: 'receipt',
        units: 10,
      }),
      stockMovement({
        movement_id: 'S9',
        event_time: '2024-03-03T10:00:00Z',
        product_id: 'SKU-2',
        location_id: 'WH-C',
        movement_type: 'issue',
        units: 6,
      }),
      stockMovement({
        movement_id: 'S10',
        event_time: '2024-03-05T10:00:00Z',
        product_id: 'SKU-2',
        location_id: 'WH-C',
        movement_type: 'adjustment',
        units: -5,
        reason: 'damaged',
      }),
    ]);
    engine = await catalogOver(lake);
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('books receipts, transfers, issues, counts and quiet days per location', async () => {
    const result = await engine.query(
      `select location_id, position_date, opening_units, units_on_hand, received_units, issued_units,
              transferred_in_units, transferred_out_units, count_variance
       from fact_inventory_daily_position where product_id = 'SKU-1' order by location_id, position_date`,
    );

    const row = (
      location_id: string,
      position_date: string,
      opening_units: number,
      units_on_hand: number,
      flows: Partial<Record<string, number>> = {},
    ) => ({
      location_id,
      position_date,
      opening_units,
      units_on_hand,
      received_units: 0,
      issued_units: 0,
      transferred_in_units: 0,
      transferred_out_units: 0,
      count_variance: 0,
      ...flows,
    });
    expect(result.rows).toEqual([
      row('UNKNOWN', '2024-03-05', 0, 10, { transferred_in_units: 10 }),
      row('WH-A', '2024-03-01', 0, 100, { received_units: 100 }),
      row('WH-A', '2024-03-02', 100, 70, { transferred_out_units: 30 }),
      row('WH-A', '2024-03-03', 70, 70),
      // Counted 65 against 70 expected (-5), then 10 issued.
      row('WH-A', '2024-03-04', 70, 55, { count_variance: -5, issued_units: 10 }),
      row('WH-A', '2024-03-05', 55, 55),
      row('WH-B', '2024-03-01', 0, 20, { received_units: 20 }),
      row('WH-B', '2024-03-02', 20, 45, { transferred_in_units: 30, issued_units: 5 }),
      row('WH-B', '2024-03-03', 45, 45),
      row('WH-B', '2024-03-04', 45, 45),
      row('WH-B', '2024-03-05', 45, 35, { transferred_out_units: 10 }),
    ]);
  });

  it('keeps the company-wide total through transfers between two locations', async () => {
    const result = await engine.query(
      `select position_date, locations, units_on_hand, transferred_in_units, transferred_out_units
       from inventory_daily_totals where product_id = 'SKU-1' order by position_date`,
    );

    // 120 received; 03-02 the transfer of 30 moves nothing company-wide, the issue of 5 does; 03-04 the
    // count's -5 and the issue of 10; 03-05 the transfer without destination keeps the total at 100.
    expect(result.rows).toEqual([
      {
        position_date: '2024-03-01',
        locations: 2,
        units_on_hand: 120,
        transferred_in_units: 0,
        transferred_out_units: 0,
      },
      {
        position_date: '2024-03-02',
        locations: 2,
        units_on_hand: 115,
        transferred_in_units: 30,
        transferred_out_units: 30,
      },
      {
        position_date: '2024-03-03',
        locations: 2,
        units_on_hand: 115,
        transferred_in_units: 0,
        transferred_out_units: 0,
      },
      {
        position_date: '2024-03-04',
        locations: 2,
        units_on_hand: 100,
        transferred_in_units: 0,
        transferred_out_units: 0,
      },
      {
        position_date: '2024-03-05',
        locations: 3,
        units_on_hand: 100,
        transferred_in_units: 10,
        transferred_out_units: 10,
      },
    ]);
  });

  it('alerts when a location drops by half and when it goes below zero, not on smaller drops', async () => {
    const result = await engine.query(
      `select entity_id, balance_date, previous_balance, current_balance, is_sign_flip from balance_moves
       where rule_name = 'inventory_position_drop' and is_breach order by entity_id, balance_date`,
    );

    // SKU-2@WH-C: 10 -> 4 (-60%), 4 -> -1 (below zero). SKU-1's moves are smaller: WH-A 100 -> 70
    // (-30%), 70 -> 55; WH-B 45 -> 35. UNKNOWN first appears with +10 (up, not watched).
    expect(result.rows).toEqual([
      {
        entity_id: 'SKU-2@WH-C',
        balance_date: '2024-03-03',
        previous_balance: 10,
        current_balance: 4,
        is_sign_flip: false,
      },
      {
        entity_id: 'SKU-2@WH-C',
        balance_date: '2024-03-05',
        previous_balance: 4,
        current_balance: -1,
        is_sign_flip: true,
      },
    ]);
    const watched = await engine.query(
      "select count(*) as n from balance_moves where rule_name = 'inventory_position_drop' and entity_id like 'SKU-1@%'",
    );
    expect(Number(watched.rows[0]?.n)).toBeGreaterThan(0);
  });
});

function day(
  balance_date: string,
  held_units: number,
  lien_units: number,
  available_units: number,
  held_change: number,
  lien_change: number,
  movement_count: number,
) {
  return { balance_date, held_units, lien_units, available_units, held_change, lien_change, movement_count };
}
