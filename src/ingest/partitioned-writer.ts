import { join } from 'node:path';
import {
  type ColumnValues,
  type FileSink,
  fileSink,
  type ParquetColumn,
  ParquetPartWriter,
  ParquetWriteError,
  StringColumnBuffer,
  type StringColumnHint,
} from '../parquet/part-writer';

/** Rows per Parquet row group: ~128k, the size Athena and DuckDB scan well. */
export const ROW_GROUP_SIZE = 131_072;

/**
 * Bytes of values all partitions' buffers hold at most, counted as a string's length plus 4 and 8 per
 * number: a row group of wide rows (a 1 KB note each) ends before its 131k rows, so memory does not
 * grow with the width of the rows (300k rows of 1.1 KB, 335 MB of CSV, peaked at 492 MB RSS with rows
 * alone bounding the buffers, 207-220 MB with this bound and the reused buffers). Narrow rows (the
 * transactions, about 110 bytes so counted) reach the row count first.
 */
export const ROW_GROUP_BYTES = 32 * 1024 * 1024;

/**
 * Part files one writer keeps open at once. A Lambda function gets 1,024 file descriptors and an ingest
 * runs two writers (curated and quarantine) beside the S3 client's sockets; a file spanning five years
 * has about 1,800 days.
 */
export const MAX_OPEN_PARTS = 64;

/** One finished Parquet file in the staging folder, waiting to be committed to the lake. */
export interface StagedPart {
  readonly day: number;
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * A number column's rows of one partition: a typed array grown by doubling, so its values are neither
 * boxed nor traced by the garbage collector while they wait for their row group.
 */
class NumberBuffer {
  numbers = NO_NUMBERS;
  isNull: Uint8Array | undefined;
  length = 0;

  push(value: unknown, column: ParquetColumn): void {
    if (this.length === this.numbers.length) this.grow();
    if (typeof value === 'number') {
      this.numbers[this.length++] = value;
    } else if (value === null || value === undefined) {
      this.isNull ??= new Uint8Array(this.numbers.length);
      this.isNull[this.length++] = 1;
    } else {
      throw new ParquetWriteError(
        `column ${column.name} (${column.type}) expects a number, got ${typeof value} ${String(value)}`,
      );
    }
  }

  /** Empties the buffer for the next row group, keeping its capacity. */
  reset(): void {
    this.length = 0;
    this.isNull?.fill(0);
  }

  private grow(): void {
    const numbers = new Float64Array(Math.max(FIRST_CAPACITY, this.numbers.length * 2));
    numbers.set(this.numbers);
    this.numbers = numbers;
    if (this.isNull) {
      const isNull = new Uint8Array(numbers.length);
      isNull.set(this.isNull);
      this.isNull = isNull;
    }
  }
}

/**
 * Rows a number buffer holds once it gets its first value; it doubles as rows come. Until then it holds
 * nothing, so thousands of day partitions with a few rows each cost next to no memory.
 */
const FIRST_CAPACITY = 64;
const NO_NUMBERS = new Float64Array(0);

/** How a column's rows wait for their row group: typed numbers, buffered strings, or JS values (booleans). */
type ColumnBuffer = NumberBuffer | StringColumnBuffer | unknown[];

enum Held {
  Numbers,
  Strings,
  Values,
}

interface PartitionBuffer {
  readonly day: number;
  /** Bytes of the buffered rows, as `ROW_GROUP_BYTES` counts them. */
  bytes: number;
  /** Undefined from a row group written until the partition's next row. */
  columns: ColumnBuffer[] | undefined;
  rows: number;
  writer?: ParquetPartWriter;
  sink?: FileSink;
  written: number;
}

/**
 * Buffers rows per day partition and writes each partition as one Parquet file in a local staging
 * folder, one row group at a time. Memory is bounded: a row group ends at `rowGroupSize` rows, and
 * when all buffers together hold more than `maxBufferedRows` (one row group by default) or
 * `rowGroupBytes` bytes of values, the largest is written out as a (smaller) row group, so a file
 * spanning many days never holds more than about one row group of rows, however wide they are.
 *
 * File descriptors are bounded too: at most `maxOpenParts` part files are open at once. Writing to
 * another one first closes the least recently written (its bytes so far are on disk, its footer is
 * still to come); it is reopened to append when its day gets its next row group. Each day stays one
 * Parquet file, so its name and the manifest do not depend on how many days the source file spans.
 */
export class PartitionedWriter {
  private readonly buffers = new Map<number, PartitionBuffer>();
  private buffered = 0;
  /** Bytes of the buffered rows of all partitions, as `ROW_GROUP_BYTES` counts them. */
  private bufferedBytes = 0;
  /** What a row's number columns count for `ROW_GROUP_BYTES`: 8 each. */
  private readonly numberBytes: number;
  private last: PartitionBuffer | undefined;
  /** Partitions whose part file is open, least recently written first (a Set keeps insertion order). */
  private readonly openParts = new Set<PartitionBuffer>();
  private readonly maxOpenParts: number;
  private readonly width: number;
  /** For each Parquet column: its index among the varying values, or -1 when it is a constant. */
  private readonly varyingIndex: readonly number[];
  /** The varying columns, in `add` order. */
  private readonly varyingColumns: readonly ParquetColumn[];
  /** For each varying column: how its rows are held. */
  private readonly held: readonly Held[];
  /** For each varying string column: what its buffers learnt about it (an id column?), across days. */
  private readonly stringHints: readonly StringColumnHint[];

  /**
   * @param columns the Parquet columns, in file order
   * @param constants values of columns that are the same for the whole file (e.g. the source key), by name;
   *   `add` receives the other columns' values, in file order
   * @param stagingDir local folder for the part files
   * @param name file name stem inside `stagingDir/<day>/`
   */
  constructor(
    private readonly columns: readonly ParquetColumn[],
    private readonly constants: Readonly<Record<string, unknown>>,
    private readonly stagingDir: string,
    private readonly name: string,
    private readonly options: {
      /** @default ROW_GROUP_SIZE */
      rowGroupSize?: number;
      /** @default - the row group size */
      maxBufferedRows?: number;
      /** Bytes of values (see `ROW_GROUP_BYTES`) all buffers together hold at most. @default ROW_GROUP_BYTES */
      rowGroupBytes?: number;
      /** Part files open at once; `Infinity` keeps every day's file open until `finish()`. @default MAX_OPEN_PARTS */
      maxOpenParts?: number;
      kvMetadata?: Record<string, string>;
    } = {},
  ) {
    this.maxOpenParts = options.maxOpenParts ?? MAX_OPEN_PARTS;
    if (!(this.maxOpenParts >= 1)) {
      throw new RangeError(
        `maxOpenParts must be at least 1, got ${this.maxOpenParts}: a part file must be open to be written`,
      );
    }
    let varying = 0;
    this.varyingIndex = columns.map((c) => (c.name in constants ? -1 : varying++));
    this.width = varying;
    this.varyingColumns = columns.filter((c) => !(c.name in constants));
    this.held = this.varyingColumns.map((c) =>
      c.type === 'string' ? Held.Strings : c.type === 'boolean' ? Held.Values : Held.Numbers,
    );
    this.stringHints = this.varyingColumns.map(() => ({ idColumn: false }));
    this.numberBytes = 8 * this.held.filter((held) => held !== Held.Strings).length;
  }

  /**
   * The buffers of a row group written, emptied, with their capacity: the next new partition takes
   * them, or the partition they came from when its rows go on, so the row groups of a time-ordered
   * file fill the same buffers one after another instead of each growing its own by doubling (the
   * garbage of those doublings is what made peak RSS swing). What a day has left after a full row
   * group does not hold them until the end of the file: a new day writes it first (see `add`). Not
   * to other partitions, which would keep a row group's capacity for a few rows. One set at most.
   */
  private spare: ColumnBuffer[] | undefined;
  /** The partition whose row group left the spare set. */
  private spareFrom: PartitionBuffer | undefined;

  private newColumns(): ColumnBuffer[] {
    return this.held.map((held, i) =>
      held === Held.Numbers
        ? new NumberBuffer()
        : held === Held.Strings
          ? new StringColumnBuffer(this.stringHints[i])
          : [],
    );
  }

  private get rowGroupSize(): number {
    return this.options.rowGroupSize ?? ROW_GROUP_SIZE;
  }

  private get rowGroupBytes(): number {
    return this.options.rowGroupBytes ?? ROW_GROUP_BYTES;
  }

  /**
   * Adds one row; `values` holds the non-constant columns in order (it is copied, so it can be reused),
   * and `codes`, when given, the value code of each (see `StringColumnBuffer.push`), or -1.
   * Returns a Promise only when the row completed a row group that is being written: await it before the
   * next `add` (`await` on the result works either way). Most rows return undefined, which spares the
   * ingest loop a Promise and a microtask per row.
   */
  add(day: number, values: readonly unknown[], codes?: Int32Array): Promise<void> | undefined {
    let buffer = this.last;
    if (buffer?.day !== day) {
      const previous = buffer;
      buffer = this.buffers.get(day);
      if (!buffer) {
        // A new day after one that filled a row group (a time-ordered file): the earlier day's last
        // rows are written now, as they would be at the end, and its buffers go to the new day.
        if (previous !== undefined && previous.written > 0 && previous.rows > 0) {
          return this.flush(previous).then(() => this.add(day, values, codes));
        }
        buffer = { day, columns: undefined, rows: 0, bytes: 0, written: 0 };
        this.buffers.set(day, buffer);
      }
      this.last = buffer;
    }
    let columns = buffer.columns;
    if (columns === undefined) {
      // The spare set goes to a new day, or back to the day it came from (a day of many row groups).
      const spare = this.spare;
      if (spare !== undefined && (buffer.written === 0 || this.spareFrom === buffer)) {
        columns = spare;
        this.spare = undefined;
      } else {
        columns = this.newColumns();
      }
      buffer.columns = columns;
    }
    const held = this.held;
    let bytes = this.numberBytes;
    for (let i = 0; i < this.width; i++) {
      const kind = held[i];
      const value = values[i];
      if (kind === Held.Numbers) (columns[i] as NumberBuffer).push(value, this.varyingColumns[i]!);
      else if (kind === Held.Strings) {
        (columns[i] as StringColumnBuffer).push(value, this.varyingColumns[i]!, codes ? codes[i]! : -1);
        if (typeof value === 'string') bytes += value.length + 4;
      } else (columns[i] as unknown[]).push(value);
    }
    buffer.rows++;
    buffer.bytes += bytes;
    this.buffered++;
    this.bufferedBytes += bytes;
    if (buffer.rows >= this.rowGroupSize) return this.flush(buffer);
    if (this.buffered > (this.options.maxBufferedRows ?? this.rowGroupSize)) {
      let largest = buffer;
      for (const candidate of this.buffers.values()) if (candidate.rows > largest.rows) largest = candidate;
      return this.flush(largest);
    }
    if (this.bufferedBytes > this.rowGroupBytes) {
      let largest = buffer;
      for (const candidate of this.buffers.values()) if (candidate.bytes > largest.bytes) largest = candidate;
      return this.flush(largest);
    }
    return undefined;
  }

  private async flush(buffer: PartitionBuffer): Promise<void> {
    if (buffer.rows === 0) return;
    await this.holdOpen(buffer);
    if (!buffer.writer) {
      buffer.sink = fileSink(this.partPath(buffer.day));
      buffer.writer = new ParquetPartWriter(buffer.sink, this.columns, {
        kvMetadata: this.options.kvMetadata,
      });
    }
    const { rows } = buffer;
    const columns = buffer.columns!;
    await buffer.writer.writeRowGroup(
      this.columns.map((column, i): ColumnValues => {
        const j = this.varyingIndex[i]!;
        if (j >= 0) return columns[j]!;
        return { constant: this.constants[column.name], length: rows };
      }),
    );
    this.buffered -= buffer.rows;
    this.bufferedBytes -= buffer.bytes;
    buffer.bytes = 0;
    buffer.written += buffer.rows;
    buffer.rows = 0;
    // The written group's bytes are in the part file: its buffers become the spare set, and a partition
    // that waits for its next row holds none.
    buffer.columns = undefined;
    if (this.spare === undefined) {
      for (const column of columns) {
        if (Array.isArray(column)) column.length = 0;
        else column.reset();
      }
      this.spare = columns;
      this.spareFrom = buffer;
    }
  }

  /**
   * Makes room for `buffer`'s part file among the open ones, closing the least recently written, and
   * marks it as the most recently written. Its sink opens (or reopens to append) on its next write.
   */
  private async holdOpen(buffer: PartitionBuffer): Promise<void> {
    if (this.openParts.delete(buffer)) {
      this.openParts.add(buffer);
      return;
    }
    while (this.openParts.size >= this.maxOpenParts) {
      const [oldest] = this.openParts;
      this.openParts.delete(oldest!);
      await oldest!.sink?.release();
    }
    this.openParts.add(buffer);
  }

  private partPath(day: number): string {
    return join(this.stagingDir, String(day), `${this.name}.parquet`);
  }

  /** Writes what is left and closes every file; returns the staged parts in day order. */
  async finish(): Promise<StagedPart[]> {
    const parts: StagedPart[] = [];
    for (const buffer of [...this.buffers.values()].sort((a, b) => a.day - b.day)) {
      await this.flush(buffer);
      if (!buffer.writer) continue;
      await this.holdOpen(buffer);
      const totals = await buffer.writer.finish();
      this.openParts.delete(buffer);
      parts.push({
        day: buffer.day,
        path: this.partPath(buffer.day),
        rows: totals.rows,
        bytes: totals.bytes,
      });
    }
    return parts;
  }
}
