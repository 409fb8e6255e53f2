/**
 * The deterministic sample data behind `ledgerlake demo`: a month of transactions, customer snapshots
 * and shop orders, with a small share of deliberately dirty rows and two files the pipeline must
 * reject. Every file says exactly what it planted, so the pipeline's manifests can be checked.
 */
import { datasetOfLandingKey } from '../ingest/lake-layout';
import { generateAccountFiles } from './accounts';
import { createCustomers, generateCustomerFiles } from './customers';
import type { DirtyKind } from './dirty';
import { encodeFile, formatCsv } from './encoding';
import { generateHoldingsFiles } from './holdings';
import { generateProfileFiles } from './profiles';
import { Rng } from './random';
import { generateSalesFiles } from './sales';
import { generateStockFiles } from './stock';
import { generateTransactionFiles } from './transactions';
import { DAY_MS, type DemoFile, type DemoPlan } from './types';
import { generateWebEventFiles } from './web-events';

export type { DirtyKind, ExpectedCounts, PlantedCounts } from './dirty';
export type { DemoFile } from './types';

export interface DemoOptions {
  /** Number of days of transactions (one transactions file per day). @default 30 */
  readonly days?: number;
  /** Seed of the pseudo-random generator: the same options always give byte-identical files. @default 42 */
  readonly seed?: number;
  /** Last day of the period, `YYYY-MM-DD` (fixed, not today, so the output is deterministic). @default '2024-06-30' */
  readonly endDate?: string;
  /** Average transactions per day (weekdays vary a little around it). @default 500 */
  readonly transactionsPerDay?: number;
  /** Average shop orders per day. @default 60 */
  readonly ordersPerDay?: number;
  /** Number of customers, `C0001` onwards. @default 200 */
  readonly customers?: number;
  /** Share of rows planted per dirty kind (and of duplicates), per file. 0 gives clean files. @default 0.02 */
  readonly dirtyShare?: number;
}

export const DEMO_DEFAULTS = {
  days: 30,
  seed: 42,
  endDate: '2024-06-30',
  transactionsPerDay: 500,
  ordersPerDay: 60,
  customers: 200,
  dirtyShare: 0.02,
} as const satisfies Required<DemoOptions>;

/** Options that cannot give a demo; the message names the option, the value and what is allowed. */
export class DemoOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DemoOptionsError';
  }
}

/** Landing key of the file whose dataset has no contract. */
export const UNKNOWN_DATASET_KEY = 'landing/wire_transfers/x.csv';
/** Landing key of the file that is not text at all. */
export const UNREADABLE_FILE_KEY = 'landing/transactions/broken.csv';

const isWholeNumber = (min: number, max: number) => (value: number) =>
  Number.isInteger(value) && value >= min && value <= max;

/** One rule per numeric option: the demo must stay a demo (seconds, not hours). */
const NUMERIC_OPTION_RULES: readonly {
  readonly option: 'days' | 'seed' | 'transactionsPerDay' | 'ordersPerDay' | 'customers' | 'dirtyShare';
  readonly valid: (value: number) => boolean;
  readonly expected: string;
}[] = [
  { option: 'days', valid: isWholeNumber(1, 3660), expected: 'a whole number of days from 1 to 3660' },
  { option: 'seed', valid: isWholeNumber(-(2 ** 31), 2 ** 32 - 1), expected: 'a 32-bit whole number' },
  {
    option: 'transactionsPerDay',
    valid: isWholeNumber(1, 1_000_000),
    expected: 'a whole number from 1 to 1000000',
  },
  {
    option: 'ordersPerDay',
    valid: isWholeNumber(0, 1_000_000),
    expected: 'a whole number from 0 to 1000000',
  },
  { option: 'customers', valid: isWholeNumber(1, 99_999), expected: 'a whole number from 1 to 99999' },
  {
    option: 'dirtyShare',
    valid: (v) => v >= 0 && v <= 0.1,
    expected: 'a fraction from 0 to 0.1 (0.02 is 2%)',
  },
];

/** Resolves defaults and checks options; throws DemoOptionsError naming the bad option. */
export function resolveDemoPlan(options: DemoOptions = {}): DemoPlan {
  const resolved = { ...DEMO_DEFAULTS, ...stripUndefined(options) };
  for (const rule of NUMERIC_OPTION_RULES) {
    const value = resolved[rule.option];
    if (typeof value !== 'number' || !rule.valid(value)) {
      throw new DemoOptionsError(`demo option ${rule.option} must be ${rule.expected}, got ${String(value)}`);
    }
  }
  const endMillis = /^\d{4}-\d{2}-\d{2}$/.test(resolved.endDate)
    ? Date.parse(`${resolved.endDate}T00:00:00Z`)
    : Number.NaN;
  if (Number.isNaN(endMillis) || new Date(endMillis).toISOString().slice(0, 10) !== resolved.endDate) {
    throw new DemoOptionsError(
      `demo option endDate must be a date like 2024-06-30, got '${resolved.endDate}'`,
    );
  }
  return {
    seed: resolved.seed,
    firstDay: endMillis / DAY_MS - resolved.days + 1,
    days: resolved.days,
    transactionsPerDay: resolved.transactionsPerDay,
    ordersPerDay: resolved.ordersPerDay,
    dirtyShare: resolved.dirtyShare,
    customers: createCustomers(resolved.seed, resolved.customers),
  };
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const REJECTED = { rows: 0, valid: 0, quarantined: 0, duplicates: 0, rejected: true } as const;

/** Two files a correct pipeline rejects whole: one for an unknown dataset, one that is not text. */
function rejectedFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'rejected');
  const wireTransfers = formatCsv(
    ['wire_id', 'sent_at', 'amount', 'beneficiary'],
    [
      ['W-1', '2024-06-03T10:00:00Z', '2500.00', 'ACME Corp'],
      ['W-2', '2024-06-04T11:30:00Z', '120.00', 'Jane Roe'],
    ],
    { delimiter: ',', lineEnding: '\n' },
  );
  // What a spreadsheet saved under the wrong name looks like: a zip header, NUL bytes, noise.
  const zipHeader = [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00, 0x08, 0x00, 0x00, 0x00];
  const noise = Array.from({ length: 500 }, () => rng.int(0, 255));
  return [
    {
      key: UNKNOWN_DATASET_KEY,
      dataset: 'wire_transfers',
      body: encodeFile(wireTransfers),
      expected: REJECTED,
      planted: {},
      style: 'a dataset with no contract',
    },
    {
      key: UNREADABLE_FILE_KEY,
      dataset: 'transactions',
      body: new Uint8Array([...zipHeader, ...noise]),
      expected: REJECTED,
      planted: {},
      style: 'binary bytes with NUL, not CSV',
    },
  ];
}

/**
 * Generates the demo's landing files: customer snapshots and the account master first (the
 * dimensions), then one transactions
 * CSV per day, weekly sales, holdings and stock files, two CRM exports, weekly web events, and the two files to reject. Same options, same bytes.
 * @throws DemoOptionsError when an option is out of range
 */
export function generateDemo(options?: DemoOptions): DemoFile[] {
  const plan = resolveDemoPlan(options);
  return [
    ...generateCustomerFiles(plan),
    ...generateAccountFiles(plan),
    ...generateTransactionFiles(plan),
    ...generateSalesFiles(plan),
    ...generateHoldingsFiles(plan),
    ...generateStockFiles(plan),
    ...generateProfileFiles(plan),
    ...generateWebEventFiles(plan),
    ...rejectedFiles(plan),
  ];
}

/** Totals for one dataset folder of the demo. */
export interface DemoSummary {
  readonly dataset: string;
  readonly files: number;
  readonly rejectedFiles: number;
  readonly rows: number;
  readonly valid: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly planted: Readonly<Partial<Record<DirtyKind, number>>>;
}

/** Sums the expected counts per dataset folder, in the order the datasets first appear. */
export function summarizeDemo(files: readonly DemoFile[]): DemoSummary[] {
  const byDataset = new Map<string, DemoSummary>();
  for (const file of files) {
    const dataset = datasetOfLandingKey(file.key) ?? file.dataset;
    const sum = byDataset.get(dataset) ?? {
      dataset,
      files: 0,
      rejectedFiles: 0,
      rows: 0,
      valid: 0,
      quarantined: 0,
      duplicates: 0,
      planted: {},
    };
    const planted: Partial<Record<DirtyKind, number>> = { ...sum.planted };
    for (const [kind, count] of Object.entries(file.planted) as [DirtyKind, number][]) {
      planted[kind] = (planted[kind] ?? 0) + count;
    }
    byDataset.set(dataset, {
      dataset,
      files: sum.files + 1,
      rejectedFiles: sum.rejectedFiles + (file.expected.rejected ? 1 : 0),
      rows: sum.rows + file.expected.rows,
      valid: sum.valid + file.expected.valid,
      quarantined: sum.quarantined + file.expected.quarantined,
      duplicates: sum.duplicates + file.expected.duplicates,
      planted,
    });
  }
  return [...byDataset.values()];
}
