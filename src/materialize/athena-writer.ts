import type { QueryEngine } from '../engine/query-engine';
import type { SqlModel } from '../sql/models';
import type { ObjectStore } from '../storage/object-store';
import { type IncrementalModel, MAX_PARTITIONS_PER_STATEMENT, type RelationNames } from './plan';
import type { MartWriter } from './refresh';
import { MARTS_PREFIX, martPartitionPrefix } from './state';

/** How Athena names a relation of the Glue database: `"<database>"."<name>"`. */
export function athenaNames(database: string): RelationNames {
  return { qualified: (name) => `"${database}"."${name}"` };
}

/** Where a mart table's files live in the lake bucket: `marts/<model>/`. */
export function martTablePrefix(model: string): string {
  return `${MARTS_PREFIX}${model}/`;
}

/** Where the deployment's empty CTAS points a whole table, before its first refresh: `marts/<model>/initial/`. */
export const WHOLE_TABLE_INITIAL_FOLDER = 'initial/';

/** Raised when a batch names more days than one Athena statement may write. */
export class TooManyPartitionsError extends Error {
  constructor(
    readonly model: string,
    readonly days: number,
  ) {
    super(
      `cannot replace ${days} partitions of ${model} in one statement: Athena writes at most ` +
        `${MAX_PARTITIONS_PER_STATEMENT} partitions per INSERT INTO; split the days (refreshBatches does)`,
    );
    this.name = 'TooManyPartitionsError';
  }
}

/** Props of `AthenaMartWriter`. */
export interface AthenaMartWriterProps {
  /** Runs the DDL and the INSERT INTO (an `AthenaQueryEngine` on AWS). */
  readonly engine: QueryEngine;
  /** The lake bucket that holds `marts/<model>/<column>=<day>/`. */
  readonly lake: ObjectStore;
  /** Glue database of the mart tables. */
  readonly database: string;
  /** Lake bucket name, for the locations of rebuilt whole tables. */
  readonly lakeBucket: string;
  /** Id of a rebuild, for its folder and temporary table. @default a time-ordered random id */
  readonly newId?: () => string;
}

/**
 * The MartWriter on AWS: each incremental model is a Hive-partitioned Parquet table in the Glue
 * database (created at deploy by the views custom resource, `external_location` =
 * `s3://<lake>/marts/<model>/`), and a batch of days is replaced by
 *
 * 1. deleting the lake objects under `marts/<model>/<column>=<day>/` of those days,
 * 2. one `ALTER TABLE <model> DROP IF EXISTS PARTITION (...), PARTITION (...)` for the batch,
 * 3. `INSERT INTO "<database>"."<model>" <select>`: Athena writes `<location>/<column>=<day>/` and
 *    registers each partition it wrote (a day without rows stays unregistered, i.e. empty).
 *
 * Why Hive tables and INSERT INTO rather than Iceberg and MERGE INTO:
 * - the tables are CloudFormation-managed Glue tables queried by Athena engine v3, and the local twin
 *   must run the same layout: the bundled DuckDB cannot read or write Iceberg here (no extension, and
 *   its Iceberg writes need a REST catalog), so Iceberg could not be exercised locally at all;
 * - MERGE INTO scans the whole target unless the statement carries target partition predicates
 *   (dbt-labs/dbt-adapters#1801), and a partition overwrite needs no row matching anyway;
 * - delete-then-INSERT INTO into a Hive table is what dbt-athena's `insert_overwrite` strategy does,
 *   within the same 100-partitions-per-statement limit.
 *
 * The price: the window between the delete and the insert is not atomic, so a reader during a refresh
 * may see a batch's days empty, and a failed insert leaves them empty. The refresh writes its state
 * only after every statement succeeded, so the next run redoes the whole refresh.
 *
 * No AWS SDK here: statements go through the `QueryEngine`, objects through the `ObjectStore`.
 */
export class AthenaMartWriter implements MartWriter {
  readonly names: RelationNames;
  private readonly engine: QueryEngine;
  private readonly lake: ObjectStore;
  private readonly lakeBucket: string;
  private readonly newId: () => string;

  constructor(props: AthenaMartWriterProps) {
    this.engine = props.engine;
    this.lake = props.lake;
    this.lakeBucket = props.lakeBucket;
    this.names = athenaNames(props.database);
    this.newId = props.newId ?? (() => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`);
  }

  /**
   * Rebuilds a model stored whole (`materialized: table`, a small dimension such as the SCD2
   * customers) without a moment where readers see it empty: CTAS of a temporary table into a new
   * folder `marts/<model>/<id>/`, `ALTER TABLE <model> SET LOCATION` to that folder, DROP of the
   * temporary table (its files stay: they are the model's now), then the older folders are deleted.
   */
  async replaceTable(model: SqlModel): Promise<void> {
    const id = this.newId();
    const folder = `${martTablePrefix(model.name)}${id}/`;
    const temporary = `${model.name}__${id}`;
    const location = `s3://${this.lakeBucket}/${folder}`;
    await this.engine.query(
      `CREATE TABLE ${this.names.qualified(temporary)}\n` +
        `WITH (format = 'PARQUET', write_compression = 'SNAPPY', external_location = '${location}')\n` +
        `AS\n${model.sql}`,
    );
    await this.engine.query(`ALTER TABLE ${model.name} SET LOCATION '${location}'`);
    await this.engine.query(`DROP TABLE IF EXISTS ${temporary}`);
    const stale: string[] = [];
    for await (const object of this.lake.list(martTablePrefix(model.name), { etags: false })) {
      if (!object.key.startsWith(folder)) stale.push(object.key);
    }
    if (stale.length > 0) await this.lake.delete(stale);
  }

  /** Nothing to do: the tables are created (empty, typed, partitioned) when the stack is deployed. */
  async prepare(_model: IncrementalModel, _models: readonly SqlModel[]): Promise<void> {}

  /** @throws TooManyPartitionsError for more than 100 days */
  async replacePartitions(model: IncrementalModel, days: readonly string[], select: string): Promise<void> {
    if (days.length === 0) return;
    if (days.length > MAX_PARTITIONS_PER_STATEMENT) throw new TooManyPartitionsError(model.name, days.length);
    const column = model.incremental.partitionBy;
    const stale: string[] = [];
    for (const day of days) {
      for await (const object of this.lake.list(martPartitionPrefix(model.name, column, day), {
        etags: false,
      }))
        stale.push(object.key);
    }
    if (stale.length > 0) await this.lake.delete(stale);
    await this.engine.query(dropPartitionsStatement(model.name, column, days));
    await this.engine.query(`INSERT INTO ${this.names.qualified(model.name)}\n${select}`);
  }
}

/** `ALTER TABLE <model> DROP IF EXISTS PARTITION (<column> = '<day>'), ...` (Hive DDL, unquoted names). */
export function dropPartitionsStatement(model: string, column: string, days: readonly string[]): string {
  return `ALTER TABLE ${model} DROP IF EXISTS ${days.map((day) => `PARTITION (${column} = '${day}')`).join(', ')}`;
}
