import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferenceTable } from '../datasets/reference';
import { CsvTokenizer } from '../src/ingest/formats/csv-tokenizer';

/**
 * Reference CSVs as Athena reads them. The repo keeps them as RFC 4180 CSV (quoted fields such as
 * "Washington, D.C."), but Athena's CSV SerDes each miss one need: OpenCSVSerde handles quotes but
 * reads DECIMAL and DATE columns as strings, LazySimpleSerDe gives every declared type but knows no
 * quotes. So the stack deploys each table as tab-separated text with the quotes resolved, read by
 * LazySimpleSerDe with the declared column types. The conversion runs at synth time and also proves
 * the file matches its declaration: a header that differs or a value that would break TSV fails the
 * synth with the file, line and column.
 */

/** Raised when a reference CSV does not match its declaration in datasets/reference.ts. */
export class ReferenceDataError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReferenceDataError';
  }
}

/**
 * Converts one reference CSV to TSV (header line kept, as `skip.header.line.count=1` expects).
 *
 * @param table the declaration (columns in CSV order)
 * @param csv the file's text
 * @throws ReferenceDataError when the header differs from the declared columns, a row has the wrong
 *   number of fields, or a value holds a tab, a newline or a backslash (LazySimpleSerDe's specials)
 */
export function referenceCsvToTsv(table: ReferenceTable, csv: string): string {
  const file = `reference/${table.file}`;
  const tokenizer = new CsvTokenizer({ fileName: file, delimiter: ',' });
  tokenizer.append(csv.replace(/^\uFEFF/, ''));
  const records: string[][] = [];
  const lines: number[] = [];
  try {
    tokenizer.read(records, lines, Number.POSITIVE_INFINITY, true);
  } catch (error) {
    throw new ReferenceDataError(`${file}: ${(error as Error).message}`, { cause: error });
  }
  const [header, ...rows] = records;
  const expected = table.columns.map((column) => column.name);
  if (!header || header.join(',') !== expected.join(',')) {
    throw new ReferenceDataError(
      `${file}:1: header is '${header?.join(',') ?? ''}' but datasets/reference.ts declares ` +
        `'${expected.join(',')}' for ${table.name}; make the CSV header and the declaration agree`,
    );
  }
  const out = [expected.join('\t')];
  rows.forEach((row, index) => {
    const line = lines[index + 1] ?? 0;
    if (row.length !== expected.length) {
      throw new ReferenceDataError(
        `${file}:${line}: ${row.length} fields but ${expected.length} columns are declared (${expected.join(', ')})`,
      );
    }
    row.forEach((value, column) => {
      if (/[\t\r\n\\]/.test(value)) {
        throw new ReferenceDataError(
          `${file}:${line}: column ${expected[column]} holds a tab, newline or backslash, which the Athena ` +
            'table cannot read; remove it from the value',
        );
      }
    });
    out.push(row.join('\t'));
  });
  return `${out.join('\n')}\n`;
}

/** Reads `reference/<file>` from the repo and converts it (see `referenceCsvToTsv`). */
export function loadReferenceTsv(table: ReferenceTable, referenceDir: string): string {
  return referenceCsvToTsv(table, readFileSync(join(referenceDir, table.file), 'utf8'));
}

/** Lake key of a reference table's deployed file: `reference/<table>/<file stem>.tsv`. */
export function referenceObjectKey(table: ReferenceTable): string {
  return `reference/${table.name}/${table.file.replace(/\.csv$/i, '')}.tsv`;
}
