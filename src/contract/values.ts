/**
 * Parsers from source values (CSV text or JSON values) to the in-memory representation of each column
 * type. They are on the hot path of ingest, so they work on character codes instead of regexes.
 *
 * In-memory representation (what the Parquet writer receives):
 * string -> string, integer -> int32 number, double -> number, decimal(18,2) -> integer number of
 * cents, date -> days since 1970-01-01, timestamp -> epoch milliseconds, boolean -> boolean.
 */
import type { ColumnType, DateFormat } from './types';

/**
 * A value that could not be read, with the reason. Parsers return the value itself on success and
 * allocate only on failure: they run for every cell of every file.
 */
export class ParseFailure {
  constructor(readonly reason: string) {}
}

/** Result of a parse: the value, or why it could not be read. */
export type Parsed = unknown;

const DAY_MS = 86_400_000;
/** Largest cents value of DECIMAL(18,2) that is also an exact JS integer. */
const MAX_CENTS = Number.MAX_SAFE_INTEGER;
/** Plausible years for event dates; outside them a value is almost certainly mis-read. */
const MIN_YEAR = 1900;
const MAX_YEAR = 2200;

const ok = (value: unknown): Parsed => value;
const fail = (reason: string): ParseFailure => new ParseFailure(reason);

/** Quotes a source value for a message, shortened so a huge cell does not flood the report. */
export function show(value: unknown): string {
  // A string that is not well-formed UTF-16 is shown escaped, as JSON writes it.
  const text = typeof value === 'string' && value.isWellFormed() ? value : JSON.stringify(value);
  return `'${text.length > 60 ? `${text.slice(0, 57)}...` : text}'`;
}

/**
 * Parses `12`, `-3.5`, `1234.50` (at most 2 decimals) or a JSON number into cents. With `round`, more
 * decimals are rounded half away from zero (`2.345` -> 2.35, `-2.345` -> -2.35) instead of refused.
 */
export function parseDecimalCents(raw: unknown, round = false): Parsed {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail('is not a finite number');
    // toPrecision(15) first: 1.005 * 100 is 100.49999999999999 in binary, 100.5 as written.
    const scaled = Number((raw * 100).toPrecision(15));
    const cents = Math.sign(scaled) * Math.round(Math.abs(scaled));
    if (Math.abs(cents) > MAX_CENTS) return fail(DECIMAL_TOO_LARGE);
    const exact = round || Math.abs(raw * 100 - cents) <= 1e-6;
    if (exact && Math.abs(raw) < 1e13) return ok(cents === 0 ? 0 : cents); // -0 is 0
    // 15 digits do not hold larger amounts (12345678901234.56): read the number's shortest text.
    const text = String(raw);
    return text.includes('e')
      ? fail('has more than 2 decimal places')
      : decimalCentsIn(text, 0, text.length, round);
  }
  if (typeof raw !== 'string') return fail('is not a decimal number');
  return decimalCentsIn(raw, 0, raw.length, round);
}

const DECIMAL_TOO_LARGE = 'is too large for decimal(18,2)';

/** `parseDecimalCents` of the text `s[from, to)`, without cutting it out. */
export function decimalCentsIn(s: string, from: number, n: number, round = false): Parsed {
  let i = from;
  let negative = false;
  const first = from < n ? s.charCodeAt(from) : Number.NaN;
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i++;
  }
  let whole = 0;
  let digits = 0;
  /** Whole digits after leading zeros: `000012.50` is 12.50, not too large. */
  let significant = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
    digits++;
    if (whole > 0) significant++;
  }
  let fraction = 0;
  let fractionDigits = 0;
  let roundUp = false;
  if (i < n && s.charCodeAt(i) === 46 /* . */) {
    i++;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (fractionDigits < 2) fraction = fraction * 10 + c;
      else if (round) {
        if (fractionDigits === 2) roundUp = c >= 5;
      } else if (c !== 0) return fail('has more than 2 decimal places');
      fractionDigits++;
    }
  }
  if (i !== n || (digits === 0 && fractionDigits === 0)) return fail('is not a decimal number');
  if (fractionDigits === 1) fraction *= 10;
  const cents = whole * 100 + fraction + (roundUp ? 1 : 0);
  if (significant > 16 || cents > MAX_CENTS) return fail(DECIMAL_TOO_LARGE);
  // -0.00 is 0: no negative zero reaches the lake.
  return ok(negative && cents !== 0 ? -cents : cents);
}

/**
 * Parses a whole number in the int32 range (`42`, `-7`, `3.0` from JSON). With `round`, a number with
 * decimals is rounded half away from zero (`2.5` -> 3) instead of refused.
 */
export function parseInteger(raw: unknown, round = false): Parsed {
  if (round) {
    const number = parseDouble(raw);
    if (number instanceof ParseFailure) return fail('is not a number');
    const value = number as number;
    const rounded = Math.sign(value) * Math.round(Math.abs(value));
    return int32(rounded === 0 ? 0 : rounded);
  }
  if (typeof raw === 'string') return integerIn(raw, 0, raw.length);
  if (typeof raw !== 'number' || !Number.isInteger(raw)) return fail('is not a whole number');
  return int32(raw);
}

/** `parseInteger` of the text `s[from, to)`, without cutting it out. */
export function integerIn(s: string, from: number, to: number): Parsed {
  if (!isPlainInteger(s, from, to, false)) return fail('is not a whole number');
  return int32(Number(s.slice(from, to)));
}

function int32(value: number): Parsed {
  if (value > 2_147_483_647 || value < -2_147_483_648) return fail('is outside the integer range');
  return ok(value === 0 ? 0 : value); // -0 is 0
}

/**
 * True when `s[from, n)` is `[+-]?\d+` (with `minusOnly`: `-?\d+`), at most `maxDigits` digits. A char-code
 * loop: a regex test costs several times more per cell.
 */
function isPlainInteger(
  s: string,
  from: number,
  n: number,
  minusOnly: boolean,
  maxDigits = Number.POSITIVE_INFINITY,
): boolean {
  let i = from;
  const first = from < n ? s.charCodeAt(from) : Number.NaN;
  if (first === 45 /* - */ || (first === 43 /* + */ && !minusOnly)) i++;
  if (i === n || n - i > maxDigits) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * True when `s[from, n)` is plain decimal notation: `[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`. Number()
 * alone would also take '' (0), '0x1f' (31), 'Infinity' and ' 1 '.
 */
function isPlainNumber(s: string, from: number, n: number): boolean {
  let i = from;
  let c = from < n ? s.charCodeAt(from) : Number.NaN;
  if (c === 45 || c === 43) i++;
  let digits = 0;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    digits++;
  }
  if (i < n && s.charCodeAt(i) === 46 /* . */) {
    i++;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (i < n) {
    c = s.charCodeAt(i);
    if (c !== 101 /* e */ && c !== 69 /* E */) return false;
    i++;
    c = i < n ? s.charCodeAt(i) : Number.NaN;
    if (c === 45 || c === 43) i++;
    if (i === n) return false;
    for (; i < n; i++) {
      c = s.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
  }
  return true;
}

/** Exact powers of ten up to 10^22, the largest a double holds exactly. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The value of plain decimal notation `s[from, n)` (checked by `isPlainNumber`), as Number() reads it.
 * With at most 15 digits and no exponent, digits / 10^k is exact: both are exactly representable and
 * IEEE division rounds correctly, so the result is the correctly rounded value, as Number() gives,
 * without its generic string-to-double conversion. Anything else goes to Number().
 */
function shortDecimal(s: string, from: number, n: number): number {
  let i = from;
  const first = s.charCodeAt(from);
  if (first === 45 || first === 43) i++;
  let digits = 0;
  let fraction = -1;
  let value = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      fraction = 0;
      continue;
    }
    if (c < 48 || c > 57) return Number(s.slice(from, n)); // an exponent
    value = value * 10 + (c - 48);
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits > 15) return Number(s.slice(from, n));
  const result = fraction > 0 ? value / POWERS_OF_TEN[fraction]! : value;
  return first === 45 ? -result : result;
}

/** Parses a number; with `percent`, `15%` means 0.15. */
export function parseDouble(raw: unknown, percent = false): Parsed {
  if (typeof raw === 'number')
    return Number.isFinite(raw) ? ok(raw === 0 ? 0 : raw) : fail('is not a finite number');
  if (typeof raw !== 'string') return fail('is not a number');
  let text = raw;
  let scale = 1;
  if (percent && text.endsWith('%')) {
    text = text.slice(0, -1).trimEnd();
    scale = 100;
  }
  return scale === 1 ? doubleIn(text, 0, text.length) : doubleIn(text, 0, text.length, scale);
}

/**
 * `parseDouble` (without percent) of the text `s[from, to)`, without cutting it out; the value is divided
 * by `scale`.
 */
export function doubleIn(s: string, from: number, to: number, scale = 1): Parsed {
  // Number('') is 0 and Number('0x1f') is 31: accept plain decimal notation only.
  if (!isPlainNumber(s, from, to)) return fail('is not a number');
  const value = shortDecimal(s, from, to) / scale;
  if (value === 0) {
    // -0 is 0; a non-zero number too small for a double (1e-400) must not silently become 0.
    return hasNonZeroDigit(s, from, to) ? fail('is too small for a double (it would read as 0)') : ok(0);
  }
  return Number.isFinite(value) ? ok(value) : fail('is out of range for a double (it overflows to infinity)');
}

/** True when the mantissa of plain number text `s[from, to)` has a digit other than 0. */
function hasNonZeroDigit(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 101 || c === 69) return false; // the exponent follows
    if (c > 48 && c <= 57) return true;
  }
  return false;
}

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0']);

export function parseBoolean(raw: unknown): Parsed {
  if (typeof raw === 'boolean') return ok(raw);
  const text = String(raw).toLowerCase();
  if (TRUE_WORDS.has(text)) return ok(true);
  if (FALSE_WORDS.has(text)) return ok(false);
  return fail('is not true or false');
}

function daysInMonth(year: number, month: number): number {
  return month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : month === 4 || month === 6 || month === 9 || month === 11
      ? 30
      : 31;
}

/** The character code at `i`, or NaN at or after `n` (the end of the value inside a longer text). */
function codeAt(s: string, i: number, n: number): number {
  return i < n ? s.charCodeAt(i) : Number.NaN;
}

/** Reads `count` digits at `at` (all before `n`), or -1. */
function digitsAt(s: string, at: number, count: number, n: number): number {
  if (at + count > n) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || Number.isNaN(c)) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Epoch millis of a calendar date and time, or NaN when the parts are not a real date/time. */
function utcMillis(
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): number {
  if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1) return Number.NaN;
  if (day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  // Days from the civil date (H. Hinnant's algorithm): the same value as Date.UTC for these checked
  // parts, without the builtin call's argument conversions.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  const days = era * 146_097 + dayOfEra - 719_468;
  return days * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/** Time parts read by `timeAt`: hour, minute, second, ms, zone offset in minutes. */
const TIME = [0, 0, 0, 0, 0];

/**
 * Reads an optional time part starting at `at` (` HH:MM[:SS[.fff]]` or `THH:MM...`) followed by an
 * optional zone (`Z`, `+02:00`, `+0200`, `+02`). Fills `TIME` with [hour, minute, second, ms,
 * offsetMinutes] and returns true, or returns false when the text does not match. (A shared scratch array
 * instead of a result array: this runs for every timestamp cell.)
 */
function timeAt(s: string, at: number, n: number, allowZone: boolean): boolean {
  if (at === n) {
    TIME[0] = 0;
    TIME[1] = 0;
    TIME[2] = 0;
    TIME[3] = 0;
    TIME[4] = 0;
    return true;
  }
  const sep = codeAt(s, at, n);
  if (sep !== 84 /* T */ && sep !== 32 /* space */ && sep !== 116 /* t */) return false;
  let i = at + 1;
  const hour = digitsAt(s, i, 2, n);
  if (hour < 0 || codeAt(s, i + 2, n) !== 58 /* : */) return false;
  const minute = digitsAt(s, i + 3, 2, n);
  if (minute < 0) return false;
  i += 5;
  let second = 0;
  let ms = 0;
  if (codeAt(s, i, n) === 58) {
    second = digitsAt(s, i + 1, 2, n);
    if (second < 0) return false;
    i += 3;
    const mark = codeAt(s, i, n);
    if (mark === 46 /* . */ || mark === 44 /* , */) {
      i++;
      let scale = 100;
      const start = i;
      while (i < n) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return false;
      ms = Math.floor(ms);
    }
  }
  let offset = 0;
  if (i < n) {
    if (!allowZone) return false;
    const z = s.charCodeAt(i);
    if ((z === 90 /* Z */ || z === 122) && i + 1 === n) {
      i++;
    } else if (z === 43 /* + */ || z === 45 /* - */) {
      const oh = digitsAt(s, i + 1, 2, n);
      if (oh < 0 || oh > 18) return false;
      let j = i + 3;
      if (codeAt(s, j, n) === 58) j++;
      let om = 0;
      if (j < n) {
        om = digitsAt(s, j, 2, n);
        if (om < 0 || om > 59) return false;
        j += 2;
      }
      if (j !== n) return false;
      offset = (z === 45 ? -1 : 1) * (oh * 60 + om);
      i = j;
    } else {
      return false;
    }
  }
  TIME[0] = hour;
  TIME[1] = minute;
  TIME[2] = second;
  TIME[3] = ms;
  TIME[4] = offset;
  return true;
}

/** Epoch millis of an epoch number in `format`, or NaN outside the plausible years. */
function epochMillis(value: number, format: 'epoch_millis' | 'epoch_seconds'): number {
  if (!Number.isInteger(value)) return Number.NaN;
  const millis = format === 'epoch_seconds' ? value * 1000 : value;
  const year = new Date(millis).getUTCFullYear();
  return year >= MIN_YEAR && year <= MAX_YEAR ? millis : Number.NaN;
}

/** Parses one spelling of the text `s[from, n)`; returns epoch millis or NaN. */
function millisIn(s: string, from: number, n: number, format: DateFormat): number {
  if (format === 'epoch_millis' || format === 'epoch_seconds') {
    return isPlainInteger(s, from, n, true, 16) ? epochMillis(Number(s.slice(from, n)), format) : Number.NaN;
  }
  if (format === 'iso') {
    const millis = commonIsoMillis(s, from, n);
    if (millis !== undefined) return millis;
  }
  let year: number;
  let month: number;
  let day: number;
  if (format === 'yyyymmdd') {
    if (n - from !== 8) return Number.NaN;
    year = digitsAt(s, from, 4, n);
    month = digitsAt(s, from + 4, 2, n);
    day = digitsAt(s, from + 6, 2, n);
    return year < 0 || month < 0 || day < 0 ? Number.NaN : utcMillis(year, month, day);
  }
  if (format === 'iso' || format === 'yyyy/mm/dd') {
    const sepCode = format === 'iso' ? 45 : 47;
    if (codeAt(s, from + 4, n) !== sepCode || codeAt(s, from + 7, n) !== sepCode) return Number.NaN;
    year = digitsAt(s, from, 4, n);
    month = digitsAt(s, from + 5, 2, n);
    day = digitsAt(s, from + 8, 2, n);
  } else {
    const sepCode = format === 'dd/mm/yyyy' ? 47 : format === 'dd.mm.yyyy' ? 46 : 45;
    if (codeAt(s, from + 2, n) !== sepCode || codeAt(s, from + 5, n) !== sepCode) return Number.NaN;
    const a = digitsAt(s, from, 2, n);
    const b = digitsAt(s, from + 3, 2, n);
    year = digitsAt(s, from + 6, 4, n);
    const dayFirst = format !== 'mm-dd-yyyy';
    day = dayFirst ? a : b;
    month = dayFirst ? b : a;
  }
  if (year < 0 || month < 0 || day < 0) return Number.NaN;
  if (!timeAt(s, from + 10, n, format === 'iso')) return Number.NaN;
  return utcMillis(year, month, day, TIME[0], TIME[1], TIME[2], TIME[3]) - TIME[4]! * 60_000;
}

/** Two digits at `at` as a number, or -1. */
function twoDigits(s: string, at: number): number {
  const high = s.charCodeAt(at) - 48;
  const low = s.charCodeAt(at + 1) - 48;
  return high >= 0 && high <= 9 && low >= 0 && low <= 9 ? high * 10 + low : -1;
}

/**
 * The ISO spellings machines write, `YYYY-MM-DD(T| )HH:MM:SS[.fff][Z]` (19, 20, 23 or 24 characters),
 * read at fixed places: a third of the general reader's time on the busiest column of most files.
 * Returns undefined for anything else, which the general reader then reads (or rejects), so both give
 * the same answer.
 */
function commonIsoMillis(s: string, from: number, n: number): number | undefined {
  const length = n - from;
  if (length < 19 || length > 24 || length === 21 || length === 22) return undefined;
  const sep = s.charCodeAt(from + 10);
  if (
    s.charCodeAt(from + 4) !== 45 ||
    s.charCodeAt(from + 7) !== 45 ||
    (sep !== 84 && sep !== 32) ||
    s.charCodeAt(from + 13) !== 58 ||
    s.charCodeAt(from + 16) !== 58
  ) {
    return undefined;
  }
  let ms = 0;
  if (length >= 23) {
    const fraction = twoDigits(s, from + 20);
    const last = s.charCodeAt(from + 22) - 48;
    if (s.charCodeAt(from + 19) !== 46 || fraction < 0 || last < 0 || last > 9) return undefined;
    ms = fraction * 10 + last;
  }
  if ((length === 20 || length === 24) && s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  const century = twoDigits(s, from);
  const years = twoDigits(s, from + 2);
  const month = twoDigits(s, from + 5);
  const day = twoDigits(s, from + 8);
  const hour = twoDigits(s, from + 11);
  const minute = twoDigits(s, from + 14);
  const second = twoDigits(s, from + 17);
  if ((century | years | month | day | hour | minute | second) < 0) return undefined;
  return utcMillis(century * 100 + years, month, day, hour, minute, second, ms);
}

/** Parses one spelling; returns epoch millis or NaN. */
function parseWithFormat(raw: unknown, format: DateFormat): number {
  if (typeof raw === 'number') {
    if (format === 'yyyymmdd') {
      return Number.isInteger(raw) && raw > 0
        ? millisIn(String(raw), 0, String(raw).length, format)
        : Number.NaN;
    }
    return format === 'epoch_millis' || format === 'epoch_seconds' ? epochMillis(raw, format) : Number.NaN;
  }
  return typeof raw === 'string' ? millisIn(raw, 0, raw.length, format) : Number.NaN;
}

/**
 * Parses a date or timestamp in the first of `formats` that reads it. Returns epoch millis for
 * timestamps and the UTC day number for dates.
 */
export function parseTemporal(
  raw: unknown,
  type: 'date' | 'timestamp',
  formats: readonly DateFormat[],
): Parsed {
  for (const format of formats) {
    const millis = parseWithFormat(raw, format);
    if (!Number.isNaN(millis)) return ok(type === 'date' ? Math.floor(millis / DAY_MS) : millis);
  }
  return temporalFailure(type, formats);
}

/** `parseTemporal` of the text `s[from, to)`, without cutting it out. */
export function temporalIn(
  s: string,
  from: number,
  to: number,
  type: 'date' | 'timestamp',
  formats: readonly DateFormat[],
): Parsed {
  for (let f = 0; f < formats.length; f++) {
    const millis = millisIn(s, from, to, formats[f]!);
    if (!Number.isNaN(millis)) return ok(type === 'date' ? Math.floor(millis / DAY_MS) : millis);
  }
  return temporalFailure(type, formats);
}

function temporalFailure(type: 'date' | 'timestamp', formats: readonly DateFormat[]): ParseFailure {
  return fail(`is not a valid ${type} in any accepted format (${formats.join(', ')})`);
}

/** Converts a normalised, non-null source value to the column type's in-memory representation. */
export function parseValue(
  raw: unknown,
  type: ColumnType,
  options: { formats: readonly DateFormat[]; percent: boolean; round?: boolean },
): Parsed {
  switch (type) {
    case 'string':
      return typeof raw === 'string'
        ? ok(raw)
        : typeof raw === 'object'
          ? ok(JSON.stringify(raw))
          : ok(String(raw));
    case 'integer':
      return parseInteger(raw, options.round);
    case 'double':
      return parseDouble(raw, options.percent);
    case 'decimal(18,2)':
      return parseDecimalCents(raw, options.round);
    case 'date':
    case 'timestamp':
      return parseTemporal(raw, type, options.formats);
    case 'boolean':
      return parseBoolean(raw);
  }
}

/** Day number (days since 1970-01-01 UTC) of an in-memory date or timestamp value. */
export function dayOf(value: number, type: 'date' | 'timestamp'): number {
  return type === 'date' ? value : Math.floor(value / DAY_MS);
}
