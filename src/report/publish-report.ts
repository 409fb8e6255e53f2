/**
 * `publishDashboard(engine, store)`: the dashboard `ledgerlake report` writes, built the same way
 * (`buildReportPage`, the same SQL) and put into a lake under `reports/dashboard/`: one page per
 * build day and `latest.html`, the one a bookmark opens. No AWS import: on AWS the store is the S3
 * lake bucket and the engine Athena; any `ObjectStore` and `QueryEngine` work.
 */
import type { QueryEngine } from '../engine/query-engine';
import type { ObjectStore } from '../storage/object-store';
import { buildReportPage, type ReportOptions } from './build-report';
import type { CubeName } from './cubes';

/** Where the published pages live in the lake: `reports/dashboard/<YYYY-MM-DD>.html` and `latest.html`. */
export const DASHBOARD_REPORTS_PREFIX = 'reports/dashboard/';
/** The stable key of the newest page. */
export const LATEST_DASHBOARD_KEY = `${DASHBOARD_REPORTS_PREFIX}latest.html`;
/** Content type of a published page (S3 serves it as a page, not a download). */
export const DASHBOARD_CONTENT_TYPE = 'text/html; charset=utf-8';

/** The key of the page built on `day` (UTC `YYYY-MM-DD`). */
export function datedDashboardKey(day: string): string {
  return `${DASHBOARD_REPORTS_PREFIX}${day}.html`;
}

/**
 * A cube query failed, so the page would be missing a section: nothing was written, and the
 * previous `latest.html` stays. Names each cube and the engine's reason.
 */
export class ReportIncompleteError extends Error {
  constructor(readonly cubeErrors: Readonly<Partial<Record<CubeName, string>>>) {
    super(
      `the report was not published: ${Object.entries(cubeErrors)
        .map(([cube, reason]) => `the ${cube} query failed (${reason})`)
        .join('; ')}; the previous ${LATEST_DASHBOARD_KEY} is kept`,
    );
    this.name = 'ReportIncompleteError';
  }
}

/** What `publishDashboard` wrote. */
export interface PublishedDashboard {
  /** The dated key, then `latest.html`. */
  readonly keys: readonly string[];
  readonly bytes: number;
  /** The days the page holds. */
  readonly from: string;
  readonly to: string;
}

/**
 * Builds the dashboard (the report's default span up to the latest day, unless `options` says
 * otherwise) and puts it under `reports/dashboard/`: first `<build day>.html`, then `latest.html`,
 * each a whole-object PUT, so a reader sees the old page or the new one. Running it again the same
 * day replaces that day's page.
 *
 * @throws ReportIncompleteError when a cube query failed (nothing is written)
 */
export async function publishDashboard(
  engine: QueryEngine,
  store: ObjectStore,
  options: Pick<ReportOptions, 'from' | 'to' | 'concurrency' | 'now'> = {},
): Promise<PublishedDashboard> {
  const now = options.now ?? new Date();
  const built = await buildReportPage(engine, { ...options, now });
  if (Object.keys(built.cubeErrors).length > 0) throw new ReportIncompleteError(built.cubeErrors);
  const keys = [datedDashboardKey(now.toISOString().slice(0, 10)), LATEST_DASHBOARD_KEY];
  for (const key of keys) await store.put(key, built.html, { contentType: DASHBOARD_CONTENT_TYPE });
  return { keys, bytes: Buffer.byteLength(built.html), from: built.span.from, to: built.span.to };
}
