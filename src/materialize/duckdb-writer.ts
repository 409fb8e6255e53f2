import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DuckDbEngine } from '../engine/duckdb';
import type { SqlModel } from '../sql/models';
import { composeSchemaSql, type IncrementalModel, type RelationNames } from './plan';
import type { MartWriter } from './refresh';
import { MARTS_PREFIX } from './state';

/** DuckDB names catalog relations in its `main` schema. */
export const DUCKDB_NAMES: RelationNames = { qualified: (name) => `main."${name}"` };

/**
 * The local MartWriter: each model is a folder of Hive-partitioned Parquet in the lake
 * (`marts/<model>/<day column>=<day>/`), the layout Athena's INSERT INTO writes on S3, read through a
 * view. A batch is written with `COPY ... PARTITION_BY` into a staging folder, then each day's folder
 * replaces the old one by a rename, so a reader sees the old day or the new one.
 */
export class DuckDbMartWriter implements MartWriter {
  readonly names = DUCKDB_NAMES;
  private readonly root: string;

  constructor(
    private readonly engine: DuckDbEngine,
    lakeDir: string,
  ) {
    this.root = join(resolve(lakeDir), ...MARTS_PREFIX.split('/').filter(Boolean));
  }

  /** The model's folder in the lake. */
  folderOf(model: string): string {
    return join(this.root, model);
  }

  async prepare(model: IncrementalModel, models: readonly SqlModel[]): Promise<void> {
    const column = model.incremental.partitionBy;
    const folder = this.folderOf(model.name);
    const select = hasParquet(folder)
      ? `select * from read_parquet('${sqlPath(join(folder, '*', '*.parquet'))}', hive_partitioning = true, ` +
        `hive_types = {'${column}': DATE})`
      : `select * from (\n${composeSchemaSql(model, models, this.names)}\n) as empty where false`;
    await this.engine.execute(`create or replace view "${model.name}" as\n${select}`);
    this.models = models;
  }

  private models: readonly SqlModel[] = [];

  async replacePartitions(model: IncrementalModel, days: readonly string[], select: string): Promise<void> {
    const column = model.incremental.partitionBy;
    const staging = join(this.root, '_staging', `${model.name}-${randomUUID()}`);
    mkdirSync(staging, { recursive: true });
    try {
      await this.engine.execute(
        `copy (${select}) to '${sqlPath(staging)}' ` +
          `(format parquet, compression snappy, partition_by ("${column}"), overwrite_or_ignore true)`,
      );
      const folder = this.folderOf(model.name);
      mkdirSync(folder, { recursive: true });
      for (const day of days) {
        const target = join(folder, `${column}=${day}`);
        const written = join(staging, `${column}=${day}`);
        const old = `${target}.old-${randomUUID()}`;
        if (existsSync(target)) renameSync(target, old);
        if (existsSync(written)) renameSync(written, target);
        rmSync(old, { recursive: true, force: true });
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
      // The staging parent goes too once empty (another writer may still use it).
      try {
        rmdirSync(dirname(staging));
      } catch {}
    }
    await this.prepare(model, this.models);
  }
}

function hasParquet(folder: string): boolean {
  if (!existsSync(folder)) return false;
  return readdirSync(folder, { withFileTypes: true }).some(
    (entry) =>
      entry.isDirectory() &&
      entry.name.includes('=') &&
      !entry.name.includes('.old-') &&
      readdirSync(join(folder, entry.name)).some((file) => file.endsWith('.parquet')),
  );
}

function sqlPath(path: string): string {
  return path.replaceAll("'", "''");
}
