/**
 * What the dashboard embeds: small pre-aggregated cubes, one SELECT per cube, each in Athena's
 * (Trino) dialect and run unchanged on DuckDB. The page filters and sums them itself, so every
 * figure it shows is a sum of exact integers from these rows:
 *
 * - `transactions`: day x payment channel x city x customer segment (count, failed, revenue in
 *   millionths, processing time in milliseconds);
 * - `sales`: day x category x the customer's city x segment (order lines, units, value in cents);
 * - `balances`: day x the account holder's city x segment (accounts, closing balances, inflow,
 *   outflow in cents);
 * - `accountDays`: the day-by-day moves of the accounts a reader is most likely to look up (those
 *   with an alert in the span and the largest movers), capped at `REPORT_ACCOUNTS`;
 * - `portfolio`: day x product (clients holding it, units held, under lien and available in
 *   hundredths, market value in cents); `inventory`: day x product over all locations (units on hand,
 *   received and issued in hundredths, locations, locations below zero);
 * - `alerts`: the breaches of the span; `quality` and `rejections`: per day and dataset;
 * - the dimensions the filters list: `cities` (city -> state -> region, from reference/cities.csv
 *   through dim_city), `channels` (dim_channel).
 *
 * Geography: a transaction carries its own city; order lines and balances have none, so they use
 * the customer's city (the SCD2 version valid at the order; the current one for a balance).
 */
import { type QueryEngine, QueryError, type SqlValue } from '../engine/query-engine';
import { addDays } from './format';

/** Days before the span the cubes also hold, so a 7-day moving average is whole on its first day. */
export const LEAD_IN_DAYS = 6;
/** Accounts embedded for the account search: alerted accounts first, then the largest movers. */
export const REPORT_ACCOUNTS = 200;
/** Alert rows embedded; a longer list is cut (largest moves kept) and the page says so. */
export const REPORT_ALERTS = 2000;

/** The days a page holds: `from`..`to` are selectable; the cubes start `LEAD_IN_DAYS` earlier. */
export interface ReportSpan {
  readonly from: string;
  readonly to: string;
}

const d = (isoDate: string) => `date '${isoDate}'`;
const dataFrom = (span: ReportSpan) => addDays(span.from, -LEAD_IN_DAYS);

/** One cube: its SQL for a span (validated dates only) and the names of the columns it returns. */
export interface CubeQuery {
  readonly sql: (span: ReportSpan) => string;
  readonly columns: readonly string[];
}

export const CUBE_QUERIES = {
  transactions: {
    columns: [
      'day',
      'channel',
      'city_key',
      'segment',
      'transaction_count',
      'failed_count',
      'revenue_micros',
      'processing_ms',
      'processing_count',
    ],
    sql: (s: ReportSpan) => `-- report cube: one row per day x payment channel x city x customer segment.
with

transactions as (
    select * from fact_transactions
    where event_date between ${d(dataFrom(s))} and ${d(s.to)}
),

customers as (
    select customer_key, segment from dim_customer
),

final as (
    select
        cast(transactions.event_date as varchar) as day,
        transactions.channel,
        transactions.city_key,
        coalesce(customers.segment, 'unknown') as segment,
        count(*) as transaction_count,
        count_if(transactions.status = 'failed') as failed_count,
        cast(sum(transactions.revenue) * 1000000 as bigint) as revenue_micros,
        cast(round(sum(transactions.processing_time_s) * 1000) as bigint) as processing_ms,
        count(transactions.processing_time_s) as processing_count
    from transactions
    left join customers
        on transactions.customer_key = customers.customer_key
    group by 1, 2, 3, 4
)

select * from final
order by day, channel, city_key, segment`,
  },
  sales: {
    columns: [
      'day',
      'category',
      'city_key',
      'segment',
      'order_lines',
      'units',
      'value_cents',
      'discount_e4',
      'discounted_lines',
    ],
    sql: (
      s: ReportSpan,
    ) => `-- report cube: one row per order day x category x customer city x customer segment.
with

sales as (
    select * from fact_sales
    where order_date between ${d(dataFrom(s))} and ${d(s.to)}
),

customers as (
    select customer_key, segment, city from dim_customer
),

cities as (
    select city_key from dim_city
),

final as (
    select
        cast(sales.order_date as varchar) as day,
        sales.category,
        coalesce(cities.city_key, 'unknown') as city_key,
        coalesce(customers.segment, 'unknown') as segment,
        count(*) as order_lines,
        sum(sales.quantity) as units,
        cast(sum(sales.total_value) * 100 as bigint) as value_cents,
        cast(round(sum(sales.discount) * 10000) as bigint) as discount_e4,
        count(sales.discount) as discounted_lines
    from sales
    left join customers
        on sales.customer_key = customers.customer_key
    left join cities
        on lower(customers.city) = cities.city_key
    group by 1, 2, 3, 4
)

select * from final
order by day, category, city_key, segment`,
  },
  balances: {
    columns: ['day', 'city_key', 'segment', 'accounts', 'closing_cents', 'inflow_cents', 'outflow_cents'],
    sql: (s: ReportSpan) => `-- report cube: one row per day x account holder's current city x segment.
with

balances as (
    select * from fact_account_daily_balance
    where balance_date between ${d(dataFrom(s))} and ${d(s.to)}
),

customers as (
    select customer_id, segment, city from dim_customer where is_current
),

cities as (
    select city_key from dim_city
),

final as (
    select
        cast(balances.balance_date as varchar) as day,
        coalesce(cities.city_key, 'unknown') as city_key,
        coalesce(customers.segment, 'unknown') as segment,
        count(*) as accounts,
        cast(sum(balances.closing_balance) * 100 as bigint) as closing_cents,
        cast(sum(case when balances.net_change > 0 then balances.net_change else 0 end) * 100 as bigint)
            as inflow_cents,
        cast(sum(case when balances.net_change < 0 then -balances.net_change else 0 end) * 100 as bigint)
            as outflow_cents
    from balances
    left join customers
        on balances.customer_id = customers.customer_id
    left join cities
        on lower(customers.city) = cities.city_key
    group by 1, 2, 3
)

select * from final
order by day, city_key, segment`,
  },
  accountDays: {
    columns: ['account_id', 'customer_id', 'day', 'opening_cents', 'change_cents', 'closing_cents'],
    sql: (
      s: ReportSpan,
    ) => `-- report accounts: one row per embedded account and day it moved (and its first day).
with

balances as (
    select * from fact_account_daily_balance
    where balance_date between ${d(s.from)} and ${d(s.to)}
),

alerted as (
    select entity_id as account_id, count(*) as alert_count
    from balance_moves
    where is_breach
        and model = 'fact_account_daily_balance'
        and balance_date between ${d(s.from)} and ${d(s.to)}
    group by entity_id
),

per_account as (
    select
        account_id,
        abs(max_by(closing_balance, balance_date) - min_by(opening_balance, balance_date)) as span_move
    from balances
    group by account_id
),

chosen as (
    select per_account.account_id
    from per_account
    left join alerted
        on per_account.account_id = alerted.account_id
    order by coalesce(alerted.alert_count, 0) desc, per_account.span_move desc, per_account.account_id
    limit ${REPORT_ACCOUNTS}
),

first_days as (
    select account_id, min(balance_date) as first_day
    from balances
    group by account_id
),

final as (
    select
        balances.account_id,
        balances.customer_id,
        cast(balances.balance_date as varchar) as day,
        cast(balances.opening_balance * 100 as bigint) as opening_cents,
        cast(balances.net_change * 100 as bigint) as change_cents,
        cast(balances.closing_balance * 100 as bigint) as closing_cents
    from balances
    inner join chosen
        on balances.account_id = chosen.account_id
    inner join first_days
        on balances.account_id = first_days.account_id
    where balances.net_change <> 0 or balances.balance_date = first_days.first_day
)

select * from final
order by account_id, day`,
  },
  portfolio: {
    columns: ['day', 'product_id', 'clients', 'held_e2', 'lien_e2', 'available_e2', 'value_cents', 'valued'],
    sql: (s: ReportSpan) => `-- report cube: one row per day x product held, over all clients.
with

holdings as (
    select * from fact_portfolio_daily_balance
    where balance_date between ${d(dataFrom(s))} and ${d(s.to)}
),

final as (
    select
        cast(balance_date as varchar) as day,
        product_id,
        count_if(held_units <> 0) as clients,
        cast(sum(held_units) * 100 as bigint) as held_e2,
        cast(sum(lien_units) * 100 as bigint) as lien_e2,
        cast(sum(available_units) * 100 as bigint) as available_e2,
        cast(coalesce(sum(market_value), 0) * 100 as bigint) as value_cents,
        count(market_value) as valued
    from holdings
    group by 1, 2
)

select * from final
order by day, product_id`,
  },
  inventory: {
    columns: [
      'day',
      'product_id',
      'locations',
      'negative_locations',
      'on_hand_e2',
      'received_e2',
      'issued_e2',
    ],
    sql: (s: ReportSpan) => `-- report cube: one row per day x product, over all locations.
with

totals as (
    select * from inventory_daily_totals
    where position_date between ${d(dataFrom(s))} and ${d(s.to)}
),

final as (
    select
        cast(position_date as varchar) as day,
        product_id,
        locations,
        negative_locations,
        cast(units_on_hand * 100 as bigint) as on_hand_e2,
        cast(received_units * 100 as bigint) as received_e2,
        cast(issued_units * 100 as bigint) as issued_e2
    from totals
)

select * from final
order by day, product_id`,
  },
  alerts: {
    columns: [
      'day',
      'rule_name',
      'severity',
      'entity_id',
      'previous_cents',
      'current_cents',
      'change_rate',
      'is_sign_flip',
    ],
    sql: (
      s: ReportSpan,
    ) => `-- report alerts: one row per breach of an alert rule in the span (the largest moves if cut).
with

moves as (
    select * from balance_moves
    where is_breach
        and balance_date between ${d(s.from)} and ${d(s.to)}
),

final as (
    select
        cast(balance_date as varchar) as day,
        rule_name,
        severity,
        entity_id,
        cast(previous_balance * 100 as bigint) as previous_cents,
        cast(current_balance * 100 as bigint) as current_cents,
        change_rate,
        is_sign_flip,
        abs(change) as size_of_move
    from moves
    order by size_of_move desc, day, rule_name, entity_id
    limit ${REPORT_ALERTS + 1}
)

select day, rule_name, severity, entity_id, previous_cents, current_cents, change_rate, is_sign_flip
from final
order by day, rule_name, entity_id`,
  },
  quality: {
    columns: ['day', 'dataset', 'valid_rows', 'quarantined_rows'],
    sql: (s: ReportSpan) => `-- report quality: one row per day x dataset.
with

quality as (
    select * from data_quality_daily
    where dt between ${d(s.from)} and ${d(s.to)}
),

final as (
    select
        cast(dt as varchar) as day,
        dataset,
        sum(valid_rows) as valid_rows,
        sum(quarantined_rows) as quarantined_rows
    from quality
    group by 1, 2
)

select * from final
order by day, dataset`,
  },
  rejections: {
    columns: ['day', 'dataset', 'rule_id', 'rejected_rows'],
    sql: (s: ReportSpan) => `-- report rejections: one row per day x dataset x broken rule.
with

rejections as (
    select * from data_quality_rejections
    where dt between ${d(s.from)} and ${d(s.to)}
),

final as (
    select
        cast(dt as varchar) as day,
        dataset,
        rule_id,
        sum(rejected_rows) as rejected_rows
    from rejections
    group by 1, 2, 3
)

select * from final
order by day, dataset, rule_id`,
  },
  freshness: {
    columns: [
      'dataset',
      'last_ingested_at',
      'files_ingested',
      'files_rejected',
      'latest_partition',
      'curated_rows',
    ],
    sql: () => `-- report freshness: one row per dataset, as of now (not of the span).
select
    dataset,
    cast(last_ingested_at as varchar) as last_ingested_at,
    files_ingested,
    files_rejected,
    cast(latest_partition as varchar) as latest_partition,
    curated_rows
from pipeline_freshness
order by dataset`,
  },
  cities: {
    columns: ['city_key', 'city_name', 'state', 'region'],
    sql: () => `-- report dimension: city -> state -> region (reference/cities.csv, plus unlisted cities).
select
    city_key,
    city_name,
    coalesce(state, 'unknown') as state,
    region
from dim_city
order by region, state, city_name`,
  },
  currency: {
    columns: ['min_currency', 'max_currency'],
    sql: (s: ReportSpan) => `-- report currency: the one currency of the span's transactions, if there is one.
select min(currency) as min_currency, max(currency) as max_currency
from fact_transactions
where event_date between ${d(dataFrom(s))} and ${d(s.to)}`,
  },
  channels: {
    columns: ['channel', 'display_name'],
    sql: () => `-- report dimension: the payment channels.
select channel, display_name
from dim_channel
order by channel`,
  },
} as const satisfies Record<string, CubeQuery>;

export type CubeName = keyof typeof CUBE_QUERIES;

/** A fetched cube as columns (one array per column, aligned), or why it is empty. */
export interface FetchedCube {
  readonly columns: Readonly<Record<string, (string | number | boolean | null)[]>>;
  readonly rows: number;
  /** The engine's reason when the query failed (e.g. a view this deployment lacks). */
  readonly error?: string;
}

export type ReportCubes = { readonly [K in CubeName]: FetchedCube };

/** Options of `fetchCubes`. */
export interface FetchCubesOptions {
  /** Queries in flight at once (Athena runs several side by side). @default 1 */
  readonly concurrency?: number;
  /** Called after each query. */
  readonly onQueryDone?: (done: number, total: number, cube: CubeName) => void;
}

/**
 * Runs every cube query for the span. A `QueryError` (a missing view) leaves that cube empty with
 * the engine's reason; any other error is raised.
 */
export async function fetchCubes(
  engine: QueryEngine,
  span: ReportSpan,
  options: FetchCubesOptions = {},
): Promise<ReportCubes> {
  const names = Object.keys(CUBE_QUERIES) as CubeName[];
  const results = new Map<CubeName, FetchedCube>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++]!;
      results.set(name, await fetchCube(engine, CUBE_QUERIES[name], span));
      done += 1;
      options.onQueryDone?.(done, names.length, name);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, names.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return Object.fromEntries(names.map((name) => [name, results.get(name)!])) as unknown as ReportCubes;
}

async function fetchCube(engine: QueryEngine, query: CubeQuery, span: ReportSpan): Promise<FetchedCube> {
  const columns: Record<string, (string | number | boolean | null)[]> = {};
  for (const column of query.columns) columns[column] = [];
  try {
    const result = await engine.query(query.sql(span));
    for (const row of result.rows) {
      for (const column of query.columns) columns[column]!.push(cell(row[column]));
    }
    return { columns, rows: result.rows.length };
  } catch (error) {
    if (error instanceof QueryError) return { columns, rows: 0, error: error.message };
    throw error;
  }
}

function cell(value: SqlValue | undefined): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number(value);
  return String(value);
}
