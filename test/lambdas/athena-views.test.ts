import { GetQueryExecutionCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AthenaSender } from '../../lambdas/athena-views/deploy-views';
import { handleViewsEvent } from '../../lambdas/athena-views/handler';
import { ViewDeploymentError } from '../../lambdas/shared/errors';

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

const noSleep = { sleep: async () => undefined };
const VIEWS = [
  { name: 'stg_transactions', sql: 'select * from transactions' },
  { name: 'fact_transactions', sql: 'select * from stg_transactions' },
];

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  views = VIEWS,
  oldViews?: typeof VIEWS,
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    PhysicalResourceId: 'ledgerlake/views',
    ResourceProperties: {
      ServiceToken: 'arn',
      WorkGroup: 'ledgerlake',
      Database: 'ledgerlake',
      Views: views,
      SqlHash: 'h',
    },
    OldResourceProperties: oldViews ? { ServiceToken: 'arn', Views: oldViews } : undefined,
  } as unknown as CloudFormationCustomResourceEvent;
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
      Data: { Views: 'stg_transactions,fact_transactions' },
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

  it('re-creates the views on update and drops the ones the new SQL no longer has', async () => {
    const { athena, statements } = fakeAthena(() => ({ State: 'SUCCEEDED' }));
    const oldViews = [...VIEWS, { name: 'old_report', sql: 'select 1' }];

    await handleViewsEvent(event('Update', VIEWS, oldViews), athena, noSleep);

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
});
