import { DEFAULT_MAX_RECORD_CHARS } from './csv-tokenizer';
import { UnreadableFileError } from './errors';
import { jsonRecordProblem } from './json-record-check';
import { locateJsonSyntaxError } from './json-syntax';
import { DEFAULT_LIMITS } from './limits';
import { UnparseableRecord } from './unparseable-record';

const LF = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

export interface JsonRecordReaderOptions {
  /** Name of the file, for error messages. */
  readonly fileName: string;
  /**
   * Longest single record (and longest wrapping object, see `JsonRecordReader`) in characters.
   * @default DEFAULT_MAX_RECORD_CHARS
   */
  readonly maxRecordChars?: number;
  /**
   * Deepest nesting of a record (the record is level 1): a deeper record, or one with a key given twice
   * in an object, becomes an `UnparseableRecord` (quarantined with the reason).
   * @default DEFAULT_LIMITS.maxNestingDepth
   */
  readonly maxNestingDepth?: number;
}

type Mode =
  | 'start'
  | 'array-open' // after `[`: a record or `]`
  | 'array-comma' // after `,`: a record
  | 'array-next' // after a record: `,` or `]`
  | 'array-closed' // after `]`: white space only
  | 'first-object' // a top-level `{`: a wrapper or the first of a sequence of objects
  | 'wrapped' // records of the wrapper's array are being handed out
  | 'objects'; // a sequence of top-level objects, one record each

/**
 * Streams the records of a JSON file. Its top-level value can be
 * - an array (the normal case): each element is a record, numbered by its 1-based index. Elements are
 *   cut out of the text by a light scanner (depth and strings only) and handed to `JSON.parse` one by
 *   one, so memory holds one chunk and one record, never the array;
 * - a sequence of objects (`{...}{...}`, one per line or pretty-printed): each object is a record,
 *   numbered by the line it starts on;
 * - a single object holding exactly one non-empty array of objects (`{"orders": [...]}`), which is
 *   read as that array. Such a wrapper is parsed whole, so it must fit in `maxRecordChars`.
 *
 * Anything else, and any syntax error, rejects the whole file with `UnreadableFileError`.
 */
export class JsonRecordReader {
  private readonly fileName: string;
  private readonly maxRecordChars: number;
  private readonly maxNestingDepth: number;
  private mode: Mode = 'start';
  private text = '';
  private pos = 0;
  /** Absolute offset of `text[0]` in the file's text. */
  private base = 0;
  /** Newlines are counted up to this absolute offset; `line` is the line there. */
  private counted = 0;
  private line = 1;
  private lineStart = 0;
  private recordNumber = 0;
  private wrapped: unknown[] = [];

  constructor(options: JsonRecordReaderOptions) {
    this.fileName = options.fileName;
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    this.maxNestingDepth = options.maxNestingDepth ?? DEFAULT_LIMITS.maxNestingDepth;
  }

  /** True when text after the last record read is still buffered (a record waiting for more text). */
  get hasUnfinishedRecord(): boolean {
    return this.pos < this.text.length;
  }

  /** Adds the next chunk of text; the unfinished record of the previous chunk is kept in front of it. */
  append(chunk: string): void {
    const unfinished = this.text.length - this.pos;
    if (unfinished > this.maxRecordChars) this.tooLong(this.pos);
    this.countLinesUpTo(this.pos);
    this.base += this.pos;
    this.text = unfinished > 0 ? this.text.slice(this.pos) + chunk : chunk;
    this.pos = 0;
  }

  /**
   * Moves parsed records into `records` and their numbers (array index or start line) into `lines`
   * until `records` holds `limit` entries or the buffered text ends inside a record. With `atEnd` the
   * buffered text is the rest of the file.
   */
  read(records: unknown[], lines: number[], limit: number, atEnd: boolean): void {
    const text = this.text;
    const length = text.length;
    while (records.length < limit) {
      if (this.mode === 'wrapped') {
        const take = Math.min(limit - records.length, this.wrapped.length - this.recordNumber);
        for (let k = 0; k < take; k++) {
          records.push(this.wrapped[this.recordNumber]);
          lines.push(++this.recordNumber);
        }
        if (this.recordNumber >= this.wrapped.length) this.mode = 'array-closed';
        continue;
      }
      const at = skipWhitespace(text, this.pos);
      if (at >= length) {
        this.pos = at;
        if (atEnd) this.finish();
        return;
      }
      const char = text.charCodeAt(at);
      switch (this.mode) {
        case 'start':
          if (char === OPEN_BRACKET) this.mode = 'array-open';
          else if (char === OPEN_BRACE) this.mode = 'first-object';
          else this.notRecords(`it starts with ${describeChar(text, at)}, not with '[' or '{'`);
          this.pos = char === OPEN_BRACKET ? at + 1 : at;
          break;
        case 'array-open':
        case 'array-comma': {
          if (char === CLOSE_BRACKET && this.mode === 'array-open') {
            this.mode = 'array-closed';
            this.pos = at + 1;
            break;
          }
          if (char === CLOSE_BRACKET)
            this.syntaxError(at, "expected a record after ',', found ']' (remove the trailing comma)");
          const end = scanValueEnd(text, at, atEnd);
          if (end === -1) {
            this.pos = at;
            return;
          }
          if (end - at > this.maxRecordChars) this.tooLong(at);
          this.recordNumber++;
          records.push(this.parseRecord(text, at, end, `record ${this.recordNumber}`));
          lines.push(this.recordNumber);
          this.mode = 'array-next';
          this.pos = end;
          break;
        }
        case 'array-next':
          if (char === COMMA) this.mode = 'array-comma';
          else if (char === CLOSE_BRACKET) this.mode = 'array-closed';
          else
            this.syntaxError(
              at,
              `expected ',' or ']' after record ${this.recordNumber}, found ${describeChar(text, at)}`,
            );
          this.pos = at + 1;
          break;
        case 'array-closed':
          this.syntaxError(at, `unexpected ${describeChar(text, at)} after the closing ']' of the array`);
          break;
        case 'first-object': {
          const end = scanValueEnd(text, at, atEnd);
          if (end === -1) {
            this.pos = at;
            return;
          }
          if (end - at > this.maxRecordChars) this.tooLong(at);
          const after = skipWhitespace(text, end);
          if (after >= length && !atEnd) {
            this.pos = at; // whether another value follows decides between a wrapper and a sequence
            return;
          }
          const value = this.parse(text, at, end, 'the top-level object');
          const unwrapped = after >= length ? unwrapRecordArray(value) : undefined;
          if (unwrapped !== undefined) {
            // A wrapper holds its records two levels down: `{"orders": [ {...} ]}`.
            const problem = jsonRecordProblem(text, at, end, this.maxNestingDepth + 2);
            if (problem !== undefined) {
              const { line } = this.lineAndColumn(at);
              throw new UnreadableFileError(
                this.fileName,
                `the top-level object starting at line ${line}: ${problem}`,
              );
            }
            this.wrapped = unwrapped;
            this.mode = 'wrapped';
          } else {
            const { line } = this.lineAndColumn(at);
            const problem = jsonRecordProblem(text, at, end, this.maxNestingDepth);
            records.push(problem === undefined ? value : new UnparseableRecord(text.slice(at, end), problem));
            lines.push(line);
            this.mode = 'objects';
          }
          this.pos = end;
          break;
        }
        case 'objects': {
          if (char !== OPEN_BRACE) {
            const { line } = this.lineAndColumn(at);
            this.notRecords(
              `line ${line} holds ${describeChar(text, at)} where the next object should start`,
            );
          }
          const end = scanValueEnd(text, at, atEnd);
          if (end === -1) {
            this.pos = at;
            return;
          }
          if (end - at > this.maxRecordChars) this.tooLong(at);
          const { line } = this.lineAndColumn(at);
          records.push(this.parseRecord(text, at, end, `the object starting at line ${line}`));
          lines.push(line);
          this.pos = end;
          break;
        }
      }
    }
  }

  /** Rejects the file: the record (or wrapping object) starting at `at` is longer than the limit. */
  private tooLong(at: number): never {
    const { line } = this.lineAndColumn(at);
    const what = this.mode === 'first-object' ? 'top-level JSON object' : 'JSON record';
    throw new UnreadableFileError(
      this.fileName,
      `the ${what} starting at line ${line} is longer than ${this.maxRecordChars} characters, the longest record` +
        ' a file may hold; write large files as a JSON array of records or as NDJSON (one object per line)',
    );
  }

  private finish(): void {
    if (this.mode === 'start') this.notRecords('it holds no JSON value');
    if (this.mode === 'array-open' || this.mode === 'array-comma' || this.mode === 'array-next') {
      this.syntaxError(this.text.length, "unexpected end of the file: the array's closing ']' is missing");
    }
  }

  /** `parse` of one record, which becomes an `UnparseableRecord` when nested too deeply or ambiguous. */
  private parseRecord(text: string, start: number, end: number, what: string): unknown {
    const problem = jsonRecordProblem(text, start, end, this.maxNestingDepth);
    if (problem === undefined) return this.parse(text, start, end, what);
    return new UnparseableRecord(text.slice(start, end), problem);
  }

  private parse(text: string, start: number, end: number, what: string): unknown {
    const json = text.slice(start, end);
    try {
      return JSON.parse(json);
    } catch (error) {
      const problem = locateJsonSyntaxError(json);
      const offset = problem?.offset ?? 0;
      const message = problem?.message ?? (error as Error).message;
      return this.syntaxError(start + offset, `${message} (in ${what})`, error);
    }
  }

  private syntaxError(at: number, message: string, cause?: unknown): never {
    const { line, column } = this.lineAndColumn(at);
    throw new UnreadableFileError(
      this.fileName,
      `invalid JSON at line ${line} column ${column}: ${message}`,
      { cause },
    );
  }

  private notRecords(detail: string): never {
    throw new UnreadableFileError(
      this.fileName,
      `JSON is not an array of records: ${detail}; expected [{...}, {...}] or one object per line`,
    );
  }

  /** Counts newlines from the last counted position up to `index` (an index into `text`). */
  private countLinesUpTo(index: number): void {
    const from = this.counted - this.base;
    if (index <= from) return;
    const text = this.text;
    for (let at = text.indexOf('\n', from); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) {
      this.line++;
      this.lineStart = this.base + at + 1;
    }
    this.counted = this.base + index;
  }

  /** 1-based line and column of `index` in `text`; positions are only ever asked for in file order. */
  private lineAndColumn(index: number): { line: number; column: number } {
    this.countLinesUpTo(index);
    return { line: this.line, column: this.base + index - this.lineStart + 1 };
  }
}

/** `{"orders": [{...}, ...]}`: the object's only array property, when it is non-empty and holds objects. */
function unwrapRecordArray(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const arrays = Object.values(value).filter((member) => Array.isArray(member));
  if (arrays.length !== 1) return undefined;
  const array = arrays[0] as unknown[];
  const allObjects = array.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
  return array.length > 0 && allObjects ? array : undefined;
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== LF && c !== 13 && c !== 9) break;
  }
  return i;
}

function describeChar(text: string, at: number): string {
  return JSON.stringify(text[at]);
}

/**
 * End (exclusive) of the JSON value starting at `start`, found by tracking nesting depth and skipping
 * strings; -1 when the value does not end within `text` and more text may come. The value is not
 * validated: `JSON.parse` does that.
 */
export function scanValueEnd(text: string, start: number, atEnd: boolean): number {
  const length = text.length;
  const first = text.charCodeAt(start);
  if (first === QUOTE) {
    const close = stringEnd(text, start + 1);
    return close === -1 ? (atEnd ? length : -1) : close + 1;
  }
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number or literal (or garbage for JSON.parse to report) ends before `,`, `]`, `}` or white space.
    for (let i = start; i < length; i++) {
      const c = text.charCodeAt(i);
      if (
        c === COMMA ||
        c === CLOSE_BRACKET ||
        c === CLOSE_BRACE ||
        c === 32 ||
        c === LF ||
        c === 13 ||
        c === 9
      ) {
        return i;
      }
    }
    return atEnd ? length : -1;
  }
  let depth = 0;
  for (let i = start; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = stringEnd(text, i + 1);
      if (close === -1) break;
      i = close;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  // Unfinished: at the end of the file hand the rest to JSON.parse, which reports what is missing.
  return atEnd ? length : -1;
}

/** Index of the quote closing a string whose content starts at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  let quote = text.indexOf('"', from);
  while (quote !== -1) {
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}
