import { DEFAULT_MAX_RECORD_CHARS } from './csv-tokenizer';
import { UnreadableFileError } from './errors';
import { locateJsonSyntaxError } from './json-syntax';

const CR = 13;

/** A record that could not be parsed at all, e.g. an NDJSON line that is not JSON. Quarantined later. */
export class UnparseableRecord {
  constructor(
    /** The record as it appears in the file (without its line break). */
    readonly text: string,
    /** Why it could not be parsed, e.g. `invalid JSON at column 12: expected ',' or '}' ...`. */
    readonly reason: string,
  ) {}
}

export interface NdjsonReaderOptions {
  /** Name of the file, for error messages. */
  readonly fileName: string;
  /** @default DEFAULT_MAX_RECORD_CHARS */
  readonly maxRecordChars?: number;
}

/**
 * Streams NDJSON (JSON Lines): one JSON value per line, numbered by its physical line. Blank lines are
 * skipped (still counted); a line that is not valid JSON becomes an `UnparseableRecord`.
 */
export class NdjsonReader {
  private readonly fileName: string;
  private readonly maxRecordChars: number;
  private text = '';
  private pos = 0;
  private line = 1;

  constructor(options: NdjsonReaderOptions) {
    this.fileName = options.fileName;
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
  }

  /** True when text after the last record read is still buffered (a record waiting for more text). */
  get hasUnfinishedRecord(): boolean {
    return this.pos < this.text.length;
  }

  /** Adds the next chunk of text; the unfinished line of the previous chunk is kept in front of it. */
  append(chunk: string): void {
    const unfinished = this.text.length - this.pos;
    if (unfinished > this.maxRecordChars) {
      throw new UnreadableFileError(
        this.fileName,
        `line ${this.line} is longer than ${this.maxRecordChars} characters; NDJSON needs one record per line`,
      );
    }
    this.text = unfinished > 0 ? this.text.slice(this.pos) + chunk : chunk;
    this.pos = 0;
  }

  /** Moves parsed lines into `records` (and line numbers into `lines`) until `limit` or an unfinished line. */
  read(records: unknown[], lines: number[], limit: number, atEnd: boolean): void {
    const text = this.text;
    const length = text.length;
    let pos = this.pos;
    let line = this.line;
    while (records.length < limit && pos < length) {
      let newline = text.indexOf('\n', pos);
      if (newline === -1) {
        if (!atEnd) break;
        newline = length;
      }
      let end = newline;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      const json = text.slice(pos, end);
      if (json.trim() !== '') {
        records.push(parseLine(json));
        lines.push(line);
      }
      line++;
      pos = newline + 1;
    }
    this.pos = Math.min(pos, length);
    this.line = line;
  }
}

function parseLine(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    const problem = locateJsonSyntaxError(json);
    const reason = problem
      ? `invalid JSON at column ${problem.offset + 1}: ${problem.message}`
      : `invalid JSON: ${(error as Error).message}`;
    return new UnparseableRecord(json, reason);
  }
}
