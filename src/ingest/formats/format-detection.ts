/** The record formats a landed file can have. */
export type SourceFormat = 'csv' | 'json' | 'ndjson' | 'parquet';

/** The CSV delimiters the readers recognise. */
export type CsvDelimiter = ',' | ';' | '\t';

const FORMAT_BY_EXTENSION: Readonly<Record<string, SourceFormat>> = {
  csv: 'csv',
  tsv: 'csv',
  txt: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  parquet: 'parquet',
};

/** Lower-cased extension of a file name, ignoring a trailing `.gz` (`orders.JSON.gz` -> `json`). */
export function fileExtension(fileName: string): string | undefined {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).toLowerCase();
  const name = base.endsWith('.gz') ? base.slice(0, -3) : base;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1) : undefined;
}

/** The format a file's extension names (`.csv`/`.tsv`/`.txt`, `.json`, `.ndjson`/`.jsonl`, `.parquet`), if any. */
export function formatFromFileName(fileName: string): SourceFormat | undefined {
  const extension = fileExtension(fileName);
  return extension === undefined ? undefined : FORMAT_BY_EXTENSION[extension];
}

/**
 * Guesses the format from the first character that is not white space: `[` is a JSON array, `{` starts
 * NDJSON, anything else is CSV. Returns undefined when `text` holds only white space (read more first).
 */
export function sniffFormat(text: string): SourceFormat | undefined {
  const first = text.search(/\S/);
  if (first === -1) return undefined;
  const char = text[first];
  if (char === '[') return 'json';
  if (char === '{') return 'ndjson';
  return 'csv';
}

/**
 * Picks the delimiter of a CSV header line: the most frequent of `,` `;` and tab outside quoted
 * fields. Ties and a line without any of them give `,` (a one-column file), then `;` before tab.
 */
export function detectCsvDelimiter(headerLine: string): CsvDelimiter {
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  let quoted = false;
  for (let i = 0; i < headerLine.length; i++) {
    const char = headerLine.charCodeAt(i);
    if (char === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (char === 44) commas++;
    else if (char === 59) semicolons++;
    else if (char === 9) tabs++;
  }
  if (commas >= semicolons && commas >= tabs) return ',';
  return semicolons >= tabs ? ';' : '\t';
}
