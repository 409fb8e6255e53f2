import type { GetQueryExecutionCommandOutput, GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import {
  AthenaQueryEngine,
  type AthenaQueryEngineProps,
  type AthenaQueryStats,
  type AthenaSend,
  convertAthenaValue,
} from '../../src/engine/athena';
import { QueryError } from '../../src/engine/query-engine';

/** A sent request as Athena would receive it: the command name and its input. */
interface SentRequest {
  readonly command: string;
  readonly input: unknown;
}

/**
 * A stand-in for Athena's API (there is no local Athena): answers each command from a script and
 * records every request, so tests assert exactly what the engine sent.
 */
function fakeAthena(script: {
  states?: readonly (GetQueryExecutionCommandOutput['QueryExecution'] & object)[];
  pages?: readonly Partial<GetQueryResultsCommandOutput>[];
  startError?: Error;
  stopError?: Error;
}) {
  const sent: SentRequest[] = [];
  let stateIndex = 0;
  let pageIndex = 0;
  const client = {
    send: async (command: { constructor: { name: string }; input: unknown }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      switch (command.constructor.name) {
        case 'StartQueryExecutionCommand':
          if (script.startError) throw script.startError;
          return { QueryExecutionId: 'q-1' };
        case 'GetQueryExecutionCommand': {
          const states = script.states ?? [];
          const execution = states[Math.min(stateIndex++, states.length - 1)];
          return { QueryExecution: execution };
        }
        case 'GetQueryResultsCommand':
          return script.pages?.[pageIndex++] ?? {};
        case 'StopQueryExecutionCommand':
          if (script.stopError) throw script.stopError;
          return {};
        default:
          throw new Error(`unexpected command ${command.constructor.name}`);
      }
    },
  } as unknown as AthenaSend;
  return { client, sent };
}

const running = { Status: { State: 'RUNNING' as const } };
const succeeded = { Status: { State: 'SUCCEEDED' as const }, StatementType: 'DML' as const };

const balanceColumns = [
  { Name: 'account_id', Label: 'account_id', Type: 'varchar' },
  { Name: 'balance_date', Label: 'balance_date', Type: 'date' },
  { Name: 'closing_balance', Label: 'closing_balance', Type: 'decimal', Precision: 18, Scale: 2 },
];

function row(...values: (string | undefined)[]) {
  return { Data: values.map((value) => (value === undefined ? {} : { VarCharValue: value })) };
}

function engineWith(
  client: AthenaSend,
  delays: number[],
  clock = { now: 0 },
  props: Partial<AthenaQueryEngineProps> = {},
) {
  return new AthenaQueryEngine({
    client,
    workgroup: 'ledgerlake',
    database: 'ledgerlake_db',
    polling: { initialDelayMs: 100, factor: 2, maxDelayMs: 300, timeoutMs: 10_000 },
    pageSize: 2,
    sleep: async (ms) => {
      delays.push(ms);
      clock.now += ms;
    },
    now: () => clock.now,
    ...props,
  });
}

/** Statistics as GetQueryExecution returns them. */
function statistics(dataScannedBytes: number, engineMs: number, totalMs: number) {
  return {
    DataScannedInBytes: dataScannedBytes,
    EngineExecutionTimeInMillis: engineMs,
    TotalExecutionTimeInMillis: totalMs,
  };
}

const SQL_OF_ONE_DAY = "select * from fact_account_daily_balance where dt = date '2024-06-01'";

describe('AthenaQueryEngine', () => {
  it('starts the query in the workgroup and database, then polls with exponential backoff until it succeeds', async () => {
    const { client, sent } = fakeAthena({
      states: [running, running, running, running, succeeded],
      pages: [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: balanceColumns },
            Rows: [row('account_id', 'balance_date', 'closing_balance')],
          },
        },
      ],
    });
    const delays: number[] = [];

    await engineWith(client, delays).query('select 1');

    expect(sent[0]).toEqual({
      command: 'StartQueryExecutionCommand',
      input: {
        QueryString: 'select 1',
        WorkGroup: 'ledgerlake',
        QueryExecutionContext: { Database: 'ledgerlake_db', Catalog: 'AwsDataCatalog' },
      },
    });
    expect(sent.slice(1, 6)).toEqual(
      Array.from({ length: 5 }, () => ({
        command: 'GetQueryExecutionCommand',
        input: { QueryExecutionId: 'q-1' },
      })),
    );
    expect(delays).toEqual([100, 200, 300, 300, 300]);
  });

  it('pages through the results with NextToken and drops the header row of the first page only', async () => {
    const { client, sent } = fakeAthena({
      states: [succeeded],
      pages: [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: balanceColumns },
            Rows: [
              row('account_id', 'balance_date', 'closing_balance'),
              row('acct-1', '2024-06-01', '100.00'),
            ],
          },
          NextToken: 'page-2',
        },
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: balanceColumns },
            // A data row that happens to look like the header must be kept on later pages.
            Rows: [row('acct-2', '2024-06-01', '-12.50'), row('account_id', 'balance_date', undefined)],
          },
        },
      ],
    });

    const result = await engineWith(client, []).query('select * from fact_account_daily_balance');

    expect(sent.filter((r) => r.command === 'GetQueryResultsCommand')).toEqual([
      { command: 'GetQueryResultsCommand', input: { QueryExecutionId: 'q-1', MaxResults: 2 } },
      {
        command: 'GetQueryResultsCommand',
        input: { QueryExecutionId: 'q-1', MaxResults: 2, NextToken: 'page-2' },
      },
    ]);
    expect(result.rows).toEqual([
      { account_id: 'acct-1', balance_date: '2024-06-01', closing_balance: 100 },
      { account_id: 'acct-2', balance_date: '2024-06-01', closing_balance: -12.5 },
      { account_id: 'account_id', balance_date: 'balance_date', closing_balance: null },
    ]);
    expect(result.columns).toEqual([
      { name: 'account_id', type: 'varchar' },
      { name: 'balance_date', type: 'date' },
      { name: 'closing_balance', type: 'decimal' },
    ]);
  });

  it.each([
    ['FAILED', "SYNTAX_ERROR: line 1:8: Column 'nope' cannot be resolved", 'failed'],
    ['CANCELLED', 'Query cancelled by user', 'was cancelled'],
  ] as const)(
    'raises a QueryError with Athena’s reason and the SQL when the query is %s',
    async (state, reason, verb) => {
      const { client } = fakeAthena({
        states: [running, { Status: { State: state, StateChangeReason: reason } }],
      });

      const error = await engineWith(client, [])
        .query('select nope')
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(QueryError);
      expect((error as QueryError).message).toBe(
        `Athena query q-1 ${verb} in workgroup ledgerlake: ${reason}`,
      );
      expect((error as QueryError).sql).toBe('select nope');
    },
  );

  it('stops the query and raises a QueryError when it runs past the timeout', async () => {
    const { client, sent } = fakeAthena({ states: [running] });
    const engine = new AthenaQueryEngine({
      client,
      workgroup: 'ledgerlake',
      database: 'ledgerlake_db',
      polling: { initialDelayMs: 1000, factor: 2, maxDelayMs: 4000, timeoutMs: 10_000 },
      sleep: async (ms) => {
        clock.now += ms;
      },
      now: () => clock.now,
    });
    const clock = { now: 0 };

    const error = await engine.query('select slow').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QueryError);
    expect((error as Error).message).toMatch(
      /^Athena query q-1 did not finish within 10000 ms \(last state RUNNING\)/,
    );
    expect(sent.at(-1)).toEqual({ command: 'StopQueryExecutionCommand', input: { QueryExecutionId: 'q-1' } });
    // 1000 + 2000 + 4000 + 4000 = 11000 ms >= 10000 ms after the fourth poll.
    expect(sent.filter((r) => r.command === 'GetQueryExecutionCommand')).toHaveLength(4);
  });

  it('wraps an API failure in a QueryError that says what it was doing', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform athena:StartQueryExecution'), {
      name: 'AccessDeniedException',
    });
    const { client } = fakeAthena({ startError: denied });

    const error = await engineWith(client, [])
      .query('select 1')
      .catch((e: unknown) => e);

    expect((error as QueryError).message).toBe(
      'cannot start the query in Athena workgroup ledgerlake: AccessDeniedException: ' +
        'User is not authorized to perform athena:StartQueryExecution',
    );
    expect((error as QueryError).cause).toBe(denied);
  });

  it('keeps every row of a statement that has no header (DDL)', async () => {
    const { client } = fakeAthena({
      states: [{ Status: { State: 'SUCCEEDED' }, StatementType: 'UTILITY' }],
      pages: [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: [{ Name: 'tab_name', Type: 'varchar' }] },
            Rows: [row('tab_name')],
          },
        },
      ],
    });

    const result = await engineWith(client, []).query('show tables');

    expect(result.rows).toEqual([{ tab_name: 'tab_name' }]);
  });
});

describe('AthenaQueryEngine cost reporting', () => {
  it('reports the statistics of the final poll to onQueryFinished when the query succeeds', async () => {
    const { client } = fakeAthena({
      states: [
        { ...running, Statistics: statistics(1_000, 40, 90) },
        { ...succeeded, Statistics: statistics(52_428_800, 1_200, 1_450) },
      ],
    });
    const reported: AthenaQueryStats[] = [];

    await engineWith(client, [], undefined, { onQueryFinished: (stats) => reported.push(stats) }).query(
      SQL_OF_ONE_DAY,
    );

    expect(reported).toEqual([
      {
        queryExecutionId: 'q-1',
        sql: SQL_OF_ONE_DAY,
        state: 'SUCCEEDED',
        dataScannedBytes: 52_428_800,
        engineExecutionTimeMs: 1_200,
        totalExecutionTimeMs: 1_450,
        statementType: 'DML',
      },
    ]);
  });

  it.each(['FAILED', 'CANCELLED'] as const)(
    'reports the statistics of a query that ends %s before raising its QueryError',
    async (state) => {
      const { client } = fakeAthena({
        states: [
          { Status: { State: state, StateChangeReason: 'boom' }, Statistics: statistics(2_048, 15, 30) },
        ],
      });
      const reported: AthenaQueryStats[] = [];

      const error = await engineWith(client, [], undefined, {
        onQueryFinished: (stats) => reported.push(stats),
      })
        .query('select nope')
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(QueryError);
      expect(reported).toEqual([
        {
          queryExecutionId: 'q-1',
          sql: 'select nope',
          state,
          dataScannedBytes: 2_048,
          engineExecutionTimeMs: 15,
          totalExecutionTimeMs: 30,
        },
      ]);
    },
  );

  it('reports zeros when Athena gives no statistics (a query that failed at planning)', async () => {
    const { client } = fakeAthena({ states: [{ Status: { State: 'FAILED' } }] });
    const reported: AthenaQueryStats[] = [];

    await engineWith(client, [], undefined, { onQueryFinished: (stats) => reported.push(stats) })
      .query('select nope')
      .catch(() => undefined);

    expect(reported).toMatchObject([
      { dataScannedBytes: 0, engineExecutionTimeMs: 0, totalExecutionTimeMs: 0 },
    ]);
  });

  it('adds every query to queryTotals, failed ones included, and resetQueryTotals starts over', async () => {
    const done = { ...succeeded, Statistics: statistics(1_000, 100, 150) };
    const failed = { Status: { State: 'FAILED' as const }, Statistics: statistics(500, 20, 40) };
    const { client } = fakeAthena({ states: [done, done, failed] });
    const engine = engineWith(client, []);

    await engine.query('select 1');
    await engine.query('select 2');
    await engine.query('select nope').catch(() => undefined);
    const totals = engine.resetQueryTotals();

    expect(totals).toEqual({
      queries: 3,
      unsuccessfulQueries: 1,
      dataScannedBytes: 2_500,
      engineExecutionTimeMs: 220,
      totalExecutionTimeMs: 340,
    });
    expect(engine.queryTotals()).toEqual({
      queries: 0,
      unsuccessfulQueries: 0,
      dataScannedBytes: 0,
      engineExecutionTimeMs: 0,
      totalExecutionTimeMs: 0,
    });
  });

  it('reports a query stopped at the timeout as CANCELLED with the figures of its last poll', async () => {
    const { client } = fakeAthena({ states: [{ ...running, Statistics: statistics(7_000, 9_000, 9_500) }] });
    const reported: AthenaQueryStats[] = [];

    await engineWith(client, [], undefined, { onQueryFinished: (stats) => reported.push(stats) })
      .query('select slow')
      .catch(() => undefined);

    expect(reported).toEqual([
      {
        queryExecutionId: 'q-1',
        sql: 'select slow',
        state: 'CANCELLED',
        dataScannedBytes: 7_000,
        engineExecutionTimeMs: 9_000,
        totalExecutionTimeMs: 9_500,
      },
    ]);
  });
});

describe('AthenaQueryEngine deadline', () => {
  /** An engine whose caller is cut off `cutOffAt` ms after the test starts (a Lambda's remaining time). */
  function engineWithDeadline(client: AthenaSend, delays: number[], cutOffAt: number, extra = {}) {
    const clock = { now: 0 };
    return engineWith(client, delays, clock, {
      polling: { initialDelayMs: 1000, factor: 2, maxDelayMs: 8000, timeoutMs: 300_000 },
      deadline: () => cutOffAt - clock.now,
      ...extra,
    });
  }

  it('stops the query with StopQueryExecution and raises a QueryError when the deadline reaches the reserve', async () => {
    const { client, sent } = fakeAthena({ states: [running] });
    const delays: number[] = [];

    const error = await engineWithDeadline(client, delays, 24_000)
      .query('select slow')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toBe(
      'Athena query q-1 was still RUNNING with 10000 ms left before the deadline, within the 10000 ms ' +
        'kept to stop it (stopReserveMs); it was stopped. Narrow the query (a date filter) or give the ' +
        'caller more time.',
    );
    expect(sent.map((request) => request.command)).toEqual([
      'StartQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'GetQueryExecutionCommand',
      'StopQueryExecutionCommand',
    ]);
    expect(sent.at(-1)).toEqual({ command: 'StopQueryExecutionCommand', input: { QueryExecutionId: 'q-1' } });
    // The last wait is cut from 8000 to 7000 ms so that the last poll falls exactly on the reserve.
    expect(delays).toEqual([1000, 2000, 4000, 7000]);
  });

  it('honours stopReserveMs', async () => {
    const { client, sent } = fakeAthena({ states: [running] });
    const delays: number[] = [];

    await engineWithDeadline(client, delays, 24_000, { stopReserveMs: 20_000 })
      .query('select slow')
      .catch(() => undefined);

    expect(delays).toEqual([1000, 2000, 1000]);
    expect(sent.at(-1)?.command).toBe('StopQueryExecutionCommand');
  });

  it('returns the rows of a query that finishes on the poll at the reserve', async () => {
    const { client, sent } = fakeAthena({
      states: [running, running, running, succeeded],
      pages: [
        {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'integer' }] },
            Rows: [row('n'), row('1')],
          },
        },
      ],
    });

    const result = await engineWithDeadline(client, [], 24_000).query('select 1 as n');

    expect(result.rows).toEqual([{ n: 1 }]);
    expect(sent.map((request) => request.command)).not.toContain('StopQueryExecutionCommand');
  });

  it('starts no query when less than the reserve is left', async () => {
    const { client, sent } = fakeAthena({ states: [succeeded] });

    const error = await engineWithDeadline(client, [], 9_500)
      .query('select 1')
      .catch((e: unknown) => e);

    expect((error as QueryError).message).toBe(
      'Athena query not started in workgroup ledgerlake: 9500 ms left before the deadline, within the ' +
        '10000 ms kept to stop a query (stopReserveMs).',
    );
    expect(sent).toEqual([]);
  });

  it('says the query may still run, and how to stop it, when StopQueryExecution fails', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { client } = fakeAthena({ states: [running], stopError: throttled });

    const error = await engineWithDeadline(client, [], 24_000)
      .query('select slow')
      .catch((e: unknown) => e);

    expect((error as QueryError).message).toContain(
      'stopping it failed too (cannot stop query q-1 in Athena workgroup ledgerlake: ThrottlingException: ' +
        'Rate exceeded), so it may still run: aws athena stop-query-execution --query-execution-id q-1.',
    );
  });
});

describe('convertAthenaValue', () => {
  it.each([
    [undefined, 'varchar', null],
    ['', 'varchar', ''],
    ['42', 'integer', 42],
    ['-12.50', 'decimal', -12.5],
    ['0.5', 'double', 0.5],
    ['NaN', 'double', Number.NaN],
    ['true', 'boolean', true],
    ['false', 'boolean', false],
    ['2024-06-01', 'date', '2024-06-01'],
    ['2024-06-01 10:15:00.000', 'timestamp', '2024-06-01T10:15:00.000Z'],
    ['2024-06-01 10:15:00.123456', 'timestamp', '2024-06-01T10:15:00.123Z'],
    ['2024-06-01 10:15:00.000 UTC', 'timestamp with time zone', '2024-06-01T10:15:00.000Z'],
    ['[2024-06-01, 2024-06-02]', 'array', ['2024-06-01', '2024-06-02']],
    ['[]', 'array', []],
    ['{a=1}', 'map', '{a=1}'],
  ] as const)('converts %j of type %s to the normalised value', (text, type, expected) => {
    expect(convertAthenaValue(text, type)).toEqual(expected);
  });
});
