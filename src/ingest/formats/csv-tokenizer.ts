import { UnreadableFileError } from './errors';
import type { CsvDelimiter } from './format-detection';

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** Why a file whose lines end with a bare CR is rejected: it would read as one endless line. */
export const CR_ONLY_REASON =
  'lines end with CR only (classic Mac line endings); save the file with LF or CRLF line endings';

/** @default for `CsvTokenizerOptions.maxRecordChars`: 16 Mi characters. */
export const DEFAULT_MAX_RECORD_CHARS = 16 * 1024 * 1024;

export interface CsvTokenizerOptions {
  /** Name of the file, for error messages. */
  readonly fileName: string;
  readonly delimiter: CsvDelimiter;
  /**
   * Longest record (in characters) the tokenizer buffers while waiting for its end. Beyond it the file is
   * rejected: almost always a quote that is never closed, which would otherwise swallow the whole file.
   * @default DEFAULT_MAX_RECORD_CHARS
   */
  readonly maxRecordChars?: number;
  /**
   * Line number of the first character: a part of a file read on its own (a split ingest) numbers its
   * lines as the whole file does. @default 1
   */
  readonly firstLine?: number;
}

/**
 * A batch of records for `CsvTokenizer.readInText`: records as slot numbers (fields in `text` at
 * `bounds`) or, for records that could not stay in the text, as `string[]`.
 */
export class RecordsInText {
  text = '';
  records: unknown[] = [];
  lines: number[] = [];
  /** Field `k` of the record in slot `r` is `text[bounds[r * stride + 2k], bounds[r * stride + 2k + 1])`. */
  readonly bounds: Int32Array;
  /** Numbers in `bounds` per slot: two per field. */
  readonly stride: number;

  /**
   * @param fields fields found per record left in the text
   * @param exact only records with exactly `fields` fields stay in the text (else: at least)
   * @param capacity most records per batch
   */
  constructor(
    readonly fields: number,
    readonly exact: boolean,
    capacity: number,
  ) {
    this.stride = 2 * fields;
    this.bounds = new Int32Array(capacity * this.stride);
  }

  /** The fields of record `r` as strings (for a record given as a slot number). */
  cut(r: number): string[] {
    const fields: string[] = [];
    const base = r * this.stride;
    for (let k = 0; k < this.fields; k++) {
      fields.push(this.text.slice(this.bounds[base + 2 * k]!, this.bounds[base + 2 * k + 1]!));
    }
    return fields;
  }
}

/**
 * A streaming RFC 4180 tokenizer with the quirks real files have: `""` escapes, LF and CRLF line endings
 * (mixed too), newlines inside quoted fields, a last line without newline, blank lines (skipped, still
 * counted). Whitespace is kept; a quote only opens a quoted field at the start of a field, elsewhere it is
 * a literal character, and characters after a closing quote are appended to the field.
 *
 * Feed decoded text with `append` and collect records with `read`; chunk boundaries may fall anywhere.
 * Speed comes from jumping with `indexOf` and cutting fields with `slice`: a line without any quote
 * (nearly all of them) costs one `indexOf` for its end and one per field. Fields are slices of the
 * chunk text, so a consumer that keeps a field for the whole run (a dedup set) also keeps its chunk alive.
 */
export class CsvTokenizer {
  private readonly fileName: string;
  private readonly delimiter: CsvDelimiter;
  private readonly delimiterCode: number;
  private readonly maxRecordChars: number;
  /** Buffered text; records before `pos` have been returned. */
  private text = '';
  private pos = 0;
  /** Physical line number (1-based) of the character at `pos`. */
  private line = 1;
  /** Index of the first `"` at or after `pos`; -1 when there is none in `text`, -2 when not known yet. */
  private nextQuote = -2;
  /** Index of the first delimiter at or after `pos`, with the same conventions as `nextQuote`. */
  private nextDelimiter = -2;
  /** Fields of the first record (the header): the size new records start with. */
  private expectedFields = 1;
  private sawFirstRecord = false;
  /** Where the last record found by `scanQuotedRecord` ends, and the newlines it consumed. */
  private recordEnd = 0;
  private recordNewlines = 0;
  /** Fields found so far by `scanQuotedRecord`. */
  private fieldCount = 0;
  /** Field bounds found by `scanQuotedRecord` (start, end per field; start -1 for an unusual field). */
  private readonly fieldBounds: number[] = [];
  /** Values of the unusual fields found by `scanQuotedRecord`, by field index. */
  private readonly unusualFields: string[] = [];
  constructor(options: CsvTokenizerOptions) {
    this.fileName = options.fileName;
    this.delimiter = options.delimiter;
    this.delimiterCode = options.delimiter.charCodeAt(0);
    this.maxRecordChars = options.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
    this.line = options.firstLine ?? 1;
  }

  /** Adds the next chunk of text. The unfinished record of the previous chunk is kept in front of it. */
  append(chunk: string): void {
    const unfinished = this.text.length - this.pos;
    if (unfinished > this.maxRecordChars) {
      const rest = this.text.slice(this.pos);
      if (!rest.includes('\n') && rest.includes('\r'))
        throw new UnreadableFileError(this.fileName, CR_ONLY_REASON);
      this.tooLong(this.line);
    }
    this.text = unfinished > 0 ? this.text.slice(this.pos) + chunk : chunk;
    this.pos = 0;
    this.nextQuote = -2;
    this.nextDelimiter = -2;
  }

  /** Rejects the file: the record starting at `line` is longer than the limit. */
  private tooLong(line: number): never {
    throw new UnreadableFileError(
      this.fileName,
      `the record starting at line ${line} is longer than ${this.maxRecordChars} characters, the longest record` +
        ' a file may hold; a quoted field is probably never closed (check the quotes on that line)',
    );
  }

  /**
   * Moves complete records into `records` (fields as in the file) and their first line numbers into
   * `lines`, until `records` holds `limit` entries or the buffered text ends with an unfinished record.
   * With `atEnd`, the buffered text is the rest of the file: a last line without newline is a record, and
   * a quoted field that is still open throws `UnreadableFileError`.
   */
  read(records: string[][], lines: number[], limit: number, atEnd: boolean): void {
    const text = this.text;
    const length = text.length;
    const delimiter = this.delimiter;
    let pos = this.pos;
    let line = this.line;
    let nextQuote = this.nextQuote;
    let nextDelimiter = this.nextDelimiter;
    let expectedFields = this.expectedFields;
    while (records.length < limit && pos < length) {
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
      let lineEnd = text.indexOf('\n', pos);
      if (nextQuote === -1 || (lineEnd !== -1 && nextQuote > lineEnd)) {
        // Fast path: no quote on this line.
        if (lineEnd === -1) {
          if (!atEnd) break;
          lineEnd = length;
        }
        let end = lineEnd;
        if (end > pos && text.charCodeAt(end - 1) === CR) end--;
        if (end - pos > this.maxRecordChars) this.tooLong(line);
        if (end > pos) {
          // Cutting fields straight out of the chunk is ~35% faster than slicing the line and splitting it.
          if (nextDelimiter !== -1 && nextDelimiter < pos) nextDelimiter = text.indexOf(delimiter, pos);
          // Sized like the header: growing an empty array field by field allocates several times.
          const fields = new Array<string>(expectedFields);
          let count = 0;
          let fieldStart = pos;
          while (nextDelimiter !== -1 && nextDelimiter < end) {
            fields[count++] = text.slice(fieldStart, nextDelimiter);
            fieldStart = nextDelimiter + 1;
            nextDelimiter = text.indexOf(delimiter, fieldStart);
          }
          fields[count++] = text.slice(fieldStart, end);
          if (count !== expectedFields) fields.length = count;
          if (count > 1 || fields[0]!.trim() !== '') {
            if (!this.sawFirstRecord) {
              this.sawFirstRecord = true;
              expectedFields = count;
            }
            records.push(fields);
            lines.push(line);
          }
        }
        line++;
        pos = lineEnd + 1;
      } else {
        const fields = this.parseRecordWithQuotes(text, pos, line, atEnd);
        if (fields === undefined) break;
        if (this.recordEnd - pos > this.maxRecordChars) this.tooLong(line);
        if (!this.sawFirstRecord) {
          this.sawFirstRecord = true;
          expectedFields = fields.length;
        }
        records.push(fields);
        lines.push(line);
        line += this.recordNewlines;
        pos = this.recordEnd;
      }
    }
    this.pos = Math.min(pos, length);
    this.line = line;
    this.nextQuote = nextQuote;
    this.nextDelimiter = nextDelimiter;
    this.expectedFields = expectedFields;
  }

  /**
   * `read` for the ingest hot path, which leaves records in the text instead of cutting a string per
   * field. Such a record is pushed to `records` as its slot number `r` (its index in `records`), with
   * its field bounds in `batch.bounds` (quoted fields without their quotes). With `exact`, only records
   * with exactly `fields` fields stay in the text; without it (a projection), records with at least
   * `fields` fields do, and only their first `fields` fields are given (quote-free lines are not even
   * scanned further). Records with another number of fields, and quoted fields with `""` escapes or
   * characters after the closing quote, are cut as `read` cuts them. The text is `batch.text` until the
   * next `append`: read every record before that. Call after the header was read with `read`.
   */
  readInText(batch: RecordsInText, limit: number, atEnd: boolean): void {
    if (!this.sawFirstRecord) throw new Error('readInText: read the header with read() first');
    const { records, lines, bounds, fields, exact, stride } = batch;
    const text = this.text;
    batch.text = text;
    const length = text.length;
    const delimiter = this.delimiter;
    let pos = this.pos;
    let line = this.line;
    let nextQuote = this.nextQuote;
    let nextDelimiter = this.nextDelimiter;
    while (records.length < limit && pos < length) {
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf('"', pos);
      let lineEnd = text.indexOf('\n', pos);
      if (nextQuote === -1 || (lineEnd !== -1 && nextQuote > lineEnd)) {
        // No quote on this line.
        if (lineEnd === -1) {
          if (!atEnd) break;
          lineEnd = length;
        }
        let end = lineEnd;
        if (end > pos && text.charCodeAt(end - 1) === CR) end--;
        if (end - pos > this.maxRecordChars) this.tooLong(line);
        if (end > pos) {
          if (nextDelimiter !== -1 && nextDelimiter < pos) nextDelimiter = text.indexOf(delimiter, pos);
          const r = records.length;
          let at = r * stride;
          bounds[at] = pos;
          let k = 1;
          while (k < fields && nextDelimiter !== -1 && nextDelimiter < end) {
            bounds[at + 1] = nextDelimiter;
            bounds[at + 2] = nextDelimiter + 1;
            at += 2;
            k++;
            nextDelimiter = text.indexOf(delimiter, nextDelimiter + 1);
          }
          const more = nextDelimiter !== -1 && nextDelimiter < end;
          if (k === 1 && !more && text.slice(pos, end).trim() === '') {
            // A blank line: skipped, as by `read`.
          } else if (k === fields && (!exact || !more)) {
            bounds[at + 1] = more ? nextDelimiter : end;
            records.push(r);
            lines.push(line);
          } else {
            records.push(this.cutLine(text, pos, end));
            lines.push(line);
          }
        }
        line++;
        pos = lineEnd + 1;
      } else {
        const count = this.scanQuotedRecord(text, pos, line, atEnd);
        if (count < 0) break;
        if (this.recordEnd - pos > this.maxRecordChars) this.tooLong(line);
        const r = records.length;
        const found = this.fieldBounds;
        let plain = exact ? count === fields : count >= fields;
        for (let k = 0; plain && k < fields; k++) plain = found[2 * k]! >= 0;
        if (plain) {
          for (let k = 0; k < stride; k++) bounds[r * stride + k] = found[k]!;
          records.push(r);
        } else {
          records.push(this.quotedFields(text, count));
        }
        lines.push(line);
        line += this.recordNewlines;
        pos = this.recordEnd;
      }
    }
    this.pos = Math.min(pos, length);
    this.line = line;
    this.nextQuote = nextQuote;
    this.nextDelimiter = nextDelimiter;
  }

  /** The fields of the quote-free line `text[pos, end)`. */
  private cutLine(text: string, pos: number, end: number): string[] {
    const fields: string[] = [];
    let fieldStart = pos;
    for (
      let at = text.indexOf(this.delimiter, pos);
      at !== -1 && at < end;
      at = text.indexOf(this.delimiter, at + 1)
    ) {
      fields.push(text.slice(fieldStart, at));
      fieldStart = at + 1;
    }
    fields.push(text.slice(fieldStart, end));
    return fields;
  }

  /** True when text after the last returned record is still buffered (an unfinished record). */
  get hasUnfinishedRecord(): boolean {
    return this.pos < this.text.length;
  }

  /**
   * Parses one record that contains a quote somewhere, starting at `start`, as strings. Returns undefined
   * when the record does not end within the buffered text (and more text may come).
   */
  private parseRecordWithQuotes(
    text: string,
    start: number,
    line: number,
    atEnd: boolean,
  ): string[] | undefined {
    const count = this.scanQuotedRecord(text, start, line, atEnd);
    return count < 0 ? undefined : this.quotedFields(text, count);
  }

  /** The `count` fields of the record found by `scanQuotedRecord`, as strings. */
  private quotedFields(text: string, count: number): string[] {
    const fields = new Array<string>(count);
    for (let k = 0; k < count; k++) fields[k] = this.quotedField(text, k);
    return fields;
  }

  private addField(from: number, to: number, unusual: string | undefined): void {
    const k = this.fieldCount++;
    this.fieldBounds[2 * k] = unusual === undefined ? from : -1;
    this.fieldBounds[2 * k + 1] = to;
    if (unusual !== undefined) this.unusualFields[k] = unusual;
  }

  private endRecord(end: number, newlines: number): number {
    this.recordEnd = end;
    this.recordNewlines = newlines;
    return this.fieldCount;
  }

  /** Field `k` of the record found by `scanQuotedRecord`, as a string. */
  private quotedField(text: string, k: number): string {
    const from = this.fieldBounds[2 * k]!;
    return from < 0 ? this.unusualFields[k]! : text.slice(from, this.fieldBounds[2 * k + 1]!);
  }

  /**
   * Finds the fields of one record that contains a quote somewhere, starting at `start`: field `k` is
   * `text[fieldBounds[2k], fieldBounds[2k + 1])`, without its quotes, or, when it is not a plain range of
   * the text (`""` escapes, characters after the closing quote), `fieldBounds[2k]` is -1 and the value is
   * `unusualFields[k]`. Sets `recordEnd` and `recordNewlines`; returns the number of fields, or -1 when
   * the record does not end within the buffered text (and more text may come).
   */
  private scanQuotedRecord(text: string, start: number, line: number, atEnd: boolean): number {
    const length = text.length;
    const delimiter = this.delimiter;
    const delimiterCode = this.delimiterCode;
    this.fieldCount = 0;
    let p = start;
    let newlines = 0;
    // Next newline at or after `p`, remembered so that a wide record is not rescanned once per field.
    let newline = -2;
    for (;;) {
      // At the start of a field.
      let prefix: string | undefined;
      if (p < length && text.charCodeAt(p) === QUOTE) {
        const open = p;
        let searchFrom = p + 1;
        let escaped = false;
        let close: number;
        for (;;) {
          close = text.indexOf('"', searchFrom);
          if (close === -1) {
            if (!atEnd) return -1;
            const quoteLine = line + countNewlines(text, start, open);
            throw new UnreadableFileError(
              this.fileName,
              `unterminated quoted field starting at line ${quoteLine}: the file ends before its closing quote`,
            );
          }
          if (close + 1 >= length && !atEnd) return -1; // the next character decides: `""` or end
          if (text.charCodeAt(close + 1) === QUOTE) {
            escaped = true;
            searchFrom = close + 2;
            continue;
          }
          break;
        }
        const unusual = escaped ? text.slice(open + 1, close).replaceAll('""', '"') : undefined;
        newlines += countNewlines(text, open + 1, close);
        p = close + 1;
        if (p >= length) {
          this.addField(open + 1, close, unusual);
          return this.endRecord(length, newlines);
        }
        const next = text.charCodeAt(p);
        if (next === delimiterCode) {
          this.addField(open + 1, close, unusual);
          p++;
          continue;
        }
        if (next === LF) {
          this.addField(open + 1, close, unusual);
          return this.endRecord(p + 1, newlines + 1);
        }
        if (next === CR) {
          if (p + 1 >= length) {
            if (!atEnd) return -1;
            this.addField(open + 1, close, unusual);
            return this.endRecord(length, newlines);
          }
          if (text.charCodeAt(p + 1) === LF) {
            this.addField(open + 1, close, unusual);
            return this.endRecord(p + 2, newlines + 1);
          }
        }
        // Stray characters after the closing quote (`"abc"def`): keep them, as most readers do.
        prefix = unusual ?? text.slice(open + 1, close);
      }
      // Unquoted field (or the rest of a quoted one): runs to the next delimiter or line end.
      if (newline !== -1 && newline < p) newline = text.indexOf('\n', p);
      if (newline === -1 && !atEnd) return -1;
      const lineEnd = newline === -1 ? length : newline;
      const delimiterAt = text.indexOf(delimiter, p);
      if (delimiterAt !== -1 && delimiterAt < lineEnd) {
        this.addField(p, delimiterAt, prefix === undefined ? undefined : prefix + text.slice(p, delimiterAt));
        p = delimiterAt + 1;
        continue;
      }
      let fieldEnd = lineEnd;
      if (fieldEnd > p && text.charCodeAt(fieldEnd - 1) === CR) fieldEnd--;
      this.addField(p, fieldEnd, prefix === undefined ? undefined : prefix + text.slice(p, fieldEnd));
      return newline === -1 ? this.endRecord(length, newlines) : this.endRecord(newline + 1, newlines + 1);
    }
  }
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

/** True for the characters `String#trim` removes. */
function isTrimmed(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Finds the header line at the start of CSV text fed to it chunk by chunk: the first line that is not
 * blank, up to its newline outside quotes. Each character is scanned once and the chunks are joined
 * once (rescanning a growing buffer per chunk made a 17 MiB header line take 40 s).
 */
export class HeaderLineFinder {
  private readonly parts: string[] = [];
  /** Characters fed so far. */
  length = 0;
  /** Where the first line that is not blank starts (-1: not yet), and the line being looked at. */
  private start = -1;
  private lineStart = 0;
  /** Where the header line ends (its newline), once found. */
  private end = -1;
  private quoted = false;

  /** Adds the next chunk; once the header line's end is found, later chunks are only kept. */
  feed(chunk: string): void {
    const base = this.length;
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.end >= 0) return;
    let quoted = this.quoted;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (this.start < 0) {
        if (c === LF) this.lineStart = base + i + 1;
        else if (!isTrimmed(c)) this.start = this.lineStart;
        if (this.start < 0) continue;
      }
      if (c === QUOTE) quoted = !quoted;
      else if (c === LF && !quoted) {
        this.end = base + i;
        break;
      }
    }
    this.quoted = quoted;
  }

  /** True once the header line is complete. */
  get found(): boolean {
    return this.end >= 0;
  }

  /** Everything fed, as one text. */
  text(): string {
    if (this.parts.length > 1) this.parts.splice(0, this.parts.length, this.parts.join(''));
    return this.parts[0] ?? '';
  }

  /**
   * The header line, or undefined when the text does not hold the whole line yet (unless `atEnd`) or
   * holds no line that is not blank.
   */
  headerLine(atEnd: boolean): string | undefined {
    if (this.start < 0) return undefined;
    if (this.end >= 0) return this.text().slice(this.start, this.end);
    return atEnd ? this.text().slice(this.start) : undefined;
  }
}

/**
 * Finds the header line at the start of CSV text: the first line that is not blank, up to its newline
 * outside quotes. Returns undefined when `text` does not hold the whole line yet (unless `atEnd`), or
 * holds no line that is not blank.
 */
export function findHeaderLine(text: string, atEnd: boolean): string | undefined {
  const finder = new HeaderLineFinder();
  finder.feed(text);
  return finder.headerLine(atEnd);
}
