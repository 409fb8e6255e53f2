import { DEFAULT_MAX_RECORD_CHARS } from './csv-tokenizer';
import { UnreadableFileError } from './errors';
import { jsonRecordProblem } from './json-record-check';
import { locateJsonSyntaxError } from './json-syntax';
import { DEFAULT_LIMITS } from './limits';
import { UnparseableRecord } from './unparseable-record';

export { UnparseableRecord } from './unparseable-record';

const CR = 13;

export interface NdjsonReaderOptions {
  /** Name of the file, for error messages. */
  readonly fileName: string;
  /** @default DEFAULT_MAX_RECORD_CHARS */
  readonly maxRecordChars?: number;
  /** @default DEFAULT_LIMITS.maxNestingDepth */
  readonly maxNestingDepth?: number;
}

/**
 * Streams NDJSON (JSON Lines): one JSON value per line, numbered by its physical line. Blank lines are
 * skipped (still counted); a line that is not valid JSON becomes an `UnparseableRecord`.
 */
export class NdjsonReader {
  private readonly fileName: string;
  private readonly maxRecordChars: number;
  private readonly maxNestingDepth: number;
  private text = '';
  private pos = 0;
  private line = 1;

  constructor(options: NdjsonReaderOptions) {
    this.fileName = options.fileName;
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    this.maxNestingDepth = options.maxNestingDepth ?? DEFAULT_LIMITS.maxNestingDepth;
  }

  /** True when text after the last record read is still buffered (a record waiting for more text). */
  get hasUnfinishedRecord(): boolean {
    return this.pos < this.text.length;
  }

  /** Adds the next chunk of text; the unfinished line of the previous chunk is kept in front of it. */
  append(chunk: string): void {
    const unfinished = this.text.length - this.pos;
    if (unfinished > this.maxRecordChars) this.tooLong(this.line);
    this.text = unfinished > 0 ? this.text.slice(this.pos) + chunk : chunk;
    this.pos = 0;
  }

  private tooLong(line: number): never {
    throw new UnreadableFileError(
      this.fileName,
      `line ${line} is longer than ${this.maxRecordChars} characters, the longest record a file may hold;` +
        ' NDJSON needs one record per line',
    );
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
      if (end - pos > this.maxRecordChars) this.tooLong(line);
      const json = text.slice(pos, end);
      if (json.trim() !== '') {
        const problem = jsonRecordProblem(json, 0, json.length, this.maxNestingDepth);
        records.push(problem === undefined ? parseLine(json) : new UnparseableRecord(json, problem));
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
