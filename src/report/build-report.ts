/**
 * `buildReport(engine)`: the dashboard page as an HTML string, built through the `QueryEngine`
 * interface only, so DuckDB locally and Athena in AWS give the same page from the same SQL: one
 * query per cube (`CUBE_QUERIES`), the views computed in the page.
 */
import { type QueryEngine, QueryError } from '../engine/query-engine';
import { CUBE_QUERIES, type CubeName, fetchCubes, type ReportSpan } from './cubes';
import { renderDashboard } from './dashboard';
import { addDays, isIsoDate } from './format';

/** Days the page holds when `from` is not given: a year up to `to`. */
export const DEFAULT_SPAN_DAYS = 365;
/** Days the page opens on when `from` is not given: the last two weeks of the span. */
export const DEFAULT_SELECTION_DAYS = 14;

/** A `from`/`to` that is not a date, or a range that ends before it starts. */
export class ReportRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportRangeError';
  }
}

/** Options of `buildReport` and `resolveReportSpan`. */
export interface ReportOptions {
  /**
   * First day the page holds, `YYYY-MM-DD`; the page then opens on the whole span.
   * @default - `DEFAULT_SPAN_DAYS` days up to `to`, opening on the last `DEFAULT_SELECTION_DAYS`
   */
  readonly from?: string;
  /**
   * Last day, `YYYY-MM-DD`.
   * @default - the latest day with transactions in the lake (today, UTC, on an empty lake)
   */
  readonly to?: string;
  /** The build time shown in the footer. @default new Date() */
  readonly now?: Date;
  /** Queries in flight at once (Athena runs several side by side; DuckDB one at a time). @default 1 */
  readonly concurrency?: number;
  /** Called as each query finishes, e.g. to draw a progress bar. */
  readonly onProgress?: (done: number, total: number, step: string) => void;
}

/** The span the page holds and the days it opens on. */
export interface ResolvedSpan extends ReportSpan {
  readonly selectFrom: string;
  readonly selectTo: string;
}

/** Queries a report runs: one per cube, plus one to find the latest day when `to` is not given. */
export function reportQueryCount(options: Pick<ReportOptions, 'to'> = {}): number {
  return Object.keys(CUBE_QUERIES).length + (options.to === undefined ? 1 : 0);
}

/**
 * Works out the span and the initial selection.
 *
 * @throws ReportRangeError when `from` or `to` is not a `YYYY-MM-DD` date or `from` is after `to`
 */
export async function resolveReportSpan(
  engine: QueryEngine,
  options: ReportOptions = {},
): Promise<ResolvedSpan> {
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
  const from = options.from ?? addDays(to, -(DEFAULT_SPAN_DAYS - 1));
  if (from > to) {
    throw new ReportRangeError(`the range starts after it ends: from ${from} is after to ${to}; swap them`);
  }
  const selectFrom = options.from ?? maxDate(from, addDays(to, -(DEFAULT_SELECTION_DAYS - 1)));
  return { from, to, selectFrom, selectTo: to };
}

/** A built page, with what the CLI prints and the daily publish checks. */
export interface BuiltReport {
  /** One self-contained HTML document. */
  readonly html: string;
  /** The days the page holds and opens on. */
  readonly span: ResolvedSpan;
  /** Per cube whose query failed, the engine's reason (that cube is empty in the page). */
  readonly cubeErrors: Readonly<Partial<Record<CubeName, string>>>;
}

/**
 * Builds the report page: resolves the span, runs one query per cube and renders the page. A cube
 * whose query fails (e.g. a view this deployment does not have yet) is empty and its blocks show
 * the engine's reason; the rest of the page is unaffected.
 *
 * @returns one self-contained HTML document
 * @throws ReportRangeError on a bad range (see `resolveReportSpan`)
 */
export async function buildReport(engine: QueryEngine, options: ReportOptions = {}): Promise<string> {
  return (await buildReportPage(engine, options)).html;
}

/** `buildReport`, also returning the span and the cubes that could not be read. */
export async function buildReportPage(
  engine: QueryEngine,
  options: ReportOptions = {},
): Promise<BuiltReport> {
  const total = reportQueryCount(options);
  const span = await resolveReportSpan(engine, options);
  const offset = total - Object.keys(CUBE_QUERIES).length;
  if (offset > 0) options.onProgress?.(offset, total, 'range');
  const cubes = await fetchCubes(engine, span, {
    concurrency: options.concurrency,
    onQueryDone: (done, _, cube: CubeName) => options.onProgress?.(offset + done, total, cube),
  });
  const currencies = cubes.currency.columns;
  const currency =
    currencies.min_currency?.[0] !== undefined &&
    currencies.min_currency[0] !== null &&
    currencies.min_currency[0] === currencies.max_currency?.[0]
      ? String(currencies.min_currency[0])
      : null;
  const html = renderDashboard(cubes, span, { from: span.selectFrom, to: span.selectTo }, currency, {
    engine: engine.name,
    source: engine.source,
    builtAt: options.now ?? new Date(),
    queries: total,
  });
  const cubeErrors: Partial<Record<CubeName, string>> = {};
  for (const name of Object.keys(cubes) as CubeName[]) {
    const error = cubes[name].error;
    if (error !== undefined) cubeErrors[name] = error;
  }
  return { html, span, cubeErrors };
}

function maxDate(a: string, b: string): string {
  return a > b ? a : b;
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
