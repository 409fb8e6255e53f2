/**
 * Ingest of one landed file: the pipeline core shared by the Lambda handler and the CLI. It has no
 * AWS import; the source and the lake are `ObjectStore`s (local folder or S3).
 *
 * stream -> decode -> parse -> bind -> validate -> dedupe -> partition -> Parquet row groups -> commit
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { DATASETS } from '../../datasets';
import { type CompiledContract, compileContract, type RecordBinding } from '../contract/compile';
import { type DatasetContract, LINEAGE_COLUMNS, type Violation } from '../contract/types';
import { dayOf } from '../contract/values';
import type { ParquetColumn } from '../parquet/part-writer';
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
import {
  type OpenedSource,
  openSource,
  UnparseableRecord,
  UnreadableFileError,
} from './formats/source-reader';
import {
  curatedKey,
  datasetOfLandingKey,
  dayToIso,
  outputStem,
  quarantineKey,
  rejectedFileKeys,
  UNKNOWN_DATASET,
} from './lake-layout';
import { LastOccurrenceIndex } from './last-occurrence';
import { assertManifestAddsUp, type Manifest, type ManifestFile, QUARANTINE_COLUMNS } from './manifest';
import { PartitionedWriter, type StagedPart } from './partitioned-writer';
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
  /** Called after each batch of records of the main pass. */
  readonly onProgress?: (progress: IngestProgress) => void;
  /** Rows per Parquet row group. @default 131072 */
  readonly rowGroupSize?: number;
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

/** Key plus content fingerprint of the source, from `head`. */
interface SourceVersion {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly landedAt: Date;
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
          stem,
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
 * Records per batch of the ingest loops. Smaller than the reader's default: a batch's records (an array
 * and a string per field) are garbage once validated, and with 1024 they mostly die in the young
 * generation instead of being copied out of it (measured 1-2 s less per 1M rows than 8192).
 */
const INGEST_BATCH_SIZE = 1024;

/**
 * Opens the source as a stream of records; counts bytes for progress. Reads the version `head` gave:
 * both passes see the same bytes, or `ObjectChangedError` stops the ingest (the newer version has its
 * own notification).
 */
async function open(
  request: IngestRequest,
  source: SourceVersion,
  counter: { bytes: number },
  streams: Readable[],
): Promise<OpenedSource> {
  const body = await request.landing.get(request.key, { ifMatch: source.etag });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      callback(null, chunk);
    },
  });
  body.on('error', (error) => tap.destroy(error));
  streams.push(body, tap);
  return openSource(body.pipe(tap), request.key, { batchSize: INGEST_BATCH_SIZE, spoolDir: request.tmpDir });
}

/** Binds the source's columns to the contract, or explains why the file cannot be ingested. */
function bind(compiled: CompiledContract, opened: OpenedSource, key: string): RecordBinding {
  if (opened.format !== 'csv') return compiled.bindJson();
  const header = opened.header ?? [];
  const binding = compiled.bindHeader(header);
  const ambiguous = binding.ambiguousColumns?.[0];
  if (ambiguous) {
    const fields = ambiguous.sources.map((f) => `${JSON.stringify(f.name)} (column ${f.position})`);
    throw new UnreadableFileError(
      key,
      `the header gives column ${ambiguous.column} twice: ${fields.join(' and ')}; ` +
        'which value is meant is ambiguous, so keep one of them',
    );
  }
  if (binding.missingRequired.length > 0) {
    throw new UnreadableFileError(
      key,
      `the header is missing required columns: ${binding.missingRequired.join(', ')} ` +
        `(columns found: ${header.join(', ') || 'none'})`,
    );
  }
  return binding;
}

/** First pass: which rows a later row with the same key supersedes. */
async function scanKeys(
  request: IngestRequest,
  source: SourceVersion,
  compiled: CompiledContract,
  streams: Readable[],
) {
  const opened = await open(request, source, { bytes: 0 }, streams);
  let index: LastOccurrenceIndex | undefined;
  /** The index, made on first use; sized by the spacing of the first keys when they lie in the text. */
  const indexFor = (recordsPerChar?: number) =>
    (index ??= new LastOccurrenceIndex(expectedKeys(source.size, recordsPerChar)));
  const binding = bind(compiled, opened, request.key);
  const raw: unknown[] = new Array(compiled.columnCount);
  const keyColumns = compiled.primaryKeyIndexes;
  // CSV: only the key fields are cut out of the records and copied; this pass reads nothing else.
  const sources = binding.sourceIndexes;
  const keySources = sources ? keyColumns.map((i) => sources[i] ?? -1) : undefined;
  const fields = keySources?.filter((j) => j >= 0);
  // Key cells that are their own key, observed in batches (in line order: the batch so far goes first
  // whenever a key is observed another way).
  const pendingFrom = new Int32Array(INGEST_BATCH_SIZE);
  const pendingTo = new Int32Array(INGEST_BATCH_SIZE);
  const pendingLines = new Int32Array(INGEST_BATCH_SIZE);
  let pending = 0;
  let pendingText = '';
  const flush = () => {
    if (pending === 0) return;
    const span = pendingFrom[pending - 1]! - pendingFrom[0]!;
    indexFor(pending > 1 && span > 0 ? (pending - 1) / span : undefined).observeRanges(
      pendingText,
      pendingFrom,
      pendingTo,
      pendingLines,
      pending,
    );
    pending = 0;
  };
  for await (const batch of opened.batches({ fields, inText: true })) {
    const { records, lines, inText } = batch;
    for (let r = 0; r < records.length; r++) {
      const record = records[r];
      if (record instanceof UnparseableRecord) continue;
      if (keySources && typeof record === 'number' && inText) {
        // A record left in the text: a key cell that is its own key is hashed where it lies; otherwise
        // the key fields alone are cut out.
        const { text, bounds } = inText;
        const base = record * inText.stride;
        if (keySources.length === 1 && keySources[0]! >= 0) {
          const from = bounds[base + 2 * keySources[0]!]!;
          const to = bounds[base + 2 * keySources[0]! + 1]!;
          if (compiled.isOwnKey(text, from, to)) {
            if (pending === INGEST_BATCH_SIZE) flush();
            pendingText = text;
            pendingFrom[pending] = from;
            pendingTo[pending] = to;
            pendingLines[pending++] = lines[r]!;
            continue;
          }
        }
        for (let k = 0; k < keySources.length; k++) {
          const j = keySources[k]!;
          raw[keyColumns[k]!] =
            j >= 0 ? text.slice(bounds[base + 2 * j]!, bounds[base + 2 * j + 1]!) : undefined;
        }
      } else if (keySources) {
        const values = record as readonly string[];
        for (let k = 0; k < keySources.length; k++) {
          const j = keySources[k]!;
          raw[keyColumns[k]!] = j >= 0 ? values[j] : undefined;
        }
      } else {
        binding.extract(record, raw);
      }
      const key = compiled.keyOf(raw);
      flush();
      if (key !== undefined) indexFor().observe(key, lines[r]!);
    }
    // The batch's text is replaced by the next read.
    flush();
  }
  // The main pass asks only about the keys held exactly: the filter (4 MB for 1M keys) goes now.
  const scanned = indexFor();
  scanned.endObserving();
  return scanned;
}

/**
 * Keys to size the key pass's filter for (16 bits a key): the file's size at `recordsPerChar`, the rate of
 * its first records, with half again as margin; without it, as if records were 40 bytes. Too few only
 * adds filter layers, never changes an answer; too many makes a filter of megabytes whose every probe
 * misses the cache (the 1M-row benchmark file got 8 MB where 2 MB hold its keys).
 */
function expectedKeys(size: number, recordsPerChar: number | undefined): number {
  return Math.ceil(recordsPerChar === undefined ? size / 40 : size * recordsPerChar * 1.5);
}

async function ingestRows(
  request: IngestRequest,
  source: SourceVersion,
  compiled: CompiledContract,
  stem: string,
  stagingDir: string,
  streams: Readable[],
  startedAt: Date,
  now: () => Date,
): Promise<StagedIngest> {
  const { contract } = compiled;
  const ingestedAt = startedAt.getTime();
  const lastOccurrence = await scanKeys(request, source, compiled, streams);
  const keyIndex = compiled.primaryKeyIndexes.length === 1 ? compiled.primaryKeyIndexes[0]! : -1;
  /**
   * False when a later row surely does not repeat this row's key: its key cell is its own key and is not
   * among the keys the key pass saw twice. Most rows then skip building their key.
   */
  const mayBeSuperseded = (raw: readonly unknown[]): boolean => {
    const cell = keyIndex >= 0 ? raw[keyIndex] : undefined;
    return (
      typeof cell !== 'string' || !compiled.isOwnKey(cell, 0, cell.length) || lastOccurrence.mayTrack(cell)
    );
  };

  const counter = { bytes: 0 };
  const opened = await open(request, source, counter, streams);
  const binding = bind(compiled, opened, request.key);
  const kvMetadata = { 'ledgerlake.source_key': source.key, 'ledgerlake.source_etag': source.etag };

  const curatedColumns: ParquetColumn[] = [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, required: c.required ?? false })),
    ...LINEAGE_COLUMNS.map((c) => ({ name: c.name, type: c.type, required: true })),
  ];
  // source_line varies per row; source_key and ingested_at are the same for the whole file.
  const constants = { source_key: source.key, ingested_at: ingestedAt };
  const curated = new PartitionedWriter(curatedColumns, constants, join(stagingDir, 'curated'), stem, {
    rowGroupSize: request.rowGroupSize,
    kvMetadata,
  });
  const quarantineColumns: ParquetColumn[] = QUARANTINE_COLUMNS.map((c) => ({ name: c.name, type: c.type }));
  const quarantine = new PartitionedWriter(quarantineColumns, {}, join(stagingDir, 'quarantine'), stem, {
    rowGroupSize: request.rowGroupSize,
    kvMetadata,
  });

  const width = compiled.columnCount;
  const raw: unknown[] = new Array(width);
  // Contract values, then source_line: the non-constant columns of a curated row.
  const out: unknown[] = new Array(width + 1);
  // The value codes of `out` (source_line has none).
  const codes = new Int32Array(width + 1).fill(-1);
  const ingestDay = Math.floor(ingestedAt / 86_400_000);
  let rowsRead = 0;
  let rowsValid = 0;
  let rowsQuarantined = 0;
  let duplicates = 0;
  const violationsByRule: Record<string, number> = {};

  for await (const batch of opened.batches({ inText: true })) {
    const { records, lines, inText } = batch;
    const stride = inText ? inText.stride : 0;
    for (let r = 0; r < records.length; r++) {
      const record = records[r];
      const line = lines[r]!;
      // A CSV record the tokenizer left in its text (see CsvTokenizer.readInText).
      const leftInText = inText !== undefined && typeof record === 'number';
      rowsRead++;
      let violations: Violation[];
      let validated = false;
      if (record instanceof UnparseableRecord) {
        violations = [{ field: '_row', rule: 'shape', message: record.reason }];
      } else {
        let shape: Violation | undefined;
        if (leftInText) binding.extractFromText!(inText.text, inText.bounds, record * stride, raw);
        else shape = binding.extract(record, raw);
        if (shape) {
          violations = [shape];
        } else {
          const key = mayBeSuperseded(raw) ? compiled.keyOf(raw) : undefined;
          if (key !== undefined && lastOccurrence.isSuperseded(key, line)) {
            duplicates++;
            continue;
          }
          violations = compiled.validate(raw, out, codes);
          validated = true;
        }
      }
      if (violations.length === 0) {
        rowsValid++;
        out[width] = line;
        const written = curated.add(
          dayOf(out[compiled.eventTimeIndex] as number, compiled.eventTimeType),
          out,
          codes,
        );
        if (written) await written;
        continue;
      }
      rowsQuarantined++;
      const rules = [...new Set(violations.map((v) => `${v.field}.${v.rule}`))].sort();
      for (const rule of rules) violationsByRule[rule] = (violationsByRule[rule] ?? 0) + 1;
      const eventValue = validated ? out[compiled.eventTimeIndex] : null;
      const eventParsed =
        !violations.some((v) => v.field === contract.eventTime) && typeof eventValue === 'number';
      const day = eventParsed ? dayOf(eventValue, compiled.eventTimeType) : ingestDay;
      const original =
        record instanceof UnparseableRecord
          ? { _text: record.text }
          : binding.original(leftInText ? inText.cut(record) : record);
      await quarantine.add(day, [
        source.key,
        line,
        ingestedAt,
        JSON.stringify(original),
        rules.join('|'),
        violations.map((v) => v.message).join('; '),
        violations.length,
      ]);
    }
    request.onProgress?.({ bytesRead: counter.bytes, bytesTotal: source.size, rows: rowsRead });
  }

  const files: ManifestFile[] = [];
  const uploads: Upload[] = [];
  const stage = (parts: StagedPart[], kind: 'curated' | 'quarantine') => {
    for (const part of parts) {
      const key = (kind === 'curated' ? curatedKey : quarantineKey)(contract.name, part.day, stem);
      uploads.push({
        key,
        write: () => request.lake.putFile(key, part.path, { contentType: 'application/vnd.apache.parquet' }),
      });
      files.push({ key, kind, partition: dayToIso(part.day), rows: part.rows, bytes: part.bytes });
    }
  };
  const curatedParts = await curated.finish();
  stage(curatedParts, 'curated');
  stage(await quarantine.finish(), 'quarantine');

  const finishedAt = now();
  const manifest: Manifest = {
    manifest_version: 1,
    dataset: contract.name,
    source_key: source.key,
    source_etag: source.etag,
    status: 'ok',
    rejection_reason: null,
    format: opened.format,
    compression: opened.compression,
    delimiter: opened.delimiter ?? null,
    ingested_at: startedAt.toISOString(),
    started_at: startedAt.toISOString(),
    finished_at: finishedAt.toISOString(),
    duration_ms: finishedAt.getTime() - startedAt.getTime(),
    rows_read: rowsRead,
    rows_valid: rowsValid,
    rows_quarantined: rowsQuarantined,
    duplicates_dropped: duplicates,
    partitions: curatedParts.map((p) => dayToIso(p.day)),
    files_written: files,
    bytes_in: source.size,
    bytes_out: files.reduce((sum, f) => sum + f.bytes, 0),
    ignored_columns: binding.ignoredColumns,
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
