import {
  CR_ONLY_REASON,
  CsvTokenizer,
  DEFAULT_MAX_RECORD_CHARS,
  HeaderLineFinder,
  RecordsInText,
} from './csv-tokenizer';
import { UnreadableFileError } from './errors';
import {
  type CsvDelimiter,
  detectCsvDelimiter,
  fileExtension,
  formatFromFileName,
  type SourceFormat,
  sniffFormat,
} from './format-detection';
import { JsonRecordReader } from './json-reader';
import { type LandedBytes, type LandedText, openLandedText } from './landed-text';
import { type InputLimits, resolveLimits } from './limits';
import { NdjsonReader } from './ndjson-reader';
import { openParquet, type ParquetSource } from './parquet-reader';

export { RecordsInText } from './csv-tokenizer';
export { UnreadableFileError } from './errors';
export type { CsvDelimiter, SourceFormat } from './format-detection';
export type { LandedBytes } from './landed-text';
export { DEFAULT_LIMITS, type InputLimits } from './limits';
export { UnparseableRecord } from './unparseable-record';

/** @default for `OpenSourceOptions.batchSize`. */
export const DEFAULT_BATCH_SIZE = 8192;

/** Records of a landed file, in file order. */
export interface RecordBatch {
  /**
   * CSV: `string[]` per record (fields as in the file, NOT aligned to the header or padded).
   * JSON/NDJSON: the parsed value (any JSON value), or an `UnparseableRecord`.
   */
  readonly records: unknown[];
  /**
   * 1-based line number where each record starts. CSV: physical line (the header is line 1; a quoted
   * field with embedded newlines spans lines). NDJSON and a sequence of JSON objects: physical line.
   * JSON array: 1-based record index.
   */
  readonly lines: number[];
  /**
   * With `BatchOptions.inText` (CSV): records given as a number are slot numbers whose fields lie in this
   * batch's text (see `CsvTokenizer.readInText`). Valid until the next batch is requested.
   */
  readonly inText?: RecordsInText;
}

/** A landed file opened for reading: what was detected, and its records. */
export interface OpenedSource {
  readonly format: SourceFormat;
  readonly compression: 'gzip' | 'none';
  /** CSV only: the header fields, BOM removed, as in the file (not trimmed). */
  readonly header?: readonly string[];
  /** CSV only. */
  readonly delimiter?: CsvDelimiter;
  /**
   * Yields batches of at most `batchSize` records in file order. Can be iterated once. Throws
   * `UnreadableFileError` when the rest of the file turns out to be unreadable.
   */
  batches(options?: BatchOptions): AsyncIterable<RecordBatch>;
  /** Releases the byte stream without reading further; not needed after `batches()` ran to the end. */
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  /**
   * Records per batch (the last batch may hold fewer).
   * @default DEFAULT_BATCH_SIZE
   */
  readonly batchSize?: number;
  /**
   * The format, when the caller knows it better than the file name and content.
   * @default detected: by extension, else by the first character
   */
  readonly format?: SourceFormat;
  /**
   * Longest record, in characters, a reader buffers while looking for its end; a longer one rejects the
   * file (typically a quote that is never closed). Bounds memory whatever the file holds.
   * @default 16 Mi characters
   */
  readonly maxRecordChars?: number;
  /**
   * The other bounds on what a file may hold (decompressed size and ratio, nesting depth, Parquet row
   * groups); `maxRecordChars` above wins over `limits.maxRecordChars`.
   * @default DEFAULT_LIMITS
   */
  readonly limits?: Partial<InputLimits>;
  /**
   * Parquet: the folder its spooled copy is written to (removed when the source is read or closed).
   * @default os.tmpdir()
   */
  readonly spoolDir?: string;
  /**
   * CSV: line number of the file's first character, for a part of a file read on its own whose header
   * was put in front of it (a split ingest). @default 1
   */
  readonly firstLine?: number;
}

/** Options of `OpenedSource.batches`. */
export interface BatchOptions {
  /**
   * With `inText`: the indexes of the fields the caller reads. Records left in the text then give the
   * fields up to the last one named, and a line is not scanned further, which makes a pass that needs
   * only the primary key several times cheaper. Ignored otherwise.
   * @default - every field
   */
  readonly fields?: readonly number[];
  /**
   * CSV only: leave records in the text (see `RecordBatch.inText`) instead of cutting a string per
   * field. Ignored for JSON and NDJSON.
   * @default false
   */
  readonly inText?: boolean;
}

/** What the record readers have in common: text goes in chunk by chunk, records come out. */
interface RecordTokenizer {
  append(chunk: string): void;
  read(records: unknown[], lines: number[], limit: number, atEnd: boolean): void;
  /** True when text after the last record read is still buffered (a record waiting for more text). */
  readonly hasUnfinishedRecord: boolean;
}

/**
 * Opens a landed file for streaming: gunzips when the first bytes are the gzip magic (1f 8b), whatever
 * the name; detects the format (extension first, ignoring a trailing `.gz`: `.csv`/`.tsv`/`.txt` -> csv,
 * `.json` -> json, `.ndjson`/`.jsonl` -> ndjson; otherwise the first non-space character: `[` -> json,
 * `{` -> ndjson, else csv); decodes UTF-8 and removes a byte order mark. For CSV it reads the header and
 * detects the delimiter (`.tsv` means tab).
 *
 * Memory stays bounded by a read chunk, a batch and the longest record, whatever the file size.
 * Throws `UnreadableFileError` for a file that cannot be read at all (binary, invalid UTF-8, corrupt
 * gzip, empty, CSV without header, JSON that is not records); `batches()` may throw it later too.
 */
export async function openSource(
  bytes: LandedBytes,
  fileName: string,
  options: OpenSourceOptions = {},
): Promise<OpenedSource> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const limits = resolveLimits({
    ...options.limits,
    ...(options.maxRecordChars !== undefined ? { maxRecordChars: options.maxRecordChars } : {}),
  });
  if ((options.format ?? formatFromFileName(fileName)) === 'parquet') {
    return new ParquetOpenedSource(await openParquet(bytes, fileName, limits, options.spoolDir), batchSize);
  }
  const text = await openLandedText(bytes, fileName, limits);
  try {
    let head = '';
    for (let chunk = await text.read(); chunk !== undefined; chunk = await text.read()) {
      head += chunk;
      if (/\S/.test(chunk)) break;
      // Leading white space counts as part of the first record: a file of nothing else stays bounded.
      if (head.length > limits.maxRecordChars) {
        throw new UnreadableFileError(
          fileName,
          `the file starts with more than ${limits.maxRecordChars} characters of nothing but white space`,
        );
      }
    }
    const format = options.format ?? formatFromFileName(fileName) ?? sniffFormat(head);
    if (format === undefined) throw new UnreadableFileError(fileName, 'empty file (nothing but white space)');
    if (format === 'csv') {
      return await openCsv(text, head, fileName, batchSize, limits.maxRecordChars, options.firstLine);
    }
    if (head.trim() === '') throw new UnreadableFileError(fileName, 'empty file (nothing but white space)');
    const readerOptions = {
      fileName,
      maxRecordChars: limits.maxRecordChars,
      maxNestingDepth: limits.maxNestingDepth,
    };
    const reader = format === 'json' ? new JsonRecordReader(readerOptions) : new NdjsonReader(readerOptions);
    reader.append(head);
    return new LandedSource(format, text, reader, batchSize);
  } catch (error) {
    await text.close();
    throw error;
  }
}

async function openCsv(
  text: LandedText,
  head: string,
  fileName: string,
  batchSize: number,
  maxRecordChars: number | undefined,
  firstLine: number | undefined,
): Promise<OpenedSource> {
  // The delimiter is decided on the header line, so read until it is complete.
  let atEnd = false;
  const finder = new HeaderLineFinder();
  finder.feed(head);
  const maxChars = maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  while (!finder.found && !atEnd && finder.length <= maxChars) {
    const chunk = await text.read();
    if (chunk === undefined) atEnd = true;
    else finder.feed(chunk);
  }
  const buffered = finder.text();
  const headerLine = finder.headerLine(atEnd);
  if (headerLine === undefined && !atEnd) {
    throw new UnreadableFileError(
      fileName,
      buffered.includes('\r') && !buffered.includes('\n')
        ? CR_ONLY_REASON
        : `the header line is longer than ${maxChars} characters; a quoted field is probably never closed`,
    );
  }
  if (headerLine === undefined) {
    throw new UnreadableFileError(fileName, 'empty file (nothing but white space)');
  }
  if (!buffered.includes('\n') && buffered.trimEnd().includes('\r')) {
    throw new UnreadableFileError(fileName, CR_ONLY_REASON);
  }
  const delimiter = fileExtension(fileName) === 'tsv' ? '\t' : detectCsvDelimiter(headerLine);
  const tokenizer = new CsvTokenizer({ fileName, delimiter, maxRecordChars, firstLine });
  tokenizer.append(buffered);
  const found: string[][] = [];
  const foundLines: number[] = [];
  tokenizer.read(found, foundLines, 1, atEnd);
  while (found.length === 0 && !atEnd) {
    const chunk = await text.read();
    if (chunk === undefined) atEnd = true;
    else tokenizer.append(chunk);
    tokenizer.read(found, foundLines, 1, atEnd);
  }
  const header = found[0];
  if (header === undefined || header.every((name) => name.trim() === '')) {
    throw new UnreadableFileError(
      fileName,
      `CSV has no header row (line ${foundLines[0] ?? 1} has no column names); the first line must name the columns`,
    );
  }
  return new LandedSource('csv', text, tokenizer, batchSize, header, delimiter, atEnd);
}

/** A Parquet file: records are objects, as for JSON; a line is the 1-based row number. */
class ParquetOpenedSource implements OpenedSource {
  readonly format = 'parquet' as const;
  readonly compression = 'none' as const;
  private iterated = false;

  constructor(
    private readonly source: ParquetSource,
    private readonly batchSize: number,
  ) {}

  batches(): AsyncIterable<RecordBatch> {
    if (this.iterated)
      throw new Error('batches() of an opened source can be iterated only once; open it again');
    this.iterated = true;
    return this.source.batches(this.batchSize);
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

class LandedSource implements OpenedSource {
  private iterated = false;

  constructor(
    readonly format: SourceFormat,
    private readonly text: LandedText,
    private readonly reader: RecordTokenizer,
    private readonly batchSize: number,
    readonly header?: readonly string[],
    readonly delimiter?: CsvDelimiter,
    private readonly textEnded = false,
  ) {}

  get compression(): 'gzip' | 'none' {
    return this.text.compression;
  }

  batches(options: BatchOptions = {}): AsyncIterable<RecordBatch> {
    if (this.iterated)
      throw new Error('batches() of an opened source can be iterated only once; open it again');
    this.iterated = true;
    if (options.inText && this.reader instanceof CsvTokenizer && this.header) {
      const batch =
        options.fields !== undefined
          ? new RecordsInText(Math.max(0, ...options.fields) + 1, false, this.batchSize)
          : new RecordsInText(this.header.length, true, this.batchSize);
      return readBatchesInText(this.reader, batch, this.text, this.batchSize, this.textEnded);
    }
    return readBatches(this.reader, this.text, this.batchSize, this.textEnded);
  }

  close(): Promise<void> {
    return this.text.close();
  }
}

async function* readBatches(
  reader: RecordTokenizer,
  text: LandedText,
  batchSize: number,
  textEnded: boolean,
): AsyncGenerator<RecordBatch> {
  let atEnd = textEnded;
  let records: unknown[] = [];
  let lines: number[] = [];
  let stalls = 0;
  try {
    for (;;) {
      const before = records.length;
      reader.read(records, lines, batchSize, atEnd);
      stalls = records.length === before && reader.hasUnfinishedRecord ? stalls + 1 : 0;
      if (records.length >= batchSize) {
        yield { records, lines };
        records = [];
        lines = [];
        continue;
      }
      if (atEnd) break;
      const chunk = await readText(text, stalls);
      if (chunk === undefined) atEnd = true;
      else reader.append(chunk);
    }
    if (records.length > 0) yield { records, lines };
  } finally {
    await text.close();
  }
}

/** `readBatches` for `BatchOptions.inText`: a batch never spans two texts of the tokenizer. */
async function* readBatchesInText(
  tokenizer: CsvTokenizer,
  batch: RecordsInText,
  text: LandedText,
  batchSize: number,
  textEnded: boolean,
): AsyncGenerator<RecordBatch> {
  let atEnd = textEnded;
  const next = () => {
    const full: RecordBatch = { records: batch.records, lines: batch.lines, inText: batch };
    batch.records = [];
    batch.lines = [];
    return full;
  };
  let stalls = 0;
  try {
    for (;;) {
      const before = batch.records.length;
      tokenizer.readInText(batch, batchSize, atEnd);
      stalls = batch.records.length === before && tokenizer.hasUnfinishedRecord ? stalls + 1 : 0;
      if (batch.records.length >= batchSize) {
        yield next();
        continue;
      }
      if (atEnd) break;
      // The records found so far point into the current text: hand them out before it changes.
      if (batch.records.length > 0) yield next();
      const chunk = await readText(text, stalls);
      if (chunk === undefined) atEnd = true;
      else tokenizer.append(chunk);
    }
    if (batch.records.length > 0) yield next();
  } finally {
    await text.close();
  }
}

/**
 * The next text to append: one chunk, or, after `stalls` reads in a row that found no record (a record
 * longer than the chunks), 2^stalls chunks joined. A long record is then rescanned a logarithmic number
 * of times instead of once per chunk. Undefined at the end of the text.
 */
async function readText(text: LandedText, stalls: number): Promise<string | undefined> {
  const first = await text.read();
  if (first === undefined || stalls === 0) return first;
  const parts = [first];
  for (let i = 1; i < 2 ** Math.min(stalls, 12); i++) {
    const more = await text.read();
    if (more === undefined) break;
    parts.push(more);
  }
  return parts.length === 1 ? first : parts.join('');
}
