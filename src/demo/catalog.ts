/**
 * The fixed world of the demo: cities, names, products and the mixes rows are drawn from. Only the
 * draws are random; these lists never change, so the demo reads the same story on every run.
 */
import type { Mix } from './random';

export type Region = 'north' | 'south' | 'east' | 'west';

/** Cities with the sales region they belong to. One holds a comma (Washington, D.C.), so CSV writers must quote it. Every name is in reference/cities.csv. */
export const CITIES: readonly { readonly name: string; readonly region: Region }[] = [
  { name: 'New York', region: 'east' },
  { name: 'Boston', region: 'east' },
  { name: 'Washington, D.C.', region: 'east' },
  { name: 'Miami', region: 'south' },
  { name: 'Atlanta', region: 'south' },
  { name: 'Houston', region: 'south' },
  { name: 'Dallas', region: 'south' },
  { name: 'Chicago', region: 'north' },
  { name: 'Detroit', region: 'north' },
  { name: 'Minneapolis', region: 'north' },
  { name: 'Seattle', region: 'west' },
  { name: 'San Francisco', region: 'west' },
  { name: 'Los Angeles', region: 'west' },
  { name: 'Denver', region: 'west' },
  { name: 'Portland', region: 'west' },
];

export const FIRST_NAMES: readonly string[] =
  'Ana Ben Carla David Elif Farah George Hana Ivan Julia Kofi Lena Marco Nadia Omar Priya Quinn Rosa Sam Tomás'.split(
    ' ',
  );

export const LAST_NAMES: readonly string[] =
  "Silva Smith Nguyen Müller Okafor Garcia Kim Rossi Cohen Patel Jensen Novak O'Brien Tanaka Haddad Larsen Moreau Ivanova Santos Walsh".split(
    ' ',
  );

export const EMAIL_DOMAINS = ['example.com', 'mail.example.org', 'inbox.example.net'] as const;

export const SEGMENT_MIX: Mix<'retail' | 'premium' | 'business'> = { retail: 70, premium: 20, business: 10 };

/** Share of customers who spend more than they deposit: their balances sink and trigger alerts. */
export const OVERSPENDER_SHARE = 0.04;
/** Share of customers with a second wallet besides their main account. */
export const SECOND_WALLET_SHARE = 0.2;

export type Channel = 'credit_card' | 'debit_card' | 'upi' | 'net_banking';
export const CHANNEL_MIX: Mix<Channel> = { credit_card: 35, debit_card: 30, upi: 20, net_banking: 15 };

export type TransactionType = 'deposit' | 'withdrawal' | 'payment' | 'refund' | 'fee';
/** Deposits bring in more than the rest takes out on average, so balances stay mostly positive. */
export const TYPE_MIX: Mix<TransactionType> = {
  deposit: 28,
  payment: 40,
  withdrawal: 17,
  refund: 5,
  fee: 10,
};
export const OVERSPENDER_TYPE_MIX: Mix<TransactionType> = {
  deposit: 10,
  payment: 50,
  withdrawal: 28,
  refund: 2,
  fee: 10,
};
/** Log-normal amount per type: median and spread. Deposits above 1000 happen a few times a day. */
export const AMOUNT_BY_TYPE: Readonly<
  Record<TransactionType, { readonly median: number; readonly sigma: number }>
> = {
  deposit: { median: 450, sigma: 0.55 },
  withdrawal: { median: 120, sigma: 0.6 },
  payment: { median: 45, sigma: 0.9 },
  refund: { median: 35, sigma: 0.6 },
  fee: { median: 3, sigma: 0.4 },
};

export type Status = 'success' | 'failed' | 'pending';
export const STATUS_MIX: Mix<Status> = { success: 87, failed: 10, pending: 3 };

/** Relative activity per weekday (Sunday first): quieter weekends, a busy Friday. */
export const WEEKDAY_FACTOR = [0.8, 1.0, 1.0, 1.0, 1.05, 1.15, 0.9] as const;

/** Relative activity per hour of the day (UTC). */
export const HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8, 8, 9, 9, 7, 5, 3, 2] as const;

/** Spellings the contract's value aliases and case folding turn into the canonical values. */
export const CHANNEL_SPELLINGS: Readonly<Record<Channel, readonly string[]>> = {
  credit_card: ['Credit Card', 'CC', 'credit'],
  debit_card: ['Debit Card', 'debit'],
  upi: ['UPI', 'upi'],
  net_banking: ['Net Banking', 'NetBanking'],
};
export const STATUS_SPELLINGS: Readonly<Record<Status, readonly string[]>> = {
  success: ['SUCCESS', 'Succeeded', 'completed'],
  failed: ['FAILED', 'fail'],
  pending: ['Pending', 'PENDING'],
};

export interface Product {
  readonly product_id: string;
  readonly name: string;
  readonly category: string;
  readonly price: number;
}

export const PRODUCTS: readonly Product[] = [
  { product_id: 'P001', name: 'Wireless Mouse', category: 'electronics', price: 24.99 },
  { product_id: 'P002', name: 'USB-C Charger', category: 'electronics', price: 19.99 },
  { product_id: 'P003', name: 'Noise-Cancelling Headphones', category: 'electronics', price: 199.0 },
  { product_id: 'P004', name: 'Coffee Maker', category: 'home', price: 89.5 },
  { product_id: 'P005', name: 'Desk Lamp', category: 'home', price: 34.9 },
  { product_id: 'P006', name: 'Running Shoes', category: 'apparel', price: 120.0 },
  { product_id: 'P007', name: 'Rain Jacket', category: 'apparel', price: 75.0 },
  { product_id: 'P008', name: 'Cotton T-Shirt', category: 'apparel', price: 15.0 },
  { product_id: 'P009', name: 'Data Pipelines Pocket Reference', category: 'books', price: 29.99 },
  { product_id: 'P010', name: 'The Pragmatic Programmer', category: 'books', price: 42.0 },
];

export const QUANTITY_MIX: Mix<'1' | '2' | '3' | '4' | '5'> = { '1': 60, '2': 22, '3': 10, '4': 5, '5': 3 };

/** How discounts arrive: absent (the contract's default 0 applies), as a fraction, or as a percentage. */
export const DISCOUNT_MIX: Mix<'missing' | 'fraction' | 'percent'> = {
  missing: 55,
  fraction: 25,
  percent: 20,
};
export const DISCOUNT_FRACTIONS = [0.05, 0.1, 0.2, 0.25] as const;
export const DISCOUNT_PERCENTS = ['5%', '10%', '15%', '30%'] as const;

export type OrderDateFormat = 'iso' | 'dd/mm/yyyy' | 'mm-dd-yyyy' | 'yyyy/mm/dd' | 'epoch_millis';
export const ORDER_DATE_FORMAT_MIX: Mix<OrderDateFormat> = {
  iso: 40,
  'dd/mm/yyyy': 15,
  'mm-dd-yyyy': 15,
  'yyyy/mm/dd': 15,
  epoch_millis: 15,
};

/** Values no contract accepts: each dirty kind draws from these. */
export const UNPARSEABLE_DATES = ['31/31/2024', 'yesterday', '2024-13-45'] as const;
export const UNKNOWN_CHANNELS = ['bitcoin', 'cheque', 'barter'] as const;
export const UNKNOWN_SEGMENTS = ['gold', 'vip'] as const;
export const BAD_QUANTITIES = [0, -1, -3] as const;
export const BAD_DISCOUNTS = [1.5, '150%', '120%'] as const;
