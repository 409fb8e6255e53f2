/**
 * Parquet files as input (dimension exports often are): read with the same contract as JSON records
 * (a row is an object keyed by column name, nested groups are nested objects), row group by row group.
 *
 * Parquet is read from its end (the footer), so the landed stream is first spooled to a local temp
 * file, whatever store it comes from (S3 included); memory then holds one row group, which the limits
 * bound (`InputLimits.maxRowGroupBytes`), never the file.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import {
  type AsyncBuffer,
  type Compressors,
  type FileMetaData,
  type ParquetParsers,
  parquetMetadataAsync,
  parquetReadObjects,
  snappyUncompress,
} from 'hyparquet';
import { SPOOL_DIR_PREFIX } from '../staging';
import { UnreadableFileError } from './errors';
import type { LandedBytes } from './landed-text';
import { describeBytes, type InputLimits } from './limits';

/** A Parquet file's footer (its metadata) is read whole: a larger one is not a file of records. */
const MAX_FOOTER_BYTES = 64 * 1024 * 1024;
const MAGIC = 'PAR1';

/** A landed Parquet file, spooled and checked, ready to be read row group by row group. */
export interface ParquetSource {
  /** The row groups' row counts, in order. */
  readonly rowGroups: readonly number[];
  /** Yields records (objects) in batches of at most `batchSize`, with their 1-based row numbers. */
  batches(batchSize: number): AsyncGenerator<{ records: unknown[]; lines: number[] }>;
  /** Removes the spooled copy. */
  close(): Promise<void>;
}

/**
 * Spools `bytes` to a temp file under `spoolDir` and reads its footer. Throws `UnreadableFileError`
 * for anything that is not a readable Parquet file of records within `limits`.
 */
export async function openParquet(
  bytes: LandedBytes,
  fileName: string,
  limits: InputLimits,
  spoolDir: string = tmpdir(),
): Promise<ParquetSource> {
  const folder = await mkdtemp(join(spoolDir, SPOOL_DIR_PREFIX));
  const path = join(folder, 'source.parquet');
  const remove = () => rm(folder, { recursive: true, force: true });
  try {
    await pipeline(bytes as AsyncIterable<Uint8Array>, createWriteStream(path));
    const handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    const file: AsyncBuffer = {
      byteLength: size,
      async slice(start: number, end = size): Promise<ArrayBuffer> {
        const length = Math.max(0, Math.min(end, size) - start);
        const buffer = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(buffer, done, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return buffer.buffer;
      },
    };
    let metadata: FileMetaData;
    try {
      metadata = await readFooter(file, fileName, limits);
    } catch (error) {
      await handle.close();
      throw error;
    }
    const rowGroups = metadata.row_groups.map((group) => Number(group.num_rows));
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await handle.close().catch(() => undefined);
      await remove();
    };
    const decimals = decimalScales(metadata);
    return {
      rowGroups,
      close,
      async *batches(batchSize: number) {
        try {
          let rowStart = 0;
          for (const rows of rowGroups) {
            const rowEnd = rowStart + rows;
            let objects: Record<string, unknown>[];
            try {
              objects = await parquetReadObjects({
                file,
                metadata,
                rowStart,
                rowEnd,
                parsers: parsers(),
                compressors: compressors(limits),
              });
            } catch (error) {
              throw unreadable(fileName, error, `row group starting at row ${rowStart + 1}`);
            }
            for (let from = 0; from < objects.length; from += batchSize) {
              const records: unknown[] = [];
              const lines: number[] = [];
              for (let r = from; r < Math.min(objects.length, from + batchSize); r++) {
                records.push(toRecord(objects[r]!, decimals));
                lines.push(rowStart + r + 1);
              }
              yield { records, lines };
            }
            rowStart = rowEnd;
          }
        } finally {
          await close();
        }
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function readFooter(file: AsyncBuffer, fileName: string, limits: InputLimits): Promise<FileMetaData> {
  const size = file.byteLength;
  const notParquet = (why: string) =>
    new UnreadableFileError(
      fileName,
      `not a Parquet file: ${why}; a .parquet file starts and ends with PAR1`,
    );
  if (size < 12) throw notParquet(`it holds ${size} bytes`);
  const head = Buffer.from(await file.slice(0, 4)).toString('latin1');
  const tail = Buffer.from(await file.slice(size - 8, size));
  if (head.charCodeAt(0) === 0x1f && head.charCodeAt(1) === 0x8b) {
    throw new UnreadableFileError(
      fileName,
      'a gzipped Parquet file; Parquet compresses its own pages, so land it without gzip',
    );
  }
  if (head !== MAGIC) throw notParquet('it does not start with PAR1');
  if (tail.toString('latin1', 4) !== MAGIC) throw notParquet('it does not end with PAR1 (cut off?)');
  const footerLength = tail.readUInt32LE(0);
  if (footerLength > size - 12 || footerLength > MAX_FOOTER_BYTES) {
    throw new UnreadableFileError(
      fileName,
      `the Parquet footer claims ${describeBytes(footerLength)}, more than the file (or ${describeBytes(MAX_FOOTER_BYTES)}) holds`,
    );
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { parsers: parsers(), initialFetchSize: footerLength + 8 });
  } catch (error) {
    throw unreadable(fileName, error, 'footer');
  }
  const depth = schemaDepth(metadata);
  if (depth > limits.maxNestingDepth) {
    throw new UnreadableFileError(
      fileName,
      `the Parquet schema nests ${depth} levels deep, deeper than ${limits.maxNestingDepth}; flatten the export`,
    );
  }
  const names = topLevelNames(metadata);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new UnreadableFileError(
      fileName,
      `the Parquet schema has the column ${JSON.stringify(twice)} twice; which value is meant is ambiguous`,
    );
  }
  metadata.row_groups.forEach((group, g) => {
    const bytes = Number(group.total_byte_size);
    if (bytes > limits.maxRowGroupBytes) {
      throw new UnreadableFileError(
        fileName,
        `row group ${g + 1} holds ${describeBytes(bytes)} uncompressed, more than the ${describeBytes(limits.maxRowGroupBytes)} ` +
          'a row group may hold (it is read into memory whole); write the file with smaller row groups',
      );
    }
  });
  return metadata;
}

/** Levels of the schema below its root (a flat file is 1), walked without recursion. */
function schemaDepth(metadata: FileMetaData): number {
  let deepest = 0;
  const open: number[] = []; // children still expected at each open level
  for (const element of metadata.schema) {
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
    if (open.length > 0) open[open.length - 1]!--;
    deepest = Math.max(deepest, open.length);
    if ((element.num_children ?? 0) > 0) open.push(element.num_children!);
  }
  return deepest;
}

/** Names of the root's children. */
function topLevelNames(metadata: FileMetaData): string[] {
  const names: string[] = [];
  const [root, ...elements] = metadata.schema;
  let skip = 0;
  let remaining = root?.num_children ?? 0;
  for (const element of elements) {
    if (skip > 0) {
      skip += (element.num_children ?? 0) - 1;
      continue;
    }
    if (remaining-- <= 0) break;
    names.push(element.name);
    skip = element.num_children ?? 0;
  }
  return names;
}

/** Top-level DECIMAL columns and their scale: their values are handed on as exact decimal text. */
function decimalScales(metadata: FileMetaData): Map<string, number> {
  const scales = new Map<string, number>();
  const [root, ...elements] = metadata.schema;
  let skip = 0;
  let remaining = root?.num_children ?? 0;
  for (const element of elements) {
    if (skip > 0) {
      skip += (element.num_children ?? 0) - 1;
      continue;
    }
    if (remaining-- <= 0) break;
    if (element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL')
      scales.set(element.name, element.scale ?? 0);
    skip = element.num_children ?? 0;
  }
  return scales;
}

function unreadable(fileName: string, error: unknown, where: string): UnreadableFileError {
  if (error instanceof UnreadableFileError) return error;
  const message =
    error instanceof RangeError && /call stack/i.test(error.message)
      ? 'it is nested too deeply'
      : error instanceof Error
        ? error.message.replace(/^parquet /, '')
        : String(error);
  return new UnreadableFileError(fileName, `cannot read the Parquet ${where}: ${message}`, { cause: error });
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isoTimestamp(millis: number): string {
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? `${millis} ms (out of range)` : date.toISOString();
}

/**
 * Parquet values as the contract's parsers read them: dates and timestamps as ISO text, text strictly
 * UTF-8 (invalid bytes reject the file, as in CSV), JSON columns as their text.
 */
function parsers(): Partial<ParquetParsers> {
  const decode = (bytes: Uint8Array | undefined) => {
    if (bytes === undefined) return undefined;
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new Error('a text value is not valid UTF-8');
    }
  };
  return {
    timestampFromMilliseconds: (millis) => isoTimestamp(Number(millis)),
    timestampFromMicroseconds: (micros) => isoTimestamp(Number(micros / 1000n)),
    timestampFromNanoseconds: (nanos) => isoTimestamp(Number(nanos / 1_000_000n)),
    dateFromDays: (days) => {
      const date = new Date(days * 86_400_000);
      return Number.isNaN(date.getTime()) ? `${days} days (out of range)` : date.toISOString().slice(0, 10);
    },
    stringFromBytes: decode,
    jsonFromBytes: decode,
  };
}

/** Decompressors that refuse a page claiming more than a row group may hold before allocating it. */
function compressors(limits: InputLimits): Compressors {
  const bounded =
    (name: string, inflate: (input: Uint8Array, outputLength: number) => Uint8Array) =>
    (input: Uint8Array, outputLength: number): Uint8Array => {
      if (outputLength > limits.maxRowGroupBytes) {
        throw new Error(
          `a ${name} page claims ${describeBytes(outputLength)} uncompressed, more than a row group may hold`,
        );
      }
      return inflate(input, outputLength);
    };
  const result: Compressors = {
    SNAPPY: bounded('snappy', (input, length) => {
      const output = new Uint8Array(length);
      snappyUncompress(input, output);
      return output;
    }),
    GZIP: bounded('gzip', (input, length) =>
      zlib.gunzipSync(input, { maxOutputLength: Math.max(1, length) }),
    ),
    BROTLI: bounded('brotli', (input, length) =>
      zlib.brotliDecompressSync(input, { maxOutputLength: Math.max(1, length) }),
    ),
  };
  const zstd = (zlib as { zstdDecompressSync?: (input: Uint8Array, options?: object) => Buffer })
    .zstdDecompressSync;
  if (zstd)
    result.ZSTD = bounded('zstd', (input, length) => zstd(input, { maxOutputLength: Math.max(1, length) }));
  return result;
}

/** A row as a JSON-like record: exact decimals as text, 64-bit integers as numbers (or text past 2^53). */
function toRecord(
  row: Record<string, unknown>,
  decimals: ReadonlyMap<string, number>,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const key in row) {
    const value = row[key];
    const scale = decimals.get(key);
    record[key] =
      scale !== undefined && typeof value === 'number' && Number.isFinite(value)
        ? value.toFixed(scale)
        : plain(value);
  }
  return record;
}

function plain(value: unknown): unknown {
  if (typeof value === 'bigint')
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, plain);
  if (value instanceof Date) return isoTimestamp(value.getTime());
  if (typeof value === 'object' && value !== null) {
    const object: Record<string, unknown> = {};
    for (const key in value) object[key] = plain((value as Record<string, unknown>)[key]);
    return object;
  }
  return value;
}
