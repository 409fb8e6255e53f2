/**
 * From the validator's column arrays to what hyparquet-writer writes as-is: the physical values, the
 * encoding where the library's own choice is slow or wrong, and the chunk statistics (computed here on
 * the JS values, in one tight loop, instead of by the library on converted values).
 */

import type { DecodedArray, Statistics } from 'hyparquet';
import type { ColumnSource } from 'hyparquet-writer';
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

/** One row group's column, ready for hyparquet-writer, plus the statistics for its footer entry. */
export interface EncodedColumn {
  readonly data: DecodedArray;
  readonly encoding?: ColumnSource['encoding'];
  readonly statistics: Statistics & { nan_count?: bigint };
}

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
  return { data: values as DecodedArray, statistics };
}

/**
 * INT64 columns: decimal(18,2) cents are written unscaled (as bigint, which hyparquet-writer does not
 * multiply by 10^scale), timestamps in epoch milliseconds become microseconds.
 */
function int64Column(at: Position, values: readonly unknown[]): EncodedColumn {
  const required = at.column.required === true;
  const factor = at.column.type === 'timestamp' ? MICROS_PER_MILLI : 1;
  const out = new Array<bigint | null>(values.length);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nulls = 0;
  // A constant column (ingested_at) would otherwise allocate one bigint per row.
  let previous = Number.NaN;
  let previousBig = 0n;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'number' && Number.isSafeInteger(value) && Number.isSafeInteger(value * factor)) {
      if (value !== previous) {
        previous = value;
        previousBig = BigInt(value * factor);
      }
      out[i] = previousBig;
      if (value < min) min = value;
      if (value > max) max = value;
    } else if (value === null || value === undefined) {
      if (required) throw missingValue(at, i);
      out[i] = null;
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
  return { data: out, statistics };
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
  return { data: values as DecodedArray, statistics };
}

/**
 * String columns: dictionary or plain encoding, chosen here.
 *
 * hyparquet-writer decides from a 1000-value sample and drops the dictionary when 90% of the sample is
 * distinct, which loses it for a column like customer_id (5000 values in a 128k-row group). Here the
 * distinct values are counted (one Map pass, stopped early for id columns) and the dictionary is kept
 * when it and its bit-packed indexes take at most half of the plain bytes (the library's own rule),
 * then forced with RLE_DICTIONARY.
 *
 * Plain columns (ids, free text) are UTF-8 encoded in one call and handed over as views into one
 * buffer: the library would call TextEncoder once per value, about a microsecond each.
 */
function stringColumn(at: Position, values: readonly unknown[]): EncodedColumn {
  const required = at.column.required === true;
  const distinct = new Map<string, true>();
  // Past this many distinct values the indexes alone outweigh the savings: stop counting.
  const maxDistinct = mostlyDistinct(values) ? 0 : values.length >>> 1;
  let counting = maxDistinct > 0;
  let dictionaryBytes = 0;
  let plainBytes = 0;
  let nonNull = 0;
  let min: string | undefined;
  let max: string | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') {
      nonNull++;
      plainBytes += value.length + 4;
      if (counting) {
        if (!distinct.has(value)) {
          distinct.set(value, true);
          dictionaryBytes += value.length + 4;
          if (distinct.size > maxDistinct) counting = false;
        }
      } else {
        // Not a dictionary column: track min/max per value (UTF-16 order, checked below).
        if (min === undefined || value < min) min = value;
        if (max === undefined || value > max) max = value;
      }
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
  if (useDictionary) return { data: values as DecodedArray, encoding: 'RLE_DICTIONARY', statistics };
  return { data: encodeUtf8(strings), encoding: 'PLAIN', statistics };
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

/** UTF-8 bytes of each string, as views into one buffer; null stays null. */
function encodeUtf8(values: readonly (string | null | undefined)[]): (Uint8Array | null)[] {
  const out = new Array<Uint8Array | null>(values.length);
  // join() turns null and undefined into '', so the offsets below line up with the values.
  const joined = values.join('');
  const bytes = Buffer.from(joined, 'utf8');
  if (bytes.length === joined.length) {
    // Pure ASCII: one byte per UTF-16 code unit, so each value's bytes start where its characters do.
    let offset = bytes.byteOffset;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value === null || value === undefined) {
        out[i] = null;
      } else {
        out[i] = new Uint8Array(bytes.buffer, offset, value.length);
        offset += value.length;
      }
    }
    return out;
  }
  // Encoded one by one, values can take more bytes than the joined text (a lone surrogate at the end of
  // one value and the start of the next), never more than 3 bytes per UTF-16 code unit.
  const buffer = Buffer.allocUnsafe(joined.length * 3);
  let offset = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      out[i] = null;
    } else {
      const length = buffer.write(value, offset, 'utf8');
      out[i] = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
      offset += length;
    }
  }
  return out;
}
