import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/**
 * Where everything lives in the lake. Local lakes and S3 buckets use the same keys.
 *
 * landing/<dataset>/<anything>                         files as dropped by users
 * curated/<dataset>/dt=YYYY-MM-DD/<stem>.parquet       valid rows, one file per source file and day
 * quarantine/<dataset>/dt=YYYY-MM-DD/<stem>.parquet    invalid rows with their reasons
 * quarantine/<dataset>/_files/<stem>/<file name>       files rejected whole, with report.json beside them
 * manifests/<dataset>/<source id>.json                 one manifest per source file (single-line JSON)
 * commits/<dataset>/<source id>--<attempt>.json        a committed attempt (newest per source file wins)
 * commits/<dataset>/compacted-<time>.json              older commit records, folded by the sweeper
 * _attempts/<dataset>/<source id>/<attempt>.json       an ingest in progress, or one that failed
 *
 * `<stem>` names one attempt at one version of a source file (see `outputStem`); readers see a file's
 * rows only when its commit record names that attempt (src/ingest/commit.ts).
 */
export const LAKE_PREFIXES = {
  landing: 'landing/',
  curated: 'curated/',
  quarantine: 'quarantine/',
  manifests: 'manifests/',
  commits: 'commits/',
  /** Starts with `_`: no table reads it (Athena and Hive skip names starting with `_` or `.`). */
  attempts: '_attempts/',
  reference: 'reference/',
} as const;

/**
 * The lake's calendar: the days Athena's partition projection, `dim_date` and the daily balance
 * snapshot cover. Rows whose event time falls outside it are quarantined (they would be in the lake
 * but invisible to Athena and to the balances).
 */
export const LAKE_CALENDAR = { first: '2020-01-01', last: '2030-12-31' } as const;

/** Dataset folder used for files whose dataset is unknown. */
export const UNKNOWN_DATASET = '_unknown';

/** The dataset a landing key belongs to (`landing/<dataset>/...`), or undefined for keys outside landing. */
export function datasetOfLandingKey(key: string): string | undefined {
  const match = /^landing\/([^/]+)\/.+/.exec(key);
  return match?.[1];
}

/**
 * A stable, readable id for a source key: its file name without extensions, plus a hash of the whole
 * key so two `data.csv` in different folders never collide. The same key always gives the same id.
 */
export function sourceId(sourceKey: string): string {
  const base = posix.basename(sourceKey).replace(/(\.(csv|tsv|txt|json|ndjson|jsonl|gz))+$/i, '');
  const slug = base.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60) || 'file';
  return `${slug}-${shortHash(sourceKey)}`;
}

/**
 * File stem of every output of one attempt at ingesting one version of a source file: the source id,
 * the content fingerprint and the attempt id. Every attempt writes new names, so an attempt never
 * overwrites what readers see (the committed attempt's files) and a failed one leaves files no commit
 * names, which the next ingest of the key removes. The attempt id comes last in every stem: that is
 * how the outputs of an attempt that has not committed are told (`uncommittedOutputs`). The second
 * part of a split ingest (src/ingest/split-ingest.ts) is `part` 2: `<source id>-<etag>-p2-<attempt>`.
 */
export function outputStem(sourceKey: string, etag: string, attempt: string, part = 1): string {
  const partOf = part === 1 ? '' : `p${part}-`;
  return `${sourceId(sourceKey)}-${etag.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}-${partOf}${attempt}`;
}

/** `2024-03-05` for a day number (days since 1970-01-01, UTC). */
export function dayToIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export function curatedKey(dataset: string, day: number, stem: string): string {
  return `${LAKE_PREFIXES.curated}${dataset}/dt=${dayToIso(day)}/${stem}.parquet`;
}

export function quarantineKey(dataset: string, day: number, stem: string): string {
  return `${LAKE_PREFIXES.quarantine}${dataset}/dt=${dayToIso(day)}/${stem}.parquet`;
}

export function rejectedFileKeys(dataset: string, sourceKey: string, stem: string) {
  const folder = `${LAKE_PREFIXES.quarantine}${dataset}/_files/${stem}/`;
  return { file: folder + posix.basename(sourceKey), report: `${folder}report.json` };
}

export function manifestKey(dataset: string, sourceKey: string): string {
  return `${LAKE_PREFIXES.manifests}${dataset}/${sourceId(sourceKey)}.json`;
}

/**
 * The commit record of one attempt at a source file. Written once, never replaced: of a source file's
 * records, the newest (`ingested_at`) is what readers see.
 */
export function commitKey(dataset: string, sourceKey: string, attempt: string): string {
  return commitKeyOf(dataset, sourceId(sourceKey), attempt);
}

/** `commitKey` from the source id (what an attempt record's key holds). */
export function commitKeyOf(dataset: string, id: string, attempt: string): string {
  return `${commitsPrefix(dataset, id)}${attempt}.json`;
}

/** Prefix of a source file's commit records (from its source id). */
export function commitsPrefix(dataset: string, id: string): string {
  return `${LAKE_PREFIXES.commits}${dataset}/${id}--`;
}

/** A file of commit records folded by the sweeper (one line per source file, its newest record). */
export function compactedCommitsKey(dataset: string, stamp: string): string {
  return `${LAKE_PREFIXES.commits}${dataset}/compacted-${stamp}.json`;
}

/** Folder of a source file's attempt records (in progress, or left by a failed attempt). */
export function attemptsPrefix(dataset: string, sourceKey: string): string {
  return `${LAKE_PREFIXES.attempts}${dataset}/${sourceId(sourceKey)}/`;
}

export function attemptKey(dataset: string, sourceKey: string, attempt: string): string {
  return `${attemptsPrefix(dataset, sourceKey)}${attempt}.json`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
