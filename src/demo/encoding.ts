/** Turning generated rows into file bytes: CSV text with a chosen layout, JSON, BOM and gzip. */
import { gzipSync } from 'node:zlib';

/** How a CSV file is laid out: the parser must cope with every combination. */
export interface CsvLayout {
  readonly delimiter: ',' | ';';
  readonly lineEnding: '\n' | '\r\n';
}

/** The bytes of a file as it lands: text in UTF-8, optionally with a byte order mark, optionally gzipped. */
export interface FileEncoding {
  /** @default false */
  readonly bom?: boolean;
  /** @default false */
  readonly gzip?: boolean;
}

const UTF8_BOM = '\uFEFF';

/** One CSV field, quoted (RFC 4180) when it holds the delimiter, a quote or a line break. */
function csvField(value: string, needsQuotes: RegExp): string {
  return needsQuotes.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** CSV text: a header line and one line per row, every line ended by the layout's line ending. */
export function formatCsv(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  layout: CsvLayout,
): string {
  const needsQuotes = layout.delimiter === ';' ? /[;"\r\n]/ : /[,"\r\n]/;
  const lines = [header, ...rows].map((fields) =>
    fields.map((field) => csvField(field, needsQuotes)).join(layout.delimiter),
  );
  return lines.join(layout.lineEnding) + layout.lineEnding;
}

/** Text to file bytes. Gzip output of node:zlib carries no timestamp, so it is deterministic too. */
export function encodeFile(text: string, encoding: FileEncoding = {}): Uint8Array {
  const bytes = new TextEncoder().encode((encoding.bom ?? false) ? UTF8_BOM + text : text);
  return (encoding.gzip ?? false) ? new Uint8Array(gzipSync(bytes, { level: 6 })) : bytes;
}
