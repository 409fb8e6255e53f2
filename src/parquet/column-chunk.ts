/**
 * Writes one column chunk (an optional dictionary page, then DATA_PAGE_V2 pages) from an `EncodedColumn`
 * and returns its footer entry. Page headers and the RLE/bit-packed hybrid come from hyparquet-writer;
 * everything per value was done by `encodeColumn`.
 *
 * A chunk is cut into pages of at most `PAGE_ROWS` rows (and, for strings, about `PAGE_BYTES` of
 * values), as parquet-mr and DuckDB write them: what a page needs while it is written (its levels, its
 * RLE indexes, its compressed bytes) is then bounded whatever the row group holds. With one page per
 * chunk, a 131k-row group of 1 KB notes compressed a 130 MB page in one piece. PLAIN booleans (bits)
 * are packed again from the first bit of each page.
 */
import type { ColumnChunk, CompressionCodec, SchemaElement } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { EncodedColumn } from './column-encoding';

/** Compresses one page's bytes; undefined for UNCOMPRESSED. */
export type PageCompressor = ((input: Uint8Array) => Uint8Array) | undefined;

/** Most rows in one data page. */
export const PAGE_ROWS = 32_768;
/** PLAIN string bytes after which a data page ends (a page holds at least one value). */
export const PAGE_BYTES = 1024 * 1024;

/** What the chunk writer needs of the file writer. */
interface ChunkTarget {
  readonly offset: number;
  appendBytes(bytes: Uint8Array): void;
}

/** Bytes per PLAIN value of the fixed-width physical types. */
const FIXED_WIDTH: Readonly<Partial<Record<NonNullable<SchemaElement['type']>, number>>> = {
  INT32: 4,
  INT64: 8,
  DOUBLE: 8,
  FLOAT: 4,
};

/** Appends the column chunk of `encoded` to `writer`. */
export function writeColumnChunk(
  writer: ChunkTarget & ByteWriter,
  element: SchemaElement,
  encoded: EncodedColumn,
  codec: CompressionCodec,
  compress: PageCompressor,
  statistics: EncodedColumn['statistics'] | undefined,
): ColumnChunk {
  const type = element.type;
  if (type === undefined) throw new Error(`column ${element.name} has no physical type`);
  const start = writer.offset;
  let uncompressed = 0;
  let dictionaryPageOffset: bigint | undefined;
  const encodings: ('PLAIN' | 'RLE_DICTIONARY')[] = [];

  const dictionaryEncoded = encoded.encoding === 'RLE_DICTIONARY';
  let width = 0;
  if (dictionaryEncoded) {
    const dictionary = encoded.dictionary!;
    dictionaryPageOffset = BigInt(writer.offset);
    const compressed = compress?.(dictionary.bytes) ?? dictionary.bytes;
    const headerStart = writer.offset;
    writePageHeader(writer, {
      type: 'DICTIONARY_PAGE',
      uncompressed_page_size: dictionary.bytes.byteLength,
      compressed_page_size: compressed.byteLength,
      dictionary_page_header: { num_values: dictionary.size, encoding: 'PLAIN' },
    });
    uncompressed += writer.offset - headerStart + dictionary.bytes.byteLength;
    writer.appendBytes(compressed);
    encodings.push('PLAIN');
    // Every data page uses the bit width of the largest index of the chunk.
    const indexes = encoded.indexes!;
    let largest = 0;
    for (let i = 0; i < indexes.length; i++) if (indexes[i]! > largest) largest = indexes[i]!;
    width = Math.ceil(Math.log2(largest + 1));
  }
  encodings.push(encoded.encoding);

  const optional = element.repetition_type !== 'REQUIRED';
  const defined = encoded.defined;
  const plain = encoded.plain;
  const fixedWidth = FIXED_WIDTH[type];
  const dataPageOffset = BigInt(writer.offset);
  let row = 0;
  let value = 0;
  let byte = 0;
  do {
    const firstRow = row;
    const firstValue = value;
    const firstByte = byte;
    const rowLimit = Math.min(encoded.rows, row + PAGE_ROWS);
    if (dictionaryEncoded || fixedWidth !== undefined || type === 'BOOLEAN') {
      if (defined === undefined) {
        value += rowLimit - row;
      } else {
        for (; row < rowLimit; row++) value += defined[row]!;
      }
      row = rowLimit;
    } else {
      if (type !== 'BYTE_ARRAY') throw new Error(`column ${element.name}: no page cutting for ${type}`);
      // PLAIN BYTE_ARRAY: each value is a 4-byte length and its bytes.
      const bytes = plain!;
      while (row < rowLimit && byte - firstByte < PAGE_BYTES) {
        if (defined === undefined || defined[row] === 1) {
          byte +=
            4 +
            (bytes[byte]! | (bytes[byte + 1]! << 8) | (bytes[byte + 2]! << 16) | (bytes[byte + 3]! << 24));
          value++;
        }
        row++;
      }
    }

    let body: Uint8Array;
    if (dictionaryEncoded) {
      const indexes = encoded.indexes!.subarray(firstValue, value);
      const page = new ByteWriter(indexes.length + 64);
      page.appendUint8(width);
      writeRleBitPackedHybrid(page, indexes, width);
      body = page.getBytes();
    } else if (type === 'BOOLEAN') {
      body = bitsOf(plain!, firstValue, value);
    } else if (fixedWidth !== undefined) {
      body = plain!.subarray(firstValue * fixedWidth, value * fixedWidth);
    } else {
      body = plain!.subarray(firstByte, byte);
    }

    // Definition levels (optional columns only): 1 for a value, 0 for a null; never compressed in V2.
    let levels: Uint8Array | undefined;
    if (optional) {
      const pageDefined = defined?.subarray(firstRow, row) ?? new Uint8Array(row - firstRow).fill(1);
      const levelWriter = new ByteWriter(64);
      writeRleBitPackedHybrid(levelWriter, pageDefined, 1);
      levels = levelWriter.getBytes();
    }

    const compressed = compress?.(body) ?? body;
    const levelBytes = levels?.byteLength ?? 0;
    const headerStart = writer.offset;
    const rows = row - firstRow;
    writePageHeader(writer, {
      type: 'DATA_PAGE_V2',
      uncompressed_page_size: levelBytes + body.byteLength,
      compressed_page_size: levelBytes + compressed.byteLength,
      data_page_header_v2: {
        num_values: rows,
        num_nulls: rows - (value - firstValue),
        num_rows: rows,
        encoding: encoded.encoding,
        definition_levels_byte_length: levelBytes,
        repetition_levels_byte_length: 0,
        is_compressed: compress !== undefined,
      },
    });
    uncompressed += writer.offset - headerStart + levelBytes + body.byteLength;
    if (levels) writer.appendBytes(levels);
    writer.appendBytes(compressed);
  } while (row < encoded.rows);

  return {
    meta_data: {
      type,
      encodings,
      path_in_schema: [element.name],
      codec,
      num_values: BigInt(encoded.rows),
      total_compressed_size: BigInt(writer.offset - start),
      total_uncompressed_size: BigInt(uncompressed),
      data_page_offset: dataPageOffset,
      dictionary_page_offset: dictionaryPageOffset,
      statistics,
    },
    file_offset: BigInt(start),
  };
}

/** PLAIN booleans `from` to `to` of `packed` (8 to a byte, least significant bit first), packed again from bit 0. */
function bitsOf(packed: Uint8Array, from: number, to: number): Uint8Array {
  if (from === 0 && to === packed.length * 8) return packed;
  const bits = new Uint8Array(Math.ceil((to - from) / 8));
  for (let i = from; i < to; i++) {
    if ((packed[i >>> 3]! >>> (i & 7)) & 1) bits[(i - from) >>> 3]! |= 1 << ((i - from) & 7);
  }
  return bits;
}
