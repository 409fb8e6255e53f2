import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { dayToIso } from '../ingest/lake-layout';
import { type QueryEngine, QueryError, type QueryResult, type SqlValue } from './query-engine';

/** Options for `openDuckDb`. */
export interface DuckDbOptions {
  /**
   * Database file, or `:memory:`. The catalog is rebuilt from the lake, so memory is the norm.
   * @default ':memory:'
   */
  readonly path?: string;
  /**
   * What the engine reads from, for messages (usually the lake folder).
   * @default - the database path
   */
  readonly source?: string;
  /**
   * Worker threads DuckDB may use.
   * @default - DuckDB's default (one per core)
   */
  readonly threads?: number;
}

/** The local QueryEngine: DuckDB in-process, with Trino's integer division and UTC session time zone. */
export class DuckDbEngine implements QueryEngine {
  readonly name = 'duckdb';

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    readonly source: string,
  ) {}

  /** Runs one statement and returns every row, values normalised as documented on `SqlValue`. */
  async query(sql: string, options: { readonly exactNumbers?: boolean } = {}): Promise<QueryResult> {
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (error) {
      throw new QueryError(firstLine(error), sql, { cause: error });
    }
    const names = reader.columnNames();
    const types = reader.columnTypes().map(String);
    const rows = toRecords(reader.getRows(), names, options.exactNumbers === true);
    return { columns: names.map((name, index) => ({ name, type: types[index]! })), rows };
  }

  /**
   * Runs one statement and yields its rows a chunk (about 2,048 rows) at a time, as DuckDB produces
   * them, so a result of any size passes through in bounded memory. `columns` is known before the first
   * chunk is read.
   */
  async stream(
    sql: string,
    options: { readonly exactNumbers?: boolean } = {},
  ): Promise<{ columns: QueryResult['columns']; chunks: AsyncIterable<Record<string, SqlValue>[]> }> {
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await this.connection.stream(sql);
    } catch (error) {
      throw new QueryError(firstLine(error), sql, { cause: error });
    }
    const names = result.columnNames();
    const types = result.columnTypes().map(String);
    const exact = options.exactNumbers === true;
    async function* chunks(): AsyncIterable<Record<string, SqlValue>[]> {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof result.fetchChunk>>;
        try {
          chunk = await result.fetchChunk();
        } catch (error) {
          throw new QueryError(firstLine(error), sql, { cause: error });
        }
        if (!chunk || chunk.rowCount === 0) return;
        yield toRecords(chunk.getRows(), names, exact);
      }
    }
    return { columns: names.map((name, index) => ({ name, type: types[index]! })), chunks: chunks() };
  }

  /** Runs one or more statements (e.g. a macro pack) and discards their results. */
  async execute(sql: string): Promise<void> {
    try {
      await this.connection.run(sql);
    } catch (error) {
      throw new QueryError(firstLine(error), sql, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Rows as records by column name, each value normalised (see `normaliseValue`). */
function toRecords(
  rows: readonly DuckDBValue[][],
  names: readonly string[],
  exact: boolean,
): Record<string, SqlValue>[] {
  return rows.map((row) => {
    const record: Record<string, SqlValue> = {};
    row.forEach((value, index) => {
      record[names[index]!] = normaliseValue(value, exact);
    });
    return record;
  });
}

/**
 * The DuckDB binding, loaded by the first `openDuckDb`: loading its native library takes about 0.2 s,
 * which a command that opens no engine (`--help`, `validate`, `datasets`) does not pay.
 */
let duck: typeof import('@duckdb/node-api') | undefined;

/**
 * Opens an in-process DuckDB. The session runs in UTC (timestamps in the lake are UTC), with
 * `integer_division = true`, so `7 / 2` is 3 as on Athena (Trino) and one SQL text means the same on
 * both engines, and without insertion order: only ORDER BY orders rows, as on Athena.
 */
export async function openDuckDb(options: DuckDbOptions = {}): Promise<DuckDbEngine> {
  duck ??= await import('@duckdb/node-api');
  const path = options.path ?? ':memory:';
  const config: Record<string, string> = {};
  if (options.threads !== undefined) config.threads = String(options.threads);
  const instance = await duck.DuckDBInstance.create(path, config);
  const connection = await instance.connect();
  const engine = new DuckDbEngine(instance, connection, options.source ?? path);
  // Rows come back in no particular order unless the query says ORDER BY, as on Athena; not keeping
  // insertion order lets DuckDB materialise the big marts about twice as fast (bench/catalog.ts).
  await engine.execute(
    "set TimeZone = 'UTC'; set integer_division = true; set preserve_insertion_order = false;" +
      // Lake files never change in place (their names carry their content's fingerprint), so each
      // footer is read once per process, not once per view that binds the dataset.
      ' set parquet_metadata_cache = true;' +
      // DuckDB 1.5.5 fails with an internal error when it answers min/max of a Hive partition column
      // (max(dt)) from Parquet statistics; fixed in 1.5.6, which the registry here only has for
      // linux-x64. Without the statistics propagator such aggregates are computed from the data.
      " set disabled_optimizers = 'statistics_propagation';",
  );
  return engine;
}

/** Converts a DuckDB value to the shape both engines return (see `SqlValue`). */
export function normaliseValue(value: DuckDBValue, exact = false): SqlValue {
  if (
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'number' ||
    typeof value === 'string'
  ) {
    return value;
  }
  if (typeof value === 'bigint') {
    return exact && !Number.isSafeInteger(Number(value)) ? value.toString() : Number(value);
  }
  // Values only come from an open engine, so the binding is loaded.
  const d = duck!;
  if (value instanceof d.DuckDBDecimalValue) return exact ? value.toString() : value.toDouble();
  if (value instanceof d.DuckDBDateValue) return dayToIso(value.days);
  if (value instanceof d.DuckDBTimestampValue || value instanceof d.DuckDBTimestampTZValue) {
    return isoTimestamp(value.micros / 1000n, value.isFinite, value);
  }
  if (value instanceof d.DuckDBTimestampMillisecondsValue)
    return isoTimestamp(value.millis, value.isFinite, value);
  if (value instanceof d.DuckDBTimestampSecondsValue)
    return isoTimestamp(value.seconds * 1000n, value.isFinite, value);
  if (value instanceof d.DuckDBTimestampNanosecondsValue) {
    return isoTimestamp(value.nanos / 1_000_000n, value.isFinite, value);
  }
  if (value instanceof d.DuckDBListValue || value instanceof d.DuckDBArrayValue)
    return value.items.map((item) => normaliseValue(item, exact));
  if (value instanceof d.DuckDBStructValue) {
    return Object.fromEntries(
      Object.entries(value.entries).map(([key, item]) => [key, normaliseValue(item, exact)]),
    );
  }
  if (value instanceof d.DuckDBMapValue) {
    return Object.fromEntries(
      value.entries.map(({ key, value: item }) => [String(normaliseValue(key)), normaliseValue(item, exact)]),
    );
  }
  if (value instanceof d.DuckDBUnionValue) return normaliseValue(value.value, exact);
  // Time, interval, blob, uuid, bit: their text form is the readable one on both engines.
  return String(value);
}

function isoTimestamp(millis: bigint, finite: boolean, value: { toString(): string }): string {
  return finite ? new Date(Number(millis)).toISOString() : value.toString();
}

/** DuckDB errors span several lines (hints, caret); the first line is the reason. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
