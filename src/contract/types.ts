/**
 * The contract language: how a dataset is declared. One `DatasetContract` per dataset drives
 * validation, the Parquet schema, the Glue table and the DuckDB table. Contracts are written as YAML or
 * JSON files (`datasets/*.yaml` for the built-in ones, a project's `contracts/` folder for its own),
 * checked against `schema/dataset-contract.schema.json` and compiled into these types by
 * `contract-file.ts`.
 */

/** Column types a contract can declare. Each maps to one Parquet, Glue and DuckDB type in `COLUMN_TYPES`. */
export type ColumnType = 'string' | 'integer' | 'double' | 'decimal(18,2)' | 'date' | 'timestamp' | 'boolean';

/**
 * Date and timestamp spellings a column accepts.
 * - `iso`: `2024-03-05`, `2024-03-05T10:15:00Z`, `2024-03-05 10:15:00`, `2024-03-05T10:15:00.123+02:00`
 *   (no offset means UTC)
 * - `dd/mm/yyyy`, `mm-dd-yyyy`, `yyyy/mm/dd`: day precision, optionally followed by ` HH:MM[:SS]`
 * - `dd.mm.yyyy`: day precision, optionally followed by ` HH:MM[:SS]`
 * - `yyyymmdd`: eight digits, as text or as an integer number (`20260301`), day precision
 * - `epoch_millis`, `epoch_seconds`: integer numbers (strings or JSON numbers)
 */
export type DateFormat =
  | 'iso'
  | 'dd/mm/yyyy'
  | 'mm-dd-yyyy'
  | 'yyyy/mm/dd'
  | 'dd.mm.yyyy'
  | 'yyyymmdd'
  | 'epoch_millis'
  | 'epoch_seconds';

/**
 * Values of a column taken from a reference table: the source gives a code (`4`), the row keeps the
 * table's value for it (`upi`). A code the table does not list quarantines the row.
 */
export interface ValueLookup {
  /** Where the entries come from, for messages, e.g. `reference/channels.csv`. */
  readonly source: string;
  /** Column of the table holding the codes. */
  readonly key: string;
  /** Column of the table holding the values. */
  readonly value: string;
  /** code -> value. Codes are matched after trimming, as written (`04` is not `4`). */
  readonly entries: Readonly<Record<string, string>>;
}

/** A numeric range; bounds are inclusive unless marked exclusive. */
export interface NumericRange {
  readonly min?: number;
  /** @default false */
  readonly minExclusive?: boolean;
  readonly max?: number;
  /** @default false */
  readonly maxExclusive?: boolean;
}

/** A column as tables see it: name, type and meaning. */
export interface BaseColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly description: string;
}

/** Declaration of one column of a dataset. */
export interface ColumnSpec {
  /** Canonical column name, snake_case. */
  readonly name: string;
  readonly type: ColumnType;
  /** What the column means, for people and for the Glue catalog. */
  readonly description: string;
  /**
   * A row without a value (after defaults) is quarantined.
   * @default false
   */
  readonly required?: boolean;
  /**
   * Other source names for this column (CSV headers or JSON keys). Matching ignores case, spaces,
   * `_`, `-` and `.`, so `Transaction ID`, `transaction-id` and `TransactionId` all match `transaction_id`.
   * @default - only the column name
   */
  readonly aliases?: readonly string[];
  /**
   * Dotted path of the value in a JSON record, e.g. `product.category`.
   * @default - the column name at the top level
   */
  readonly path?: string;
  /**
   * Trim surrounding whitespace from text values.
   * @default true
   */
  readonly trim?: boolean;
  /**
   * Fold text values to one case before checks.
   * @default - keep the case as given
   */
  readonly case?: 'lower' | 'upper';
  /**
   * Source spellings mapped to canonical values, e.g. `{ 'Credit Card': 'credit_card' }`. Keys are
   * matched after trimming, ignoring case, spaces, `_` and `-`.
   * @default - no value aliases
   */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /**
   * The only values allowed (after normalisation).
   * @default - any value
   */
  readonly allowed?: readonly string[];
  /**
   * Allowed numeric range (for integer, double and decimal columns).
   * @default - unbounded
   */
  readonly range?: NumericRange;
  /**
   * A pattern text values must match, with the words used in the reason when they do not.
   * @default - no pattern
   */
  readonly pattern?: { readonly regex: RegExp; readonly description: string };
  /**
   * Value used when the source has none: a literal, or the value of another column of the same row.
   * @default - no default (the value stays null)
   */
  readonly default?: string | number | { readonly fromColumn: string };
  /**
   * Accept percentages for a fraction column: `15%` becomes 0.15.
   * @default false
   */
  readonly percent?: boolean;
  /**
   * Accepted spellings for date and timestamp columns, tried in order.
   * @default ['iso']
   */
  readonly formats?: readonly DateFormat[];
  /**
   * Round numbers to the column's precision (2 places for `decimal(18,2)`, whole numbers for
   * `integer`; half away from zero) instead of quarantining rows with more digits.
   * @default false
   */
  readonly round?: boolean;
  /**
   * Take the value from a reference table by the code the source gives. The looked-up value is then
   * typed and checked like a source value.
   * @default - the source value is used as it is
   */
  readonly lookup?: ValueLookup;
}

/**
 * How a dataset's rows also enter a conformed model: its columns mapped onto the columns of the
 * built-in dataset that model reads (`transactions` for `stg_transactions`), so a second payments source
 * reaches the facts and KPIs without a SQL edit.
 */
export interface DatasetFeed {
  /** The built-in dataset whose shape the rows take, e.g. `transactions`. */
  readonly dataset: string;
  /**
   * Target column -> this dataset's column, or a constant (`{ value: 'payment' }`). Target columns not
   * listed take this dataset's column of the same name, else null.
   * @default - columns of the same name
   */
  readonly columns?: Readonly<Record<string, string | { readonly value: string | number | boolean }>>;
}
/** Declaration of one dataset: the single source of truth for its shape and rules. */
export interface DatasetContract {
  /** Dataset name, snake_case; also the landing folder (`landing/<name>/`) and the table name. */
  readonly name: string;
  readonly description: string;
  readonly columns: readonly ColumnSpec[];
  /** Columns identifying a row; duplicates inside one file keep the last row. */
  readonly primaryKey: readonly string[];
  /** The date or timestamp column whose UTC date is the partition (`dt=YYYY-MM-DD`). */
  readonly eventTime: string;
  /**
   * For snapshot deliveries (each file is the full state on a day): where the event time comes from
   * when a row has none: the file name, then the time the file landed.
   * @default - the event time comes from the row only
   */
  readonly snapshotDate?: SnapshotDateSource;
  /**
   * The conformed model this dataset's rows also feed.
   * @default - the dataset feeds no conformed model (it is still a table of its own)
   */
  readonly feeds?: DatasetFeed;
}

/**
 * Where the snapshot date of a delivery comes from when the row has no value, tried in order: the
 * first match of `fromFileName` in the file name (`invoices_2024-06-03.csv`), then, with
 * `fromLandingTime`, the UTC day the file landed.
 */
export interface SnapshotDateSource {
  /**
   * Pattern of a `YYYY-MM-DD` date in the file name.
   * @default - the file name is not used
   */
  readonly fromFileName?: RegExp;
  /**
   * Use the day the file landed when neither the row nor the file name gives a date.
   * @default false
   */
  readonly fromLandingTime?: boolean;
}

/** One rule a row broke, readable by a person and groupable by a machine. */
export interface Violation {
  /** The canonical column the rule is about (or `_row` for row-level problems). */
  readonly field: string;
  /** Stable rule id, e.g. `required`, `allowed_values`, `range`, `type`, `format`, `pattern`. */
  readonly rule: RuleId;
  /** A sentence naming the field, the value received and what was expected. */
  readonly message: string;
}

/**
 * - `required`: no value; `type`: not a number/boolean of the declared type; `format`: not a date or
 *   timestamp in an accepted format; `allowed_values`, `range`, `pattern`: the declared checks;
 * - `lookup`: a code the column's reference table does not list;
 * - `shape`: the record itself is broken (wrong number of CSV fields, an NDJSON line that is not JSON).
 */
export type RuleId =
  | 'required'
  | 'type'
  | 'format'
  | 'allowed_values'
  | 'range'
  | 'pattern'
  | 'lookup'
  | 'shape';

/** Engine types for each contract type: written once, used by Parquet, Glue and DuckDB generation. */
export const COLUMN_TYPES: Readonly<
  Record<ColumnType, { readonly glue: string; readonly duckdb: string; readonly trino: string }>
> = {
  string: { glue: 'string', duckdb: 'VARCHAR', trino: 'varchar' },
  integer: { glue: 'int', duckdb: 'INTEGER', trino: 'integer' },
  double: { glue: 'double', duckdb: 'DOUBLE', trino: 'double' },
  'decimal(18,2)': { glue: 'decimal(18,2)', duckdb: 'DECIMAL(18,2)', trino: 'decimal(18,2)' },
  date: { glue: 'date', duckdb: 'DATE', trino: 'date' },
  timestamp: { glue: 'timestamp', duckdb: 'TIMESTAMP', trino: 'timestamp' },
  boolean: { glue: 'boolean', duckdb: 'BOOLEAN', trino: 'boolean' },
};

/**
 * Columns the pipeline adds to every curated row (lineage). They follow the contract's columns in
 * the Parquet files and tables; `dt` is the Hive partition and lives in the path, not in the file.
 */
export const LINEAGE_COLUMNS = [
  { name: 'source_key', type: 'string', description: 'Landing key of the file the row came from.' },
  {
    name: 'source_line',
    type: 'integer',
    description: 'Line (CSV, NDJSON) or record number (JSON array) in the source file, 1-based.',
  },
  { name: 'ingested_at', type: 'timestamp', description: 'When the pipeline ingested the file (UTC).' },
] as const satisfies readonly { name: string; type: ColumnType; description: string }[];

/** The Hive partition column of every curated and quarantine table. */
export const PARTITION_COLUMN = 'dt';
