/**
 * String columns, PLAIN or dictionary-encoded: from a `StringColumnBuffer` (what ingest fills row by
 * row) or from an array of JS values (everything else that writes Parquet).
 */
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

/** Sample size for the early "this is an id column" test. */
const SAMPLE_SIZE = 4096;

/**
 * Distinct values past which a buffer stops counting and keeps PLAIN bytes: its dictionary would hold
 * more strings on the heap than the row group is worth, and could hardly halve the column's size.
 */
const MAX_ENTRIES = 1 << 16;

/**
 * Values after which a buffer notes the dictionary index of each value code: a day with a few rows (a
 * file can span thousands) keeps no table of codes, a busy one finds its values by code.
 */
const CODED_AFTER = 1024;

/**
 * Values shorter than this are kept as strings for min and max: in V8, a cell of 13 characters or more is
 * a slice of its 1 MB chunk of the file, which a kept string would keep alive.
 */
const SHORT_TEXT = 13;

/** Distinct values up to which a value is found by comparing it with each (see TextMemo). */
const FEW_ENTRIES = 8;

const NO_INDEXES = new Int32Array(0);
const NO_BYTES = Buffer.alloc(0);

/** What the buffers of one string column share (see `StringColumnBuffer`). */
export interface StringColumnHint {
  /** True once a buffer of the column found it to be an id column. */
  idColumn: boolean;
}

/**
 * One string column's rows of a row group, buffered as ingest adds them, outside the JS heap.
 *
 * Each value is counted into a dictionary (a Map of the distinct strings and an Int32Array of indexes)
 * while a dictionary may pay. A column that proves to be an id column (its first `SAMPLE_SIZE` values at
 * least 95% distinct, or more than `MAX_ENTRIES` distinct values) is kept as its PLAIN bytes instead.
 * Either way a buffered row costs a few bytes of typed array rather than a string reference that the
 * garbage collector traces and promotes. Buffered strings were most of ingest's heap, and the reason its
 * peak grew with the size of its row groups (1M rows: 227 -> 182 MB peak RSS; 4M rows: 252 -> 194 MB).
 *
 * Unlike the array path, which samples a whole row group, the id-column test sees only the first
 * values: a column whose first 4,096 values are distinct but repeat later is written PLAIN.
 */
export class StringColumnBuffer {
  /** Rows, nulls included. */
  length = 0;
  /** Null rows. */
  nulls = 0;
  /** `isNull[i]` is 1 for a null row; rows past its end are not null. Undefined while there is none. */
  isNull: Uint8Array | undefined;
  /** Row of the first null, for the error of a required column. */
  firstNull = -1;
  /** The PLAIN size the dictionary rule compares with: UTF-16 length plus 4 per non-null value. */
  plainSize = 0;

  /** Dictionary form, while `entries` is defined: the distinct values in order of first use. */
  entries: string[] | undefined;
  /** Size of `entries` as the dictionary rule counts it (as `plainSize`). */
  entrySize = 0;
  /** Dictionary index of each non-null value. */
  indexes = NO_INDEXES;
  private positions: Map<string, number> | undefined;
  /** Dictionary index of each value code seen (-1: not seen); see `push`. */
  private byCode = NO_INDEXES;
  private last: string | undefined;
  private lastIndex = 0;

  /** PLAIN form, once `entries` is undefined: the non-null values, each a 4-byte length and UTF-8. */
  plain = NO_BYTES;
  plainLength = 0;
  /**
   * Least and greatest value of the PLAIN form (UTF-8 byte order, Parquet's), as ranges of `plain`. A short
   * value that JS comparison orders correctly is also kept as a string, compared without a native call;
   * any other is compared by its bytes, so a long one is neither copied nor keeps its chunk of the file.
   */
  private minAt = -1;
  private minEnd = 0;
  private minText: string | undefined;
  private maxAt = -1;
  private maxEnd = 0;
  private maxText: string | undefined;

  /**
   * @param hint what the buffers of one column learn about it, shared: once one of them finds an id
   *   column, the buffers made after it start in the PLAIN form (no dictionary to build and drop again).
   */
  constructor(private readonly hint: StringColumnHint = { idColumn: false }) {
    if (!hint.idColumn) {
      this.entries = [];
      this.positions = new Map();
    }
  }

  /**
   * Empties the buffer for the next row group, keeping the capacity of its typed arrays (a busy day's
   * next row group needs as much; the garbage of a fresh buffer's doublings was what made RSS swing).
   * The dictionary starts again, unless the column is known to be an id column by now.
   */
  reset(): void {
    this.length = 0;
    this.nulls = 0;
    this.isNull?.fill(0);
    this.firstNull = -1;
    this.plainSize = 0;
    if (this.hint.idColumn) {
      this.entries = undefined;
      this.positions = undefined;
      this.indexes = NO_INDEXES;
      this.byCode = NO_INDEXES;
    } else {
      this.entries = [];
      this.positions = new Map();
      this.byCode.fill(-1);
    }
    this.entrySize = 0;
    this.last = undefined;
    this.lastIndex = 0;
    this.plainLength = 0;
    this.minAt = this.maxAt = -1;
    this.minEnd = this.maxEnd = 0;
  }

  /**
   * Adds one row's value. `code`, when not -1, stands for the value (the validator's memo entry: equal
   * codes, equal values): a buffer of some size finds the dictionary entry of a code it has seen in an
   * Int32Array, where hashing the string was most of the cost of a row's strings.
   */
  push(value: unknown, column: ParquetColumn, code = -1): void {
    if (typeof value === 'string') {
      const n = this.length - this.nulls;
      this.length++;
      this.plainSize += value.length + 4;
      const entries = this.entries;
      if (entries === undefined) {
        this.append(value);
        return;
      }
      let index: number | undefined;
      const byCode = this.byCode;
      if (code >= 0 && code < byCode.length && byCode[code]! >= 0) {
        index = byCode[code];
      } else if (value === this.last) {
        index = this.lastIndex;
      } else if (entries.length <= FEW_ENTRIES) {
        // A channel, a status: comparing with each entry is cheaper than hashing.
        for (let e = 0; e < entries.length; e++) {
          if (entries[e] === value) {
            index = e;
            break;
          }
        }
      } else {
        index = this.positions!.get(value);
      }
      if (index === undefined) {
        index = entries.length;
        // Kept as it is: the entries live no longer than the buffer, which held every value before.
        entries.push(value);
        this.positions!.set(value, index);
        this.entrySize += value.length + 4;
      }
      if (n === this.indexes.length) {
        const indexes = new Int32Array(Math.max(64, 2 * n));
        indexes.set(this.indexes);
        this.indexes = indexes;
      }
      this.indexes[n] = index;
      this.last = value;
      this.lastIndex = index;
      if (code >= 0 && n >= CODED_AFTER) this.remember(code, index);
      if ((n + 1 === SAMPLE_SIZE && entries.length >= 0.95 * SAMPLE_SIZE) || entries.length > MAX_ENTRIES) {
        this.toPlain();
        this.hint.idColumn = true;
      }
    } else if (value === null || value === undefined) {
      const row = this.length++;
      if (this.firstNull < 0) this.firstNull = row;
      this.nulls++;
      if (this.isNull === undefined || row >= this.isNull.length) {
        const isNull = new Uint8Array(Math.max(64, 2 * (row + 1)));
        if (this.isNull) isNull.set(this.isNull);
        this.isNull = isNull;
      }
      this.isNull[row] = 1;
    } else {
      throw new ParquetWriteError(
        `column ${column.name} (${column.type}) expects a string, got ${typeof value} ${String(value)}`,
      );
    }
  }

  /** Notes that `code` stands for dictionary entry `index`. */
  private remember(code: number, index: number): void {
    if (code >= this.byCode.length) {
      const byCode = new Int32Array(Math.max(code + 1, 2 * this.byCode.length, 64)).fill(-1);
      byCode.set(this.byCode);
      this.byCode = byCode;
    }
    this.byCode[code] = index;
  }

  /** Leaves the dictionary form: the values so far become PLAIN bytes. */
  private toPlain(): void {
    const entries = this.entries!;
    const n = this.length - this.nulls;
    // The new value is already counted.
    for (let i = 0; i < n; i++) this.append(entries[this.indexes[i]!]!);
    this.entries = undefined;
    this.positions = undefined;
    this.indexes = NO_INDEXES;
    this.byCode = NO_INDEXES;
    this.last = undefined;
  }

  /** Least and greatest value of the PLAIN form, or undefined when it has none. */
  bounds(): [string, string] | undefined {
    if (this.minAt < 0) return undefined;
    return [
      this.minText ?? this.plain.toString('utf8', this.minAt, this.minEnd),
      this.maxText ?? this.plain.toString('utf8', this.maxAt, this.maxEnd),
    ];
  }

  /** Appends one value to the PLAIN bytes and to the min/max. */
  private append(value: string): void {
    const length = value.length;
    const needed = this.plainLength + 4 + 3 * length;
    if (needed > this.plain.length) {
      const plain = Buffer.allocUnsafe(Math.max(1024, needed, 2 * this.plain.length));
      this.plain.copy(plain, 0, 0, this.plainLength);
      this.plain = plain;
    }
    const buffer = this.plain;
    const start = this.plainLength + 4;
    const end = writeUtf8(buffer, value, start);
    // As many bytes as UTF-16 units only for ASCII.
    const ascii = end - start === length;
    buffer.writeUInt32LE(end - start, start - 4);
    this.plainLength = end;
    // Short, and ordered by JS comparison as by its bytes (no surrogate, nothing at or above U+E000).
    const text = length < SHORT_TEXT && (ascii || !needsCodePointOrder(value)) ? value : undefined;
    if (this.minAt < 0) {
      this.minAt = this.maxAt = start;
      this.minEnd = this.maxEnd = end;
      this.minText = this.maxText = text;
      return;
    }
    const { minText, maxText } = this;
    if (
      text !== undefined && minText !== undefined
        ? text < minText
        : buffer.compare(buffer, this.minAt, this.minEnd, start, end) < 0
    ) {
      this.minAt = start;
      this.minEnd = end;
      this.minText = text;
    }
    if (
      text !== undefined && maxText !== undefined
        ? text > maxText
        : buffer.compare(buffer, this.maxAt, this.maxEnd, start, end) > 0
    ) {
      this.maxAt = start;
      this.maxEnd = end;
      this.maxText = text;
    }
  }
}

/** The column chunk of a buffered string column: its dictionary when that pays, else its PLAIN bytes. */
export function stringBufferColumn(at: Position, values: StringColumnBuffer): EncodedColumn {
  const { length: rows, nulls, isNull, entries } = values;
  if (nulls > 0 && at.column.required === true) throw missingValue(at, values.firstNull);
  const nonNull = rows - nulls;
  const defined = nulls > 0 && isNull !== undefined ? definedOf(isNull, rows) : undefined;
  const statistics: EncodedColumn['statistics'] = { null_count: BigInt(nulls) };
  if (entries === undefined) {
    const bounds = values.bounds();
    if (bounds !== undefined) {
      statistics.min_value = bounds[0];
      statistics.max_value = bounds[1];
    }
    return {
      rows,
      nulls,
      encoding: 'PLAIN',
      plain: values.plain.subarray(0, values.plainLength),
      defined,
      statistics,
    };
  }
  const bounds = stringBounds(entries);
  if (bounds !== undefined) {
    statistics.min_value = bounds[0];
    statistics.max_value = bounds[1];
  }
  const dictionary = plainStrings(entries, values.entrySize - 4 * entries.length);
  const indexes = values.indexes.subarray(0, nonNull);
  if (dictionaryPays(values.entrySize, entries.length, nonNull, values.plainSize)) {
    return {
      rows,
      nulls,
      encoding: 'RLE_DICTIONARY',
      dictionary: { bytes: dictionary, size: entries.length },
      indexes,
      defined,
      statistics,
    };
  }
  return {
    rows,
    nulls,
    encoding: 'PLAIN',
    plain: plainOfIndexes(dictionary, entries.length, indexes),
    defined,
    statistics,
  };
}

/** PLAIN bytes of the values `indexes` picks from a PLAIN-encoded dictionary of `size` values. */
function plainOfIndexes(dictionary: Uint8Array, size: number, indexes: Int32Array): Uint8Array {
  const starts = new Int32Array(size + 1);
  let at = 0;
  for (let i = 0; i < size; i++) {
    starts[i] = at;
    at +=
      4 +
      (dictionary[at]! |
        (dictionary[at + 1]! << 8) |
        (dictionary[at + 2]! << 16) |
        (dictionary[at + 3]! << 24));
  }
  starts[size] = at;
  let total = 0;
  for (let i = 0; i < indexes.length; i++) total += starts[indexes[i]! + 1]! - starts[indexes[i]!]!;
  const plain = new Uint8Array(total);
  let to = 0;
  for (let i = 0; i < indexes.length; i++) {
    const from = starts[indexes[i]!]!;
    const end = starts[indexes[i]! + 1]!;
    plain.set(dictionary.subarray(from, end), to);
    to += end - from;
  }
  return plain;
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
export function stringColumn(at: Position, values: readonly unknown[]): EncodedColumn {
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
  const useDictionary = counting && dictionaryPays(dictionaryBytes, distinct.size, nonNull, plainBytes);

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
  // The bytes as written: UTF-8 order is code point order, and an unpaired surrogate is written (and so
  // must be ordered) as U+FFFD, not by its code unit.
  return Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8'));
}

/**
 * PLAIN BYTE_ARRAY encoding of the non-null strings: a 4-byte little-endian length, then the UTF-8 bytes.
 * `chars` is their total length in UTF-16 code units.
 */
function plainStrings(values: readonly (string | null | undefined)[], chars: number): Uint8Array {
  let count = 0;
  for (let i = 0; i < values.length; i++) if (typeof values[i] === 'string') count++;
  const buffer = Buffer.allocUnsafe(4 * count + 3 * chars);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'string') continue;
    const end = writeUtf8(buffer, value, at + 4);
    buffer.writeUInt32LE(end - at - 4, at);
    at = end;
  }
  return buffer.subarray(0, at);
}

/**
 * Writes `value` as UTF-8 at `start` (room for 3 bytes a UTF-16 unit) and returns where it ends. ASCII is
 * copied by a char-code loop (a native encode call per short value costs more); a value with other
 * characters is encoded by Buffer#write, which writes a lone surrogate as U+FFFD like TextEncoder.
 */
function writeUtf8(buffer: Buffer, value: string, start: number): number {
  let end = start;
  for (let c = 0; c < value.length; c++) {
    const code = value.charCodeAt(c);
    if (code >= 0x80) return start + buffer.write(value, start, 'utf8');
    buffer[end++] = code;
  }
  return end;
}
