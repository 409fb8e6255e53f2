/**
 * `ledgerlake contract infer`: a contract proposed from a sample of a file, for the user to edit.
 * Every proposal is checked with the parsers ingest uses (src/contract/values.ts), so the proposed
 * types and formats accept every value of the sample.
 */
import type { ColumnSpec, ColumnType, DatasetContract, DateFormat } from './types';
import { ParseFailure, parseDecimalCents, parseDouble, parseInteger, parseTemporal } from './values';

/** One source column of the sample: its name in the file and, for nested JSON, its dotted path. */
export interface SampleColumn {
  readonly source: string;
  readonly path?: string;
}

export interface InferredContract {
  readonly contract: DatasetContract;
  /** What the user should look at: guesses that were not certain, and what was filled in. */
  readonly notes: readonly string[];
}

/** Day-precision formats tried for a date column, in order. */
const DAY_FORMATS: readonly DateFormat[] = ['iso', 'dd/mm/yyyy', 'mm-dd-yyyy', 'yyyy/mm/dd', 'dd.mm.yyyy'];
/** Formats that also read plain numbers (`20260301`): tried only where the column is named like a date. */
const NUMBER_LIKE_DAY_FORMATS: readonly DateFormat[] = ['yyyymmdd'];
const NAMED_DATE = /(date|day|dt)(_?key)?$|^(date|day|dt)_/i;
/** A time of day after a date (ISO `T` or a space): a timestamp rather than a date. */
const HAS_TIME = /\d[T ]\d{1,2}:\d{2}/;
const KEY_NAME = /(^id$|_id$|^key$|_key$|_no$|_number$)/;
const EVENT_NAME = /(time|date|_at$|timestamp|day)/;
const BOOLEAN_WORDS = new Set(['true', 'false', 'yes', 'no']);
/** A string column with at most this many distinct values (in a large enough sample) gets `allowed`. */
const MAX_ALLOWED_VALUES = 10;

/** snake_case column name for a source header: `Transaction ID` -> `transaction_id`. */
export function columnName(source: string): string {
  const snake = source
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (snake === '') return 'column';
  return /^[0-9]/.test(snake) ? `c_${snake}` : snake;
}

/** How ingest matches names: case, spaces, `_`, `-` and `.` ignored. */
function loose(name: string): string {
  return name.toLowerCase().replace(/[\s_.-]+/g, '');
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

const parses = (values: readonly unknown[], parse: (v: unknown) => unknown) =>
  values.every((v) => !(parse(v) instanceof ParseFailure));

/** The formats (in candidate order) that together read every value, or undefined. */
function temporalFormats(
  values: readonly unknown[],
  candidates: readonly DateFormat[],
): DateFormat[] | undefined {
  const used = new Set<DateFormat>();
  for (const value of values) {
    const format = candidates.find((f) => !(parseTemporal(value, 'timestamp', [f]) instanceof ParseFailure));
    if (format === undefined) return undefined;
    used.add(format);
  }
  return candidates.filter((f) => used.has(f));
}

interface ColumnGuess {
  readonly type: ColumnType;
  readonly formats?: DateFormat[];
}

function guessType(name: string, values: readonly unknown[]): ColumnGuess {
  if (values.length === 0) return { type: 'string' };
  const texts = values.map((v) => (typeof v === 'string' ? v.trim() : v));
  if (
    texts.every(
      (v) => typeof v === 'boolean' || (typeof v === 'string' && BOOLEAN_WORDS.has(v.toLowerCase())),
    )
  )
    return { type: 'boolean' };
  const dayFormats = NAMED_DATE.test(name) ? [...DAY_FORMATS, ...NUMBER_LIKE_DAY_FORMATS] : DAY_FORMATS;
  const stringsOnly = texts.every((v) => typeof v === 'string');
  if (stringsOnly || NAMED_DATE.test(name)) {
    const formats = temporalFormats(texts, dayFormats);
    if (formats && (stringsOnly || !formats.every((f) => f === 'iso'))) {
      const timed = texts.some((v) => typeof v === 'string' && HAS_TIME.test(v));
      return { type: timed ? 'timestamp' : 'date', formats };
    }
  }
  // Ids and codes stay text even when they look numeric: leading zeros and joins keep working.
  if (KEY_NAME.test(name)) return { type: 'string' };
  if (parses(texts, parseInteger)) return { type: 'integer' };
  if (parses(texts, parseDecimalCents)) return { type: 'decimal(18,2)' };
  if (parses(texts, (v) => parseDouble(v))) return { type: 'double' };
  return { type: 'string' };
}

function numericValue(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value).trim());
}

/**
 * Proposes a contract for `rows` (values in the order of `columns`, as the readers give them: CSV
 * text, JSON values).
 */
export function inferContract(
  name: string,
  columns: readonly SampleColumn[],
  rows: readonly (readonly unknown[])[],
  options: { readonly fileName: string },
): InferredContract {
  const notes: string[] = [];
  const taken = new Set<string>();
  const specs: ColumnSpec[] = [];
  const distinctByColumn: number[] = [];
  const completeByColumn: boolean[] = [];
  columns.forEach((column, index) => {
    let colName = columnName(column.path ?? column.source);
    for (let n = 2; taken.has(colName); n++) colName = `${columnName(column.path ?? column.source)}_${n}`;
    taken.add(colName);
    const all = rows.map((row) => row[index]);
    const present = all.filter((v) => !isMissing(v));
    const guess = guessType(colName, present);
    const distinct = new Set(present.map((v) => (typeof v === 'string' ? v.trim() : JSON.stringify(v))));
    distinctByColumn.push(distinct.size);
    completeByColumn.push(present.length === rows.length && rows.length > 0);

    const spec: {
      -readonly [K in keyof ColumnSpec]: ColumnSpec[K];
    } = {
      name: colName,
      type: guess.type,
      description: `${column.path ?? column.source} (proposed from the sample: describe it)`,
    };
    if (present.length === rows.length && rows.length > 0) spec.required = true;
    if (column.path) spec.path = column.path;
    else if (loose(column.source) !== loose(colName)) spec.aliases = [column.source];
    if (guess.formats && !(guess.formats.length === 1 && guess.formats[0] === 'iso'))
      spec.formats = guess.formats;
    const numeric = guess.type === 'integer' || guess.type === 'double' || guess.type === 'decimal(18,2)';
    if (
      numeric &&
      present.length > 0 &&
      present.every((v) => numericValue(v) >= 0) &&
      !KEY_NAME.test(colName)
    )
      spec.range = { min: 0 };
    if (
      guess.type === 'string' &&
      !KEY_NAME.test(colName) &&
      distinct.size > 0 &&
      distinct.size <= MAX_ALLOWED_VALUES &&
      present.length >= distinct.size * 5
    ) {
      spec.allowed = [...distinct].sort();
      notes.push(
        `${colName}: only ${distinct.size} distinct values in the sample, proposed as allowed values`,
      );
    }
    specs.push(spec);
  });

  const unique = specs
    .map((spec, i) => ({ spec, i }))
    .filter(({ i }) => completeByColumn[i] && distinctByColumn[i] === rows.length);
  const key = unique.find(({ spec }) => KEY_NAME.test(spec.name)) ?? unique[0];
  let primaryKey: string[];
  if (key) {
    primaryKey = [key.spec.name];
    if (!KEY_NAME.test(key.spec.name))
      notes.push(`primaryKey: ${key.spec.name} is unique in the sample; check it is a key`);
  } else {
    primaryKey = [specs[0]?.name ?? 'column'];
    notes.push(
      `primaryKey: no column is unique and complete in the sample; ${primaryKey[0]} is a placeholder`,
    );
  }

  const temporal = specs.filter((s) => s.type === 'timestamp' || s.type === 'date');
  const event =
    temporal.find((s) => s.type === 'timestamp' && EVENT_NAME.test(s.name)) ??
    temporal.find((s) => s.type === 'timestamp') ??
    temporal.find((s) => EVENT_NAME.test(s.name)) ??
    temporal[0];
  let eventTime: string;
  let snapshotDate: DatasetContract['snapshotDate'];
  if (event) {
    eventTime = event.name;
  } else {
    eventTime = 'snapshot_date';
    specs.push({
      name: 'snapshot_date',
      type: 'date',
      required: true,
      description: 'Day of the delivery: no column of the sample is a date, so the day the file landed.',
    });
    snapshotDate = { fromLandingTime: true };
    notes.push(
      'eventTime: no date or timestamp column in the sample; rows are dated by the day the file landed',
    );
  }

  const contract: DatasetContract = {
    name,
    description: `Proposed by ledgerlake contract infer from ${options.fileName} (${rows.length} rows sampled): describe one row.`,
    primaryKey,
    eventTime,
    ...(snapshotDate ? { snapshotDate } : {}),
    columns: specs,
  };
  return { contract, notes };
}
