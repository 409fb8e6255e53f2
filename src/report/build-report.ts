/**
 * `buildReport(engine)`: the report page as an HTML string, built through the `QueryEngine`
 * interface only, so DuckDB locally and Athena in AWS give the same page from the same SQL.
 */
import { type QueryEngine, QueryError } from '../engine/query-engine';
import { addDays, daysInclusive, isIsoDate } from './format';
import { fetchReportData, REPORT_QUERIES, type ReportBlock, type ReportRange } from './queries';
import { renderReport } from './render';

/** Days a report covers when `from` is not given: two whole weeks, compared like for like. */
export const DEFAULT_REPORT_DAYS = 14;

/** A `from`/`to` that is not a date, or a range that ends before it starts. */
export class ReportRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportRangeError';
  }
}

/** Options of `buildReport` and `resolveReportRange`. */
export interface ReportOptions {
  /**
   * First day, `YYYY-MM-DD`.
   * @default - `DEFAULT_REPORT_DAYS` days up to `to`
   */
  readonly from?: string;
  /**
   * Last day, `YYYY-MM-DD`.
   * @default - the latest day with transactions in the lake (today, UTC, on an empty lake)
   */
  readonly to?: string;
  /** The build time shown in the footer and used for freshness ages. @default new Date() */
  readonly now?: Date;
  /**
   * Queries in flight at once (Athena runs several side by side; DuckDB one at a time).
   * @default 1
   */
  readonly concurrency?: number;
  /** Called as each query finishes, e.g. to draw a progress bar. */
  readonly onProgress?: (done: number, total: number, step: string) => void;
}

/** Queries a report runs: one per block, plus one to find the latest day when `to` is not given. */
export function reportQueryCount(options: Pick<ReportOptions, 'to'> = {}): number {
  return Object.keys(REPORT_QUERIES).length + (options.to === undefined ? 1 : 0);
}

/**
 * Works out the range: the given days, or the `DEFAULT_REPORT_DAYS` days up to the latest day
 * with transactions, and the period of equal length just before it.
 *
 * @throws ReportRangeError when `from` or `to` is not a `YYYY-MM-DD` date or `from` is after `to`
 */
export async function resolveReportRange(
  engine: QueryEngine,
  options: ReportOptions = {},
): Promise<ReportRange> {
  for (const [name, value] of [
    ['from', options.from],
    ['to', options.to],
  ] as const) {
    if (value !== undefined && !isIsoDate(value)) {
      throw new ReportRangeError(`${name} must be a date like 2024-06-30, got '${value}'`);
    }
  }
  const today = (options.now ?? new Date()).toISOString().slice(0, 10);
  let to = options.to;
  if (to === undefined) {
    const latest = await latestDay(engine);
    to =
      options.from !== undefined && (latest === null || latest < options.from)
        ? options.from
        : (latest ?? today);
  }
  const from = options.from ?? addDays(to, -(DEFAULT_REPORT_DAYS - 1));
  if (from > to) {
    throw new ReportRangeError(`the range starts after it ends: from ${from} is after to ${to}; swap them`);
  }
  const days = daysInclusive(from, to);
  return { from, to, days, previousFrom: addDays(from, -days), previousTo: addDays(from, -1) };
}

/**
 * Builds the report page: resolves the range, runs one query per block and renders the page. A
 * block whose query fails (e.g. an alerts view this deployment does not have yet) shows its empty
 * state with the engine's reason; the rest of the page is unaffected.
 *
 * @returns one self-contained HTML document
 * @throws ReportRangeError on a bad range (see `resolveReportRange`)
 */
export async function buildReport(engine: QueryEngine, options: ReportOptions = {}): Promise<string> {
  const total = reportQueryCount(options);
  const range = await resolveReportRange(engine, options);
  const offset = total - Object.keys(REPORT_QUERIES).length;
  if (offset > 0) options.onProgress?.(offset, total, 'range');
  const data = await fetchReportData(engine, range, {
    concurrency: options.concurrency,
    onQueryDone: (done, _, block: ReportBlock) => options.onProgress?.(offset + done, total, block),
  });
  return renderReport(data, {
    engine: engine.name,
    source: engine.source,
    builtAt: options.now ?? new Date(),
    queries: total,
  });
}

/** The latest day with transactions, or null on an empty lake or when the view is missing. */
async function latestDay(engine: QueryEngine): Promise<string | null> {
  try {
    const { rows } = await engine.query('select max(kpi_date) as last_day from kpi_daily');
    const value = rows[0]?.last_day;
    return typeof value === 'string' ? value.slice(0, 10) : null;
  } catch (error) {
    if (error instanceof QueryError) return null;
    throw error;
  }
}
