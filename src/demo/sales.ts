/**
 * Shop orders: one file per week (`landing/sales/orders-YYYY-MM-DD.json|.ndjson[.gz]`), records with a
 * nested `product` object, discounts absent / as fractions / as percentages, and order dates in every
 * spelling the sales contract accepts.
 */
import { sales as salesContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import {
  BAD_DISCOUNTS,
  BAD_QUANTITIES,
  CITIES,
  DISCOUNT_FRACTIONS,
  DISCOUNT_MIX,
  DISCOUNT_PERCENTS,
  HOUR_WEIGHTS,
  ORDER_DATE_FORMAT_MIX,
  type OrderDateFormat,
  PRODUCTS,
  QUANTITY_MIX,
  UNPARSEABLE_DATES,
  WEEKDAY_FACTOR,
} from './catalog';
import { plantDirtyRows } from './dirty';
import { encodeFile } from './encoding';
import { Rng, weightedPicker } from './random';
import { capitalise, compactDate, DAY_MS, type DemoFile, type DemoPlan, sourceName, weekday } from './types';

/** One order as it lands: plain JSON, key order as written. */
type OrderRecord = Readonly<Record<string, unknown>>;

/** Days covered by one sales file. */
const DAYS_PER_FILE = 7;
/** Share of orders shipped outside the customer's home region. */
const AWAY_SHARE = 0.1;
/** Share of orders without loyalty points (the column is optional). */
const MISSING_POINTS_SHARE = 0.15;
/** Share of categories and regions written capitalised (the contract folds them to lower case). */
const CAPITALISED_SHARE = 0.3;

interface SalesFileStyle {
  readonly description: string;
  readonly format: 'json' | 'ndjson';
  /** Top-level keys: the contract's column names, or its aliases at this index. */
  readonly aliasIndex?: number;
  /** @default false */
  readonly gzip?: boolean;
}

/** Weekly layouts, used in turn. */
const SALES_FILE_STYLES: readonly SalesFileStyle[] = [
  { description: 'JSON array', format: 'json' },
  { description: 'NDJSON', format: 'ndjson' },
  { description: 'gzipped NDJSON', format: 'ndjson', gzip: true },
  { description: 'JSON array with aliased keys', format: 'json', aliasIndex: 0 },
];

/** The top-level keys a file style uses for the columns that are not inside `product`. */
function keysFor(style: SalesFileStyle) {
  const key = (column: string) => sourceName(salesContract, column, style.aliasIndex);
  return {
    id: key('transaction_id'),
    customer: key('customer_id'),
    quantity: key('quantity'),
    discount: key('discount'),
    region: key('region'),
    date: key('order_date'),
    points: key('loyalty_points'),
  };
}

function spellOrderDate(rng: Rng, millis: number, format: OrderDateFormat): string | number {
  const [yyyy, mm, dd] = new Date(millis).toISOString().slice(0, 10).split('-');
  switch (format) {
    case 'iso':
      return `${yyyy}-${mm}-${dd}`;
    case 'dd/mm/yyyy':
      return `${dd}/${mm}/${yyyy}`;
    case 'mm-dd-yyyy':
      return `${mm}-${dd}-${yyyy}`;
    case 'yyyy/mm/dd':
      return `${yyyy}/${mm}/${dd}`;
    case 'epoch_millis':
      // A JSON number, as exported by many shop systems.
      return millis + rng.int(0, 999);
  }
}

function maybeCapitalised(rng: Rng, word: string): string {
  return rng.chance(CAPITALISED_SHARE) ? capitalise(word) : word;
}

/** The clean orders of the days in one file, in time order. */
function fileOrders(
  rng: Rng,
  plan: DemoPlan,
  days: readonly number[],
  style: SalesFileStyle,
  pickCustomer: (r: Rng) => number,
): OrderRecord[] {
  const keys = keysFor(style);
  return days.flatMap((day) => {
    const count = Math.round(plan.ordersPerDay * WEEKDAY_FACTOR[weekday(day)]! * (0.9 + 0.2 * rng.next()));
    const times = Array.from(
      { length: count },
      () => day * DAY_MS + rng.weightedIndex(HOUR_WEIGHTS) * 3_600_000 + rng.int(0, 3599) * 1000,
    ).sort((a, b) => a - b);
    const idPrefix = `O${compactDate(day)}-`;
    return times.map((time, j) => {
      const customer = plan.customers[pickCustomer(rng)]!;
      const product = rng.pick(PRODUCTS);
      const quantity = Number(rng.weighted(QUANTITY_MIX));
      const discountKind = rng.weighted(DISCOUNT_MIX);
      const fraction = discountKind === 'fraction' ? rng.pick(DISCOUNT_FRACTIONS) : undefined;
      const percent = discountKind === 'percent' ? rng.pick(DISCOUNT_PERCENTS) : undefined;
      const paidShare = 1 - (fraction ?? (percent ? Number.parseFloat(percent) / 100 : 0));
      const region = rng.chance(AWAY_SHARE) ? rng.pick(CITIES).region : customer.region;
      const record: Record<string, unknown> = {
        [keys.id]: idPrefix + String(j + 1).padStart(4, '0'),
        [keys.customer]: customer.id,
        product: { ...product, category: maybeCapitalised(rng, product.category) },
        [keys.quantity]: quantity,
      };
      // A missing discount is an absent key: the contract's default (0) applies.
      if (discountKind !== 'missing') record[keys.discount] = fraction ?? percent;
      record[keys.region] = maybeCapitalised(rng, region);
      record[keys.date] = spellOrderDate(rng, time, rng.weighted(ORDER_DATE_FORMAT_MIX));
      if (!rng.chance(MISSING_POINTS_SHARE))
        record[keys.points] = Math.floor(product.price * quantity * paidShare);
      return record;
    });
  });
}

function serialise(records: readonly OrderRecord[], format: SalesFileStyle['format']): string {
  const lines = records.map((record) => JSON.stringify(record));
  return format === 'ndjson' ? `${lines.join('\n')}\n` : `[\n${lines.map((l) => `  ${l}`).join(',\n')}\n]\n`;
}

/** One sales file per week of the period. */
export function generateSalesFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'sales');
  const pickCustomer = weightedPicker(plan.customers.map((c) => c.activity));
  const fileCount = Math.ceil(plan.days / DAYS_PER_FILE);
  return Array.from({ length: fileCount }, (_, k) => {
    const style = SALES_FILE_STYLES[k % SALES_FILE_STYLES.length]!;
    const keys = keysFor(style);
    const first = plan.firstDay + k * DAYS_PER_FILE;
    const days = Array.from(
      { length: Math.min(DAYS_PER_FILE, plan.days - k * DAYS_PER_FILE) },
      (_, d) => first + d,
    );
    const { rows, expected, planted } = plantDirtyRows<OrderRecord>(
      fileOrders(rng, plan, days, style, pickCustomer),
      {
        null_key: (record) => ({ ...record, [keys.id]: null }),
        bad_quantity: (record, r) => ({ ...record, [keys.quantity]: r.pick(BAD_QUANTITIES) }),
        bad_discount: (record, r) => ({ ...record, [keys.discount]: r.pick(BAD_DISCOUNTS) }),
        bad_date: (record, r) => ({ ...record, [keys.date]: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    const extension = style.format === 'json' ? 'json' : `ndjson${style.gzip ? '.gz' : ''}`;
    return {
      key: `landing/sales/orders-${dayToIso(first)}.${extension}`,
      dataset: 'sales',
      body: encodeFile(serialise(rows, style.format), { gzip: style.gzip ?? false }),
      expected,
      planted,
      style: `sales: ${style.description}`,
    };
  });
}
