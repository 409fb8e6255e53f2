/**
 * Writes one column chunk (an optional dictionary page, then one DATA_PAGE_V2) from an `EncodedColumn`
 * and returns its footer entry. Page headers and the RLE/bit-packed hybrid come from hyparquet-writer;
 * everything per value was done by `encodeColumn`.
 */
import type { ColumnChunk, CompressionCodec, SchemaElement } from 'hyparquet';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { EncodedColumn } from './column-encoding';

/** Compresses one page's bytes; undefined for UNCOMPRESSED. */
export type PageCompressor = ((input: Uint8Array) => Uint8Array) | undefined;

/** What the chunk writer needs of the file writer. */
interface ChunkTarget {
  readonly offset: number;
  appendBytes(bytes: Uint8Array): void;
}

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

  let body: Uint8Array;
  if (encoded.encoding === 'RLE_DICTIONARY') {
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
    // Data page: bit width of the largest index used, then the indexes RLE/bit-packed.
    const indexes = encoded.indexes!;
    let largest = 0;
    for (let i = 0; i < indexes.length; i++) if (indexes[i]! > largest) largest = indexes[i]!;
    const width = Math.ceil(Math.log2(largest + 1));
    const page = new ByteWriter(indexes.length + 64);
    page.appendUint8(width);
    writeRleBitPackedHybrid(page, indexes, width);
    body = page.getBytes();
  } else {
    body = encoded.plain!;
  }
  encodings.push(encoded.encoding);

  // Definition levels (optional columns only): 1 for a value, 0 for a null; never compressed in V2.
  let levels: Uint8Array | undefined;
  if (element.repetition_type !== 'REQUIRED') {
    const defined = encoded.defined ?? new Uint8Array(encoded.rows).fill(1);
    const levelWriter = new ByteWriter(64);
    writeRleBitPackedHybrid(levelWriter, defined, 1);
    levels = levelWriter.getBytes();
  }

  const compressed = compress?.(body) ?? body;
  const levelBytes = levels?.byteLength ?? 0;
  const dataPageOffset = BigInt(writer.offset);
  const headerStart = writer.offset;
  writePageHeader(writer, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levelBytes + body.byteLength,
    compressed_page_size: levelBytes + compressed.byteLength,
    data_page_header_v2: {
      num_values: encoded.rows,
      num_nulls: encoded.nulls,
      num_rows: encoded.rows,
      encoding: encoded.encoding,
      definition_levels_byte_length: levelBytes,
      repetition_levels_byte_length: 0,
      is_compressed: compress !== undefined,
    },
  });
  uncompressed += writer.offset - headerStart + levelBytes + body.byteLength;
  if (levels) writer.appendBytes(levels);
  writer.appendBytes(compressed);

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
