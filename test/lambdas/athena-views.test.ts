import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AthenaSender, RelationDefinition } from '../../lambdas/athena-views/deploy-views';
import { handleViewsEvent } from '../../lambdas/athena-views/handler';
import { ViewDeploymentError } from '../../lambdas/shared/errors';
import { readState, writeState } from '../../src/materialize/state';
import { FsObjectStore } from '../../src/storage/fs-store';

/**
 * Athena has no local engine, so a recording stand-in answers StartQueryExecution and
 * GetQueryExecution; the tests assert the exact statements sent.
 */
function fakeAthena(
  outcome: (statement: string, poll: number) => { State: string; StateChangeReason?: string },
) {
  const statements: { QueryString: string; WorkGroup: string; Database: string }[] = [];
  const polls = new Map<string, number>();
  const athena: AthenaSender = {
    send: (async (command: unknown) => {
      if (command instanceof StartQueryExecutionCommand) {
        const input = command.input;
        statements.push({
          QueryString: input.QueryString!,
          WorkGroup: input.WorkGroup!,
          Database: input.QueryExecutionContext!.Database!,
        });
        return { QueryExecutionId: `q${statements.length}` };
      }
      if (command instanceof GetQueryExecutionCommand) {
        const id = command.input.QueryExecutionId!;
        const poll = (polls.get(id) ?? 0) + 1;
        polls.set(id, poll);
        const statement = statements[Number(id.slice(1)) - 1]!.QueryString;
        return { QueryExecution: { Status: outcome(statement, poll) } };
      }
      throw new Error(`unexpected command ${String(command)}`);
    }) as AthenaSender['send'],
  };
  return { athena, statements };
}

const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-views-lake-'));
const noSleep = { sleep: async () => undefined, lake: () => new FsObjectStore(lakeDir) };
const VIEWS: RelationDefinition[] = [
  { kind: 'view', name: 'stg_transactions', sql: 'select * from transactions' },
  { kind: 'view', name: 'fact_transactions', sql: 'select * from stg_transactions' },
];
const TABLE: RelationDefinition = {
  kind: 'table',
  name: 'fact_sales',
  sql: "with model as (select 1 as n, date '2000-01-01' as order_date) select * from model",
  partitionBy: 'order_date',
  prefix: 'marts/fact_sales/',
};

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  relations: readonly (RelationDefinition | { name: string; sql: string })[] = VIEWS,
  old?: { Views?: unknown[]; Relations?: RelationDefinition[]; ContractHash?: string },
  contractHash = 'c1',
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    PhysicalResourceId: 'ledgerlake/views',
    ResourceProperties: {
      ServiceToken: 'arn',
      WorkGroup: 'ledgerlake',
      Database: 'ledgerlake',
      LakeBucket: 'lake-bucket',
      Relations: relations.map((r) => ('kind' in r ? r : { kind: 'view', ...r })),
      ContractHash: contractHash,
      SqlHash: 'h',
    },
    OldResourceProperties: old ? { ServiceToken: 'arn', ...old } : undefined,
  } as unknown as CloudFormationCustomResourceEvent;
}

/** A mart file and a refresh state that knows the table, as a refresh would have left them. */
async function refreshedTable(name: string): Promise<FsObjectStore> {
  const folder = join(lakeDir, 'marts', name, 'order_date=2024-05-01');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'part.parquet'), 'rows');
  const lake = new FsObjectStore(lakeDir);
  await writeState(lake, {
    version: 1,
    inputs: { sales: { '2024-05-01': 'f' } },
    models: {
      [name]: { definition: 'd', partitions: ['2024-05-01'] },
      kpi_daily: { definition: 'k', partitions: [] },
    },
  });
  return lake;
}

describe('views custom resource', () => {
  it('creates every view in dependency order in the stack workgroup and database', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));

    const response = await handleViewsEvent(event('Create'), athena, noSleep);

    expect(statements).toEqual([
      {
        QueryString: 'CREATE OR REPLACE VIEW stg_transactions AS\nselect * from transactions',
        WorkGroup: 'ledgerlake',
        Database: 'ledgerlake',
      },
      {
        QueryString: 'CREATE OR REPLACE VIEW fact_transactions AS\nselect * from stg_transactions',
        WorkGroup: 'ledgerlake',
        Database: 'ledgerlake',
      },
    ]);
    expect(response).toEqual({
      PhysicalResourceId: 'ledgerlake/views',
      Data: { Relations: 'stg_transactions,fact_transactions' },
    });
  });

  it('polls until Athena reports the statement finished', async () => {
    const { athena } = fakeAthena((_statement, poll) => ({ State: poll < 3 ? 'RUNNING' : 'SUCCEEDED' }));
    const waits: number[] = [];

    await handleViewsEvent(event('Create', [VIEWS[0]!]), athena, {
      sleep: async (ms) => void waits.push(ms),
    });

    expect(waits).toEqual([250, 375, 563]);
  });

  it('fails with the view name and Athena reason when a view does not compile', async () => {
    const { athena } = fakeAthena((statement) =>
      statement.includes('fact_transactions')
        ? { State: 'FAILED', StateChangeReason: "line 2:15: Table 'ledgerlake.stg_missing' does not exist" }
        : { State: 'SUCCEEDED' },
    );

    const failure = handleViewsEvent(event('Create'), athena, noSleep);

    await expect(failure).rejects.toThrow(ViewDeploymentError);
    await expect(failure).rejects.toThrow(
      "could not create view fact_transactions: Athena query q2 FAILED: line 2:15: Table 'ledgerlake.stg_missing' does not exist",
    );
  });

  it('drops every view in reverse dependency order when the stack is deleted', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));

    await handleViewsEvent(event('Delete'), athena, noSleep);

    expect(statements.map((statement) => statement.QueryString)).toEqual([
      'DROP VIEW IF EXISTS fact_transactions',
      'DROP VIEW IF EXISTS stg_transactions',
    ]);
  });

  it('re-creates the views on update and drops the ones the new SQL no longer has, from views-only properties', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    const oldViews = [
      { name: 'stg_transactions', sql: 'select * from transactions' },
      { name: 'old_report', sql: 'select 1' },
    ];

    await handleViewsEvent(event('Update', VIEWS, { Views: oldViews }), athena, noSleep);

    expect(statements.map((statement) => statement.QueryString.split('\n')[0])).toEqual([
      'CREATE OR REPLACE VIEW stg_transactions AS',
      'CREATE OR REPLACE VIEW fact_transactions AS',
      'DROP VIEW IF EXISTS old_report',
    ]);
  });

  it('refuses a view name that is not a plain identifier before sending anything', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));

    await expect(
      handleViewsEvent(event('Create', [{ name: 'x; drop table y', sql: 'select 1' }]), athena, noSleep),
    ).rejects.toThrow('view names must be lower-case letters, digits and _');
    expect(statements).toEqual([]);
  });

  it('creates a mart table empty and partitioned over its emptied lake prefix, after the views it reads', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    const lake = await refreshedTable('fact_sales');

    await handleViewsEvent(event('Create', [...VIEWS, TABLE]), athena, noSleep);

    expect(statements.map((statement) => statement.QueryString)).toEqual([
      'CREATE OR REPLACE VIEW stg_transactions AS\nselect * from transactions',
      'CREATE OR REPLACE VIEW fact_transactions AS\nselect * from stg_transactions',
      'DROP TABLE IF EXISTS fact_sales',
      'CREATE TABLE fact_sales\n' +
        "WITH (format = 'PARQUET', write_compression = 'SNAPPY', external_location = 's3://lake-bucket/marts/fact_sales/', " +
        "partitioned_by = ARRAY['order_date'])\n" +
        "AS\nwith model as (select 1 as n, date '2000-01-01' as order_date) select * from model\nWITH NO DATA",
    ]);
    const left = [];
    for await (const object of lake.list('marts/fact_sales/')) left.push(object.key);
    expect(left).toEqual([]);
    expect(Object.keys((await readState(lake)).models)).toEqual(['kpi_daily']);
  });

  it('leaves an unchanged mart table and its data alone on update', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    const lake = await refreshedTable('fact_sales');

    await handleViewsEvent(
      event('Update', [...VIEWS, TABLE], { Relations: [...VIEWS, TABLE], ContractHash: 'c1' }),
      athena,
      noSleep,
    );

    expect(statements.map((statement) => statement.QueryString.split('\n')[0])).toEqual([
      'CREATE OR REPLACE VIEW stg_transactions AS',
      'CREATE OR REPLACE VIEW fact_transactions AS',
    ]);
    expect((await readState(lake)).models.fact_sales?.partitions).toEqual(['2024-05-01']);
  });

  it.each([
    ['its SELECT changed', { ...TABLE, sql: "select 2 as n, date '2000-01-01' as order_date" }, 'c1'],
    ['a contract changed', TABLE, 'c0'],
    ['it was a view', { kind: 'view' as const, name: 'fact_sales', sql: 'select 1' }, 'c1'],
  ])('re-creates a mart table on update when %s', async (_label, old, oldContract) => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    await refreshedTable('fact_sales');

    await handleViewsEvent(
      event('Update', [TABLE], { Relations: [old], ContractHash: oldContract }),
      athena,
      noSleep,
    );

    const expected = old.kind === 'view' ? ['DROP VIEW IF EXISTS fact_sales'] : [];
    expect(statements.map((statement) => statement.QueryString.split('\n')[0])).toEqual([
      ...expected,
      'DROP TABLE IF EXISTS fact_sales',
      'CREATE TABLE fact_sales',
    ]);
  });

  it('drops a mart table the new SQL no longer has, with its files', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    const lake = await refreshedTable('fact_sales');

    await handleViewsEvent(
      event('Update', VIEWS, { Relations: [...VIEWS, TABLE], ContractHash: 'c1' }),
      athena,
      noSleep,
    );

    expect(statements.at(-1)?.QueryString).toBe('DROP TABLE IF EXISTS fact_sales');
    expect(await lake.head('marts/fact_sales/order_date=2024-05-01/part.parquet')).toBeUndefined();
  });
});
