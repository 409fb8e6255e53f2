/**
 * The Parquet part writer: turns column arrays (what the validator produces) into one Parquet file,
 * one row group at a time, streaming the encoded bytes to a sink. Used for curated and quarantine parts.
 *
 * It wraps hyparquet-writer's incremental `ParquetWriter` (pure JS, no native code) and owns the
 * mapping from contract types to Parquet types, so that mapping is written once, here.
 */
import { gzipSync } from 'node:zlib';
import type { CompressionCodec, SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ColumnType } from '../contract/types';
import type { ByteSink } from './byte-sink';
import { type PageCompressor, writeColumnChunk } from './column-chunk';
import { type ColumnValues, type EncodedColumn, encodeColumn, type ParquetColumn } from './column-encoding';
import { ParquetSinkError, ParquetWriteError } from './errors';
import { snappyCompress } from './snappy';

export { type ByteSink, type FileSink, fileSink, memorySink } from './byte-sink';
export type { ColumnValues, NumberColumnValues, ParquetColumn } from './column-encoding';
export { ParquetSinkError, ParquetWriteError } from './errors';
export { StringColumnBuffer, type StringColumnHint } from './string-column';

/** Compression codecs the writer can produce without a native dependency. */
export type ParquetCodec = 'SNAPPY' | 'GZIP' | 'UNCOMPRESSED';

export interface PartWriterOptions {
  /**
   * Page compression. SNAPPY is what Athena, Spark and DuckDB expect by default; GZIP gives smaller
   * files for cold data at several times the CPU cost (node:zlib, no extra dependency). ZSTD is not
   * offered: Node 20 has no zstd in node:zlib and the JS/WASM ports are heavy.
   * @default 'SNAPPY'
   */
  readonly codec?: ParquetCodec;
  /**
   * Key/value pairs stored in the file footer (e.g. the contract version, the source key).
   * @default - none
   */
  readonly kvMetadata?: Readonly<Record<string, string>>;
  /**
   * The footer's `created_by`.
   * @default 'ledgerlake'
   */
  readonly createdBy?: string;
  /**
   * Min/max/null-count statistics per column chunk, which let Athena and DuckDB skip row groups.
   * @default true
   */
  readonly statistics?: boolean;
}

/** What `finish()` reports about the written part. */
export interface PartTotals {
  readonly rows: number;
  /** Size of the whole file in bytes. */
  readonly bytes: number;
  readonly rowGroups: number;
}

/**
 * The Parquet type of each contract type.
 * - decimal(18,2): INT64 holding the unscaled cents, DECIMAL(18,2) as converted and logical type.
 * - timestamp: INT64 microseconds, UTC-adjusted (`isAdjustedToUTC = true`, legacy TIMESTAMP_MICROS).
 *   MICROS rather than MILLIS because it is what DuckDB and Spark write, so parts from either writer
 *   share one physical type; never NANOS, which Athena's Hive reader mishandles.
 */
const PARQUET_TYPES: Readonly<Record<ColumnType, Omit<SchemaElement, 'name' | 'repetition_type'>>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  integer: { type: 'INT32' },
  double: { type: 'DOUBLE' },
  'decimal(18,2)': {
    type: 'INT64',
    converted_type: 'DECIMAL',
    precision: 18,
    scale: 2,
    logical_type: { type: 'DECIMAL', precision: 18, scale: 2 },
  },
  date: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
  timestamp: {
    type: 'INT64',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  },
  boolean: { type: 'BOOLEAN' },
};

/** The Parquet schema (root first, then one leaf per column) for these columns. */
export function parquetSchema(columns: readonly ParquetColumn[]): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map(
      (column): SchemaElement => ({
        name: column.name,
        repetition_type: column.required === true ? 'REQUIRED' : 'OPTIONAL',
        ...PARQUET_TYPES[column.type],
      }),
    ),
  ];
}

/**
 * Page compressors. SNAPPY replaces the one hyparquet-writer ships (same output format, several times
 * faster, see ./snappy); GZIP is node:zlib.
 */
const COMPRESSORS = {
  SNAPPY: snappyCompress,
  GZIP: (input: Uint8Array) => gzipSync(input),
} as const;

/**
 * Encode buffer of a writer between row groups, where a row group's first bytes go. Small because a
 * file spanning years keeps a writer per day: at 64 KiB, 2,500 idle writers held 160 MiB.
 */
const IDLE_BUFFER_BYTES = 4 * 1024;

/**
 * Bytes of a row group are collected in segments of this size (or of one larger append): a new segment
 * starts where the last is full, instead of the buffer doubling and copying itself on the way to the
 * row group's size.
 */
const SEGMENT_BYTES = 1024 * 1024;

/** A hyparquet `Writer` that hands each finished row group's bytes to the sink. */
class SinkWriter extends ByteWriter {
  /** Bytes handed to the sink so far. */
  written = 0;
  /** Filled segments not yet handed to the sink, in order; `buffer[0, index)` follows them. */
  private segments: Uint8Array[] = [];

  constructor(private readonly sink: ByteSink) {
    super(IDLE_BUFFER_BYTES);
  }

  override ensure(size: number): void {
    if (this.index + size <= this.buffer.byteLength) return;
    if (this.index > 0) this.segments.push(new Uint8Array(this.buffer, 0, this.index));
    this.buffer = new ArrayBuffer(Math.max(size, SEGMENT_BYTES));
    this.view = new DataView(this.buffer);
    this.index = 0;
  }

  /** Where the bytes end now, for `rollBack`. */
  mark(): WriterMark {
    return { segments: this.segments.length, buffer: this.buffer, index: this.index, offset: this.offset };
  }

  /** Drops every byte written since `mark` (nothing was flushed meanwhile). */
  rollBack(mark: WriterMark): void {
    this.segments.length = mark.segments;
    this.buffer = mark.buffer;
    this.view = new DataView(this.buffer);
    this.index = mark.index;
    this.offset = mark.offset;
  }

  /** Hands what was written to the sink, in order; resolves when the sink took it (backpressure). */
  flush(): Promise<void> | undefined {
    if (this.index > 0) this.segments.push(new Uint8Array(this.buffer, 0, this.index));
    if (this.segments.length === 0) return undefined;
    const segments = this.segments;
    // Start again from a small buffer: a file that spans many days keeps one writer open per day, and
    // an idle writer should not hold on to its largest row group.
    this.segments = [];
    this.buffer = new ArrayBuffer(IDLE_BUFFER_BYTES);
    this.view = new DataView(this.buffer);
    this.index = 0;
    for (const segment of segments) this.written += segment.length;
    return writeInOrder(this.sink, segments);
  }

  override finish(): void {
    // The footer is flushed by ParquetPartWriter.finish(), which can await the sink.
  }
}

interface WriterMark {
  readonly segments: number;
  readonly buffer: ArrayBuffer;
  readonly index: number;
  readonly offset: number;
}

async function writeInOrder(sink: ByteSink, chunks: readonly Uint8Array[]): Promise<void> {
  for (const chunk of chunks) await sink.write(chunk);
}

/**
 * Writes one Parquet file, one row group per `writeRowGroup()` call, and streams the bytes to a sink.
 * Memory stays bounded by one row group: its input arrays, their converted copies and its encoded bytes.
 *
 * Values are expected in the validator's representation: strings, int32 numbers, doubles, decimal(18,2)
 * as integer cents, dates as days since 1970-01-01, timestamps as epoch milliseconds (UTC), booleans;
 * `null` (or `undefined`) for a missing value in an optional column.
 */
export class ParquetPartWriter {
  private readonly writer: SinkWriter;
  private readonly parquet: ParquetWriter;
  private rows = 0;
  private rowGroups = 0;
  private busy = false;
  private finished = false;
  private readonly statistics: boolean;
  private readonly codec: CompressionCodec;
  private readonly compress: PageCompressor;
  /** Schema leaf of each column. */
  private readonly elements: readonly SchemaElement[];

  constructor(
    private readonly sink: ByteSink,
    private readonly columns: readonly ParquetColumn[],
    options: PartWriterOptions = {},
  ) {
    this.statistics = options.statistics ?? true;
    if (columns.length === 0) throw new ParquetWriteError('a Parquet part needs at least one column');
    const names = new Set<string>();
    for (const column of columns) {
      if (names.has(column.name)) {
        throw new ParquetWriteError(`column ${column.name} is declared twice; column names must be unique`);
      }
      names.add(column.name);
    }
    const codec: CompressionCodec = options.codec ?? 'SNAPPY';
    this.codec = codec;
    this.compress = codec === 'UNCOMPRESSED' ? undefined : COMPRESSORS[codec];
    const schema = parquetSchema(columns);
    this.elements = schema.slice(1);
    this.writer = new SinkWriter(sink);
    // The library writes the magic bytes and, in finish(), the footer; the column chunks are written
    // by writeColumnChunk and registered in its row_groups.
    this.parquet = new ParquetWriter({
      writer: this.writer,
      schema,
      codec,
      compressors: COMPRESSORS,
      kvMetadata: Object.entries(options.kvMetadata ?? {}).map(([key, value]) => ({ key, value })),
      createdBy: options.createdBy ?? 'ledgerlake',
    });
  }

  /**
   * Encodes one row group and hands its bytes to the sink; resolves once the sink accepted them.
   * `columns[i]` holds the values of column i, all arrays the same length. An empty group writes nothing.
   * Await each call before the next: row groups are written in call order and one at a time.
   */
  async writeRowGroup(columns: readonly ColumnValues[]): Promise<void> {
    this.assertIdle('writeRowGroup');
    if (columns.length !== this.columns.length) {
      throw new ParquetWriteError(
        `row group ${this.rowGroups} has ${columns.length} column arrays but the part declares ` +
          `${this.columns.length} columns (${this.columns.map((c) => c.name).join(', ')})`,
      );
    }
    const rowCount = columns[0]?.length ?? 0;
    for (const [i, values] of columns.entries()) {
      if (values.length !== rowCount) {
        throw new ParquetWriteError(
          `row group ${this.rowGroups}: column ${this.columns[i]!.name} has ${values.length} values, ` +
            `column ${this.columns[0]!.name} has ${rowCount}; every column needs one value per row`,
        );
      }
    }
    if (rowCount === 0) return;

    this.busy = true;
    const groupStart = this.writer.offset;
    const mark = this.writer.mark();
    try {
      // Each column is encoded and written before the next is encoded, so a row group's encoded copies
      // are never all alive at once. One data page per column chunk: at most a few MB at 128k rows.
      const chunks = this.columns.map((column, i) => {
        const encoded: EncodedColumn = encodeColumn(column, columns[i]!, this.rowGroups);
        return writeColumnChunk(
          this.writer,
          this.elements[i]!,
          encoded,
          this.codec,
          this.compress,
          this.statistics ? encoded.statistics : undefined,
        );
      });
      let totalBytes = 0n;
      for (const chunk of chunks) totalBytes += chunk.meta_data?.total_uncompressed_size ?? 0n;
      this.parquet.row_groups.push({
        columns: chunks,
        total_byte_size: totalBytes,
        num_rows: BigInt(rowCount),
        total_compressed_size: BigInt(this.writer.offset - groupStart),
      });
      this.parquet.num_rows += BigInt(rowCount);
    } catch (cause) {
      // Nothing of this row group has reached the sink: drop its bytes, the part stays as it was.
      this.writer.rollBack(mark);
      this.busy = false;
      throw this.describeFailure(cause);
    }
    try {
      await this.writer.flush();
    } catch (cause) {
      throw this.describeFailure(cause);
    } finally {
      this.busy = false;
    }
    this.rows += rowCount;
    this.rowGroups += 1;
  }

  /** Writes the footer, closes the sink and returns the totals. A part with no row groups is valid (schema only). */
  async finish(): Promise<PartTotals> {
    this.assertIdle('finish');
    this.busy = true;
    try {
      this.parquet.finish();
      await this.writer.flush();
      await this.sink.close();
    } catch (cause) {
      if (cause instanceof ParquetSinkError) throw cause;
      throw new ParquetSinkError(`finishing the Parquet part failed: ${(cause as Error)?.message}`, {
        cause,
      });
    } finally {
      this.busy = false;
      this.finished = true;
    }
    return { rows: this.rows, bytes: this.writer.written, rowGroups: this.rowGroups };
  }

  private assertIdle(call: string): void {
    if (this.finished) throw new ParquetWriteError(`${call}() called after finish(); start a new part`);
    if (this.busy) {
      throw new ParquetWriteError(`${call}() called while a row group is being written; await each call`);
    }
  }

  private describeFailure(cause: unknown): Error {
    if (cause instanceof ParquetSinkError || cause instanceof ParquetWriteError) return cause;
    return new ParquetWriteError(
      `row group ${this.rowGroups}: encoding failed: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}
