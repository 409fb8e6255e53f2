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

/**
 * A number column held in a typed array instead of JS values: the buffers ingest fills row by row, so a
 * row group's numbers are neither boxed nor traced by the garbage collector. Values are the validator's
 * (int32 numbers, doubles, cents, days, epoch milliseconds); `isNull[i]` is 1 for a null, and
 * `isNull` may be undefined when there is none. Only the first `length` entries count.
 */
export interface NumberColumnValues {
  readonly numbers: Float64Array;
  readonly isNull: Uint8Array | undefined;
  readonly length: number;
}

/** A row group's values of one column: JS values (any type) or, for number types, typed. */
export type ColumnValues = readonly unknown[] | NumberColumnValues;

/** True for typed number values. */
export function isNumberColumnValues(values: ColumnValues): values is NumberColumnValues {
  return !Array.isArray(values);
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
  /** When there are nulls: 1 for a value, 0 for a null, per row (the definition levels). */
  readonly defined?: Uint8Array;
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
export function encodeColumn(column: ParquetColumn, values: ColumnValues, rowGroup: number): EncodedColumn {
  const at: Position = { column, rowGroup };
  if (isNumberColumnValues(values)) {
    if (column.type === 'string' || column.type === 'boolean') {
      throw new ParquetWriteError(
        `row group ${rowGroup}: column ${column.name} (${column.type}) was given typed numbers`,
      );
    }
    return numbersOf(at, values);
  }
  switch (column.type) {
    case 'string':
      return stringColumn(at, values);
    case 'boolean':
      return booleanColumn(at, values);
    default:
      return numbersOf(at, toNumberColumnValues(at, values));
  }
}

/** What a number column type expects of each value, as the error message says it. */
function expectedNumber(type: ColumnType): string {
  switch (type) {
    case 'date':
      return 'days since 1970-01-01';
    case 'integer':
      return 'a 32-bit integer';
    case 'timestamp':
      return 'epoch milliseconds';
    case 'decimal(18,2)':
      return 'an integer number of cents';
    default:
      return 'a number';
  }
}

/** JS values of a number column as typed values; throws on a value that is not a number or null. */
function toNumberColumnValues(at: Position, values: readonly unknown[]): NumberColumnValues {
  const numbers = new Float64Array(values.length);
  let isNull: Uint8Array | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number') {
      numbers[i] = value;
    } else if (value === null || value === undefined) {
      isNull ??= new Uint8Array(values.length);
      isNull[i] = 1;
    } else {
      throw badValue(at, i, value, expectedNumber(at.column.type));
    }
  }
  return { numbers, isNull, length: values.length };
}

/**
 * Number columns: INT32 (integer, days since epoch) and DOUBLE values are written as they are; INT64
 * decimal(18,2) cents unscaled, timestamps in epoch milliseconds as microseconds.
 */
function numbersOf(at: Position, values: NumberColumnValues): EncodedColumn {
  const type = at.column.type;
  const int64 = type === 'decimal(18,2)' || type === 'timestamp';
  const int32 = type === 'integer' || type === 'date';
  const factor = type === 'timestamp' ? MICROS_PER_MILLI : 1;
  const required = at.column.required === true;
  const { numbers, isNull, length } = values;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nulls = 0;
  let nans = 0;
  for (let i = 0; i < length; i++) {
    if (isNull !== undefined && isNull[i] === 1) {
      if (required) throw missingValue(at, i);
      nulls++;
      continue;
    }
    const value = numbers[i]!;
    if (
      int64
        ? !Number.isSafeInteger(value) || !Number.isSafeInteger(value * factor)
        : int32 && (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX)
    ) {
      throw badValue(at, i, value, expectedNumber(type));
    }
    if (Number.isNaN(value)) {
      nans++; // NaN takes no part in min/max (Parquet spec)
      continue;
    }
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (min <= max) {
    if (int64) {
      statistics.min_value = BigInt(min * factor);
      statistics.max_value = BigInt(max * factor);
    } else {
      // Signed zeros: the spec asks for -0 as min and +0 as max so readers never skip a zero.
      statistics.min_value = min === 0 ? -0 : min;
      statistics.max_value = max === 0 ? 0 : max;
    }
  }
  if (type === 'double') statistics.nan_count = BigInt(nans);
  return numbersEncoded(values, nulls, int64 ? INT64 : int32 ? INT32 : DOUBLE, factor, statistics);
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

/** The non-null numbers (already checked) PLAIN-encoded, times `factor`. */
function plainNumbers(values: NumberColumnValues, count: number, format: NumberFormat, factor: number) {
  const bytes = new Uint8Array(count * format.width);
  const view = new DataView(bytes.buffer);
  const { numbers, isNull, length } = values;
  let at = 0;
  for (let i = 0; i < length; i++) {
    if (isNull !== undefined && isNull[i] === 1) continue;
    format.write(view, at, numbers[i]! * factor);
    at += format.width;
  }
  return bytes;
}

/** Definition levels of a column with nulls: 1 for a value, 0 for a null. */
function definedOf(isNull: Uint8Array, length: number): Uint8Array {
  const defined = new Uint8Array(length);
  for (let i = 0; i < length; i++) defined[i] = 1 - isNull[i]!;
  return defined;
}

/**
 * A number column chunk, dictionary-encoded when that at least halves its bytes. As hyparquet-writer
 * decides it: a 1000-value sample spread over the chunk rules out columns whose sampled values are over
 * 90% distinct (by bytes); for the others the whole dictionary is built and kept if dictionary plus
 * bit-packed indexes take at most half of the PLAIN bytes.
 */
function numbersEncoded(
  values: NumberColumnValues,
  nulls: number,
  format: NumberFormat,
  factor: number,
  statistics: EncodedColumn['statistics'],
): EncodedColumn {
  const { numbers, isNull, length: rows } = values;
  const nonNull = rows - nulls;
  const defined = nulls > 0 && isNull !== undefined ? definedOf(isNull, rows) : undefined;
  const plain = (): EncodedColumn => ({
    rows,
    nulls,
    encoding: 'PLAIN',
    plain: plainNumbers(values, nonNull, format, factor),
    defined,
    statistics,
  });
  if (nonNull === 0) return plain();
  const sampleSize = Math.min(rows, DICTIONARY_SAMPLE);
  const sampled = new Set<number>();
  let sampleTotal = 0;
  for (let i = 0; i < sampleSize; i++) {
    const at = sampleSize === 1 ? 0 : Math.floor((i * (rows - 1)) / (sampleSize - 1));
    if (isNull !== undefined && isNull[at] === 1) continue;
    sampleTotal++;
    sampled.add(numbers[at]!);
  }
  if (sampleTotal === 0 || sampled.size / sampleTotal > 0.9) return plain();
  const distinct = new Map<number, number>();
  const indexes = new Int32Array(nonNull);
  // Past this many distinct values the dictionary alone is more than half the PLAIN bytes.
  const maxDistinct = Math.floor(nonNull / 2);
  let k = 0;
  // Runs of one value (a constant column, sorted data) skip the map.
  let last: number | undefined;
  let lastIndex = 0;
  for (let i = 0; i < rows; i++) {
    if (isNull !== undefined && isNull[i] === 1) continue;
    const value = numbers[i]!;
    if (value === last) {
      indexes[k++] = lastIndex;
      continue;
    }
    let index = distinct.get(value);
    if (index === undefined) {
      index = distinct.size;
      if (index >= maxDistinct) return plain();
      distinct.set(value, index);
    }
    indexes[k++] = index;
    last = value;
    lastIndex = index;
  }
  const size = distinct.size;
  const indexBytes = Math.ceil((nonNull * bitWidth(size)) / 8);
  if (2 * (size * format.width + indexBytes) > nonNull * format.width) return plain();
  const keys = Float64Array.from(distinct.keys());
  return {
    rows,
    nulls,
    encoding: 'RLE_DICTIONARY',
    dictionary: {
      bytes: plainNumbers({ numbers: keys, isNull: undefined, length: size }, size, format, factor),
      size,
    },
    indexes,
    defined,
    statistics,
  };
}

/** Definition levels of JS values with `nulls` nulls, or undefined when there is none. */
function definedOfValues(values: readonly unknown[], nulls: number): Uint8Array | undefined {
  if (nulls === 0) return undefined;
  const defined = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) defined[i] = values[i] === null || values[i] === undefined ? 0 : 1;
  return defined;
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
  return {
    rows: values.length,
    nulls,
    encoding: 'PLAIN',
    plain,
    defined: definedOfValues(values, nulls),
    statistics,
  };
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
  let last: string | undefined;
  let lastIndex = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      plainBytes += value.length + 4;
      if (counting) {
        // Runs of one value (a constant column, sorted data) skip the map.
        let index = value === last ? lastIndex : distinct.get(value);
        if (index === undefined) {
          index = distinct.size;
          distinct.set(value, index);
          dictionaryBytes += value.length + 4;
          if (distinct.size > maxDistinct) counting = false;
        }
        indexes![nonNull] = index;
        last = value;
        lastIndex = index;
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
      defined: definedOfValues(values, nulls),
      statistics,
    };
  }
  return {
    rows,
    nulls,
    encoding: 'PLAIN',
    plain: plainStrings(strings, plainBytes - 4 * nonNull),
    defined: definedOfValues(values, nulls),
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
