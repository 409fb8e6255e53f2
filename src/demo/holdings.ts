/**
 * Holdings movements of a small custody book: one CSV per week
 * (`landing/holdings_movements/holdings-YYYY-MM-DD.csv`, the week's first day). Clients buy and sell
 * securities, funds and a commodity, move units in and out, and pledge units (a lien) that a later
 * release frees. The generator keeps its own book, so a sell never exceeds the units available and a
 * release never exceeds the units pledged.
 */
import { holdingsMovements as holdingsContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import { UNPARSEABLE_DATES } from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile, formatCsv } from './encoding';
import { type Mix, Rng } from './random';
import { compactDate, DAY_MS, type DemoFile, type DemoPlan, isoTimestamp } from './types';

/** Products of the book with their kind, starting price and how units are quoted. */
export const HOLDING_PRODUCTS: readonly {
  readonly id: string;
  readonly type: 'security' | 'fund' | 'commodity';
  readonly price: number;
  /** Units of a fund are fractional (two decimals); securities and gold trade whole units. */
  readonly fractional: boolean;
  readonly lot: number;
}[] = [
  { id: 'US0378331005', type: 'security', price: 190, fractional: false, lot: 40 },
  { id: 'US5949181045', type: 'security', price: 420, fractional: false, lot: 20 },
  { id: 'FUND-GLOBAL-EQ', type: 'fund', price: 25.5, fractional: true, lot: 400 },
  { id: 'FUND-BOND-EUR', type: 'fund', price: 11.8, fractional: true, lot: 800 },
  { id: 'GOLD-OZ', type: 'commodity', price: 2300, fractional: false, lot: 5 },
];

/** Clients of the book: the first customers of the demo. */
const MAX_CLIENTS = 40;
const MOVEMENTS_PER_DAY = 24;
const DAYS_PER_FILE = 7;

type MovementType = 'buy' | 'sell' | 'transfer_in' | 'transfer_out' | 'lien' | 'lien_release';

const MOVEMENT_MIX: Mix<MovementType> = {
  buy: 34,
  sell: 24,
  transfer_in: 8,
  transfer_out: 7,
  lien: 12,
  lien_release: 15,
};

/** How source systems spell the movement types (the contract maps them back). */
const SPELLINGS: Readonly<Record<MovementType, readonly string[]>> = {
  buy: ['buy', 'BUY'],
  sell: ['sell', 'Sell'],
  transfer_in: ['transfer_in', 'Transfer In'],
  transfer_out: ['transfer_out', 'Transfer Out'],
  lien: ['lien', 'pledge', 'block'],
  lien_release: ['lien_release', 'release', 'Lien Release'],
};

const COLUMNS = [
  'movement_id',
  'event_time',
  'client_id',
  'product_id',
  'product_type',
  'movement_type',
  'units',
  'price',
  'currency',
] as const;

type HoldingsRow = Record<(typeof COLUMNS)[number], string>;

interface Position {
  held: number;
  lien: number;
}

/** One holdings CSV per week of the period. */
export function generateHoldingsFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'holdings');
  const clients = plan.customers.slice(0, MAX_CLIENTS).map((c) => c.id);
  const book = new Map<string, Position>();
  const prices = HOLDING_PRODUCTS.map((p) => p.price);
  const fileCount = Math.ceil(plan.days / DAYS_PER_FILE);
  return Array.from({ length: fileCount }, (_, k) => {
    const first = plan.firstDay + k * DAYS_PER_FILE;
    const days = Array.from(
      { length: Math.min(DAYS_PER_FILE, plan.days - k * DAYS_PER_FILE) },
      (_, d) => first + d,
    );
    const clean = days.flatMap((day) => {
      prices.forEach((price, i) => {
        prices[i] = Math.max(0.5, price * (1 + 0.015 * rng.normal()));
      });
      return dayMovements(rng, day, clients, book, prices);
    });
    const { rows, expected, planted } = plantDirtyRows<HoldingsRow>(
      clean,
      {
        null_key: (row) => ({ ...row, movement_id: '' }),
        negative_amount: (row) => ({ ...row, units: `-${row.units}` }),
        bad_date: (row, r) => ({ ...row, event_time: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    const text = formatCsv(
      [...COLUMNS],
      rows.map((row) => COLUMNS.map((column) => row[column])),
      { delimiter: ',', lineEnding: '\n' },
    );
    return {
      key: `landing/holdings_movements/holdings-${dayToIso(first)}.csv`,
      dataset: holdingsContract.name,
      body: encodeFile(text),
      expected,
      planted,
      style: 'holdings movements: weekly CSV, movement types in several spellings',
    };
  });
}

function dayMovements(
  rng: Rng,
  day: number,
  clients: readonly string[],
  book: Map<string, Position>,
  prices: readonly number[],
): HoldingsRow[] {
  const times = Array.from(
    { length: MOVEMENTS_PER_DAY },
    () => day * DAY_MS + (8 + rng.int(0, 9)) * 3_600_000 + rng.int(0, 3599) * 1000,
  ).sort((a, b) => a - b);
  return times.map((time, j) => {
    const client = rng.pick(clients);
    const productIndex = rng.int(0, HOLDING_PRODUCTS.length - 1);
    const product = HOLDING_PRODUCTS[productIndex]!;
    const key = `${client}|${product.id}`;
    const position = book.get(key) ?? { held: 0, lien: 0 };
    book.set(key, position);
    const available = position.held - position.lien;
    let type = rng.weighted(MOVEMENT_MIX);
    // Only what the book allows: nothing to sell or pledge becomes a buy, nothing pledged a lien.
    if ((type === 'sell' || type === 'transfer_out' || type === 'lien') && available < 1) type = 'buy';
    if (type === 'lien_release' && position.lien <= 0) type = available >= 1 ? 'lien' : 'buy';
    const lot = (max: number) => {
      const units = product.fractional ? rng.next() * max : rng.int(1, Math.max(1, Math.floor(max)));
      return Math.max(product.fractional ? 0.01 : 1, Math.round(units * 100) / 100);
    };
    let units: number;
    switch (type) {
      case 'buy':
      case 'transfer_in':
        units = lot(product.lot);
        position.held += units;
        break;
      case 'sell':
      case 'transfer_out':
        units = Math.min(available, lot(available));
        position.held -= units;
        break;
      case 'lien':
        units = Math.min(available, lot(available * 0.8));
        position.lien += units;
        break;
      case 'lien_release':
        units = rng.chance(0.6) ? position.lien : Math.min(position.lien, lot(position.lien));
        position.lien -= units;
        break;
    }
    position.held = Math.round(position.held * 100) / 100;
    position.lien = Math.round(position.lien * 100) / 100;
    const priced = type === 'buy' || type === 'sell';
    return {
      movement_id: `H${compactDate(day)}-${String(j + 1).padStart(4, '0')}`,
      event_time: isoTimestamp(time),
      client_id: client,
      product_id: rng.chance(0.1) ? product.id.toLowerCase() : product.id,
      product_type: product.type,
      movement_type: rng.pick(SPELLINGS[type]),
      units: units.toFixed(2),
      price: priced ? prices[productIndex]!.toFixed(2) : '',
      currency: priced ? 'USD' : '',
    };
  });
}
