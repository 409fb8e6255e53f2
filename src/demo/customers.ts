/**
 * The demo's customers: a fixed population (used by transactions and sales too) and weekly snapshot
 * CSVs of the customer master, in which some customers change segment, city or email (some more than
 * once), so the SCD2 dimension has history to show.
 */
import { customers as customersContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import {
  CITIES,
  EMAIL_DOMAINS,
  FIRST_NAMES,
  LAST_NAMES,
  OVERSPENDER_SHARE,
  type Region,
  SECOND_WALLET_SHARE,
  SEGMENT_MIX,
  UNKNOWN_SEGMENTS,
  UNPARSEABLE_DATES,
} from './catalog';
import { plantDirtyRows } from './dirty';
import { type CsvLayout, encodeFile, formatCsv } from './encoding';
import { type Mix, Rng } from './random';
import { capitalise, DAY_MS, type DemoFile, type DemoPlan, isoTimestamp, sourceName } from './types';

type Segment = keyof typeof SEGMENT_MIX;

/** A customer as the other datasets see it: who they are and how they behave. */
export interface Customer {
  readonly id: string;
  readonly name: string;
  readonly homeCity: string;
  readonly region: Region;
  /** A second account besides the main one (whose id is the customer id), or undefined. */
  readonly wallet: string | undefined;
  /** Relative number of transactions and orders. */
  readonly activity: number;
  /** Spends more than deposits: the balance sinks. */
  readonly overspender: boolean;
}

/** One version of a customer's master record. */
interface CustomerVersion {
  readonly segment: Segment;
  readonly city: string;
  /** As the source system spells it (mixed case); the contract folds it to lower case. */
  readonly email: string;
  readonly updatedAt: number;
}

/** Days (from the first) on which a snapshot of the customer master lands. */
const SNAPSHOT_EVERY_DAYS = 7;
/** Share of customers who change something between two snapshots. */
const CHANGE_SHARE = 0.05;
/** Share of customers who change something between every two snapshots (several SCD2 versions). */
const RESTLESS_SHARE = 0.02;
const CHANGE_MIX: Mix<'segment' | 'city' | 'email'> = { segment: 40, city: 30, email: 30 };

interface CustomerFileStyle {
  readonly description: string;
  /** Header names: the contract's column names, or its aliases at this index. */
  readonly aliasIndex?: number;
  readonly timestamps: 'iso' | 'epoch_millis';
  /** Segments written `Premium` instead of `premium` (the contract folds case). */
  readonly capitalisedSegments: boolean;
  readonly layout: CsvLayout;
}

const LF: CsvLayout = { delimiter: ',', lineEnding: '\n' };

/** Snapshot layouts, used in turn. */
const CUSTOMER_FILE_STYLES: readonly CustomerFileStyle[] = [
  { description: 'plain CSV', timestamps: 'iso', capitalisedSegments: false, layout: LF },
  {
    description: 'aliased headers, capitalised segments',
    aliasIndex: 0,
    timestamps: 'iso',
    capitalisedSegments: true,
    layout: LF,
  },
  {
    description: 'updated_at as epoch milliseconds',
    timestamps: 'epoch_millis',
    capitalisedSegments: false,
    layout: LF,
  },
  {
    description: 'other aliased headers, CRLF line endings',
    aliasIndex: 1,
    timestamps: 'iso',
    capitalisedSegments: false,
    layout: { delimiter: ',', lineEnding: '\r\n' },
  },
];

const COLUMNS = ['customer_id', 'name', 'email', 'segment', 'city', 'updated_at'] as const;
type CustomerRow = Readonly<Record<(typeof COLUMNS)[number], string>>;

/** `C0001` for the first customer. */
export function customerId(index: number, count: number): string {
  return `C${String(index + 1).padStart(Math.max(4, String(count).length), '0')}`;
}

/** The fixed customer population for a seed: same seed and count, same customers. */
export function createCustomers(seed: number, count: number): Customer[] {
  const rng = new Rng(seed, 'customers.population');
  return Array.from({ length: count }, (_, i) => {
    const id = customerId(i, count);
    const city = rng.pick(CITIES);
    return {
      id,
      name: `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`,
      homeCity: city.name,
      region: city.region,
      wallet: rng.chance(SECOND_WALLET_SHARE) ? `W${id.slice(1)}` : undefined,
      activity: rng.logNormal(1, 0.6),
      overspender: rng.chance(OVERSPENDER_SHARE),
    };
  });
}

/** An email as people type them: mostly lower case, sometimes capitalised or shouted. */
function spellEmail(rng: Rng, customer: Customer, index: number): string {
  const plain = customer.name
    .normalize('NFD')
    .replace(/[\u0300-\u036f']/g, '')
    .toLowerCase()
    .replace(' ', '.');
  const email = `${plain}${index + 1}@${rng.pick(EMAIL_DOMAINS)}`;
  const style = rng.next();
  if (style < 0.6) return email;
  if (style < 0.9)
    return email.replace(/(^|[.@])([a-z])/g, (_, sep: string, letter: string) => sep + letter.toUpperCase());
  return email.toUpperCase();
}

function changeVersion(
  rng: Rng,
  customer: Customer,
  index: number,
  from: CustomerVersion,
  at: number,
): CustomerVersion {
  const what = rng.weighted(CHANGE_MIX);
  if (what === 'segment') {
    const others = (Object.keys(SEGMENT_MIX) as Segment[]).filter((s) => s !== from.segment);
    return { ...from, segment: rng.pick(others), updatedAt: at };
  }
  if (what === 'city') {
    const others = CITIES.filter((c) => c.name !== from.city);
    return { ...from, city: rng.pick(others).name, updatedAt: at };
  }
  let email = from.email;
  while (email === from.email) email = spellEmail(rng, customer, index);
  return { ...from, email, updatedAt: at };
}

/** The snapshot day offsets within the period: 0, 7, 14, ... */
function snapshotOffsets(days: number): number[] {
  return Array.from({ length: Math.ceil(days / SNAPSHOT_EVERY_DAYS) }, (_, k) => k * SNAPSHOT_EVERY_DAYS);
}

/**
 * Every customer's current version at each snapshot. The first versions date from the day before the
 * period, a distinct second each, so every (customer_id, updated_at) is unique within a snapshot.
 */
function customerHistory(plan: DemoPlan, rng: Rng): CustomerVersion[][] {
  const count = plan.customers.length;
  const step = Math.max(1, Math.floor(86_400 / Math.max(1, count)));
  let current = plan.customers.map<CustomerVersion>((customer, i) => ({
    segment: rng.weighted(SEGMENT_MIX),
    city: customer.homeCity,
    email: spellEmail(rng, customer, i),
    updatedAt: (plan.firstDay - 1) * DAY_MS + ((i * step + rng.int(0, step - 1)) % 86_400) * 1000,
  }));
  const restless = new Set(rng.permutation(count).slice(0, Math.max(1, Math.round(count * RESTLESS_SHARE))));
  const offsets = snapshotOffsets(plan.days);
  return offsets.map((offset, k) => {
    if (k > 0) {
      const previous = offsets[k - 1]!;
      current = current.map((version, i) => {
        if (!restless.has(i) && !rng.chance(CHANGE_SHARE)) return version;
        const at = (plan.firstDay + rng.int(previous + 1, offset)) * DAY_MS + rng.int(0, 86_399) * 1000;
        return changeVersion(rng, plan.customers[i]!, i, version, at);
      });
    }
    return current;
  });
}

/** Weekly snapshot CSVs of the whole customer master (`landing/customers/snapshot-YYYY-MM-DD.csv`). */
export function generateCustomerFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'customers.snapshots');
  const history = customerHistory(plan, rng);
  const offsets = snapshotOffsets(plan.days);
  return history.map((versions, k) => {
    const style = CUSTOMER_FILE_STYLES[k % CUSTOMER_FILE_STYLES.length]!;
    const clean: CustomerRow[] = versions.map((version, i) => ({
      customer_id: plan.customers[i]!.id,
      name: plan.customers[i]!.name,
      email: version.email,
      segment: style.capitalisedSegments ? capitalise(version.segment) : version.segment,
      city: version.city,
      updated_at:
        style.timestamps === 'epoch_millis' ? String(version.updatedAt) : isoTimestamp(version.updatedAt),
    }));
    const { rows, expected, planted } = plantDirtyRows<CustomerRow>(
      clean,
      {
        null_key: (row) => ({ ...row, customer_id: '' }),
        bad_segment: (row, r) => ({ ...row, segment: r.pick(UNKNOWN_SEGMENTS) }),
        bad_date: (row, r) => ({ ...row, updated_at: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    const header = COLUMNS.map((column) => sourceName(customersContract, column, style.aliasIndex));
    const text = formatCsv(
      header,
      rows.map((row) => COLUMNS.map((column) => row[column])),
      style.layout,
    );
    return {
      key: `landing/customers/snapshot-${dayToIso(plan.firstDay + offsets[k]!)}.csv`,
      dataset: 'customers',
      body: encodeFile(text),
      expected,
      planted,
      style: `customer snapshot: ${style.description}`,
    };
  });
}
