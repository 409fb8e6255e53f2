/**
 * What the column encoders share: the encoded form of one column chunk, and how they name a bad value.
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
  /** When there are nulls: 1 for a value, 0 for a null, per row (the definition levels). */
  readonly defined?: Uint8Array;
  readonly statistics: Statistics & { nan_count?: bigint };
}

/** Where a value sits, for error messages. */
export interface Position {
  readonly column: ParquetColumn;
  readonly rowGroup: number;
}

export function badValue(at: Position, row: number, value: unknown, expected: string): ParquetWriteError {
  const shown = typeof value === 'string' ? `'${value}'` : `${typeof value} ${String(value)}`;
  return new ParquetWriteError(
    `row group ${at.rowGroup}, row ${row}: column ${at.column.name} (${at.column.type}) expects ${expected}, got ${shown}`,
  );
}

export function missingValue(at: Position, row: number): ParquetWriteError {
  return new ParquetWriteError(
    `row group ${at.rowGroup}, row ${row}: column ${at.column.name} is required but the value is null; ` +
      'quarantine the row or declare the column optional',
  );
}

/** Bits needed to index `count` dictionary entries. */
export function bitWidth(count: number): number {
  return count <= 1 ? 0 : 32 - Math.clz32(count - 1);
}

/** Definition levels of a column with nulls: 1 for a value, 0 for a null (rows past `isNull`'s end are values). */
export function definedOf(isNull: Uint8Array, length: number): Uint8Array {
  const defined = new Uint8Array(length);
  for (let i = 0; i < length; i++) defined[i] = isNull[i] === 1 ? 0 : 1;
  return defined;
}

/** Definition levels of JS values with `nulls` nulls, or undefined when there is none. */
export function definedOfValues(values: readonly unknown[], nulls: number): Uint8Array | undefined {
  if (nulls === 0) return undefined;
  const defined = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) defined[i] = values[i] === null || values[i] === undefined ? 0 : 1;
  return defined;
}

/** True when the dictionary (its PLAIN bytes plus bit-packed indexes) takes at most half of the PLAIN bytes. */
export function dictionaryPays(dictionaryBytes: number, size: number, values: number, plainBytes: number) {
  return values > 0 && 2 * (dictionaryBytes + Math.ceil((values * bitWidth(size)) / 8)) <= plainBytes;
}
