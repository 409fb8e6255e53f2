/**
 * The commit protocol of an ingest: a source file's outputs become visible to readers all at once, when
 * the whole file has succeeded, or not at all.
 *
 * 1. **Begin.** `_attempts/<dataset>/<source id>/<attempt>.json` records the attempt before anything of
 *    it is written: the objects it will write, the committed objects it replaces, its manifest.
 * 2. **Write.** The attempt's Parquet parts (or its rejected file and report) go to their final keys,
 *    under names of their own (`outputStem` carries the attempt id). Readers do not see them yet:
 *    the `transactions`, `quarantine`... relations keep only rows whose `(source_key, ingested_at)`
 *    a commit record names (`committedRelationSql`).
 * 3. **Commit.** One PUT of a new object, `commits/<dataset>/<source id>--<attempt>.json`: the single
 *    point where readers switch from the previous version (or nothing) to all of this one, as readers
 *    take the newest commit record of each source file. Records are never replaced, so the sweeper
 *    can fold old ones into one file without a race (`compactCommits`).
 * 4. **Finish.** The manifest is written, the replaced version's objects and older commit records
 *    deleted, the attempt record deleted last.
 *
 * A crash anywhere leaves an attempt record. The next ingest of the same key, or the sweeper, rolls it
 * forward when the commit names it (steps 4), or back otherwise (deletes what it wrote). Only an
 * attempt whose owner is gone is touched: its process is dead (same host), or its lease has run out.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ObjectStore } from '../storage/object-store';
import {
  attemptKey,
  attemptsPrefix,
  commitKey,
  commitKeyOf,
  commitsPrefix,
  compactedCommitsKey,
  LAKE_PREFIXES,
  manifestKey,
  sourceId,
} from './lake-layout';
import type { Manifest } from './manifest';

/** Which attempt at a source file readers see. Single-line JSON, read by the `commits` table. */
export interface CommitRecord {
  readonly commit_version: 1;
  readonly dataset: string;
  readonly source_key: string;
  readonly source_etag: string;
  readonly attempt: string;
  /** The rows' `ingested_at`, in `MANIFEST_TIMESTAMP_FORMAT`: what readers match rows on. */
  readonly ingested_at: string;
  readonly status: Manifest['status'];
}

/** An ingest in progress, or one that failed before it finished. */
export interface AttemptRecord {
  readonly attempt_version: 1;
  readonly dataset: string;
  readonly source_key: string;
  readonly source_etag: string;
  readonly attempt: string;
  readonly started_at: string;
  /** Until then the owner may still be working; afterwards anyone may clean the attempt up. */
  readonly lease_until: string;
  readonly owner: { readonly host: string; readonly pid: number };
  /** Every object the attempt writes besides its commit record and manifest. */
  readonly files: readonly string[];
  /** Objects of the committed version this attempt replaces (deleted once it has committed). */
  readonly replaces: readonly string[];
  /** Written when the attempt has committed. */
  readonly manifest: Manifest;
}

/**
 * How long an attempt may run before others may clean it up: the ingest Lambda's 15-minute limit plus a
 * margin. A local ingest whose process died is cleaned up at once (`ownerIsGone`).
 */
export const ATTEMPT_LEASE_MS = 20 * 60_000;

/** Another ingest of the same content is running; this one would duplicate it, so it did nothing. */
export class IngestInProgressError extends Error {
  constructor(readonly attempt: AttemptRecord) {
    super(
      `${attempt.source_key} is being ingested by another process (${attempt.owner.host} pid ${attempt.owner.pid}, ` +
        `since ${attempt.started_at}); try again once it has finished, or after ${attempt.lease_until}`,
    );
    this.name = 'IngestInProgressError';
  }
}

/** A commit or attempt record that is not valid JSON (edited by hand): names it and the fix. */
export class LakeRecordError extends Error {
  constructor(
    readonly url: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`${key} in ${url} is not valid JSON: delete it to ingest the source file again`, options);
    this.name = 'LakeRecordError';
  }
}

/** What a source file's state is once its unfinished attempts have been dealt with. */
export interface SourceState {
  readonly commit?: CommitRecord;
  readonly manifest?: Manifest;
  /** Attempts still running (their owner is alive and within its lease). */
  readonly running: readonly AttemptRecord[];
  /** Attempts this call rolled forward or back. */
  readonly recovered: readonly {
    readonly attempt: string;
    readonly action: 'rolled-forward' | 'rolled-back';
  }[];
}

export interface RecoverOptions {
  /** @default () => new Date() */
  readonly now?: () => Date;
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const text = await store.getText(key);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new LakeRecordError(store.url, key, { cause });
  }
}

/** Attempts this process is working on now (`beginAttempt` until committed or aborted). */
const LIVE_ATTEMPTS = new Set<string>();

/** Whether nobody can still be working on the attempt. */
export function ownerIsGone(attempt: AttemptRecord, now: Date): boolean {
  if (Date.parse(attempt.lease_until) <= now.getTime()) return true;
  if (attempt.owner.host !== hostname()) return false;
  // This process (a warm Lambda, a long CLI run) knows which of its attempts are still going.
  if (attempt.owner.pid === process.pid) return !LIVE_ATTEMPTS.has(attempt.attempt);
  try {
    process.kill(attempt.owner.pid, 0);
  } catch (error) {
    // EPERM: the process exists (another user's); ESRCH: it is gone.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  // A killed process nobody has reaped yet (a container without an init) still answers signal 0.
  return isZombie(attempt.owner.pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ...: comm may hold spaces and parentheses, so the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/**
 * Reads a source file's commit and manifest after rolling its abandoned attempts forward or back. A
 * lake written before commit records existed has a manifest and no commit: the manifest's version is
 * what readers saw, so its commit record is written from it.
 */
export async function recoverSource(
  lake: ObjectStore,
  dataset: string,
  sourceKey: string,
  options: RecoverOptions = {},
): Promise<SourceState> {
  const now = (options.now ?? (() => new Date()))();
  const running: AttemptRecord[] = [];
  const recovered: { attempt: string; action: 'rolled-forward' | 'rolled-back' }[] = [];
  for await (const object of lake.list(attemptsPrefix(dataset, sourceKey), { etags: false })) {
    const attempt = await readJson<AttemptRecord>(lake, object.key);
    if (!attempt) continue;
    // A commit record of its own: it committed. The sweeper never folds the record of a key that has
    // an attempt record, so an unfinished attempt's commit is always found here.
    if (await lake.head(commitKey(dataset, sourceKey, attempt.attempt))) {
      await finishAttempt(lake, attempt);
      recovered.push({ attempt: attempt.attempt, action: 'rolled-forward' });
    } else if (ownerIsGone(attempt, now)) {
      await abortAttempt(lake, attempt);
      recovered.push({ attempt: attempt.attempt, action: 'rolled-back' });
    } else {
      running.push(attempt);
    }
  }
  const manifest = await readJson<Manifest>(lake, manifestKey(dataset, sourceKey));
  let commit = await newestCommitRecord(lake, dataset, sourceKey);
  if (!commit && manifest) {
    // Folded by the sweeper (the manifest is the finished state), or a lake from before commit
    // records: the record is written again from the manifest, the same (source_key, ingested_at).
    commit = commitOf(manifest, manifest.attempt ?? 'legacy');
    await writeCommit(lake, commit);
  }
  return { commit, manifest, running, recovered };
}

/** The newest of a source file's own commit records (not those folded into a compacted file). */
async function newestCommitRecord(
  lake: ObjectStore,
  dataset: string,
  sourceKey: string,
): Promise<CommitRecord | undefined> {
  let newest: CommitRecord | undefined;
  for await (const object of lake.list(commitsPrefix(dataset, sourceId(sourceKey)), { etags: false })) {
    const record = await readJson<CommitRecord>(lake, object.key);
    // Another source file's id may extend this one's (`a-1234abcd--...`): the record names its key.
    if (!record || record.source_key !== sourceKey) continue;
    if (!newest || record.ingested_at > newest.ingested_at) newest = record;
  }
  return newest;
}

/** The commit record of an attempt that produced `manifest`. */
export function commitOf(manifest: Manifest, attempt: string): CommitRecord {
  return {
    commit_version: 1,
    dataset: manifest.dataset,
    source_key: manifest.source_key,
    source_etag: manifest.source_etag,
    attempt,
    ingested_at: manifest.ingested_at,
    status: manifest.status,
  };
}

async function writeCommit(lake: ObjectStore, commit: CommitRecord): Promise<void> {
  await lake.put(
    commitKey(commit.dataset, commit.source_key, commit.attempt),
    `${JSON.stringify(commit)}\n`,
    {
      contentType: 'application/json',
    },
  );
}

/** Step 1: records the attempt before any of its objects is written. */
export async function beginAttempt(lake: ObjectStore, attempt: AttemptRecord): Promise<void> {
  LIVE_ATTEMPTS.add(attempt.attempt);
  await lake.put(attemptKey(attempt.dataset, attempt.source_key, attempt.attempt), JSON.stringify(attempt), {
    contentType: 'application/json',
  });
}

/**
 * Step 3 and 4: makes the attempt's objects the ones readers see, then writes its manifest and
 * removes what it replaced. Rolls the attempt back instead when another attempt committed while this
 * one ran (the newer commit stands) or when the commit record could not be written. Whatever fails
 * after the commit leaves the attempt to be rolled forward: the error is `UnfinishedCommitError`.
 */
export async function commitAttempt(
  lake: ObjectStore,
  attempt: AttemptRecord,
  committedBefore: CommitRecord | undefined,
): Promise<void> {
  try {
    const current = await newestCommitRecord(lake, attempt.dataset, attempt.source_key);
    // Without records of its own the committed version is the manifest's (folded, or none at all).
    const before = committedBefore?.attempt ?? null;
    if (current !== undefined && current.attempt !== before) {
      await abortAttempt(lake, attempt).catch(() => undefined);
      throw new ConcurrentCommitError(attempt, current);
    }
    try {
      await writeCommit(lake, commitOf(attempt.manifest, attempt.attempt));
    } catch (error) {
      // The PUT may have reached S3 even though its answer did not reach us: ask which it was.
      const outcome = await lake
        .head(commitKey(attempt.dataset, attempt.source_key, attempt.attempt))
        .then((info) => (info ? 'written' : 'absent'))
        .catch(() => 'unknown' as const);
      if (outcome === 'unknown') throw new UnfinishedCommitError(attempt, error);
      if (outcome === 'absent') {
        await abortAttempt(lake, attempt).catch(() => undefined);
        throw error;
      }
    }
    try {
      await finishAttempt(lake, attempt);
    } catch (error) {
      throw new UnfinishedCommitError(attempt, error);
    }
  } finally {
    LIVE_ATTEMPTS.delete(attempt.attempt);
  }
}

/**
 * The attempt committed (or may have: the commit's answer was lost), but its manifest or clean-up was
 * not written. Readers see all of it, or all of the previous version; the next ingest of the key or
 * the sweeper finishes it. Nothing is to be rolled back.
 */
export class UnfinishedCommitError extends Error {
  constructor(
    readonly attempt: AttemptRecord,
    cause: unknown,
  ) {
    super(
      `${attempt.source_key}: attempt ${attempt.attempt} committed but could not finish (${cause instanceof Error ? cause.message : String(cause)}); ` +
        'the next ingest of the file, or `ledgerlake sweep`, finishes it',
      { cause },
    );
    this.name = 'UnfinishedCommitError';
  }
}

/** Another attempt at the same source committed while this one ran; this one was rolled back. */
export class ConcurrentCommitError extends Error {
  constructor(attempt: AttemptRecord, winner: CommitRecord) {
    super(
      `${attempt.source_key}: another ingest (attempt ${winner.attempt}, version ${winner.source_etag}) ` +
        `committed while this one (attempt ${attempt.attempt}) ran; its result stands and this one wrote nothing`,
    );
    this.name = 'ConcurrentCommitError';
  }
}

/** Step 4, also the roll-forward of a crashed attempt whose commit was written. Idempotent. */
async function finishAttempt(lake: ObjectStore, attempt: AttemptRecord): Promise<void> {
  await lake.put(manifestKey(attempt.dataset, attempt.source_key), JSON.stringify(attempt.manifest), {
    contentType: 'application/json',
  });
  const kept = new Set(attempt.files);
  const stale = attempt.replaces.filter((key) => !kept.has(key));
  // Older commit records of the file are superseded (readers take the newest): one record per file.
  const mine = commitKey(attempt.dataset, attempt.source_key, attempt.attempt);
  for await (const object of lake.list(commitsPrefix(attempt.dataset, sourceId(attempt.source_key)), {
    etags: false,
  })) {
    if (object.key === mine) continue;
    const record = await readJson<CommitRecord>(lake, object.key);
    if (record?.source_key === attempt.source_key && record.ingested_at < attempt.manifest.ingested_at) {
      stale.push(object.key);
    }
  }
  if (stale.length > 0) await lake.delete(stale);
  await lake.delete([attemptKey(attempt.dataset, attempt.source_key, attempt.attempt)]);
}

/** The roll-back: deletes what the attempt wrote, then its record. Idempotent. */
export async function abortAttempt(lake: ObjectStore, attempt: AttemptRecord): Promise<void> {
  // Whatever happens next, this process no longer works on it: a later recovery may clean it up.
  LIVE_ATTEMPTS.delete(attempt.attempt);
  if (attempt.files.length > 0) await lake.delete(attempt.files);
  await lake.delete([attemptKey(attempt.dataset, attempt.source_key, attempt.attempt)]);
}

/** A new attempt id: the start time and a random part, short enough for file names. */
export function newAttemptId(startedAt: Date): string {
  return `${startedAt.getTime().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The record of a new attempt, owned by this process. */
export function attemptRecord(fields: {
  readonly manifest: Manifest;
  readonly attempt: string;
  readonly startedAt: Date;
  /** When the attempt starts writing to the lake: its lease runs from then. */
  readonly now: Date;
  readonly files: readonly string[];
  readonly replaces: readonly string[];
}): AttemptRecord {
  const { manifest } = fields;
  return {
    attempt_version: 1,
    dataset: manifest.dataset,
    source_key: manifest.source_key,
    source_etag: manifest.source_etag,
    attempt: fields.attempt,
    started_at: fields.startedAt.toISOString(),
    lease_until: new Date(fields.now.getTime() + ATTEMPT_LEASE_MS).toISOString(),
    owner: { host: hostname(), pid: process.pid },
    files: fields.files,
    replaces: fields.replaces,
    manifest: { ...manifest, attempt: fields.attempt },
  };
}

/** What `sweepAttempts` found and did. */
export interface SweepResult {
  readonly rolledForward: number;
  readonly rolledBack: number;
  readonly running: number;
  /** Commit records written for manifests of a lake older than commit records. */
  readonly backfilled: number;
  /** Commit records folded into a compacted file. */
  readonly compacted: number;
}

export interface SweepOptions extends RecoverOptions {
  /** Commit records this old (by their time in the store) are folded. @default one day */
  readonly compactAfterMs?: number;
}

/**
 * The sweeper: settles every abandoned attempt in the lake (a crash that no later ingest of the same
 * key came to clean), writes the commit records a lake from before them lacks, and folds each
 * dataset's commit records older than a day into one file (`compactCommits`), so a committed view
 * opens a few files, not one per file ever ingested. Run daily by the stack and by `ledgerlake sweep`.
 */
export async function sweepAttempts(lake: ObjectStore, options: SweepOptions = {}): Promise<SweepResult> {
  const sources = new Map<string, { dataset: string; sourceKey: string }>();
  for await (const object of lake.list(LAKE_PREFIXES.attempts, { etags: false })) {
    const attempt = await readJson<AttemptRecord>(lake, object.key);
    if (attempt) {
      sources.set(`${attempt.dataset}\n${attempt.source_key}`, {
        dataset: attempt.dataset,
        sourceKey: attempt.source_key,
      });
    }
  }
  let rolledForward = 0;
  let rolledBack = 0;
  let running = 0;
  for (const { dataset, sourceKey } of sources.values()) {
    const state = await recoverSource(lake, dataset, sourceKey, options);
    rolledForward += state.recovered.filter((r) => r.action === 'rolled-forward').length;
    rolledBack += state.recovered.filter((r) => r.action === 'rolled-back').length;
    running += state.running.length;
  }
  const datasets = new Set<string>();
  for (const prefix of [LAKE_PREFIXES.manifests, LAKE_PREFIXES.commits]) {
    for await (const object of lake.list(prefix, { etags: false })) {
      datasets.add(object.key.slice(prefix.length).split('/')[0]!);
    }
  }
  let backfilled = 0;
  let compacted = 0;
  const now = (options.now ?? (() => new Date()))();
  for (const dataset of [...datasets].sort()) {
    const result = await compactCommits(lake, dataset, {
      olderThan: new Date(now.getTime() - (options.compactAfterMs ?? 86_400_000)),
      stamp: `${now.getTime().toString(36)}${randomBytes(3).toString('hex')}`,
    });
    backfilled += result.backfilled;
    compacted += result.compacted;
  }
  return { rolledForward, rolledBack, running, backfilled, compacted };
}

/**
 * One dataset's commit records: writes the missing ones of a lake from before commit records, then
 * folds the records older than `olderThan` (and every earlier compacted file) into one new compacted
 * file holding each source file's newest record. Only what the new file holds is deleted, and a
 * record is never replaced, so an ingest committing meanwhile loses nothing; duplicates left by a
 * failed delete change nothing either (readers take the newest record per file). The record of a file
 * with an attempt still in `_attempts/` is not folded: recovery looks for it by its name.
 */
export async function compactCommits(
  lake: ObjectStore,
  dataset: string,
  options: { readonly olderThan: Date; readonly stamp: string },
): Promise<{ backfilled: number; compacted: number }> {
  const root = `${LAKE_PREFIXES.commits}${dataset}/`;
  const folded = new Map<string, CommitRecord>();
  const keep = (record: CommitRecord) => {
    const seen = folded.get(record.source_key);
    if (!seen || record.ingested_at > seen.ingested_at) folded.set(record.source_key, record);
  };
  const compactedFiles: string[] = [];
  const records: { key: string; id: string; old: boolean }[] = [];
  for await (const object of lake.list(root, { etags: false })) {
    const name = object.key.slice(root.length);
    if (name.startsWith('compacted-')) {
      compactedFiles.push(object.key);
      for (const line of ((await lake.getText(object.key)) ?? '').split('\n')) {
        if (line.trim() !== '') keep(JSON.parse(line) as CommitRecord);
      }
    } else if (name.includes('--')) {
      records.push({
        key: object.key,
        id: name.slice(0, name.lastIndexOf('--')),
        old: object.lastModified.getTime() < options.olderThan.getTime(),
      });
    }
  }
  const attempting = new Set<string>();
  for await (const object of lake.list(`${LAKE_PREFIXES.attempts}${dataset}/`, { etags: false })) {
    attempting.add(object.key.slice(LAKE_PREFIXES.attempts.length + dataset.length + 1).split('/')[0]!);
  }
  // Manifests with no commit record anywhere: a lake from before commit records.
  const known = new Set([...records.map((r) => r.id), ...[...folded.keys()].map((key) => sourceId(key))]);
  let backfilled = 0;
  for await (const object of lake.list(`${LAKE_PREFIXES.manifests}${dataset}/`, { etags: false })) {
    const id = object.key.slice(object.key.lastIndexOf('/') + 1).replace(/\.json$/, '');
    if (known.has(id)) continue;
    const manifest = await readJson<Manifest>(lake, object.key);
    // Not a manifest ingest wrote (no source key or ingest time): nothing to make visible.
    if (typeof manifest?.source_key !== 'string' || typeof manifest.ingested_at !== 'string') continue;
    await writeCommit(lake, commitOf(manifest, manifest.attempt ?? 'legacy'));
    backfilled++;
  }
  const folding = records.filter((r) => r.old && !attempting.has(r.id));
  if (folding.length === 0 && compactedFiles.length <= 1) return { backfilled, compacted: 0 };
  for (const record of folding) {
    const read = await readJson<CommitRecord>(lake, record.key);
    if (read) keep(read);
  }
  const lines = [...folded.values()].sort((a, b) => (a.source_key < b.source_key ? -1 : 1));
  await lake.put(
    compactedCommitsKey(dataset, options.stamp),
    lines.map((record) => `${JSON.stringify(record)}\n`).join(''),
    { contentType: 'application/json' },
  );
  await lake.delete([...compactedFiles, ...folding.map((r) => r.key)]);
  return { backfilled, compacted: folding.length };
}

/**
 * Matches the output files of the attempts of `dataset` that have not committed (running, or failed and
 * not yet cleaned up): readers do not see their rows, so neither may the refresh's fingerprints. One
 * listing of the dataset's attempt records (empty when nothing is going on) and one small read per
 * attempt found.
 */
export async function uncommittedOutputs(
  lake: ObjectStore,
  dataset: string,
): Promise<(fileName: string) => boolean> {
  const prefix = `${LAKE_PREFIXES.attempts}${dataset}/`;
  const pending: { sourceId: string; attempt: string }[] = [];
  for await (const object of lake.list(prefix, { etags: false })) {
    const match = /^([^/]+)\/([^/]+)\.json$/.exec(object.key.slice(prefix.length));
    if (!match) continue;
    const [, id, attempt] = match as unknown as [string, string, string];
    if (!(await lake.head(commitKeyOf(dataset, id, attempt)))) pending.push({ sourceId: id, attempt });
  }
  return (fileName) =>
    pending.some((p) => fileName.startsWith(`${p.sourceId}-`) && fileName.endsWith(`-${p.attempt}.parquet`));
}
