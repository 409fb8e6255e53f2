/**
 * Stock movements of a small retailer: two warehouses supply four branches. One CSV per week
 * (`landing/stock_movements/stock-YYYY-MM-DD.csv`, the week's first day): receipts at the warehouses,
 * transfers to the branches when they run low, issues (sales) at the branches, a few adjustments
 * (damaged goods) and a weekly count at every branch that finds small differences. The generator keeps
 * its own stock, so an issue never takes more than is on hand.
 */
import { stockMovements as stockContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import { UNPARSEABLE_DATES } from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile, formatCsv } from './encoding';
import { Rng } from './random';
import { compactDate, DAY_MS, type DemoFile, type DemoPlan, isoTimestamp, weekday } from './types';

export const WAREHOUSES = ['WH-EAST', 'WH-WEST'] as const;
export const BRANCHES = ['BR-BOSTON', 'BR-CHICAGO', 'BR-AUSTIN', 'BR-SEATTLE'] as const;
export const STOCK_PRODUCTS = Array.from({ length: 8 }, (_, i) => `SKU-${1001 + i}`);

/** The warehouse each branch is supplied from. */
const SUPPLIER: Readonly<Record<(typeof BRANCHES)[number], (typeof WAREHOUSES)[number]>> = {
  'BR-BOSTON': 'WH-EAST',
  'BR-CHICAGO': 'WH-EAST',
  'BR-AUSTIN': 'WH-WEST',
  'BR-SEATTLE': 'WH-WEST',
};
const DAYS_PER_FILE = 7;
/** Movement types no contract knows: quarantined, never guessed. */
const UNKNOWN_STOCK_MOVEMENTS = ['theft', 'return_to_vendor', 'consignment'] as const;
const BRANCH_REORDER_LEVEL = 15;
const WAREHOUSE_REORDER_LEVEL = 120;

const COLUMNS = [
  'movement_id',
  'event_time',
  'product_id',
  'location_id',
  'to_location_id',
  'movement_type',
  'units',
  'reason',
] as const;

type StockRow = Record<(typeof COLUMNS)[number], string>;

/** How source systems spell the movement types (the contract maps them back). */
const SPELLINGS = {
  receipt: ['receipt', 'GR', 'goods_receipt'],
  issue: ['issue', 'goods_issue'],
  transfer: ['transfer', 'Stock Transfer'],
  adjustment: ['adjustment', 'adjust'],
  count: ['count', 'stocktake'],
} as const;

/** One stock CSV per week of the period. */
export function generateStockFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'stock');
  const onHand = new Map<string, number>();
  const fileCount = Math.ceil(plan.days / DAYS_PER_FILE);
  return Array.from({ length: fileCount }, (_, k) => {
    const first = plan.firstDay + k * DAYS_PER_FILE;
    const days = Array.from(
      { length: Math.min(DAYS_PER_FILE, plan.days - k * DAYS_PER_FILE) },
      (_, d) => first + d,
    );
    const clean = days.flatMap((day) => dayMovements(rng, day, onHand));
    const { rows, expected, planted } = plantDirtyRows<StockRow>(
      clean,
      {
        null_key: (row) => ({ ...row, movement_id: '' }),
        unknown_type: (row, r) => ({ ...row, movement_type: r.pick(UNKNOWN_STOCK_MOVEMENTS) }),
        bad_date: (row, r) => ({ ...row, event_time: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    const text = formatCsv(
      [...COLUMNS],
      rows.map((row) => COLUMNS.map((column) => row[column])),
      { delimiter: ';', lineEnding: '\r\n' },
    );
    return {
      key: `landing/stock_movements/stock-${dayToIso(first)}.csv`,
      dataset: stockContract.name,
      body: encodeFile(text),
      expected,
      planted,
      style: 'stock movements: weekly semicolon CSV with CRLF, movement types in several spellings',
    };
  });
}

function dayMovements(rng: Rng, day: number, onHand: Map<string, number>): StockRow[] {
  const rows: Omit<StockRow, 'movement_id'>[] = [];
  let clock = day * DAY_MS + 6 * 3_600_000;
  const book = (
    product: string,
    location: string,
    type: keyof typeof SPELLINGS,
    units: number,
    extra: { to?: string; reason?: string } = {},
  ) => {
    clock += rng.int(30, 300) * 1000;
    rows.push({
      event_time: isoTimestamp(clock),
      product_id: product,
      location_id: rng.chance(0.1) ? location.toLowerCase() : location,
      to_location_id: extra.to ?? '',
      movement_type: rng.pick(SPELLINGS[type]),
      units: units.toFixed(2),
      reason: extra.reason ?? '',
    });
  };
  const level = (product: string, location: string) => onHand.get(`${product}@${location}`) ?? 0;
  const move = (product: string, location: string, delta: number) =>
    onHand.set(`${product}@${location}`, level(product, location) + delta);

  for (const product of STOCK_PRODUCTS) {
    // Morning: warehouses restock, then send to the branches that run low.
    for (const warehouse of WAREHOUSES) {
      if (level(product, warehouse) < WAREHOUSE_REORDER_LEVEL) {
        const units = rng.int(30, 50) * 10;
        book(product, warehouse, 'receipt', units, { reason: `PO-${compactDate(day)}` });
        move(product, warehouse, units);
      }
    }
    for (const branch of BRANCHES) {
      const warehouse = SUPPLIER[branch];
      if (level(product, branch) < BRANCH_REORDER_LEVEL) {
        const units = Math.min(level(product, warehouse), rng.int(3, 6) * 10);
        if (units > 0) {
          book(product, warehouse, 'transfer', units, { to: branch });
          move(product, warehouse, -units);
          move(product, branch, units);
        }
      }
    }
  }
  for (const product of STOCK_PRODUCTS) {
    // Day: sales at the branches, now and then goods found damaged.
    for (const branch of BRANCHES) {
      const units = Math.min(level(product, branch), rng.int(0, 9));
      if (units > 0) {
        book(product, branch, 'issue', units);
        move(product, branch, -units);
      }
      if (rng.chance(0.03) && level(product, branch) > 0) {
        book(product, branch, 'adjustment', -1, { reason: 'damaged' });
        move(product, branch, -1);
      }
    }
  }
  if (weekday(day) === 0) {
    // Sunday evening: every branch counts every product and finds a unit more or less now and then.
    for (const branch of BRANCHES) {
      for (const product of STOCK_PRODUCTS) {
        const counted = Math.max(0, level(product, branch) + (rng.chance(0.2) ? rng.pick([-2, -1, 1]) : 0));
        book(product, branch, 'count', counted);
        onHand.set(`${product}@${branch}`, counted);
      }
    }
  }
  return rows.map((row, j) => ({
    movement_id: `S${compactDate(day)}-${String(j + 1).padStart(4, '0')}`,
    ...row,
  }));
}
