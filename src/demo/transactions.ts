/**
 * The payments ledger: one CSV per day (`landing/transactions/YYYY-MM-DD.csv[.gz]`). Days take turns
 * in file layouts (aliased headers, value spellings, `;`, CRLF, BOM, gzip, reordered columns) so the
 * demo exercises every path of the CSV reader.
 */
import { transactions as transactionsContract } from '../../datasets';
import { dayToIso } from '../ingest/lake-layout';
import {
  AMOUNT_BY_TYPE,
  CHANNEL_MIX,
  CHANNEL_SPELLINGS,
  CITIES,
  HOUR_WEIGHTS,
  OVERSPENDER_TYPE_MIX,
  STATUS_MIX,
  STATUS_SPELLINGS,
  TYPE_MIX,
  UNKNOWN_CHANNELS,
  UNPARSEABLE_DATES,
  WEEKDAY_FACTOR,
} from './catalog';
import type { Customer } from './customers';
import { plantDirtyRows } from './dirty';
import { type CsvLayout, encodeFile, formatCsv } from './encoding';
import { Rng, weightedPicker } from './random';
import {
  capitalise,
  clockTime,
  compactDate,
  DAY_MS,
  type DemoFile,
  type DemoPlan,
  sourceName,
  weekday,
} from './types';

const COLUMNS = [
  'transaction_id',
  'event_time',
  'customer_id',
  'account_id',
  'channel',
  'city',
  'type',
  'amount',
  'currency',
  'status',
  'processing_time_s',
] as const;
type TransactionRow = Readonly<Record<(typeof COLUMNS)[number], string>>;

/** Share of rows that name the account explicitly; the others leave it empty (-> the customer id). */
const EXPLICIT_ACCOUNT_SHARE = 0.6;
/** Share of a two-wallet customer's transactions that move the second wallet. */
const SECOND_WALLET_USE = 0.25;
/** Share of rows that happen away from the customer's home city. */
const AWAY_SHARE = 0.15;
/** Share of rows with no currency (the contract's default USD applies). */
const MISSING_CURRENCY_SHARE = 0.07;
/** Share of rows with no processing time. */
const MISSING_PROCESSING_TIME_SHARE = 0.05;
const PROCESSING_TIME_S = { min: 0.1, max: 6 } as const;

interface TransactionFileStyle {
  readonly description: string;
  /** Header names: the contract's column names, or its aliases at this index. */
  readonly aliasIndex?: number;
  /** Channel, type, status and currency written as people do (`Credit Card`, `SUCCESS`, `usd`). */
  readonly spelledValues: boolean;
  readonly layout: CsvLayout;
  /** @default false */
  readonly bom?: boolean;
  /** @default false */
  readonly gzip?: boolean;
  /** Columns in a shuffled order. @default false */
  readonly shuffledColumns?: boolean;
}

const LF: CsvLayout = { delimiter: ',', lineEnding: '\n' };

/** Daily layouts, used in turn from the first day. */
const TRANSACTION_FILE_STYLES: readonly TransactionFileStyle[] = [
  { description: 'plain CSV', spelledValues: false, layout: LF },
  { description: 'aliased headers and value spellings', aliasIndex: 1, spelledValues: true, layout: LF },
  {
    description: 'semicolon-delimited CSV',
    spelledValues: false,
    layout: { delimiter: ';', lineEnding: '\n' },
  },
  {
    description: 'CRLF line endings, other aliased headers',
    aliasIndex: 0,
    spelledValues: false,
    layout: { delimiter: ',', lineEnding: '\r\n' },
  },
  { description: 'UTF-8 byte order mark', spelledValues: false, layout: LF, bom: true },
  { description: 'gzipped CSV', spelledValues: true, layout: LF, gzip: true },
  { description: 'columns in another order', spelledValues: false, layout: LF, shuffledColumns: true },
];

/** A log-normal amount for the type, in cents precision, never below one cent. */
function amountFor(rng: Rng, type: keyof typeof AMOUNT_BY_TYPE): string {
  const { median, sigma } = AMOUNT_BY_TYPE[type];
  return Math.max(0.01, rng.logNormal(median, sigma)).toFixed(2);
}

function processingTime(rng: Rng, failed: boolean): string {
  if (rng.chance(MISSING_PROCESSING_TIME_SHARE)) return '';
  const seconds = rng.logNormal(failed ? 2.5 : 0.9, 0.6);
  return Math.min(PROCESSING_TIME_S.max, Math.max(PROCESSING_TIME_S.min, seconds)).toFixed(3);
}

/** The clean rows of one day, in time order, with ids in the same order. */
function dayRows(
  rng: Rng,
  plan: DemoPlan,
  day: number,
  style: TransactionFileStyle,
  pickCustomer: (r: Rng) => number,
  openedAccounts: Set<string>,
): TransactionRow[] {
  const count = Math.round(
    plan.transactionsPerDay * WEEKDAY_FACTOR[weekday(day)]! * (0.95 + 0.1 * rng.next()),
  );
  const times = Array.from(
    { length: count },
    () => day * DAY_MS + rng.weightedIndex(HOUR_WEIGHTS) * 3_600_000 + rng.int(0, 3599) * 1000,
  ).sort((a, b) => a - b);
  const spell = style.spelledValues;
  const idPrefix = `T${compactDate(day)}-`;
  const datePrefix = `${dayToIso(day)}T`;
  return times.map((time, j) => {
    const customer: Customer = plan.customers[pickCustomer(rng)]!;
    const useWallet = customer.wallet !== undefined && rng.chance(SECOND_WALLET_USE);
    const account = useWallet ? customer.wallet! : customer.id;
    // An account opens with a deposit; without it, a random walk that starts at 0 dips below 0 early.
    const opening = !openedAccounts.has(account) && !customer.overspender;
    openedAccounts.add(account);
    const type = opening ? 'deposit' : rng.weighted(customer.overspender ? OVERSPENDER_TYPE_MIX : TYPE_MIX);
    const status = opening ? 'success' : rng.weighted(STATUS_MIX);
    const channel = rng.weighted(CHANNEL_MIX);
    const currency = rng.chance(MISSING_CURRENCY_SHARE) ? '' : spell && rng.chance(0.2) ? 'usd' : 'USD';
    return {
      transaction_id: idPrefix + String(j + 1).padStart(5, '0'),
      event_time: `${datePrefix}${clockTime(time - day * DAY_MS)}Z`,
      customer_id: customer.id,
      // The main account is often left empty: the contract defaults it to the customer id.
      account_id: useWallet || rng.chance(EXPLICIT_ACCOUNT_SHARE) ? account : '',
      channel: spell ? rng.pick(CHANNEL_SPELLINGS[channel]) : channel,
      city: rng.chance(AWAY_SHARE) ? rng.pick(CITIES).name : customer.homeCity,
      type: spell ? capitalise(type) : type,
      amount: amountFor(rng, type),
      currency,
      status: spell ? rng.pick(STATUS_SPELLINGS[status]) : status,
      processing_time_s: processingTime(rng, status === 'failed'),
    };
  });
}

/** One transactions CSV per day of the period. */
export function generateTransactionFiles(plan: DemoPlan): DemoFile[] {
  const rng = new Rng(plan.seed, 'transactions');
  const pickCustomer = weightedPicker(plan.customers.map((c) => c.activity));
  const openedAccounts = new Set<string>();
  return Array.from({ length: plan.days }, (_, offset) => {
    const day = plan.firstDay + offset;
    const style = TRANSACTION_FILE_STYLES[offset % TRANSACTION_FILE_STYLES.length]!;
    const { rows, expected, planted } = plantDirtyRows(
      dayRows(rng, plan, day, style, pickCustomer, openedAccounts),
      {
        null_key: (row) => ({ ...row, transaction_id: '' }),
        negative_amount: (row) => ({ ...row, amount: `-${row.amount}` }),
        unknown_channel: (row, r) => ({ ...row, channel: r.pick(UNKNOWN_CHANNELS) }),
        bad_date: (row, r) => ({ ...row, event_time: r.pick(UNPARSEABLE_DATES) }),
      },
      plan.dirtyShare,
      rng,
    );
    const order = style.shuffledColumns
      ? rng.permutation(COLUMNS.length).map((i) => COLUMNS[i]!)
      : [...COLUMNS];
    const header = order.map((column) => sourceName(transactionsContract, column, style.aliasIndex));
    const text = formatCsv(
      header,
      rows.map((row) => order.map((column) => row[column])),
      style.layout,
    );
    return {
      key: `landing/transactions/${dayToIso(day)}.csv${style.gzip ? '.gz' : ''}`,
      dataset: 'transactions',
      body: encodeFile(text, { bom: style.bom ?? false, gzip: style.gzip ?? false }),
      expected,
      planted,
      style: `transactions: ${style.description}`,
    };
  });
}
