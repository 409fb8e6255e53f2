/**
 * The one interface for running SQL on the lake. DuckDB implements it locally, Athena in AWS; alerts
 * and the report only ever see this interface.
 */
export interface QueryEngine {
  /** `duckdb` or `athena`, for messages and report footers. */
  readonly name: string;
  /** Where the engine reads from, for messages: a lake folder or `athena://workgroup/database`. */
  readonly source: string;
  /** Runs one statement and returns every row. Values are normalised as described on `SqlValue`. */
  query(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/**
 * Values as both engines return them after normalisation: integers and decimals as numbers, dates as
 * `YYYY-MM-DD`, timestamps as ISO-8601 UTC strings (`2024-03-05T10:15:00.000Z`), booleans, strings,
 * null. Arrays, maps and rows keep their structure.
 */
export type SqlValue = string | number | boolean | null | SqlValue[] | { [key: string]: SqlValue };

export interface QueryResult {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly Record<string, SqlValue>[];
}

/** Raised when a query fails, with the engine's reason and the statement that failed. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly sql: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QueryError';
  }
}
