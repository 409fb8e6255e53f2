/**
 * From the validator's column arrays to the bytes of a Parquet data page: the physical values, PLAIN or
 * dictionary-encoded, and the chunk statistics, each computed in one tight loop over the JS values.
 * (hyparquet-writer's own column path copies every column several times, boxes every INT64 value as a
 * bigint and builds a dictionary Map for every column; it was about a third of ingest time.)
 */

import type { Statistics } from 'hyparquet';
import type { ColumnType } from '../contract/types';
import { ParquetWriteError } from './errors';

/** One column of a Parquet part. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ColumnType;
  /**
   * Written with REQUIRED repetition: a null value is an error instead of a null.
   * @default false
   */
  readonly required?: boolean;
}

/** One row group's column: its encoded values and the statistics for its footer entry. */
export interface EncodedColumn {
  /** Values of the column chunk (nulls included). */
  readonly rows: number;
  readonly nulls: number;
  /** PLAIN: the non-null values PLAIN-encoded. RLE_DICTIONARY: the dictionary indexes of the non-null values. */
  readonly encoding: 'PLAIN' | 'RLE_DICTIONARY';
  readonly plain?: Uint8Array;
  /** RLE_DICTIONARY: the distinct values, PLAIN-encoded (the dictionary page), and how many there are. */
  readonly dictionary?: { readonly bytes: Uint8Array; readonly size: number };
  readonly indexes?: Int32Array;
  readonly statistics: Statistics & { nan_count?: bigint };
}

/** Sample size of the "is a dictionary worth building" test for numbers (as hyparquet-writer does it). */
const DICTIONARY_SAMPLE = 1000;

const MICROS_PER_MILLI = 1000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Sample size for the early "this is an id column" test. */
const SAMPLE_SIZE = 4096;

/** Where a value sits, for error messages. */
interface Position {
  readonly column: ParquetColumn;
  readonly rowGroup: number;
}

function badValue(at: Position, row: number, value: unknown, expected: string): ParquetWriteError {
  const shown = typeof value === 'string' ? `'${value}'` : `${typeof value} ${String(value)}`;
  return new ParquetWriteError(
    `row group ${at.rowGroup}, row ${row}: column ${at.column.name} (${at.column.type}) expects ${expected}, got ${shown}`,
  );
}

function missingValue(at: Position, row: number): ParquetWriteError {
  return new ParquetWriteError(
    `row group ${at.rowGroup}, row ${row}: column ${at.column.name} is required but the value is null; ` +
      'quarantine the row or declare the column optional',
  );
}

/** Converts one column of a row group (see `EncodedColumn`). Throws `ParquetWriteError` on a value of the wrong type. */
export function encodeColumn(
  column: ParquetColumn,
  values: readonly unknown[],
  rowGroup: number,
): EncodedColumn {
  const at: Position = { column, rowGroup };
  switch (column.type) {
    case 'string':
      return stringColumn(at, values);
    case 'integer':
    case 'date':
      return numberColumn(at, values, 'int32');
    case 'double':
      return numberColumn(at, values, 'double');
    case 'decimal(18,2)':
    case 'timestamp':
      return int64Column(at, values);
    case 'boolean':
      return booleanColumn(at, values);
  }
}

/** INT32 (integer, days since epoch) and DOUBLE columns: the values are written as they are. */
function numberColumn(at: Position, values: readonly unknown[], kind: 'int32' | 'double'): EncodedColumn {
  const required = at.column.required === true;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nulls = 0;
  let nans = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number') {
      if (kind === 'int32' ? !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX : false) {
        throw badValue(
          at,
          i,
          value,
          at.column.type === 'date' ? 'days since 1970-01-01' : 'a 32-bit integer',
        );
      }
      if (Number.isNaN(value)) {
        nans++; // NaN takes no part in min/max (Parquet spec)
        continue;
      }
      if (value < min) min = value;
      if (value > max) max = value;
    } else if (value === null || value === undefined) {
      if (required) throw missingValue(at, i);
      nulls++;
    } else {
      throw badValue(at, i, value, 'a number');
    }
  }
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (min <= max) {
    // Signed zeros: the spec asks for -0 as min and +0 as max so readers never skip a zero.
    statistics.min_value = min === 0 ? -0 : min;
    statistics.max_value = max === 0 ? 0 : max;
  }
  if (kind === 'double') statistics.nan_count = BigInt(nans);
  return numbersEncoded(values, nulls, kind === 'int32' ? INT32 : DOUBLE, 1, statistics);
}

/**
 * INT64 columns: decimal(18,2) cents are written unscaled, timestamps in epoch milliseconds become
 * microseconds.
 */
function int64Column(at: Position, values: readonly unknown[]): EncodedColumn {
  const required = at.column.required === true;
  const factor = at.column.type === 'timestamp' ? MICROS_PER_MILLI : 1;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number' && Number.isSafeInteger(value) && Number.isSafeInteger(value * factor)) {
      if (value < min) min = value;
      if (value > max) max = value;
    } else if (value === null || value === undefined) {
      if (required) throw missingValue(at, i);
      nulls++;
    } else {
      throw badValue(
        at,
        i,
        value,
        at.column.type === 'timestamp' ? 'epoch milliseconds' : 'an integer number of cents',
      );
    }
  }
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (min <= max) {
    statistics.min_value = BigInt(min * factor);
    statistics.max_value = BigInt(max * factor);
  }
  return numbersEncoded(values, nulls, INT64, factor, statistics);
}

/** Physical number formats: bytes per value and how one is written. */
interface NumberFormat {
  readonly width: number;
  write(view: DataView, at: number, value: number): void;
}
const INT32: NumberFormat = { width: 4, write: (view, at, value) => view.setInt32(at, value, true) };
const DOUBLE: NumberFormat = { width: 8, write: (view, at, value) => view.setFloat64(at, value, true) };
/** INT64 from a safe integer, as two 32-bit halves: no bigint per value. */
const INT64: NumberFormat = {
  width: 8,
  write(view, at, value) {
    const high = Math.floor(value / 4294967296);
    view.setUint32(at, value - high * 4294967296, true);
    view.setInt32(at + 4, high, true);
  },
};

/** Number values (already checked) PLAIN-encoded, times `factor`. */
function plainNumbers(values: readonly unknown[], count: number, format: NumberFormat, factor: number) {
  const bytes = new Uint8Array(count * format.width);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number') continue;
    format.write(view, at, value * factor);
    at += format.width;
  }
  return bytes;
}

/**
 * A number column chunk, dictionary-encoded when that at least halves its bytes. As hyparquet-writer
 * decides it: a 1000-value sample spread over the chunk rules out columns whose sampled values are over
 * 90% distinct (by bytes); for the others the whole dictionary is built and kept if dictionary plus
 * bit-packed indexes take at most half of the PLAIN bytes.
 */
function numbersEncoded(
  values: readonly unknown[],
  nulls: number,
  format: NumberFormat,
  factor: number,
  statistics: EncodedColumn['statistics'],
): EncodedColumn {
  const rows = values.length;
  const nonNull = rows - nulls;
  const plain = (): EncodedColumn => ({
    rows,
    nulls,
    encoding: 'PLAIN',
    plain: plainNumbers(values, nonNull, format, factor),
    statistics,
  });
  if (nonNull === 0) return plain();
  const sampleSize = Math.min(rows, DICTIONARY_SAMPLE);
  const sampled = new Set<unknown>();
  let sampleTotal = 0;
  for (let i = 0; i < sampleSize; i++) {
    const value = values[sampleSize === 1 ? 0 : Math.floor((i * (rows - 1)) / (sampleSize - 1))];
    if (value === null || value === undefined) continue;
    sampleTotal++;
    sampled.add(value);
  }
  if (sampleTotal === 0 || sampled.size / sampleTotal > 0.9) return plain();
  const distinct = new Map<number, number>();
  const indexes = new Int32Array(nonNull);
  // Past this many distinct values the dictionary alone is more than half the PLAIN bytes.
  const maxDistinct = Math.floor(nonNull / 2);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (typeof value !== 'number') continue;
    let index = distinct.get(value);
    if (index === undefined) {
      index = distinct.size;
      if (index >= maxDistinct) return plain();
      distinct.set(value, index);
    }
    indexes[k++] = index;
  }
  const size = distinct.size;
  const indexBytes = Math.ceil((nonNull * bitWidth(size)) / 8);
  if (2 * (size * format.width + indexBytes) > nonNull * format.width) return plain();
  return {
    rows,
    nulls,
    encoding: 'RLE_DICTIONARY',
    dictionary: { bytes: plainNumbers([...distinct.keys()], size, format, factor), size },
    indexes,
    statistics,
  };
}

function booleanColumn(at: Position, values: readonly unknown[]): EncodedColumn {
  const required = at.column.required === true;
  let anyFalse = false;
  let anyTrue = false;
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === true) anyTrue = true;
    else if (value === false) anyFalse = true;
    else if (value === null || value === undefined) {
      if (required) throw missingValue(at, i);
      nulls++;
    } else throw badValue(at, i, value, 'a boolean');
  }
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (anyFalse || anyTrue) {
    statistics.min_value = !anyFalse;
    statistics.max_value = anyTrue;
  }
  // PLAIN booleans: one bit per non-null value, least significant bit first.
  const plain = new Uint8Array(Math.ceil((values.length - nulls) / 8));
  let bit = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'boolean') continue;
    if (value) plain[bit >>> 3]! |= 1 << (bit & 7);
    bit++;
  }
  return { rows: values.length, nulls, encoding: 'PLAIN', plain, statistics };
}

/**
 * String columns: dictionary or plain encoding, chosen here.
 *
 * hyparquet-writer decides from a 1000-value sample and drops the dictionary when 90% of the sample is
 * distinct, which loses it for a column like customer_id (5000 values in a 128k-row group). Here the
 * distinct values are counted (one Map pass, stopped early for id columns, which also yields the
 * indexes) and the dictionary is kept when it and its bit-packed indexes take at most half of the plain
 * bytes (the library's own rule).
 */
function stringColumn(at: Position, values: readonly unknown[]): EncodedColumn {
  const required = at.column.required === true;
  const distinct = new Map<string, number>();
  // Past this many distinct values the indexes alone outweigh the savings: stop counting.
  const maxDistinct = mostlyDistinct(values) ? 0 : values.length >>> 1;
  let counting = maxDistinct > 0;
  const indexes = counting ? new Int32Array(values.length) : undefined;
  let dictionaryBytes = 0;
  let plainBytes = 0;
  let nonNull = 0;
  let min: string | undefined;
  let max: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      plainBytes += value.length + 4;
      if (counting) {
        let index = distinct.get(value);
        if (index === undefined) {
          index = distinct.size;
          distinct.set(value, index);
          dictionaryBytes += value.length + 4;
          if (distinct.size > maxDistinct) counting = false;
        }
        indexes![nonNull] = index;
      } else {
        // Not a dictionary column: track min/max per value (UTF-16 order, checked below).
        if (min === undefined || value < min) min = value;
        if (max === undefined || value > max) max = value;
      }
      nonNull++;
    } else if (value === null || value === undefined) {
      if (required) throw missingValue(at, i);
    } else {
      throw badValue(at, i, value, 'a string');
    }
  }
  const nulls = values.length - nonNull;
  const useDictionary =
    counting &&
    nonNull > 0 &&
    2 * (dictionaryBytes + Math.ceil((nonNull * bitWidth(distinct.size)) / 8)) <= plainBytes;

  const strings = values as readonly (string | null | undefined)[];
  // Min/max over the distinct values when we have them all, else over every value seen after counting
  // stopped plus the ones counted before.
  let bounds: [string, string] | undefined;
  if (counting || distinct.size > 0) {
    const keys = [...distinct.keys()];
    if (min !== undefined) keys.push(min);
    if (max !== undefined) keys.push(max);
    bounds = stringBounds(keys);
  } else if (min !== undefined && max !== undefined) {
    bounds = needsCodePointOrder(min) || needsCodePointOrder(max) ? stringBounds(strings) : [min, max];
  }
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (bounds !== undefined) {
    statistics.min_value = bounds[0];
    statistics.max_value = bounds[1];
  }
  const rows = values.length;
  if (useDictionary) {
    const dictionary = [...distinct.keys()];
    return {
      rows,
      nulls,
      encoding: 'RLE_DICTIONARY',
      dictionary: {
        bytes: plainStrings(dictionary, dictionaryBytes - 4 * dictionary.length),
        size: distinct.size,
      },
      indexes: indexes!.subarray(0, nonNull),
      statistics,
    };
  }
  return {
    rows,
    nulls,
    encoding: 'PLAIN',
    plain: plainStrings(strings, plainBytes - 4 * nonNull),
    statistics,
  };
}

/** Bits needed to index `count` dictionary entries. */
function bitWidth(count: number): number {
  return count <= 1 ? 0 : 32 - Math.clz32(count - 1);
}

/**
 * True when a strided sample is at least 95% distinct: an id column. Counting every distinct value of
 * such a column costs more than encoding it, and with tens of thousands of distinct values per row
 * group a dictionary could not halve its size anyway.
 */
function mostlyDistinct(values: readonly unknown[]): boolean {
  if (values.length < 2 * SAMPLE_SIZE) return false;
  const stride = Math.floor(values.length / SAMPLE_SIZE);
  const sample = new Set<unknown>();
  let sampled = 0;
  for (let i = 0; i < values.length && sampled < SAMPLE_SIZE; i += stride) {
    const value = values[i];
    if (value === null || value === undefined) continue;
    sample.add(value);
    sampled++;
  }
  return sampled > 0 && sample.size >= 0.95 * sampled;
}

/**
 * JS compares strings by UTF-16 code unit; Parquet orders them by UTF-8 bytes (code points). The two
 * agree unless a string holds a surrogate pair or a code unit at or above U+E000.
 */
function needsCodePointOrder(value: string): boolean {
  return /[\ud800-\uffff]/.test(value);
}

/** Min and max in UTF-8 byte order, or undefined when there is no string. */
function stringBounds(values: readonly (string | null | undefined)[]): [string, string] | undefined {
  let min: string | undefined;
  let max: string | undefined;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    if (min === undefined || compareCodePoints(value, min) < 0) min = value;
    if (max === undefined || compareCodePoints(value, max) > 0) max = value;
  }
  return min === undefined || max === undefined ? undefined : [min, max];
}

function compareCodePoints(left: string, right: string): number {
  if (left === right) return 0;
  if (!needsCodePointOrder(left) && !needsCodePointOrder(right)) return left < right ? -1 : 1;
  const a = Array.from(left, (c) => c.codePointAt(0)!);
  const b = Array.from(right, (c) => c.codePointAt(0)!);
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

/**
 * PLAIN BYTE_ARRAY encoding of the non-null strings: a 4-byte little-endian length, then the UTF-8 bytes.
 * `chars` is their total length in UTF-16 code units. ASCII is copied by a char-code loop (a native
 * encode call per short value costs more); a value with other characters is encoded by Buffer#write,
 * which writes a lone surrogate as U+FFFD like TextEncoder.
 */
function plainStrings(values: readonly (string | null | undefined)[], chars: number): Uint8Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (typeof values[i] === 'string') count++;
  const buffer = Buffer.allocUnsafe(4 * count + 3 * chars);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'string') continue;
    const start = at + 4;
    const length = value.length;
    let end = start;
    for (let c = 0; c < length; c++) {
      const code = value.charCodeAt(c);
      if (code >= 0x80) {
        end = start + buffer.write(value, start, 'utf8');
        break;
      }
      buffer[end++] = code;
    }
    buffer.writeUInt32LE(end - start, at);
    at = end;
  }
  return buffer.subarray(0, at);
}
