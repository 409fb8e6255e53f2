import {
  type ColumnInfo,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  type QueryExecution,
  type Row,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandOutput,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { type QueryEngine, QueryError, type QueryResult, type SqlValue } from './query-engine';

/** The Athena API calls the engine makes. */
export type AthenaCommand =
  | StartQueryExecutionCommand
  | GetQueryExecutionCommand
  | GetQueryResultsCommand
  | StopQueryExecutionCommand;

/** The one client method the engine calls; an `AthenaClient` fits, and so does a test double. */
export interface AthenaSend {
  send(command: AthenaCommand): Promise<unknown>;
}

/** How the engine waits for a query: exponential backoff between GetQueryExecution calls. */
export interface AthenaPolling {
  /** First wait after StartQueryExecution. @default 250 */
  readonly initialDelayMs?: number;
  /** Each wait is the previous one times this. @default 2 */
  readonly factor?: number;
  /** Longest single wait. @default 5000 */
  readonly maxDelayMs?: number;
  /**
   * Give up (and stop the query) when it has not finished after this long.
   * @default 300000 (5 minutes)
   */
  readonly timeoutMs?: number;
}

/**
 * What one query cost, from the `Statistics` of its last GetQueryExecution. Athena bills the bytes
 * scanned, so a failed or stopped query is reported too.
 */
export interface AthenaQueryStats {
  readonly queryExecutionId: string;
  /** The statement as sent. */
  readonly sql: string;
  /**
   * The final state. `CANCELLED` also for a query this engine stopped (timeout or deadline); its
   * figures are those of the last poll before the stop, so they can fall short of what Athena bills.
   */
  readonly state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** Bytes Athena scanned (0 when it reported none, e.g. a query that failed at planning). */
  readonly dataScannedBytes: number;
  /** Time the engine spent running the query, ms. */
  readonly engineExecutionTimeMs: number;
  /** Time from submission to the final state, queueing and planning included, ms. */
  readonly totalExecutionTimeMs: number;
  /** `DDL`, `DML` or `UTILITY`, when Athena says. */
  readonly statementType?: string;
}

/** Sums over every query an engine has reported (see `AthenaQueryEngine.queryTotals`). */
export interface AthenaQueryTotals {
  /** Queries that reached a final state or were stopped. */
  readonly queries: number;
  /** Of those, the ones that did not succeed (FAILED, CANCELLED or stopped). */
  readonly unsuccessfulQueries: number;
  readonly dataScannedBytes: number;
  readonly engineExecutionTimeMs: number;
  readonly totalExecutionTimeMs: number;
}

const NO_QUERIES: AthenaQueryTotals = {
  queries: 0,
  unsuccessfulQueries: 0,
  dataScannedBytes: 0,
  engineExecutionTimeMs: 0,
  totalExecutionTimeMs: 0,
};

/** Props of `AthenaQueryEngine`. */
export interface AthenaQueryEngineProps {
  readonly client: AthenaSend;
  /** Workgroup the queries run in; it holds the result location, encryption and the scan cutoff. */
  readonly workgroup: string;
  /** Glue database that unqualified names resolve in. */
  readonly database: string;
  /** @default 'AwsDataCatalog' */
  readonly catalog?: string;
  /** @default - see `AthenaPolling` */
  readonly polling?: AthenaPolling;
  /** Rows per GetQueryResults page (Athena allows up to 1000). @default 1000 */
  readonly pageSize?: number;
  /** Waits between polls; tests pass a fake that records the delays. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Clock for the timeout. @default Date.now */
  readonly now?: () => number;
  /**
   * Called once per query that reaches a final state (before its results are read), and for a query
   * the engine stops; not for a query that never started or whose state could not be read. An
   * exception it throws propagates out of `query`.
   * @default - no callback; `queryTotals()` still counts
   */
  readonly onQueryFinished?: (stats: AthenaQueryStats) => void;
  /**
   * Milliseconds left before the caller is cut off, e.g. `() => context.getRemainingTimeInMillis()`
   * in a Lambda. When fewer than `stopReserveMs` remain, the engine stops the running query with
   * StopQueryExecution and throws, instead of leaving it running (and billing) after the Lambda is
   * killed; it starts no query with less than that left. The engine calls it on every poll, so an
   * engine built once per container can read the current invocation's context through a variable
   * the handler sets.
   * @default - no deadline; only `polling.timeoutMs` applies
   */
  readonly deadline?: () => number;
  /**
   * Time kept back from `deadline` to stop the query, throw and let the caller report it.
   * @default 10000
   */
  readonly stopReserveMs?: number;
}

const DEFAULT_POLLING: Required<AthenaPolling> = {
  initialDelayMs: 250,
  factor: 2,
  maxDelayMs: 5000,
  timeoutMs: 300_000,
};

/**
 * The QueryEngine on AWS: Athena (engine v3, Trino) in the stack's workgroup. Each `query` starts an
 * execution, polls it with exponential backoff, then pages through the results and converts each
 * value by its column type into the shapes `SqlValue` documents, so callers see the same rows as on
 * DuckDB.
 */
export class AthenaQueryEngine implements QueryEngine {
  readonly name = 'athena';
  readonly source: string;
  private readonly polling: Required<AthenaPolling>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly stopReserveMs: number;
  private totals: AthenaQueryTotals = NO_QUERIES;

  constructor(private readonly props: AthenaQueryEngineProps) {
    this.source = `athena://${props.workgroup}/${props.database}`;
    this.polling = { ...DEFAULT_POLLING, ...props.polling };
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = props.now ?? Date.now;
    this.stopReserveMs = props.stopReserveMs ?? 10_000;
  }

  /**
   * Runs one statement and returns every row.
   *
   * @throws QueryError when Athena reports FAILED or CANCELLED (with its StateChangeReason), when the
   *   query does not finish within `polling.timeoutMs` or before `deadline` runs into `stopReserveMs`
   *   (it is stopped), or when a call to Athena fails.
   */
  async query(sql: string): Promise<QueryResult> {
    const remaining = this.remainingBeforeReserve();
    if (remaining !== undefined && remaining <= 0)
      throw new QueryError(
        `Athena query not started in workgroup ${this.props.workgroup}: ${this.remainingText()}, ` +
          `within the ${this.stopReserveMs} ms kept to stop a query (stopReserveMs).`,
        sql,
      );
    const id = await this.start(sql);
    const statementType = await this.waitForCompletion(id, sql);
    return this.readResults(id, sql, statementType);
  }

  /**
   * Totals over every query reported since the engine was created or `resetQueryTotals` was last
   * called, e.g. to log what one run cost.
   */
  queryTotals(): AthenaQueryTotals {
    return this.totals;
  }

  /** Returns the totals so far and starts counting from zero (an engine reused across invocations). */
  resetQueryTotals(): AthenaQueryTotals {
    const totals = this.totals;
    this.totals = NO_QUERIES;
    return totals;
  }

  /** Nothing to release: the SDK client belongs to the caller. */
  async close(): Promise<void> {}

  private async start(sql: string): Promise<string> {
    const output = await this.call<StartQueryExecutionCommandOutput>(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.props.workgroup,
        QueryExecutionContext: {
          Database: this.props.database,
          Catalog: this.props.catalog ?? 'AwsDataCatalog',
        },
      }),
      sql,
      'start the query',
    );
    if (!output.QueryExecutionId)
      throw new QueryError('Athena started no query execution (no id returned)', sql);
    return output.QueryExecutionId;
  }

  /** Polls until the query succeeds; returns its statement type (DML results start with a header row). */
  private async waitForCompletion(id: string, sql: string): Promise<string | undefined> {
    const started = this.now();
    let delay = this.polling.initialDelayMs;
    for (;;) {
      // Never sleep into the reserve: the poll that follows is the last chance to stop cleanly.
      await this.sleep(Math.max(0, Math.min(delay, this.remainingBeforeReserve() ?? delay)));
      const { QueryExecution: execution } = await this.call<GetQueryExecutionCommandOutput>(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
        sql,
        `read the state of query ${id}`,
      );
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED') {
        this.report(id, sql, state, execution);
        return execution?.StatementType;
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        this.report(id, sql, state, execution);
        const reason = execution?.Status?.StateChangeReason ?? 'no reason given';
        const errorType = execution?.Status?.AthenaError?.ErrorType;
        throw new QueryError(
          `Athena query ${id} ${state === 'FAILED' ? 'failed' : 'was cancelled'} in workgroup ` +
            `${this.props.workgroup}: ${reason}${errorType === undefined ? '' : ` (error type ${errorType})`}`,
          sql,
        );
      }
      if (this.now() - started >= this.polling.timeoutMs) {
        const stopped = await this.stop(id, sql, execution);
        throw new QueryError(
          `Athena query ${id} did not finish within ${this.polling.timeoutMs} ms (last state ${state ?? 'unknown'}); ` +
            `${stopped}. Narrow the query (a date filter) or raise the timeout.`,
          sql,
        );
      }
      const remaining = this.remainingBeforeReserve();
      if (remaining !== undefined && remaining <= 0) {
        const left = this.remainingText();
        const stopped = await this.stop(id, sql, execution);
        throw new QueryError(
          `Athena query ${id} was still ${state ?? 'in an unknown state'} with ${left}, within the ` +
            `${this.stopReserveMs} ms kept to stop it (stopReserveMs); ${stopped}. Narrow the query ` +
            '(a date filter) or give the caller more time.',
          sql,
        );
      }
      delay = Math.min(delay * this.polling.factor, this.polling.maxDelayMs);
    }
  }

  /** Milliseconds of `deadline` left beyond the reserve; undefined without a deadline. */
  private remainingBeforeReserve(): number | undefined {
    return this.props.deadline === undefined ? undefined : this.props.deadline() - this.stopReserveMs;
  }

  private remainingText(): string {
    return `${Math.max(0, Math.round(this.props.deadline?.() ?? 0))} ms left before the deadline`;
  }

  /**
   * Stops a query the engine gives up on and reports it as CANCELLED with the last poll's figures.
   * Returns how the stop went, for the error message (the reason for giving up is the error).
   */
  private async stop(id: string, sql: string, lastPoll: QueryExecution | undefined): Promise<string> {
    let outcome = 'it was stopped';
    try {
      await this.call(new StopQueryExecutionCommand({ QueryExecutionId: id }), sql, `stop query ${id}`);
    } catch (error) {
      outcome =
        `stopping it failed too (${error instanceof Error ? error.message : String(error)}), so it may ` +
        `still run: aws athena stop-query-execution --query-execution-id ${id}`;
    }
    this.report(id, sql, 'CANCELLED', lastPoll);
    return outcome;
  }

  /** Adds a finished query to the totals and hands its figures to `onQueryFinished`. */
  private report(
    id: string,
    sql: string,
    state: AthenaQueryStats['state'],
    execution: QueryExecution | undefined,
  ): void {
    const statistics = execution?.Statistics;
    const stats: AthenaQueryStats = {
      queryExecutionId: id,
      sql,
      state,
      dataScannedBytes: statistics?.DataScannedInBytes ?? 0,
      engineExecutionTimeMs: statistics?.EngineExecutionTimeInMillis ?? 0,
      totalExecutionTimeMs: statistics?.TotalExecutionTimeInMillis ?? 0,
      ...(execution?.StatementType === undefined ? {} : { statementType: execution.StatementType }),
    };
    this.totals = {
      queries: this.totals.queries + 1,
      unsuccessfulQueries: this.totals.unsuccessfulQueries + (state === 'SUCCEEDED' ? 0 : 1),
      dataScannedBytes: this.totals.dataScannedBytes + stats.dataScannedBytes,
      engineExecutionTimeMs: this.totals.engineExecutionTimeMs + stats.engineExecutionTimeMs,
      totalExecutionTimeMs: this.totals.totalExecutionTimeMs + stats.totalExecutionTimeMs,
    };
    this.props.onQueryFinished?.(stats);
  }

  private async readResults(
    id: string,
    sql: string,
    statementType: string | undefined,
  ): Promise<QueryResult> {
    const { columns, chunks } = await this.pages(id, sql, statementType, false);
    const rows: Record<string, SqlValue>[] = [];
    for await (const chunk of chunks) rows.push(...chunk);
    return { columns, rows };
  }

  /**
   * Runs one statement and yields its rows a result page at a time (`pageSize`), so a large result
   * is never held whole, like `DuckDbEngine.stream`. With `exactNumbers`, decimals and integers keep
   * Athena's text (exact beyond 2^53 and past a double's precision) instead of becoming numbers.
   */
  async stream(
    sql: string,
    options: { readonly exactNumbers?: boolean } = {},
  ): Promise<{ columns: QueryResult['columns']; chunks: AsyncIterable<Record<string, SqlValue>[]> }> {
    const id = await this.start(sql);
    const statementType = await this.waitForCompletion(id, sql);
    return this.pages(id, sql, statementType, options.exactNumbers === true);
  }

  /** The first result page read (for the columns), then every page as a chunk of rows. */
  private async pages(id: string, sql: string, statementType: string | undefined, exact: boolean) {
    const read = (nextToken: string | undefined) =>
      this.call<GetQueryResultsCommandOutput>(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: this.props.pageSize ?? 1000,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
        sql,
        `read the results of query ${id}`,
      );
    const first = await read(undefined);
    const columns = first.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    async function* chunks(): AsyncIterable<Record<string, SqlValue>[]> {
      let page: GetQueryResultsCommandOutput | undefined = first;
      let firstPage = true;
      while (page) {
        let pageRows: readonly Row[] = page.ResultSet?.Rows ?? [];
        // For a SELECT, the first row of the first page repeats the column names.
        if (firstPage && statementType === 'DML' && isHeaderRow(pageRows[0], columns))
          pageRows = pageRows.slice(1);
        yield pageRows.map((row) => convertRow(row, columns, exact));
        firstPage = false;
        page = page.NextToken === undefined ? undefined : await read(page.NextToken);
      }
    }
    return {
      columns: columns.map((c) => ({ name: c.Name ?? c.Label ?? '', type: c.Type ?? 'varchar' })),
      chunks: chunks(),
    };
  }

  /** Sends a command; an SDK failure becomes a QueryError saying what was being done. */
  private async call<T>(command: AthenaCommand, sql: string, doing: string): Promise<T> {
    try {
      return (await this.props.client.send(command)) as T;
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new QueryError(`cannot ${doing} in Athena workgroup ${this.props.workgroup}: ${message}`, sql, {
        cause: error,
      });
    }
  }
}

function isHeaderRow(row: Row | undefined, columns: readonly ColumnInfo[]): boolean {
  if (!row?.Data || row.Data.length !== columns.length) return false;
  return row.Data.every(
    (datum, index) => datum.VarCharValue === (columns[index]?.Label ?? columns[index]?.Name),
  );
}

function convertRow(row: Row, columns: readonly ColumnInfo[], exact = false): Record<string, SqlValue> {
  const record: Record<string, SqlValue> = {};
  columns.forEach((column, index) => {
    const text = row.Data?.[index]?.VarCharValue;
    const type = column.Type ?? 'varchar';
    record[column.Name ?? column.Label ?? String(index)] =
      exact && text !== undefined && EXACT_TYPES.has(type.toLowerCase().replace(/\(.*$/, '').trim())
        ? text
        : convertAthenaValue(text, type);
  });
  return record;
}

/** Types whose text `exactNumbers` keeps: a double would round them. */
const EXACT_TYPES = new Set(['bigint', 'decimal']);

/**
 * Converts one Athena result value (always text, absent for NULL) by its column type into the shape
 * DuckDB returns too: numbers for integer, decimal and floating types, booleans, `YYYY-MM-DD` dates,
 * ISO-8601 UTC timestamps with milliseconds. Arrays of scalars become lists; Athena prints arrays as
 * `[a, b]` without quoting, so an element that itself holds `, ` cannot be told apart (use
 * `array_join` in SQL where that matters). Maps, rows and other types stay text.
 */
export function convertAthenaValue(text: string | undefined, type: string): SqlValue {
  if (text === undefined) return null;
  const base = type.toLowerCase().replace(/\(.*$/, '').trim();
  switch (base) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
    case 'decimal':
    case 'double':
    case 'float':
    case 'real':
      return parseNumber(text);
    case 'boolean':
      return text === 'true';
    case 'date':
      return text;
    case 'timestamp':
    case 'timestamp with time zone':
      return parseTimestamp(text);
    case 'array': {
      const inner = text.replace(/^\[/, '').replace(/\]$/, '');
      return inner === '' ? [] : inner.split(', ');
    }
    default:
      return text;
  }
}

function parseNumber(text: string): number | string {
  if (text === 'NaN') return Number.NaN;
  if (text === 'Infinity') return Number.POSITIVE_INFINITY;
  if (text === '-Infinity') return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  return Number.isNaN(value) ? text : value;
}

/** `2024-03-05 10:15:00.123456` or `... UTC` -> `2024-03-05T10:15:00.123Z` (Athena's timestamps are UTC here). */
function parseTimestamp(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:\s*(UTC|Z))?$/.exec(text);
  if (!match) return text;
  const millis = (match[3] ?? '').padEnd(3, '0').slice(0, 3);
  return `${match[1]}T${match[2]}.${millis}Z`;
}
