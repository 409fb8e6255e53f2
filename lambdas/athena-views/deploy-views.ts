import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  StartQueryExecutionCommand,
  type StartQueryExecutionCommandOutput,
} from '@aws-sdk/client-athena';
import { WHOLE_TABLE_INITIAL_FOLDER } from '../../src/materialize/athena-writer';
import { readState, writeState } from '../../src/materialize/state';
import type { ObjectStore } from '../../src/storage/object-store';
import { ViewDeploymentError } from '../shared/errors';

/** One view to deploy: its name and its SELECT body (Trino dialect, no trailing semicolon). */
export interface ViewDefinition {
  readonly name: string;
  readonly sql: string;
}

/**
 * One materialized (incremental) model: a Hive-partitioned Parquet table in the lake, created empty
 * at deploy and filled by the refresh (src/materialize/athena-writer.ts).
 */
export interface MartTableDefinition {
  readonly name: string;
  /** A SELECT with the model's output columns, partition column last (`composeSchemaSql`). */
  readonly sql: string;
  /**
   * The day column the table is partitioned by (an incremental model); none for a model stored
   * whole (`materialized: table`), whose files the refresh writes to a new folder each time.
   */
  readonly partitionBy?: string;
  /** Lake key prefix of the table's files, `marts/<name>/`. */
  readonly prefix: string;
}

/** A relation of the deployment, in dependency order with the others. */
export type RelationDefinition =
  | ({ readonly kind: 'view' } & ViewDefinition)
  | ({ readonly kind: 'table' } & MartTableDefinition);

/** What the stack passes to the custom resource (CloudFormation turns every value into a string). */
export interface ViewDeploymentProperties {
  readonly WorkGroup: string;
  readonly Database: string;
  /** Lake bucket holding `marts/<table>/` and the refresh state. */
  readonly LakeBucket: string;
  /** Views and mart tables in dependency order: each after the relations it reads. */
  readonly Relations: readonly RelationDefinition[];
  /**
   * Hash of the base tables' columns (the contracts): when it changes, every mart table is created
   * again, since a `select *` upstream may now give other columns.
   */
  readonly ContractHash: string;
  /** Hash of every relation and of the contracts: any change makes CloudFormation send an Update. */
  readonly SqlHash: string;
}

/** Properties of a deployment made before the mart tables existed (views only). */
export interface LegacyViewDeploymentProperties {
  readonly Views?: readonly ViewDefinition[];
}

/** The relations of new or old properties (old ones listed `Views` only). */
export function relationsOf(
  props: Partial<ViewDeploymentProperties> & LegacyViewDeploymentProperties,
): RelationDefinition[] {
  if (props.Relations) return [...props.Relations];
  return (props.Views ?? []).map((view) => ({ kind: 'view' as const, ...view }));
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

/** The CTAS that creates a mart table empty, typed and partitioned, over its lake prefix. */
export function createTableStatement(table: MartTableDefinition, lakeBucket: string): string {
  const where =
    table.partitionBy === undefined
      ? `external_location = 's3://${lakeBucket}/${table.prefix}${WHOLE_TABLE_INITIAL_FOLDER}'`
      : `external_location = 's3://${lakeBucket}/${table.prefix}', partitioned_by = ARRAY['${table.partitionBy}']`;
  return (
    `CREATE TABLE ${table.name}\n` +
    `WITH (format = 'PARQUET', write_compression = 'SNAPPY', ${where})\n` +
    `AS\n${table.sql}\nWITH NO DATA`
  );
}

/** What creating or dropping mart tables needs besides Athena: the lake bucket and its objects. */
export interface MartTableOptions {
  readonly lake: ObjectStore;
  readonly lakeBucket: string;
}

/**
 * Drops a mart table, deletes its files and forgets it in the refresh state, so the next refresh
 * rebuilds it (and everything downstream) in full instead of trusting partitions that are gone.
 */
async function dropMartTable(
  options: AthenaDdlOptions,
  marts: MartTableOptions,
  table: Pick<MartTableDefinition, 'name' | 'prefix'>,
): Promise<void> {
  await runDdl(options, table.name, 'drop', `DROP TABLE IF EXISTS ${table.name}`);
  const keys: string[] = [];
  for await (const object of marts.lake.list(table.prefix, { etags: false })) keys.push(object.key);
  if (keys.length > 0) await marts.lake.delete(keys);
  const state = await readState(marts.lake);
  if (state.models[table.name] !== undefined) {
    const { [table.name]: _forgotten, ...models } = state.models;
    await writeState(marts.lake, { ...state, models });
  }
}

/** Whether a table must be created again: new, was a view, or defined differently. */
function tableChanged(previous: RelationDefinition | undefined, next: MartTableDefinition): boolean {
  if (previous?.kind !== 'table') return true;
  return (
    previous.sql !== next.sql || previous.partitionBy !== next.partitionBy || previous.prefix !== next.prefix
  );
}

/**
 * Deploys the relations in dependency order: each view with CREATE OR REPLACE VIEW; each mart table
 * that is new or changed (or every one when `recreateTables`) with DROP TABLE IF EXISTS, its files
 * deleted, its refresh state forgotten, then CTAS `WITH NO DATA`. A relation that changed kind is
 * dropped as what it was first. Then the relations of `previous` that `next` no longer has are
 * dropped, in reverse order.
 */
export async function deployRelations(
  options: AthenaDdlOptions,
  marts: MartTableOptions,
  next: readonly RelationDefinition[],
  previous: readonly RelationDefinition[],
  recreateTables: boolean,
): Promise<void> {
  const before = new Map(previous.map((relation) => [relation.name, relation]));
  for (const relation of next) {
    checkName(relation.name);
    const old = before.get(relation.name);
    if (relation.kind === 'view') {
      if (old?.kind === 'table') await dropMartTable(options, marts, old);
      await runDdl(
        options,
        relation.name,
        'create',
        `CREATE OR REPLACE VIEW ${relation.name} AS\n${relation.sql}`,
      );
      continue;
    }
    if (!recreateTables && !tableChanged(old, relation)) continue;
    if (old?.kind === 'view')
      await runDdl(options, relation.name, 'drop', `DROP VIEW IF EXISTS ${relation.name}`);
    await dropMartTable(options, marts, relation);
    await runDdl(options, relation.name, 'create', createTableStatement(relation, marts.lakeBucket));
  }
  const kept = new Set(next.map((relation) => relation.name));
  await dropRelations(
    options,
    marts,
    previous.filter((relation) => !kept.has(relation.name)),
    { deleteTableFiles: true },
  );
}

/**
 * Drops relations in reverse order (a relation goes before those it reads). A mart table's files are
 * deleted too with `deleteTableFiles` (a model removed from sql/); on stack deletion they stay in the
 * retained lake and the next deployment's CTAS starts from an empty prefix anyway.
 */
export async function dropRelations(
  options: AthenaDdlOptions,
  marts: MartTableOptions,
  relations: readonly RelationDefinition[],
  { deleteTableFiles }: { readonly deleteTableFiles: boolean },
): Promise<void> {
  for (const relation of [...relations].reverse()) {
    checkName(relation.name);
    if (relation.kind === 'view')
      await runDdl(options, relation.name, 'drop', `DROP VIEW IF EXISTS ${relation.name}`);
    else if (deleteTableFiles) await dropMartTable(options, marts, relation);
    else await runDdl(options, relation.name, 'drop', `DROP TABLE IF EXISTS ${relation.name}`);
  }
}
