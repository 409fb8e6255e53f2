import type { GetQueryExecutionCommandOutput, GetQueryResultsCommandOutput } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { AthenaQueryEngine, type AthenaSend, convertAthenaValue } from '../../src/engine/athena';
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

function engineWith(client: AthenaSend, delays: number[], clock = { now: 0 }) {
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
  });
}

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
