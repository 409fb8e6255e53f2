import { createHash } from 'node:crypto';
import { uncommittedOutputs } from '../ingest/commit';
import { LAKE_PREFIXES } from '../ingest/lake-layout';
import type { ObjectStore } from '../storage/object-store';

/** Where the materialized models live in the lake: `marts/<model>/<day column>=YYYY-MM-DD/*.parquet`. */
export const MARTS_PREFIX = 'marts/';

/** The refresh runner's bookkeeping, one small JSON object in the lake. */
export const MARTS_STATE_KEY = `${MARTS_PREFIX}_state.json`;

/** The folder of one day of a materialized model. */
export function martPartitionPrefix(model: string, column: string, day: string): string {
  return `${MARTS_PREFIX}${model}/${column}=${day}/`;
}

/**
 * What the last refresh saw and wrote: for each curated dataset, a fingerprint of each day's files
 * (so the next refresh knows which days changed, whatever changed them), and for each materialized
 * model the definition it was built from and the days it holds.
 */
export interface MartsState {
  readonly version: 1;
  /** Dataset -> day -> fingerprint of that day's curated files (keys, sizes and times). */
  readonly inputs: Record<string, Record<string, string>>;
  readonly models: Record<string, { readonly definition: string; readonly partitions: readonly string[] }>;
}

export function emptyState(): MartsState {
  return { version: 1, inputs: {}, models: {} };
}

/** Reads the state; a missing or unreadable one is empty (everything is then built in full). */
export async function readState(store: ObjectStore): Promise<MartsState> {
  const text = await store.getText(MARTS_STATE_KEY);
  if (text === undefined) return emptyState();
  try {
    const parsed = JSON.parse(text) as MartsState;
    if (parsed.version !== 1 || typeof parsed.inputs !== 'object' || typeof parsed.models !== 'object') {
      return emptyState();
    }
    return parsed;
  } catch {
    return emptyState();
  }
}

export async function writeState(store: ObjectStore, state: MartsState): Promise<void> {
  await store.put(MARTS_STATE_KEY, JSON.stringify(state), { contentType: 'application/json' });
}

/**
 * Fingerprints of the days of one curated dataset: every day folder's files (key, size, time) hashed.
 * With `days`, only those day folders are listed (after an ingest that names them); without, the
 * whole dataset (the daily catch-up, or a local lake). Files of attempts that have not committed are
 * left out: readers do not see them yet, and their commit must change the fingerprint.
 */
export async function fingerprintDays(
  store: ObjectStore,
  dataset: string,
  days?: readonly string[],
): Promise<Record<string, string>> {
  const root = `${LAKE_PREFIXES.curated}${dataset}/`;
  const prefixes = days === undefined ? [root] : [...new Set(days)].sort().map((day) => `${root}dt=${day}/`);
  const files = new Map<string, string[]>();
  const uncommitted = await uncommittedOutputs(store, dataset);
  for (const prefix of prefixes) {
    // Output names carry the source's content fingerprint, so key and size with the etag (S3, free
    // in a listing) or the time (a local file, whose etag would cost a read) identify a version.
    for await (const object of store.list(prefix, { etags: false })) {
      const match = /^dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/.exec(object.key.slice(root.length));
      if (!match || uncommitted(object.key.slice(object.key.lastIndexOf('/') + 1))) continue;
      const list = files.get(match[1]!) ?? [];
      const version = object.etag === '' ? String(object.lastModified.getTime()) : object.etag;
      list.push(`${object.key}\u0000${object.size}\u0000${version}`);
      files.set(match[1]!, list);
    }
  }
  const fingerprints: Record<string, string> = {};
  for (const [day, list] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    fingerprints[day] = createHash('sha256').update(list.sort().join('\n')).digest('hex').slice(0, 16);
  }
  return fingerprints;
}

/**
 * Days whose fingerprint differs between `before` and `after` (added, changed or gone). With `scope`,
 * only those days were listed: a day outside it keeps its old fingerprint.
 */
export function changedDays(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  scope?: readonly string[],
): string[] {
  const days = scope ?? [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return [...new Set(days)].filter((day) => before[day] !== after[day]).sort();
}
