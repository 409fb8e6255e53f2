/**
 * The two passes of an ingest over a landed file, or over one part of it (a split ingest reads the two
 * halves of a large CSV in two threads, src/ingest/split-ingest.ts): the key pass finds the rows a later
 * row with the same key supersedes; the main pass validates, dedupes and partitions the rows into
 * staged Parquet parts.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CompiledContract, RecordBinding } from '../contract/compile';
import { LINEAGE_COLUMNS, type Violation } from '../contract/types';
import { dayOf } from '../contract/values';
import type { ParquetColumn } from '../parquet/part-writer';
import type { FsObjectStore } from '../storage/fs-store';
import type { ObjectStore } from '../storage/object-store';
import {
  type OpenedSource,
  openSource,
  UnparseableRecord,
  UnreadableFileError,
} from './formats/source-reader';
import { LastOccurrenceIndex } from './last-occurrence';
import { QUARANTINE_COLUMNS } from './manifest';
import { PartitionedWriter, type StagedPart } from './partitioned-writer';

/** Key plus content fingerprint of the source, from `head`. */
export interface SourceVersion {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  readonly landedAt: Date;
}

/**
 * The bytes of the landed file a pass reads, when not all of it: `[start, end)`, after `[0, headerEnd)`
 * (the CSV header, in front of a part that starts after it).
 */
export interface FilePart {
  readonly start: number;
  readonly end: number;
  /** 0 for the part that starts the file. */
  readonly headerEnd: number;
  /** Line number of the first byte read, so that the part's lines are numbered as in the whole file. */
  readonly firstLine: number;
}

/** What a pass reads: the landed version of the file, or a part of it. */
export interface PassSource {
  /** An `FsObjectStore` when `part` is given (only it reads byte ranges). */
  readonly landing: ObjectStore;
  readonly version: SourceVersion;
  readonly compiled: CompiledContract;
  readonly part?: FilePart;
  /** @default os.tmpdir() (a Parquet source's spool) */
  readonly tmpDir?: string;
  /** Every stream the pass opens, so that the caller can destroy them if the pass stops half-way. */
  readonly streams: Readable[];
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
async function open(source: PassSource, counter: { bytes: number }): Promise<OpenedSource> {
  const { landing, version, part } = source;
  const ifMatch = version.etag;
  const pieces: Readable[] = [];
  if (part === undefined) {
    pieces.push(await landing.get(version.key, { ifMatch }));
  } else {
    const store = landing as FsObjectStore;
    if (part.headerEnd > 0) {
      pieces.push(await store.get(version.key, { ifMatch, range: { start: 0, end: part.headerEnd } }));
    }
    pieces.push(await store.get(version.key, { ifMatch, range: { start: part.start, end: part.end } }));
  }
  source.streams.push(...pieces);
  return openSource(counted(pieces, counter), version.key, {
    batchSize: INGEST_BATCH_SIZE,
    spoolDir: source.tmpDir,
    firstLine: part?.firstLine,
  });
}

/** The bytes of `pieces`, one after the other, counted into `counter`. */
async function* counted(pieces: readonly Readable[], counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) {
    for await (const chunk of piece as AsyncIterable<Buffer>) {
      counter.bytes += chunk.length;
      yield chunk;
    }
  }
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

/** What the key pass found. */
export interface KeyPass {
  /** Which rows a later row with the same key supersedes. */
  readonly index: LastOccurrenceIndex;
  /** Records read (rows, and records that could not be parsed). */
  readonly records: number;
  /** Records before `countBefore`'s line, when it was given. */
  readonly recordsBefore: number;
  /** For each of `probeLines`: whether a record starts on it. */
  readonly probed: readonly boolean[];
  readonly format: OpenedSource['format'];
  readonly compression: OpenedSource['compression'];
  readonly header: readonly string[] | undefined;
  readonly delimiter: string | undefined;
}

/**
 * First pass: which rows a later row with the same key supersedes. Also tells whether a record starts
 * on each of `probeLines` (ascending), and how many records start before `countBefore`: what a split
 * ingest checks its boundary with.
 */
export async function scanKeys(
  source: PassSource,
  options: { readonly probeLines?: readonly number[]; readonly countBefore?: number } = {},
): Promise<KeyPass> {
  const { compiled, version } = source;
  const opened = await open(source, { bytes: 0 });
  const probeLines = options.probeLines ?? [];
  const probed = probeLines.map(() => false);
  let probe = 0;
  const countBefore = options.countBefore ?? Number.POSITIVE_INFINITY;
  let count = 0;
  let recordsBefore = 0;
  let index: LastOccurrenceIndex | undefined;
  /** The index, made on first use; sized by the spacing of the first keys when they lie in the text. */
  const indexFor = (recordsPerChar?: number) =>
    (index ??= new LastOccurrenceIndex(expectedKeys(version.size, recordsPerChar)));
  const binding = bind(compiled, opened, version.key);
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
      const line = lines[r]!;
      count++;
      if (line < countBefore) recordsBefore++;
      while (probe < probeLines.length && probeLines[probe]! < line) probe++;
      if (probe < probeLines.length && probeLines[probe] === line) probed[probe] = true;
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
            pendingLines[pending++] = line;
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
      if (key !== undefined) indexFor().observe(key, line);
    }
    // The batch's text is replaced by the next read.
    flush();
  }
  // The main pass asks only about the keys held exactly: the filter (4 MB for 1M keys) goes now.
  const scanned = indexFor();
  scanned.endObserving();
  return {
    index: scanned,
    records: count,
    recordsBefore,
    probed,
    format: opened.format,
    compression: opened.compression,
    header: opened.header,
    delimiter: opened.delimiter,
  };
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

/** Where and how the main pass writes its rows. */
export interface MainPassOptions {
  /** Which rows are superseded: the key pass over this part and every later byte of the file. */
  readonly lastOccurrence: LastOccurrenceIndex;
  /** The rows' `ingested_at`, ms since the epoch. */
  readonly ingestedAt: number;
  /** Local folder for the staged parts. */
  readonly stagingDir: string;
  /** File name stem of the staged parts. */
  readonly stem: string;
  /** @default ROW_GROUP_SIZE */
  readonly rowGroupSize?: number;
  /** @default ROW_GROUP_BYTES */
  readonly rowGroupBytes?: number;
  /** Called after each batch of records. */
  readonly onBatch?: (bytesRead: number, rows: number) => void;
}

/** What the main pass read and staged. */
export interface MainPass {
  /** Line of the first record; undefined when there is none. */
  readonly firstLine: number | undefined;
  readonly header: readonly string[] | undefined;
  readonly format: OpenedSource['format'];
  readonly compression: OpenedSource['compression'];
  readonly delimiter: string | null;
  readonly ignoredColumns: readonly string[];
  readonly rowsRead: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  readonly duplicates: number;
  readonly violationsByRule: Readonly<Record<string, number>>;
  readonly curated: readonly StagedPart[];
  readonly quarantine: readonly StagedPart[];
}

/** Second pass: validates, dedupes and partitions the rows into staged Parquet parts. */
export async function mainPass(source: PassSource, options: MainPassOptions): Promise<MainPass> {
  const { compiled, version } = source;
  const { contract } = compiled;
  const { ingestedAt, lastOccurrence, stagingDir, stem } = options;
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
  const opened = await open(source, counter);
  const binding = bind(compiled, opened, version.key);
  const kvMetadata = { 'ledgerlake.source_key': version.key, 'ledgerlake.source_etag': version.etag };

  const curatedColumns: ParquetColumn[] = [
    ...contract.columns.map((c) => ({ name: c.name, type: c.type, required: c.required ?? false })),
    ...LINEAGE_COLUMNS.map((c) => ({ name: c.name, type: c.type, required: true })),
  ];
  // source_line varies per row; source_key and ingested_at are the same for the whole file.
  const constants = { source_key: version.key, ingested_at: ingestedAt };
  const curated = new PartitionedWriter(curatedColumns, constants, join(stagingDir, 'curated'), stem, {
    rowGroupSize: options.rowGroupSize,
    rowGroupBytes: options.rowGroupBytes,
    kvMetadata,
  });
  const quarantineColumns: ParquetColumn[] = QUARANTINE_COLUMNS.map((c) => ({ name: c.name, type: c.type }));
  const quarantine = new PartitionedWriter(quarantineColumns, {}, join(stagingDir, 'quarantine'), stem, {
    rowGroupSize: options.rowGroupSize,
    rowGroupBytes: options.rowGroupBytes,
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

  let firstLine: number | undefined;
  for await (const batch of opened.batches({ inText: true })) {
    const { records, lines, inText } = batch;
    firstLine ??= lines[0];
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
        version.key,
        line,
        ingestedAt,
        JSON.stringify(original),
        rules.join('|'),
        violations.map((v) => v.message).join('; '),
        violations.length,
      ]);
    }
    options.onBatch?.(counter.bytes, rowsRead);
  }

  const curatedParts = await curated.finish();
  const quarantineParts = await quarantine.finish();
  return {
    firstLine,
    header: opened.header,
    format: opened.format,
    compression: opened.compression,
    delimiter: opened.delimiter ?? null,
    ignoredColumns: binding.ignoredColumns,
    rowsRead,
    rowsValid,
    rowsQuarantined,
    duplicates,
    violationsByRule,
    curated: curatedParts,
    quarantine: quarantineParts,
  };
}
