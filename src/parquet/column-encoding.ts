/**
 * From the validator's column arrays to the bytes of a Parquet data page: the physical values, PLAIN or
 * dictionary-encoded, and the chunk statistics, each computed in one tight loop over the JS values.
 * (hyparquet-writer's own column path copies every column several times, boxes every INT64 value as a
 * bigint and builds a dictionary Map for every column; it was about a third of ingest time.)
 */

import type { ColumnType } from '../contract/types';
import {
  badValue,
  definedOf,
  definedOfValues,
  dictionaryPays,
  type EncodedColumn,
  missingValue,
  type ParquetColumn,
  type Position,
} from './encoded-column';
import { ParquetWriteError } from './errors';
import { StringColumnBuffer, stringBufferColumn, stringColumn } from './string-column';

export type { EncodedColumn, ParquetColumn } from './encoded-column';
export { StringColumnBuffer } from './string-column';

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

/**
 * One value for every row of the group (an ingested file's source key and load time): written as a
 * dictionary of that value and a run of index 0, with no array of `length` values built.
 */
export interface ConstantColumnValues {
  readonly constant: unknown;
  readonly length: number;
}

/**
 * A row group's values of one column: JS values (any type); or, as ingest buffers them, typed numbers for
 * number types and a `StringColumnBuffer` for strings; or a constant.
 */
export type ColumnValues =
  | readonly unknown[]
  | NumberColumnValues
  | StringColumnBuffer
  | ConstantColumnValues;

/** True for typed number values. */
export function isNumberColumnValues(values: ColumnValues): values is NumberColumnValues {
  return !Array.isArray(values) && !(values instanceof StringColumnBuffer) && 'numbers' in values;
}

function isConstantColumnValues(values: ColumnValues): values is ConstantColumnValues {
  return !Array.isArray(values) && !(values instanceof StringColumnBuffer) && 'constant' in values;
}

/** Sample size of the "is a dictionary worth building" test for numbers (as hyparquet-writer does it). */
const DICTIONARY_SAMPLE = 1000;

const MICROS_PER_MILLI = 1000;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
/** Converts one column of a row group (see `EncodedColumn`). Throws `ParquetWriteError` on a value of the wrong type. */
export function encodeColumn(column: ParquetColumn, values: ColumnValues, rowGroup: number): EncodedColumn {
  const at: Position = { column, rowGroup };
  if (values instanceof StringColumnBuffer) {
    if (column.type !== 'string') {
      throw new ParquetWriteError(
        `row group ${rowGroup}: column ${column.name} (${column.type}) was given buffered strings`,
      );
    }
    return stringBufferColumn(at, values);
  }
  if (isConstantColumnValues(values)) return constantColumn(column, values, rowGroup);
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

/** Index 0 for every row of a constant column, shared (never written to). */
let zeros = new Int32Array(0);

/**
 * A constant column: its one value encoded (and checked) as a column of one row, which gives the
 * dictionary page and the statistics, then index 0 for every row. A null, NaN or boolean constant is
 * written as its values would be (readers do not expect dictionary-encoded booleans).
 */
function constantColumn(
  column: ParquetColumn,
  values: ConstantColumnValues,
  rowGroup: number,
): EncodedColumn {
  const { constant, length: rows } = values;
  // NaN too: its statistics count NaNs, one per row.
  if (constant === null || constant === undefined || column.type === 'boolean' || Number.isNaN(constant)) {
    return encodeColumn(column, new Array(rows).fill(constant), rowGroup);
  }
  const one = encodeColumn(column, [constant], rowGroup);
  if (rows > zeros.length) zeros = new Int32Array(Math.max(rows, 2 * zeros.length));
  return {
    rows,
    nulls: 0,
    encoding: 'RLE_DICTIONARY',
    dictionary: one.dictionary ?? { bytes: one.plain!, size: 1 },
    indexes: zeros.subarray(0, rows),
    defined: undefined,
    statistics: one.statistics,
  };
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
  if (!dictionaryPays(size * format.width, size, nonNull, nonNull * format.width)) return plain();
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
