import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandOutput,
} from '@aws-sdk/client-athena';
import { ViewDeploymentError } from '../shared/errors';

/** One view to deploy: its name and its SELECT body (Trino dialect, no trailing semicolon). */
export interface ViewDefinition {
  readonly name: string;
  readonly sql: string;
}

/** What the stack passes to the custom resource (CloudFormation turns every value into a string). */
export interface ViewDeploymentProperties {
  readonly WorkGroup: string;
  readonly Database: string;
  /** Views in dependency order: each after the views it reads. */
  readonly Views: readonly ViewDefinition[];
  /** Hash of every view's SQL: any change makes CloudFormation send an Update. */
  readonly SqlHash: string;
}

/** The part of AthenaClient used here, so tests can pass a recording stand-in. */
export type AthenaSender = Pick<AthenaClient, 'send'>;

export interface AthenaDdlOptions {
  readonly athena: AthenaSender;
  readonly workGroup: string;
  readonly database: string;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** First wait between polls; grows by half each poll up to `maxPollMs`. @default 250 */
  readonly firstPollMs?: number;
  /** @default 2000 */
  readonly maxPollMs?: number;
  /** Give up on one statement after this long. @default 120000 */
  readonly statementTimeoutMs?: number;
}

const VIEW_NAME = /^[a-z_][a-z0-9_]*$/;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one DDL statement in the workgroup and database and waits for it to finish.
 * @throws ViewDeploymentError with Athena's state and reason when it fails, is cancelled or times out
 */
export async function runDdl(
  options: AthenaDdlOptions,
  view: string,
  action: 'create' | 'drop',
  statement: string,
): Promise<void> {
  const sleep = options.sleep ?? defaultSleep;
  const maxPoll = options.maxPollMs ?? 2000;
  const timeout = options.statementTimeoutMs ?? 120_000;
  let started: StartQueryExecutionCommandOutput;
  try {
    started = await options.athena.send(
      new StartQueryExecutionCommand({
        QueryString: statement,
        WorkGroup: options.workGroup,
        QueryExecutionContext: { Database: options.database },
      }),
    );
  } catch (error) {
    throw new ViewDeploymentError(view, action, `Athena refused the statement: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const id = started.QueryExecutionId;
  if (!id) throw new ViewDeploymentError(view, action, 'Athena returned no query execution id');

  let waited = 0;
  let pause = options.firstPollMs ?? 250;
  for (;;) {
    await sleep(pause);
    waited += pause;
    const execution: GetQueryExecutionCommandOutput = await options.athena.send(
      new GetQueryExecutionCommand({ QueryExecutionId: id }),
    );
    const status = execution.QueryExecution?.Status;
    const state = status?.State;
    if (state === 'SUCCEEDED') return;
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
      throw new ViewDeploymentError(view, action, `Athena query ${id} ${state}: ${reason}`);
    }
    if (waited >= timeout) {
      throw new ViewDeploymentError(
        view,
        action,
        `Athena query ${id} still ${state ?? 'unknown'} after ${waited} ms`,
      );
    }
    pause = Math.min(Math.ceil(pause * 1.5), maxPoll);
  }
}

function checkName(name: string): void {
  if (!VIEW_NAME.test(name)) {
    throw new ViewDeploymentError(name, 'create', 'view names must be lower-case letters, digits and _');
  }
}

/** Creates (or replaces) the views one after the other, in the given (dependency) order. */
export async function createViews(
  options: AthenaDdlOptions,
  views: readonly ViewDefinition[],
): Promise<void> {
  for (const view of views) {
    checkName(view.name);
    await runDdl(options, view.name, 'create', `CREATE OR REPLACE VIEW ${view.name} AS\n${view.sql}`);
  }
}

/** Drops the views in reverse order, so a view goes before the views it reads. Missing views are fine. */
export async function dropViews(options: AthenaDdlOptions, names: readonly string[]): Promise<void> {
  for (const name of [...names].reverse()) {
    checkName(name);
    await runDdl(options, name, 'drop', `DROP VIEW IF EXISTS ${name}`);
  }
}

/** Views of the old deployment that the new one no longer has (in the old order). */
export function removedViews(previous: readonly ViewDefinition[], next: readonly ViewDefinition[]): string[] {
  const kept = new Set(next.map((view) => view.name));
  return previous.map((view) => view.name).filter((name) => !kept.has(name));
}
