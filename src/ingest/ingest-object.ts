/**
 * Ingest of one landed file: the pipeline core shared by the Lambda handler and the CLI. It has no
 * AWS import; the source and the lake are `ObjectStore`s (local folder or S3).
 *
 * stream -> decode -> parse -> bind -> validate -> dedupe -> partition -> Parquet row groups -> commit
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DATASETS } from '../../datasets';
import { type CompiledContract, compileContract } from '../contract/compile';
import type { DatasetContract } from '../contract/types';
import { FsObjectStore } from '../storage/fs-store';
import { ObjectChangedError, type ObjectStore } from '../storage/object-store';
import {
  abortAttempt,
  attemptRecord,
  beginAttempt,
  commitAttempt,
  IngestInProgressError,
  newAttemptId,
  recoverSource,
} from './commit';
import { UnreadableFileError } from './formats/source-reader';
import {
  curatedKey,
  datasetOfLandingKey,
  dayToIso,
  outputStem,
  quarantineKey,
  rejectedFileKeys,
  UNKNOWN_DATASET,
} from './lake-layout';
import { assertManifestAddsUp, type Manifest, type ManifestFile } from './manifest';
import { ROW_GROUP_BYTES, type StagedPart } from './partitioned-writer';
import {
  type KeyPass,
  type MainPass,
  mainPass,
  type PassSource,
  type SourceVersion,
  scanKeys,
} from './row-passes';
import { planSplit, type SplitPlan, SplitWorker } from './split-ingest';
import { STAGING_DIR_PREFIX } from './staging';

export interface IngestProgress {
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly rows: number;
}

export interface IngestRequest {
  /** Store holding the landed file. */
  readonly landing: ObjectStore;
  /** Store receiving curated, quarantine and manifest objects (may be the same store). */
  readonly lake: ObjectStore;
  /** Landing key, `landing/<dataset>/<anything>`. */
  readonly key: string;
  /** @default DATASETS (the built-in contracts and the project's, datasets/registry.ts) */
  readonly datasets?: readonly DatasetContract[];
  /** Dataset to use instead of the one named by the key's folder. */
  readonly dataset?: string;
  /**
   * Ingest again even when this exact content was ingested before.
   * @default false
   */
  readonly force?: boolean;
  /**
   * What a rejection for an unknown dataset tells the sender to do. @default 'land files under
   * landing/<dataset>/' (a drop on S3); the CLI names its `--dataset` option.
   */
  readonly unknownDatasetFix?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default os.tmpdir() */
  readonly tmpDir?: string;
  /** Called after each batch of records of the main pass (of each thread's). */
  readonly onProgress?: (progress: IngestProgress) => void;
  /**
   * Told when a split ingest's second half could not be used and the file was ingested again in one
   * thread (what is written is the same; it took longer).
   */
  readonly onWarning?: (message: string) => void;
  /** Rows per Parquet row group. @default 131072 */
  readonly rowGroupSize?: number;
  /**
   * Threads an ingest may use. With 2, a large uncompressed CSV in a local landing folder is cut at a
   * record boundary near its middle and its second part is ingested by a worker thread
   * (src/ingest/split-ingest.ts); every other file is ingested in this thread. @default 1
   */
  readonly threads?: number;
}

export interface IngestResult {
  readonly manifest: Manifest;
  /** True when the same content was already ingested: nothing was written. */
  readonly skipped: boolean;
}

/**
 * The landed object is gone (deleted, or expired by the landing lifecycle, before it was ingested).
 * Nothing can be ingested; retrying cannot help.
 */
export class SourceNotFoundError extends Error {
  constructor(
    readonly url: string,
    readonly key: string,
  ) {
    super(`cannot ingest ${key}: no such object in ${url} (deleted before it was ingested?)`);
    this.name = 'SourceNotFoundError';
  }
}

/**
 * Ingests one landed file into the lake and returns its manifest. A file that cannot be read (unknown
 * dataset, binary, bad header, broken JSON) is copied whole to the quarantine with a report and gets a
 * `rejected` manifest; only infrastructure failures (the store) throw, and `ObjectChangedError` when the
 * landed object is replaced while it is being ingested (nothing is written: its new version is
 * ingested on its own).
 */
export async function ingestObject(request: IngestRequest): Promise<IngestResult> {
  const now = request.now ?? (() => new Date());
  const startedAt = now();
  const info = await request.landing.head(request.key);
  if (!info) throw new SourceNotFoundError(request.landing.url, request.key);
  const source: SourceVersion = {
    key: request.key,
    etag: info.etag,
    size: info.size,
    landedAt: info.lastModified,
  };
  const datasetName = request.dataset ?? datasetOfLandingKey(request.key);
  const contract = (request.datasets ?? DATASETS).find((d) => d.name === datasetName);

  const manifestDataset = contract?.name ?? UNKNOWN_DATASET;
  // Settles what a crashed or failed earlier attempt left, so the state read here is a committed one.
  const state = await recoverSource(request.lake, manifestDataset, request.key, { now });
  if (state.commit && state.manifest && state.commit.source_etag === source.etag && !request.force) {
    // Not skipped when this call finished a committed attempt (its manifest was missing until now):
    // its days have not been announced to the refresh yet.
    const finishedNow = state.recovered.some(
      (r) => r.action === 'rolled-forward' && r.attempt === state.commit?.attempt,
    );
    return { manifest: state.manifest, skipped: !finishedNow };
  }
  const duplicate = state.running.find((a) => a.source_etag === source.etag);
  if (duplicate && !request.force) throw new IngestInProgressError(duplicate);

  const attempt = newAttemptId(startedAt);
  const stem = outputStem(source.key, source.etag, attempt);
  const stagingDir = await mkdtemp(join(request.tmpDir ?? tmpdir(), STAGING_DIR_PREFIX));
  // Source streams of both passes; a file rejected half-way must not leave them open.
  const streams: Readable[] = [];
  try {
    let staged: StagedIngest;
    if (!contract) {
      const known = (request.datasets ?? DATASETS).map((d) => d.name).join(', ');
      const reason = datasetName
        ? `unknown dataset '${datasetName}' (known datasets: ${known}); ${request.unknownDatasetFix ?? 'land files under landing/<dataset>/'}`
        : `the key is not under landing/<dataset>/ (known datasets: ${known})`;
      staged = reject(request, source, UNKNOWN_DATASET, reason, stem, startedAt, now);
    } else {
      try {
        staged = await ingestRows(
          request,
          source,
          compileContract(contract, { key: source.key, landedAt: source.landedAt }),
          { first: stem, second: outputStem(source.key, source.etag, attempt, 2) },
          stagingDir,
          streams,
          startedAt,
          now,
        );
      } catch (error) {
        if (!(error instanceof UnreadableFileError)) throw error;
        staged = reject(request, source, contract.name, error.reason, stem, startedAt, now);
      }
    }
    assertManifestAddsUp(staged.manifest);
    const record = attemptRecord({
      manifest: staged.manifest,
      attempt,
      startedAt,
      now: now(),
      files: staged.uploads.map((upload) => upload.key),
      replaces: state.manifest?.files_written.map((file) => file.key) ?? [],
    });
    try {
      await beginAttempt(request.lake, record);
      for (const upload of staged.uploads) await upload.write();
      // The bytes read must still be the landed version: a file rewritten in place while it was read
      // may have given rows of both versions.
      const after = await request.landing.head(request.key);
      if (after?.etag !== source.etag) {
        throw new ObjectChangedError(request.landing.url, request.key, source.etag);
      }
    } catch (error) {
      // Before the commit: best effort; if the lake refuses this too, the attempt record stays and the
      // next ingest of the key (or the sweeper) removes what it wrote. Readers never saw any of it.
      await abortAttempt(request.lake, record).catch(() => undefined);
      throw error;
    }
    // Rolls itself back, or leaves itself to be rolled forward, as the commit's outcome requires.
    await commitAttempt(request.lake, record, state.commit);
    return { manifest: record.manifest, skipped: false };
  } finally {
    for (const stream of streams) stream.destroy();
    await rm(stagingDir, { recursive: true, force: true });
  }
}

/** One object an attempt writes to the lake. */
interface Upload {
  readonly key: string;
  readonly write: () => Promise<void>;
}

/** What an attempt will write, staged and counted, before anything reaches the lake. */
interface StagedIngest {
  readonly manifest: Manifest;
  readonly uploads: readonly Upload[];
}

/**
 * Both passes over the file, in this thread, or split in two (`threads`, src/ingest/split-ingest.ts);
 * then the manifest and the uploads of the staged parts.
 */
async function ingestRows(
  request: IngestRequest,
  source: SourceVersion,
  compiled: CompiledContract,
  stems: { readonly first: string; readonly second: string },
  stagingDir: string,
  streams: Readable[],
  startedAt: Date,
  now: () => Date,
): Promise<StagedIngest> {
  const { contract } = compiled;
  const stem = stems.first;
  const whole: PassSource = {
    landing: request.landing,
    version: source,
    compiled,
    tmpDir: request.tmpDir,
    streams,
  };
  // The worker reads the landing folder through an FsObjectStore of its own: a subclass's reads would
  // not be its own there, so only the plain store splits.
  const landing =
    Object.getPrototypeOf(request.landing) === FsObjectStore.prototype
      ? (request.landing as FsObjectStore)
      : undefined;
  const plan = (request.threads ?? 1) >= 2 && landing ? await planSplit(landing, source) : undefined;
  // Two threads buffer rows: each holds half of what one may.
  const halfRowGroupBytes = ROW_GROUP_BYTES / 2;
  const worker =
    plan && landing
      ? SplitWorker.start({
          landingRoot: landing.rootDir,
          etag: landing.cachedEtag(source.key),
          version: { ...source, landedAt: source.landedAt.getTime() },
          contract,
          part: plan.second,
          ingestedAt: startedAt.getTime(),
          stagingDir: join(stagingDir, 'second-part'),
          stem: stems.second,
          tmpDir: request.tmpDir,
          rowGroupSize: request.rowGroupSize,
          rowGroupBytes: halfRowGroupBytes,
        })
      : undefined;
  try {
    const keys = await scanKeys(
      whole,
      plan ? { probeLines: [plan.line - 1, plan.line], countBefore: plan.line } : {},
    );
    const passOptions = {
      lastOccurrence: keys.index,
      ingestedAt: startedAt.getTime(),
      stagingDir,
      stem,
      rowGroupSize: request.rowGroupSize,
    };
    // Progress counts the worker's part while it is used; it reports as its batches go too.
    let own = { bytes: 0, rows: 0 };
    let counted = worker;
    const report = () =>
      request.onProgress?.({
        bytesRead: own.bytes + (counted?.progress.bytes ?? 0),
        bytesTotal: source.size,
        rows: own.rows + (counted?.progress.rows ?? 0),
      });
    const progress = (bytes: number, rows: number) => {
      own = { bytes, rows };
      report();
    };
    if (worker) worker.onProgress = report;
    let passes: { readonly pass: MainPass; readonly stem: string }[] | undefined;
    if (plan && worker && cutIsRecordBoundary(keys)) {
      const secondPart = worker.begin(keys.index);
      const first = await mainPass(
        { ...whole, part: plan.first },
        { ...passOptions, rowGroupBytes: halfRowGroupBytes, onBatch: progress },
      );
      // A failed second part (a store error, a bug) or one that did not read what it should is ingested
      // again in this thread, which writes what an ingest in one thread writes, and tells an error as it
      // does; the caller hears why (a cut the key pass refused is not news: the file had no clean cut).
      const second = await secondPart.catch((error: unknown) => {
        request.onWarning?.(`${request.key}: the second half failed in its thread (${String(error)})`);
        return undefined;
      });
      const mismatch =
        second &&
        (secondPartDiffers(plan, keys, second) ??
          (first.rowsRead !== keys.recordsBefore
            ? `the first half read ${first.rowsRead} records, the key pass ${keys.recordsBefore}`
            : undefined));
      if (mismatch) request.onWarning?.(`${request.key}: ${mismatch}`);
      if (second && !mismatch) {
        passes = [
          { pass: first, stem },
          { pass: second, stem: stems.second },
        ];
      }
    }
    if (!passes) {
      await worker?.stop();
      counted = undefined;
      own = { bytes: 0, rows: 0 };
      await rm(join(stagingDir, 'curated'), { recursive: true, force: true });
      await rm(join(stagingDir, 'quarantine'), { recursive: true, force: true });
      passes = [{ pass: await mainPass(whole, { ...passOptions, onBatch: progress }), stem }];
    }
    const rowsRead = passes.reduce((sum, p) => sum + p.pass.rowsRead, 0);
    // Both passes must have read the same records: none is lost on the way.
    assertRecords(rowsRead, keys.records, request.key, 'the main pass');
    return stagedIngest(request, source, contract.name, passes, startedAt, now);
  } finally {
    await worker?.stop();
  }
}

/**
 * Whether the key pass of the whole file found records starting on the line before the cut and on the
 * line at it: the cut is then between two records (not in a quoted field, not next to a blank line).
 */
function cutIsRecordBoundary(keys: KeyPass): boolean {
  return (
    keys.format === 'csv' && keys.compression === 'none' && keys.probed[0] === true && keys.probed[1] === true
  );
}

/**
 * How the worker's pass differs from the records of the file from the cut on (its first line, its
 * count, its header), or undefined when it read just those.
 */
function secondPartDiffers(plan: SplitPlan, keys: KeyPass, second: MainPass): string | undefined {
  const expected = keys.records - keys.recordsBefore;
  if (second.format !== 'csv' || second.compression !== 'none')
    return `the second half was read as ${second.format}`;
  if (second.firstLine !== plan.line)
    return `the second half started on line ${second.firstLine}, not ${plan.line}`;
  if (second.rowsRead !== expected)
    return `the second half read ${second.rowsRead} records, the key pass ${expected}`;
  if (second.delimiter !== keys.delimiter || JSON.stringify(second.header) !== JSON.stringify(keys.header)) {
    return 'the second half read another header';
  }
  return undefined;
}

/** Raised when the passes of an ingest did not read the same records: a bug, never a data problem. */
export class RecordCountError extends Error {
  constructor(key: string, what: string, read: number, expected: number) {
    super(`${what} of ${key} read ${read} records where the key pass read ${expected}; nothing was written`);
    this.name = 'RecordCountError';
  }
}

function assertRecords(read: number, expected: number, key: string, what: string): void {
  if (read !== expected) throw new RecordCountError(key, what, read, expected);
}

/** The manifest and uploads of the main passes (one, or a split ingest's two, in file order). */
function stagedIngest(
  request: IngestRequest,
  source: SourceVersion,
  dataset: string,
  passes: readonly { readonly pass: MainPass; readonly stem: string }[],
  startedAt: Date,
  now: () => Date,
): StagedIngest {
  const files: ManifestFile[] = [];
  const uploads: Upload[] = [];
  const stage = (parts: readonly StagedPart[], kind: 'curated' | 'quarantine', stem: string) => {
    for (const part of parts) {
      const key = (kind === 'curated' ? curatedKey : quarantineKey)(dataset, part.day, stem);
      uploads.push({
        key,
        write: () => request.lake.putFile(key, part.path, { contentType: 'application/vnd.apache.parquet' }),
      });
      files.push({ key, kind, partition: dayToIso(part.day), rows: part.rows, bytes: part.bytes });
    }
  };
  for (const { pass, stem } of passes) stage(pass.curated, 'curated', stem);
  for (const { pass, stem } of passes) stage(pass.quarantine, 'quarantine', stem);
  const sum = (count: (pass: MainPass) => number) => passes.reduce((total, p) => total + count(p.pass), 0);
  const violationsByRule: Record<string, number> = {};
  for (const { pass } of passes) {
    for (const [rule, count] of Object.entries(pass.violationsByRule)) {
      violationsByRule[rule] = (violationsByRule[rule] ?? 0) + count;
    }
  }
  const days = new Set(passes.flatMap((p) => p.pass.curated.map((part) => part.day)));
  const first = passes[0]!.pass;
  const finishedAt = now();
  const manifest: Manifest = {
    manifest_version: 1,
    dataset,
    source_key: source.key,
    source_etag: source.etag,
    status: 'ok',
    rejection_reason: null,
    format: first.format,
    compression: first.compression,
    delimiter: first.delimiter,
    ingested_at: startedAt.toISOString(),
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    rows_read: sum((p) => p.rowsRead),
    rows_valid: sum((p) => p.rowsValid),
    rows_quarantined: sum((p) => p.rowsQuarantined),
    duplicates_dropped: sum((p) => p.duplicates),
    partitions: [...days].sort((a, b) => a - b).map(dayToIso),
    files_written: files,
    bytes_in: source.size,
    bytes_out: files.reduce((total, f) => total + f.bytes, 0),
    ignored_columns: [...first.ignoredColumns],
    violations_by_rule: violationsByRule,
  };
  return { manifest, uploads };
}

/** A file that cannot be ingested: copied whole to the quarantine, with a report saying why. */
function reject(
  request: IngestRequest,
  source: SourceVersion,
  dataset: string,
  reason: string,
  stem: string,
  startedAt: Date,
  now: () => Date,
): StagedIngest {
  const keys = rejectedFileKeys(dataset, source.key, stem);
  const report = JSON.stringify(
    { source_key: source.key, source_etag: source.etag, dataset, reason },
    null,
    2,
  );
  const uploads: Upload[] = [
    {
      key: keys.file,
      write: async () =>
        request.lake.put(keys.file, await request.landing.get(source.key, { ifMatch: source.etag })),
    },
    {
      key: keys.report,
      write: () => request.lake.put(keys.report, report, { contentType: 'application/json' }),
    },
  ];
  const finishedAt = now();
  const manifest: Manifest = {
    manifest_version: 1,
    dataset,
    source_key: source.key,
    source_etag: source.etag,
    status: 'rejected',
    rejection_reason: reason,
    format: null,
    compression: 'none',
    delimiter: null,
    ingested_at: startedAt.toISOString(),
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    rows_read: 0,
    rows_valid: 0,
    rows_quarantined: 0,
    duplicates_dropped: 0,
    partitions: [],
    files_written: [
      { key: keys.file, kind: 'rejected_file', partition: null, rows: 0, bytes: source.size },
      {
        key: keys.report,
        kind: 'rejection_report',
        partition: null,
        rows: 0,
        bytes: Buffer.byteLength(report),
      },
    ],
    bytes_in: source.size,
    bytes_out: source.size + Buffer.byteLength(report),
    ignored_columns: [],
    violations_by_rule: {},
  };
  return { manifest, uploads };
}
