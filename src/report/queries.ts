/**
 * What the report reads: one SELECT per block of the page, on the analytics views and the marts,
 * with the date range pushed into SQL. The same text runs on DuckDB and Athena (Trino); dates are
 * validated `YYYY-MM-DD` before they are inlined as `date '...'` literals.
 *
 * Views without a date grain (channel_performance, sales_by_region_category, top_products,
 * avg_discount_by_region) cannot be filtered to a range, so those blocks aggregate the facts they are
 * built on with the same definitions, restricted to the range.
 */
import { type QueryEngine, QueryError, type SqlValue } from '../engine/query-engine';
import { addMonths } from './format';

/** The period a report covers and the period of equal length just before it. */
export interface ReportRange {
  /** First day, `YYYY-MM-DD`, included. */
  readonly from: string;
  /** Last day, included. */
  readonly to: string;
  /** Days in the range. */
  readonly days: number;
  readonly previousFrom: string;
  readonly previousTo: string;
}

/** Rows of one block, or why there are none: a failed query (e.g. a view that does not exist yet). */
export interface Fetched<T> {
  readonly rows: readonly T[];
  /** The engine's reason when the query failed; the block then shows its empty state. */
  readonly error?: string;
}

export interface KpiPeriodRow {
  readonly period: 'current' | 'previous';
  readonly revenue: number;
  readonly transactionCount: number;
  readonly failedCount: number;
  readonly avgProcessingTimeS: number | null;
  readonly daysWithData: number;
  /** The one currency of the period, or null when it mixes currencies. */
  readonly currency: string | null;
}

export interface KpiDayRow {
  readonly day: string;
  readonly revenue: number;
  readonly revenue7dAvg: number | null;
  readonly transactionCount: number;
  readonly failureRate: number | null;
  readonly failureRate7dAvg: number | null;
  readonly avgProcessingTimeS: number | null;
  readonly avgProcessingTimeS7dAvg: number | null;
}

export interface ChannelRow {
  readonly channel: string;
  readonly displayName: string;
  readonly transactionCount: number;
  readonly failedCount: number;
  readonly avgProcessingTimeS: number | null;
}

export interface SalesMixRow {
  readonly region: string;
  readonly category: string;
  readonly orderLines: number;
  readonly units: number;
  readonly totalValue: number;
  /** Sum of the discount shares of the lines that have one, and how many have one (for averages). */
  readonly discountSum: number;
  readonly discountedLines: number;
}

export interface TopProductRow {
  readonly productId: string;
  readonly productName: string;
  readonly category: string | null;
  readonly units: number;
  readonly totalValue: number;
}

export interface MonthlySalesRow {
  readonly monthStart: string;
  readonly orderLines: number;
  readonly totalValue: number;
  readonly monthOverMonthChange: number | null;
}

/** An entity's balance at the start and end of the range. */
export interface BalanceMoveRow {
  readonly entityId: string;
  /** Owner shown next to the entity (the account's customer), when known. */
  readonly owner: string | null;
  readonly startBalance: number;
  readonly endBalance: number;
}

export interface AlertDayRow {
  readonly day: string;
  readonly rule: string;
  readonly alerts: number;
}

export interface RejectionRow {
  readonly day: string;
  readonly dataset: string;
  readonly ruleId: string;
  readonly rejectedRows: number;
}

export interface DatasetQualityRow {
  readonly dataset: string;
  readonly validRows: number;
  readonly quarantinedRows: number;
}

export interface FreshnessRow {
  readonly dataset: string;
  readonly lastIngestedAt: string | null;
  readonly filesIngested: number;
  readonly filesRejected: number;
  readonly latestPartition: string | null;
  readonly curatedRows: number;
}

/** Everything the page shows, as fetched; rendering is a pure function of this. */
export interface ReportData {
  readonly range: ReportRange;
  readonly kpis: Fetched<KpiPeriodRow>;
  readonly trends: Fetched<KpiDayRow>;
  readonly channels: Fetched<ChannelRow>;
  readonly salesMix: Fetched<SalesMixRow>;
  readonly topProducts: Fetched<TopProductRow>;
  readonly monthlySales: Fetched<MonthlySalesRow>;
  readonly accountMoves: Fetched<BalanceMoveRow>;
  readonly organizationMoves: Fetched<BalanceMoveRow>;
  readonly alertsPerDay: Fetched<AlertDayRow>;
  readonly rejections: Fetched<RejectionRow>;
  readonly datasetQuality: Fetched<DatasetQualityRow>;
  readonly freshness: Fetched<FreshnessRow>;
}

/** The blocks of `ReportData` that come from a query. */
export type ReportBlock = Exclude<keyof ReportData, 'range'>;

/** Rows in the balance tables: the largest moves. */
export const LARGEST_MOVES = 10;

interface BlockQuery<T> {
  readonly sql: (range: ReportRange) => string;
  readonly toRow: (row: Record<string, SqlValue>) => T;
}

const d = (isoDate: string) => `date '${isoDate}'`;

/** The SQL of every block, in page order. Exported so tests and docs can show what runs. */
export const REPORT_QUERIES: { readonly [K in ReportBlock]: BlockQuery<ReportData[K]['rows'][number]> } = {
  kpis: {
    sql: (r) => `select
  case when event_date >= ${d(r.from)} then 'current' else 'previous' end as period,
  cast(sum(revenue) as double) as revenue,
  count(*) as transaction_count,
  count_if(status = 'failed') as failed_count,
  avg(processing_time_s) as avg_processing_time_s,
  count(distinct event_date) as days_with_data,
  min(currency) as min_currency,
  max(currency) as max_currency
from fact_transactions
where event_date between ${d(r.previousFrom)} and ${d(r.to)}
group by 1`,
    toRow: (row) => ({
      period: row.period === 'current' ? 'current' : 'previous',
      revenue: num(row.revenue),
      transactionCount: num(row.transaction_count),
      failedCount: num(row.failed_count),
      avgProcessingTimeS: numOrNull(row.avg_processing_time_s),
      daysWithData: num(row.days_with_data),
      currency: row.min_currency === row.max_currency ? strOrNull(row.min_currency) : null,
    }),
  },
  trends: {
    sql: (r) => `select
  kpi_date,
  cast(revenue as double) as revenue,
  revenue_7d_avg,
  transaction_count,
  failure_rate,
  failure_rate_7d_avg,
  avg_processing_time_s,
  avg_processing_time_s_7d_avg
from kpi_daily
where kpi_date between ${d(r.from)} and ${d(r.to)}
order by kpi_date`,
    toRow: (row) => ({
      day: str(row.kpi_date),
      revenue: num(row.revenue),
      revenue7dAvg: numOrNull(row.revenue_7d_avg),
      transactionCount: num(row.transaction_count),
      failureRate: numOrNull(row.failure_rate),
      failureRate7dAvg: numOrNull(row.failure_rate_7d_avg),
      avgProcessingTimeS: numOrNull(row.avg_processing_time_s),
      avgProcessingTimeS7dAvg: numOrNull(row.avg_processing_time_s_7d_avg),
    }),
  },
  channels: {
    sql: (r) => `select
  transactions.channel,
  coalesce(max(channels.display_name), transactions.channel) as display_name,
  count(*) as transaction_count,
  count_if(transactions.status = 'failed') as failed_count,
  avg(transactions.processing_time_s) as avg_processing_time_s
from fact_transactions as transactions
left join dim_channel as channels
  on transactions.channel = channels.channel
where transactions.event_date between ${d(r.from)} and ${d(r.to)}
group by transactions.channel
order by transactions.channel`,
    toRow: (row) => ({
      channel: str(row.channel),
      displayName: str(row.display_name),
      transactionCount: num(row.transaction_count),
      failedCount: num(row.failed_count),
      avgProcessingTimeS: numOrNull(row.avg_processing_time_s),
    }),
  },
  salesMix: {
    sql: (r) => `select
  region,
  category,
  count(*) as order_lines,
  sum(quantity) as units,
  cast(sum(total_value) as double) as total_value,
  cast(sum(discount) as double) as discount_sum,
  count(discount) as discounted_lines
from fact_sales
where order_date between ${d(r.from)} and ${d(r.to)}
group by region, category
order by region, category`,
    toRow: (row) => ({
      region: str(row.region),
      category: str(row.category),
      orderLines: num(row.order_lines),
      units: num(row.units),
      totalValue: num(row.total_value),
      discountSum: num(row.discount_sum),
      discountedLines: num(row.discounted_lines),
    }),
  },
  topProducts: {
    sql: (r) => `with per_product as (
  select product_id, sum(quantity) as units, sum(total_value) as total_value
  from fact_sales
  where order_date between ${d(r.from)} and ${d(r.to)}
  group by product_id
)
select
  per_product.product_id,
  products.product_name,
  products.category,
  per_product.units,
  cast(per_product.total_value as double) as total_value
from per_product
left join dim_product as products
  on per_product.product_id = products.product_id
order by per_product.total_value desc, per_product.product_id
limit 5`,
    toRow: (row) => ({
      productId: str(row.product_id),
      productName: strOrNull(row.product_name) ?? str(row.product_id),
      category: strOrNull(row.category),
      units: num(row.units),
      totalValue: num(row.total_value),
    }),
  },
  monthlySales: {
    // A trend needs more than the range's month or two: the 12 whole months up to the range's end.
    sql: (r) => `select
  month_start,
  order_lines,
  cast(total_value as double) as total_value,
  month_over_month_change
from monthly_sales_trend
where month_start between ${d(addMonths(r.to, -11))} and ${d(r.to)}
order by month_start`,
    toRow: (row) => ({
      monthStart: str(row.month_start),
      orderLines: num(row.order_lines),
      totalValue: num(row.total_value),
      monthOverMonthChange: numOrNull(row.month_over_month_change),
    }),
  },
  accountMoves: {
    sql: (r) => `with per_account as (
  select
    account_id,
    max_by(customer_id, balance_date) as customer_id,
    cast(min_by(opening_balance, balance_date) as double) as start_balance,
    cast(max_by(closing_balance, balance_date) as double) as end_balance
  from fact_account_daily_balance
  where balance_date between ${d(r.from)} and ${d(r.to)}
  group by account_id
)
select *
from per_account
order by abs(end_balance - start_balance) desc, account_id
limit ${LARGEST_MOVES}`,
    toRow: (row) => ({
      entityId: str(row.account_id),
      owner: strOrNull(row.customer_id),
      startBalance: num(row.start_balance),
      endBalance: num(row.end_balance),
    }),
  },
  organizationMoves: {
    sql: (r) => `with per_organization as (
  select
    organization_id,
    cast(min_by(balance, snapshot_date) as double) as start_balance,
    cast(max_by(balance, snapshot_date) as double) as end_balance
  from fact_organization_daily_financials
  where snapshot_date between ${d(r.from)} and ${d(r.to)}
  group by organization_id
)
select *
from per_organization
order by abs(end_balance - start_balance) desc, organization_id
limit ${LARGEST_MOVES}`,
    toRow: (row) => ({
      entityId: str(row.organization_id),
      owner: null,
      startBalance: num(row.start_balance),
      endBalance: num(row.end_balance),
    }),
  },
  alertsPerDay: {
    sql: (r) => `select
  balance_date,
  rule_name,
  count(*) as alerts
from balance_moves
where is_breach
  and balance_date between ${d(r.from)} and ${d(r.to)}
group by balance_date, rule_name
order by balance_date, rule_name`,
    toRow: (row) => ({ day: str(row.balance_date), rule: str(row.rule_name), alerts: num(row.alerts) }),
  },
  rejections: {
    sql: (r) => `select
  dt,
  dataset,
  rule_id,
  sum(rejected_rows) as rejected_rows
from data_quality_rejections
where dt between ${d(r.from)} and ${d(r.to)}
group by dt, dataset, rule_id
order by dt, dataset, rule_id`,
    toRow: (row) => ({
      day: str(row.dt),
      dataset: str(row.dataset),
      ruleId: str(row.rule_id),
      rejectedRows: num(row.rejected_rows),
    }),
  },
  datasetQuality: {
    sql: (r) => `select
  dataset,
  sum(valid_rows) as valid_rows,
  sum(quarantined_rows) as quarantined_rows
from data_quality_daily
where dt between ${d(r.from)} and ${d(r.to)}
group by dataset
order by dataset`,
    toRow: (row) => ({
      dataset: str(row.dataset),
      validRows: num(row.valid_rows),
      quarantinedRows: num(row.quarantined_rows),
    }),
  },
  freshness: {
    // Freshness is "as of now", not of the range: it says whether the lake is being fed.
    sql: () => `select
  dataset,
  last_ingested_at,
  files_ingested,
  files_rejected,
  latest_partition,
  curated_rows
from pipeline_freshness
order by dataset`,
    toRow: (row) => ({
      dataset: str(row.dataset),
      lastIngestedAt: strOrNull(row.last_ingested_at),
      filesIngested: num(row.files_ingested),
      filesRejected: num(row.files_rejected),
      latestPartition: strOrNull(row.latest_partition),
      curatedRows: num(row.curated_rows),
    }),
  },
};

/** Options of `fetchReportData`. */
export interface FetchOptions {
  /**
   * Queries in flight at once. DuckDB runs one statement at a time on a connection; Athena runs
   * several side by side, which is what makes a report there take seconds rather than a minute.
   * @default 1
   */
  readonly concurrency?: number;
  /** Called after each query, e.g. to draw a progress bar. */
  readonly onQueryDone?: (done: number, total: number, block: ReportBlock) => void;
}

/**
 * Runs every block's query for the range. A query that fails with a `QueryError` (a view that does
 * not exist yet, a model the deployment lacks) gives that block no rows and the engine's reason; any
 * other error is raised.
 */
export async function fetchReportData(
  engine: QueryEngine,
  range: ReportRange,
  options: FetchOptions = {},
): Promise<ReportData> {
  const blocks = Object.keys(REPORT_QUERIES) as ReportBlock[];
  const results = new Map<ReportBlock, Fetched<unknown>>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < blocks.length) {
      const block = blocks[next++]!;
      results.set(block, await fetchBlock(engine, REPORT_QUERIES[block] as BlockQuery<unknown>, range));
      done += 1;
      options.onQueryDone?.(done, blocks.length, block);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, blocks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  const data: Record<string, unknown> = { range };
  for (const block of blocks) data[block] = results.get(block);
  return data as unknown as ReportData;
}

async function fetchBlock<T>(
  engine: QueryEngine,
  query: BlockQuery<T>,
  range: ReportRange,
): Promise<Fetched<T>> {
  try {
    const result = await engine.query(query.sql(range));
    return { rows: result.rows.map(query.toRow) };
  } catch (error) {
    if (error instanceof QueryError) return { rows: [], error: error.message };
    throw error;
  }
}

function num(value: SqlValue | undefined): number {
  return typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : 0;
}

function numOrNull(value: SqlValue | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = num(value);
  return Number.isFinite(n) ? n : null;
}

function str(value: SqlValue | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

function strOrNull(value: SqlValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}
