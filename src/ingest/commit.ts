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
 * 3. **Commit.** One PUT of `commits/<dataset>/<source id>.json` naming the attempt: the single point
 *    where readers switch from the previous version (or nothing) to all of this one.
 * 4. **Finish.** The manifest is written, the replaced version's objects deleted, the attempt record
 *    deleted last.
 *
 * A crash anywhere leaves an attempt record. The next ingest of the same key, or the sweeper, rolls it
 * forward when the commit names it (steps 4), or back otherwise (deletes what it wrote). Only an
 * attempt whose owner is gone is touched: its process is dead (same host), or its lease has run out.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ObjectStore } from '../storage/object-store';
import { attemptKey, attemptsPrefix, commitKey, LAKE_PREFIXES, manifestKey } from './lake-layout';
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
  let commit = await readJson<CommitRecord>(lake, commitKey(dataset, sourceKey));
  const running: AttemptRecord[] = [];
  const recovered: { attempt: string; action: 'rolled-forward' | 'rolled-back' }[] = [];
  for await (const object of lake.list(attemptsPrefix(dataset, sourceKey), { etags: false })) {
    const attempt = await readJson<AttemptRecord>(lake, object.key);
    if (!attempt) continue;
    if (commit?.attempt === attempt.attempt) {
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
  if (!commit && manifest) {
    commit = commitOf(manifest, manifest.attempt ?? 'legacy');
    await writeCommit(lake, commit);
  }
  return { commit, manifest, running, recovered };
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
  await lake.put(commitKey(commit.dataset, commit.source_key), `${JSON.stringify(commit)}\n`, {
    contentType: 'application/json',
  });
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
    const current = await readJson<CommitRecord>(lake, commitKey(attempt.dataset, attempt.source_key));
    if ((current?.attempt ?? null) !== (committedBefore?.attempt ?? null)) {
      await abortAttempt(lake, attempt).catch(() => undefined);
      throw new ConcurrentCommitError(attempt, current!);
    }
    try {
      await writeCommit(lake, commitOf(attempt.manifest, attempt.attempt));
    } catch (error) {
      // The PUT may have reached S3 even though its answer did not reach us: ask which it was.
      const outcome = await readJson<CommitRecord>(
        lake,
        commitKey(attempt.dataset, attempt.source_key),
      ).catch(() => 'unknown' as const);
      if (outcome === 'unknown') throw new UnfinishedCommitError(attempt, error);
      if (outcome?.attempt !== attempt.attempt) {
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
}

/**
 * The sweeper: settles every abandoned attempt in the lake (a crash that no later ingest of the same
 * key came to clean), and writes the commit records a lake from before them lacks. Run daily by the
 * stack and by `ledgerlake sweep`.
 */
export async function sweepAttempts(lake: ObjectStore, options: RecoverOptions = {}): Promise<SweepResult> {
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
  let backfilled = 0;
  const committed = new Set<string>();
  for await (const object of lake.list(LAKE_PREFIXES.commits, { etags: false })) {
    committed.add(object.key.slice(LAKE_PREFIXES.commits.length));
  }
  for await (const object of lake.list(LAKE_PREFIXES.manifests, { etags: false })) {
    if (committed.has(object.key.slice(LAKE_PREFIXES.manifests.length))) continue;
    const manifest = await readJson<Manifest>(lake, object.key);
    if (!manifest) continue;
    await writeCommit(lake, commitOf(manifest, manifest.attempt ?? 'legacy'));
    backfilled++;
  }
  return { rolledForward, rolledBack, running, backfilled };
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
  const commits = new Map<string, CommitRecord | undefined>();
  for await (const object of lake.list(prefix, { etags: false })) {
    const match = /^([^/]+)\/([^/]+)\.json$/.exec(object.key.slice(prefix.length));
    if (!match) continue;
    const [, sourceId, attempt] = match as unknown as [string, string, string];
    if (!commits.has(sourceId)) {
      commits.set(
        sourceId,
        await readJson<CommitRecord>(lake, `${LAKE_PREFIXES.commits}${dataset}/${sourceId}.json`),
      );
    }
    if (commits.get(sourceId)?.attempt !== attempt) pending.push({ sourceId, attempt });
  }
  return (fileName) =>
    pending.some((p) => fileName.startsWith(`${p.sourceId}-`) && fileName.endsWith(`-${p.attempt}.parquet`));
}
