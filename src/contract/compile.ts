import { posix } from 'node:path';
import { dayToIso, LAKE_CALENDAR } from '../ingest/lake-layout';
/**
 * Turns a `DatasetContract` into the fast functions the ingest pipeline calls per row: binding source
 * columns (CSV headers, JSON paths) to contract columns, and validating + typing one row.
 */
import { JsonKeyTracker } from './json-keys';
import { requiredMessage, VALUE_RULES, type ValueRule } from './rules';
import { TextMemo } from './text-memo';
import type { ColumnSpec, DatasetContract, DateFormat, Violation } from './types';
import {
  decimalCentsIn,
  doubleIn,
  integerIn,
  ParseFailure,
  parseBoolean,
  parseDecimalCents,
  parseDouble,
  parseInteger,
  parseTemporal,
  show,
  temporalIn,
} from './values';

/** Shared empty result, so valid rows allocate nothing. */
const NO_VIOLATIONS: Violation[] = [];
/** Text values read as "no value": '', 'null', 'NULL', 'Null'. Compared directly, a Set lookup hashes every cell. */
function isNullWord(text: string): boolean {
  return text.length === 0 || (text.length === 4 && (text === 'null' || text === 'NULL' || text === 'Null'));
}

/** `isNullWord` of the 4 characters at `from`, without cutting them out (n, u, l, l in any case). */
function isNullWordAt(text: string, from: number): boolean {
  return (
    (text.charCodeAt(from) | 32) === 110 &&
    (text.charCodeAt(from + 1) | 32) === 117 &&
    (text.charCodeAt(from + 2) | 32) === 108 &&
    (text.charCodeAt(from + 3) | 32) === 108
  );
}

/**
 * True when the non-empty cell `text[from, to)` is its own normalised value as far as trimming and null
 * words go: nothing to trim at either end, and not `null` in any case.
 */
function isPlainCell(text: string, from: number, to: number): boolean {
  return (
    !mayTrim(text.charCodeAt(from)) &&
    !mayTrim(text.charCodeAt(to - 1)) &&
    !(to - from === 4 && isNullWordAt(text, from))
  );
}

/**
 * Marks a value in `raw` that is a cell of the text a CSV record was read from: its place is in the
 * compiled contract's `CellRanges` (see `RecordBinding.extractFromText`).
 */
const IN_TEXT = Symbol('cell in text');

/**
 * True for every character `String#trim` could remove (and some it would not): checking the two ends of
 * a cell is cheaper than calling trim on every cell, most of which have nothing to trim.
 */
function mayTrim(code: number): boolean {
  return code <= 32 || code >= 0xa0;
}

/** Column types as small integers, for a switch per cell instead of string compares. */
const Kind = { String: 0, Integer: 1, Double: 2, Decimal: 3, Temporal: 4, Boolean: 5 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];
const KIND_OF: Readonly<Record<ColumnSpec['type'], Kind>> = {
  string: Kind.String,
  integer: Kind.Integer,
  double: Kind.Double,
  'decimal(18,2)': Kind.Decimal,
  date: Kind.Temporal,
  timestamp: Kind.Temporal,
  boolean: Kind.Boolean,
};

/** Case folding as a small integer. */
const Fold = { None: 0, Lower: 1, Upper: 2 } as const;
type Fold = (typeof Fold)[keyof typeof Fold];
/**
 * Distinct raw strings remembered per column: enough for the customer and account ids of a typical book,
 * so each is looked up instead of parsed, and shared by every row that has it. With `MEMO_MAX_CHARS`,
 * at most about 8 MB a column (key and value kept), a few hundred KB for ids.
 */
const MEMO_LIMIT = 8192;
/**
 * Lookups after which a text column without allowed values, aliases or case keeps its memo only if most
 * of them were hits. A repeated value (city, customer id) then costs one lookup and is shared by every
 * row that has it, instead of each row keeping its own copy alive in the partition buffers; a column of
 * unique ids drops its memo.
 */
const MEMO_TRIAL = 8192;
/** Longest raw string a memo keeps: bounds the memo's memory whatever the cells hold. */
const MEMO_MAX_CHARS = 256;

/**
 * A copy of `text` that shares no memory with it. Cells of 13 characters or more are slices of a 1 MB
 * chunk of the file in V8; a memo entry keeps its string for the whole file and must not keep the chunk.
 */
function detached(text: string): string {
  return text.length < 13 ? text : text.split('').join('');
}

/** Matching key for names and value aliases: lower case without spaces, `_`, `-` and `.`. */
export function looseKey(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

/** A contract that cannot work (bad default, unknown key column, ...): a mistake in its contract file. */
export class ContractError extends Error {
  constructor(dataset: string, message: string) {
    super(`dataset contract '${dataset}': ${message}`);
    this.name = 'ContractError';
  }
}

interface CompiledColumn {
  readonly spec: ColumnSpec;
  readonly name: string;
  readonly kind: Kind;
  readonly fold: Fold;
  readonly percent: boolean;
  /** Round to the type's precision instead of refusing more digits (integer and decimal columns). */
  readonly round: boolean;
  /** code -> value, for a column that looks its values up in a reference table. */
  readonly lookup: ReadonlyMap<string, string> | undefined;
  /** 'format' for dates and timestamps, 'type' for the others: the rule id of a parse failure. */
  readonly parseRule: 'format' | 'type';
  readonly index: number;
  readonly required: boolean;
  readonly trim: boolean;
  readonly formats: readonly DateFormat[];
  readonly parseOptions: { readonly formats: readonly DateFormat[]; readonly percent: boolean };
  readonly valueAliases: ReadonlyMap<string, string> | undefined;
  readonly rules: readonly ValueRule[];
  /** Literal default, already normalised text or a JSON value. */
  readonly literalDefault: unknown;
  /** Index of the column whose value is the default. */
  readonly defaultFrom: number;
  /**
   * Numbers the raw strings of a text column (their parsed results are in `memoValues` and
   * `memoViolations`). Columns with allowed values, aliases or case folding
   * keep it; other text columns keep it only while it pays (see `MEMO_TRIAL`).
   */
  memo: TextMemo | undefined;
  /** The checked value and violation of each text in `memo`, by its number there. */
  memoValues: unknown[];
  memoViolations: (Violation | undefined)[];
  /**
   * A number or date column without value aliases or case folding: a cell that needs no trimming is
   * parsed where it lies in the text, with the same parser, instead of being cut out first.
   */
  readonly parsedInText: boolean;
  /** Memo lookups still on trial, or 0 when the memo is kept for good. */
  memoTrial: number;
  memoHits: number;
}

/** A parsed value with the reason it breaks a rule, if it does. */
/**
 * A JSON string can escape half of a surrogate pair (`"\ud800"`), which UTF-8 cannot store: written to
 * Parquet it would become U+FFFD, so the row is quarantined (its original keeps the escape) rather than
 * changed.
 */
const UNPAIRED_SURROGATE =
  'holds half of a UTF-16 surrogate pair, which UTF-8 cannot store (it would be written as U+FFFD); fix the escape in the source';

/** Ends a column's memo trial: the memo is kept for good if most lookups were hits, else dropped. */
function endMemoTrial(column: CompiledColumn): void {
  if (column.memoHits >= MEMO_TRIAL / 2) return;
  column.memo = undefined;
  column.memoValues = [];
  column.memoViolations = [];
}

/** A JSON number beyond 2^53 that is a whole number: the parser may have rounded away its last digits. */
function inexactInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

/** How one source's records map onto the contract's columns. */
export interface RecordBinding {
  /**
   * Source columns that match no contract column. For JSON, the keys (dotted for nested ones) of the
   * records read so far, at most `MAX_IGNORED_COLUMNS`.
   */
  readonly ignoredColumns: readonly string[];
  /**
   * CSV: contract columns that more than one header field matches (a name twice, or a name and its
   * alias), with the 1-based positions and names of those fields. The file cannot be ingested: which
   * value is meant is ambiguous.
   */
  readonly ambiguousColumns?: readonly AmbiguousColumn[];
  /** Required contract columns with no source column and no default: the file cannot be ingested. */
  readonly missingRequired: readonly string[];
  /**
   * CSV: for each contract column, the index of the source field it is read from, or -1. Undefined for
   * JSON (columns are read by path).
   */
  readonly sourceIndexes?: readonly number[];
  /**
   * Copies a record's values into `raw` in contract column order (undefined where the source has none).
   * Returns a row-level violation when the record has the wrong shape.
   */
  extract(record: unknown, raw: unknown[]): Violation | undefined;
  /**
   * CSV: `extract` for a record the tokenizer left in its text (see `CsvTokenizer.readInText`): field `k`
   * is `text[bounds[base + 2k], bounds[base + 2k + 1])`, and the record has exactly the header's number
   * of fields. Key columns are cut out (`keyOf` reads them); the other cells stay in the text until
   * `validate`, which cuts out only what it keeps. Valid until the next call.
   */
  extractFromText?(text: string, bounds: Int32Array, base: number, raw: unknown[]): void;
  /** The record's original values, keyed by the source's own names (for the quarantine). */
  original(record: unknown): Record<string, unknown>;
}

/** A contract column that several source columns match. */
export interface AmbiguousColumn {
  readonly column: string;
  /** The matching source columns: 1-based position and name as in the file. */
  readonly sources: readonly { readonly position: number; readonly name: string }[];
}

/** A dataset contract compiled for per-row use. */
export interface CompiledContract {
  readonly contract: DatasetContract;
  readonly columnCount: number;
  readonly eventTimeIndex: number;
  readonly eventTimeType: 'date' | 'timestamp';
  readonly primaryKeyIndexes: readonly number[];
  /** Binds a CSV header. */
  bindHeader(header: readonly string[]): RecordBinding;
  /** Binds JSON records (objects, with nested paths). */
  bindJson(): RecordBinding;
  /**
   * Normalises, types and checks one row given its raw values in contract order. Typed values are
   * written into `out`; the violations are returned (an empty array when the row is valid).
   *
   * With `codes`, `codes[i]` is set to a number that stands for the value of column `i` (its memo entry)
   * or to -1: equal codes of a column mean equal values, so a writer can find a value's dictionary entry
   * without hashing it (one value may have several codes, from cells written differently).
   */
  validate(raw: readonly unknown[], out: unknown[], codes?: Int32Array): Violation[];
  /** The row's primary key as one string, or undefined when a key value is missing. */
  keyOf(raw: readonly unknown[]): string | undefined;
  /**
   * True when the cell `text[from, to)` of the (single) key column is, as it is, what `keyOf` returns for
   * it: the key is one text column without value aliases or case folding, and the cell needs no trimming
   * and is not a null word. The key pass then hashes the cell where it lies.
   */
  isOwnKey(text: string, from: number, to: number): boolean;
}

/** The file being ingested, for values that come from the delivery rather than the rows. */
export interface SourceFile {
  /** Landing key; its file name may carry the snapshot date. */
  readonly key: string;
  /** When the file landed (the object's last-modified time). */
  readonly landedAt: Date;
}

/**
 * The event time a snapshot delivery gives rows without one (see `DatasetContract.snapshotDate`),
 * as an ISO date, or undefined.
 */
export function snapshotDateOf(contract: DatasetContract, file: SourceFile): string | undefined {
  const source = contract.snapshotDate;
  if (!source) return undefined;
  const fromName = source.fromFileName?.exec(posix.basename(file.key))?.[0];
  if (fromName !== undefined) return fromName;
  return source.fromLandingTime ? file.landedAt.toISOString().slice(0, 10) : undefined;
}

/**
 * Compiles a contract; throws ContractError when the declaration is inconsistent. With `file`, values
 * the delivery provides (a snapshot date) become the event time's default for this file.
 */
export function compileContract(contract: DatasetContract, file?: SourceFile): CompiledContract {
  // Event times must fall in the lake's calendar and not after the day after the file landed.
  const eventWindow = file
    ? {
        first: isoDay(LAKE_CALENDAR.first),
        last: Math.min(isoDay(LAKE_CALENDAR.last), Math.floor(file.landedAt.getTime() / DAY_MS) + 1),
      }
    : undefined;
  const deliveryEventTime = file ? snapshotDateOf(contract, file) : undefined;
  const byName = new Map(contract.columns.map((c, i) => [c.name, i]));
  const fail = (message: string): never => {
    throw new ContractError(contract.name, message);
  };
  const columns: CompiledColumn[] = contract.columns.map((spec, index) => {
    const defaultValue = spec.default;
    let defaultFrom = -1;
    let literalDefault: unknown;
    if (typeof defaultValue === 'object') {
      defaultFrom =
        byName.get(defaultValue.fromColumn) ??
        fail(`${spec.name} defaults to unknown column ${defaultValue.fromColumn}`);
      if (contract.columns[defaultFrom]?.type !== spec.type)
        fail(`${spec.name} defaults to a column of another type`);
    } else {
      literalDefault = spec.name === contract.eventTime ? (defaultValue ?? deliveryEventTime) : defaultValue;
    }
    const textual = spec.type === 'string';
    return {
      spec,
      name: spec.name,
      kind: KIND_OF[spec.type],
      fold: spec.case === 'lower' ? Fold.Lower : spec.case === 'upper' ? Fold.Upper : Fold.None,
      percent: spec.percent ?? false,
      round: spec.round ?? false,
      lookup: spec.lookup ? new Map(Object.entries(spec.lookup.entries)) : undefined,
      parseRule: spec.type === 'date' || spec.type === 'timestamp' ? 'format' : 'type',
      index,
      required: spec.required ?? false,
      trim: spec.trim ?? true,
      formats: spec.formats ?? ['iso'],
      parseOptions: { formats: spec.formats ?? ['iso'], percent: spec.percent ?? false },
      valueAliases: spec.valueAliases
        ? new Map(Object.entries(spec.valueAliases).map(([from, to]) => [looseKey(from), to]))
        : undefined,
      rules: VALUE_RULES.filter((rule) => rule.appliesTo(spec)),
      literalDefault,
      defaultFrom,
      memo: textual || spec.lookup ? new TextMemo() : undefined,
      memoValues: [],
      memoViolations: [],
      parsedInText:
        spec.type !== 'string' &&
        spec.type !== 'boolean' &&
        !spec.valueAliases &&
        !spec.case &&
        !spec.lookup &&
        !(spec.round && spec.type === 'integer'),
      memoTrial: spec.allowed || spec.valueAliases || spec.case || spec.lookup ? 0 : MEMO_TRIAL,
      memoHits: 0,
    };
  });
  const eventTimeIndex =
    byName.get(contract.eventTime) ?? fail(`eventTime ${contract.eventTime} is not a column`);
  const eventTimeType = contract.columns[eventTimeIndex]?.type;
  if (eventTimeType !== 'date' && eventTimeType !== 'timestamp')
    fail(`eventTime ${contract.eventTime} must be a date or timestamp`);
  const primaryKeyIndexes = contract.primaryKey.map(
    (name) => byName.get(name) ?? fail(`primary key ${name} is not a column`),
  );

  /** Trim, fold case and map value aliases; null for "no value". */
  function normalise(column: CompiledColumn, value: unknown): unknown {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'string') return value;
    let text = value;
    const length = text.length;
    if (length === 0) return null;
    if (column.trim && (mayTrim(text.charCodeAt(0)) || mayTrim(text.charCodeAt(length - 1)))) {
      text = text.trim();
    }
    if (isNullWord(text)) return null;
    if (column.valueAliases !== undefined) {
      const alias = column.valueAliases.get(looseKey(text));
      if (alias !== undefined) return alias;
    }
    const fold = column.fold;
    return fold === Fold.None ? text : fold === Fold.Lower ? text.toLowerCase() : text.toUpperCase();
  }

  /** Where the `IN_TEXT` values of the record being validated lie: set by `extractFromText`. */
  const cells: CellRanges = {
    text: '',
    start: new Int32Array(columns.length),
    end: new Int32Array(columns.length),
  };
  const isKeyColumn = columns.map((c) => primaryKeyIndexes.includes(c.index));

  /** Value produced by the last `check` (kept outside the result so valid cells allocate nothing). */
  let checkedValue: unknown = null;

  /** Parses a normalised non-null value into `checkedValue` and applies the column's rules. */
  function check(column: CompiledColumn, source: unknown): Violation | undefined {
    let value = source;
    if (column.lookup !== undefined) {
      // Codes are matched as text: a JSON or Parquet number 4 finds the row whose code is `4`.
      const code = typeof source === 'object' ? JSON.stringify(source) : String(source);
      value = column.lookup.get(code);
      if (value === undefined) {
        checkedValue = null;
        const { name } = column;
        const lookup = column.spec.lookup!;
        return {
          field: name,
          rule: 'lookup',
          message: `${name} ${show(source)} has no entry in ${lookup.source} (no row whose ${lookup.key} is ${code})`,
        };
      }
    }
    let parsed: unknown;
    switch (column.kind) {
      case Kind.String:
        parsed =
          typeof value === 'string'
            ? value.isWellFormed()
              ? value
              : new ParseFailure(UNPAIRED_SURROGATE)
            : typeof value === 'object'
              ? JSON.stringify(value)
              : inexactInteger(value)
                ? new ParseFailure(
                    'is a JSON number too large to be read exactly (its last digits may be lost); write it as a string',
                  )
                : String(value);
        break;
      case Kind.Integer:
        parsed = parseInteger(value, column.round);
        break;
      case Kind.Double:
        parsed = parseDouble(value, column.percent);
        break;
      case Kind.Decimal:
        parsed = parseDecimalCents(value, column.round);
        break;
      case Kind.Temporal:
        parsed = parseTemporal(value, column.spec.type as 'date' | 'timestamp', column.formats);
        break;
      case Kind.Boolean:
        parsed = parseBoolean(value);
        break;
    }
    if (parsed instanceof ParseFailure) {
      checkedValue = null;
      const { name } = column;
      return { field: name, rule: column.parseRule, message: `${name} ${show(value)} ${parsed.reason}` };
    }
    checkedValue = parsed;
    return ruleViolation(column, parsed);
  }

  /** Parses the cell `text[from, to)` of a `parsedInText` column, as `check` parses the cut-out cell. */
  function parseInText(column: CompiledColumn, text: string, from: number, to: number): unknown {
    switch (column.kind) {
      case Kind.Temporal:
        return temporalIn(text, from, to, column.spec.type as 'date' | 'timestamp', column.formats);
      case Kind.Decimal:
        return decimalCentsIn(text, from, to, column.round);
      case Kind.Double:
        return column.percent && text.charCodeAt(to - 1) === 37 /* % */
          ? new ParseFailure('percent')
          : doubleIn(text, from, to);
      case Kind.Integer:
        return integerIn(text, from, to);
      default:
        return new ParseFailure('not parsed in text');
    }
  }

  /** The rules of a parsed, non-null value, as `check` applies them. */
  function ruleViolation(column: CompiledColumn, parsed: unknown): Violation | undefined {
    const { rules } = column;
    for (let r = 0; r < rules.length; r++) {
      const rule = rules[r]!;
      const message = rule.check(column.spec, parsed);
      if (message !== undefined) return { field: column.name, rule: rule.id, message };
    }
    return undefined;
  }

  /** Columns whose default is another column's value, filled in after the row's own values. */
  const defaultedColumns = columns.filter((c) => c.defaultFrom >= 0);

  function validate(raw: readonly unknown[], out: unknown[], codes?: Int32Array): Violation[] {
    let violations: Violation[] | undefined;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      let source = raw[i];
      let value: unknown = null;
      let violation: Violation | undefined;
      let fromText = false;
      let code = -1;
      if (source === IN_TEXT) {
        // A CSV cell still in the text: answered from the memo or parsed where it lies when that gives
        // exactly what the cut-out cell would; otherwise cut out and handled below.
        const { text } = cells;
        const from = cells.start[i]!;
        const to = cells.end[i]!;
        source = '';
        if (from < to) {
          if (column.memo !== undefined) {
            const index = column.memo.indexOfRange(text, from, to);
            if (index >= 0) {
              value = column.memoValues[index];
              violation = column.memoViolations[index];
              code = index;
              fromText = true;
              if (column.memoTrial > 0) {
                column.memoHits++;
                if (--column.memoTrial === 0) endMemoTrial(column);
              }
            }
          } else if (column.parsedInText && isPlainCell(text, from, to)) {
            const parsed = parseInText(column, text, from, to);
            if (!(parsed instanceof ParseFailure)) {
              value = parsed;
              violation = ruleViolation(column, parsed);
              fromText = true;
            }
          }
          if (!fromText) source = text.slice(from, to);
        }
      }
      if (fromText) {
        // Done above.
      } else if (column.memo && typeof source === 'string') {
        const memo = column.memo;
        const index = memo.indexOf(source);
        if (index >= 0) {
          value = column.memoValues[index];
          violation = column.memoViolations[index];
          code = index;
        } else {
          const normalised = normalise(column, source);
          if (normalised !== null) {
            violation = check(column, normalised);
            value = checkedValue;
          }
          if (memo.size < MEMO_LIMIT && source.length <= MEMO_MAX_CHARS) {
            if (typeof value === 'string') value = detached(value);
            code = memo.add(detached(source));
            column.memoValues.push(value);
            column.memoViolations.push(violation);
          }
        }
        if (column.memoTrial > 0) {
          if (index >= 0) column.memoHits++;
          if (--column.memoTrial === 0) endMemoTrial(column);
        }
      } else {
        const normalised = normalise(column, source);
        if (normalised !== null) {
          violation = check(column, normalised);
          value = checkedValue;
        }
      }
      if (value === null && violation === undefined && column.literalDefault !== undefined) {
        violation = check(column, normalise(column, column.literalDefault));
        value = checkedValue;
        code = -1;
      }
      out[i] = value;
      if (codes !== undefined) codes[i] = code;
      if (!violation && value === null && column.required && column.defaultFrom < 0) {
        violation = {
          field: column.spec.name,
          rule: 'required',
          message: requiredMessage(column.spec, source !== undefined),
        };
      }
      if (violation) {
        if (violations) violations.push(violation);
        else violations = [violation];
      }
    }
    for (let d = 0; d < defaultedColumns.length; d++) {
      const column = defaultedColumns[d]!;
      if (out[column.index] !== null) continue;
      out[column.index] = out[column.defaultFrom];
      // The other column's code numbers that column's values, not this one's.
      if (codes !== undefined) codes[column.index] = -1;
      if (
        out[column.index] === null &&
        column.required &&
        !violations?.some((v) => v.field === column.spec.name)
      ) {
        const violation: Violation = {
          field: column.spec.name,
          rule: 'required',
          message: `${column.spec.name} is required but empty (and so is ${columns[column.defaultFrom]?.spec.name}, its default)`,
        };
        if (violations) violations.push(violation);
        else violations = [violation];
      }
    }
    if (
      eventWindow &&
      (violations === undefined || !violations.some((v) => v.field === contract.eventTime))
    ) {
      const value = out[eventTimeIndex];
      if (typeof value === 'number') {
        const day = eventTimeType === 'date' ? value : Math.floor(value / DAY_MS);
        if (day < eventWindow.first || day > eventWindow.last) {
          const violation = eventWindowViolation(contract.eventTime, day, eventWindow);
          if (violations) violations.push(violation);
          else violations = [violation];
        }
      }
    }
    return violations ?? NO_VIOLATIONS;
  }

  function keyOf(raw: readonly unknown[]): string | undefined {
    let key = '';
    for (let k = 0; k < primaryKeyIndexes.length; k++) {
      const column = columns[primaryKeyIndexes[k]!]!;
      const value = normalise(column, raw[column.index]) ?? normalise(column, column.literalDefault);
      if (value === null) return undefined;
      check(column, value);
      // Unparseable key values still identify the row by their text; the row is quarantined anyway.
      const part = checkedValue === null ? String(value) : String(checkedValue);
      key = k === 0 ? part : `${key}\u001f${part}`;
    }
    return key;
  }

  const keyColumn = primaryKeyIndexes.length === 1 ? columns[primaryKeyIndexes[0]!] : undefined;
  const plainTextKey =
    keyColumn !== undefined &&
    keyColumn.kind === Kind.String &&
    keyColumn.valueAliases === undefined &&
    keyColumn.fold === Fold.None;
  function isOwnKey(text: string, from: number, to: number): boolean {
    return plainTextKey && from < to && isPlainCell(text, from, to);
  }

  return {
    contract,
    columnCount: columns.length,
    eventTimeIndex,
    eventTimeType: eventTimeType as 'date' | 'timestamp',
    primaryKeyIndexes,
    bindHeader: (header) => bindHeader(columns, header, cells, isKeyColumn),
    bindJson: () => bindJson(columns),
    validate,
    keyOf,
    isOwnKey,
  };
}

/** Where the cells of the CSV record being validated lie in the text it was read from. */
interface CellRanges {
  text: string;
  /** Per contract column: first character of its cell, and the end of the cell (exclusive). */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

function bindHeader(
  columns: readonly CompiledColumn[],
  header: readonly string[],
  cells: CellRanges,
  isKeyColumn: readonly boolean[],
): RecordBinding {
  const looseHeader = header.map(looseKey);
  /** The loose names a column answers to, its own name first. */
  const namesOf = (column: CompiledColumn) =>
    [column.spec.name, ...(column.spec.aliases ?? []), ...(column.spec.path ? [column.spec.path] : [])].map(
      looseKey,
    );
  const indexes = columns.map((column) => {
    for (const name of namesOf(column)) {
      const at = looseHeader.indexOf(name);
      if (at >= 0) return at;
    }
    return -1;
  });
  const ambiguousColumns: AmbiguousColumn[] = [];
  for (const column of columns) {
    const names = new Set(namesOf(column));
    const sources = header
      .map((name, j) => ({ position: j + 1, name }))
      .filter((_, j) => names.has(looseHeader[j]!));
    if (sources.length > 1) ambiguousColumns.push({ column: column.spec.name, sources });
  }
  const used = new Set(indexes);
  const ignoredColumns = header.filter((_, j) => !used.has(j));
  const missingRequired = columns
    .filter(
      (c) => indexes[c.index] === -1 && c.required && c.literalDefault === undefined && c.defaultFrom < 0,
    )
    .map((c) => c.spec.name);
  const width = header.length;
  return {
    ignoredColumns,
    ambiguousColumns,
    missingRequired,
    sourceIndexes: indexes,
    extract(record, raw) {
      const fields = record as string[];
      for (let i = 0; i < indexes.length; i++) {
        const j = indexes[i]!;
        raw[i] = j >= 0 ? fields[j] : undefined;
      }
      if (fields.length !== width) {
        // A trailing delimiter gives extra empty fields: harmless. Anything else is a broken row.
        const extraAreEmpty = fields.length > width && fields.slice(width).every((f) => f.trim() === '');
        if (!extraAreEmpty) {
          return {
            field: '_row',
            rule: 'shape',
            message: `row has ${fields.length} fields but the header has ${width}`,
          };
        }
      }
      return undefined;
    },
    extractFromText(text, bounds, base, raw) {
      cells.text = text;
      for (let i = 0; i < indexes.length; i++) {
        const j = indexes[i]!;
        if (j < 0) {
          raw[i] = undefined;
        } else if (isKeyColumn[i]) {
          raw[i] = text.slice(bounds[base + 2 * j]!, bounds[base + 2 * j + 1]!);
        } else {
          raw[i] = IN_TEXT;
          cells.start[i] = bounds[base + 2 * j]!;
          cells.end[i] = bounds[base + 2 * j + 1]!;
        }
      }
    },
    original(record) {
      const fields = record as string[];
      const values: Record<string, unknown> = {};
      header.forEach((name, j) => {
        values[name] = fields[j] ?? null;
      });
      if (fields.length > width) values._extra_fields = fields.slice(width);
      return values;
    },
  };
}

/** JSON record binding: each column is read from its path, then its aliases, then a loose key match. */
function bindJson(columns: readonly CompiledColumn[]): RecordBinding {
  const candidates = columns.map((c) =>
    [c.spec.path ?? c.spec.name, c.spec.name, ...(c.spec.aliases ?? [])].map((p) => p.split('.')),
  );
  const lookup = (record: unknown, path: readonly string[]): unknown => {
    let node = record;
    for (const segment of path) {
      if (node === null || typeof node !== 'object') return undefined;
      const object = node as Record<string, unknown>;
      let next = object[segment];
      if (next === undefined) {
        const wanted = looseKey(segment);
        for (const key in object) {
          if (looseKey(key) === wanted) {
            next = object[key];
            break;
          }
        }
      }
      node = next;
    }
    return node;
  };
  const keys = new JsonKeyTracker(
    candidates,
    columns.map((c) => c.spec.name),
    looseKey,
  );
  return {
    get ignoredColumns() {
      return keys.ignoredColumns;
    },
    missingRequired: [],
    extract(record, raw) {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        for (let i = 0; i < columns.length; i++) raw[i] = undefined;
        const what = record === null ? 'null' : Array.isArray(record) ? 'an array' : `a ${typeof record}`;
        return { field: '_row', rule: 'shape', message: `record is ${what}, not a JSON object` };
      }
      for (let i = 0; i < columns.length; i++) {
        let value: unknown;
        for (const path of candidates[i]!) {
          value = lookup(record, path);
          if (value !== undefined) break;
        }
        raw[i] = value;
      }
      const ambiguous = keys.observe(record as Record<string, unknown>);
      return ambiguous && { field: ambiguous.column, rule: 'shape', message: ambiguous.message };
    },
    original(record) {
      return record !== null && typeof record === 'object' && !Array.isArray(record)
        ? (record as Record<string, unknown>)
        : { _value: record };
    },
  };
}

const DAY_MS = 86_400_000;

function isoDay(iso: string): number {
  return Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
}

function eventWindowViolation(
  field: string,
  day: number,
  window: { first: number; last: number },
): Violation {
  const message =
    day < window.first
      ? `${field} ${dayToIso(day)} is before ${dayToIso(window.first)}, the first day of the lake's calendar`
      : `${field} ${dayToIso(day)} is after ${dayToIso(window.last)}: later than the day after the file landed (or the calendar's end)`;
  return { field, rule: 'range', message };
}
