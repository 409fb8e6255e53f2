import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sweepAttempts } from '../ingest/commit';
import { LAKE_PREFIXES } from '../ingest/lake-layout';
import { referenceDefinition } from '../materialize/definition';
import { DuckDbMartWriter } from '../materialize/duckdb-writer';
import { isIncremental } from '../materialize/plan';
import { type RefreshResult, refreshMarts } from '../materialize/refresh';
import {
  BASE_TABLES,
  type BaseColumn,
  type BaseTable,
  baseColumnType,
  committedRelationSql,
  partsTableName,
  readsCommittedParts,
} from '../sql/base-tables';
import { DEFAULT_SQL_DIR, loadModels, type Materialization, REPO_ROOT, type SqlModel } from '../sql/models';
import { FsObjectStore } from '../storage/fs-store';
import type { DuckDbEngine } from './duckdb';
import { ParquetSchemaCache } from './parquet-schemas';
import { QueryError } from './query-engine';

/** The repo's `reference/` folder (CSV lookups). */
export const DEFAULT_REFERENCE_DIR = join(REPO_ROOT, 'reference');

/** Where the catalog comes from. */
export interface CatalogOptions {
  /** Local lake folder (`curated/`, `quarantine/`, `manifests/` under it). */
  readonly lakeDir: string;
  /**
   * Folder of the SQL models and the `compat/duckdb.sql` macro pack.
   * @default the repo's `sql/`
   */
  readonly sqlDir?: string;
  /**
   * Folder of the reference CSVs.
   * @default the repo's `reference/`
   */
  readonly referenceDir?: string;
  /**
   * Build only these models and what they read.
   * @default - every model
   */
  readonly models?: readonly string[];
  /**
   * Rebuild these incremental models (and what reads them) in full; `true` for all.
   * @default false (only what changed since the last build)
   */
  readonly rebuild?: boolean | readonly string[];
}

/** What a build created and how long each step took. */
export interface CatalogBuild {
  readonly baseTables: readonly string[];
  readonly models: readonly {
    readonly name: string;
    readonly materialized: Materialization;
    readonly ms: number;
  }[];
  /** What the refresh of the incremental models did (undefined when none was selected). */
  readonly refresh?: RefreshResult;
  readonly ms: number;
}

/** A model or base table that could not be created; names the file (or lake folder) and the reason. */
export class CatalogError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CatalogError';
  }
}

/**
 * Builds the local catalog from the lake alone: the Trino compat macros, one relation per base table
 * (contracts, quarantine, manifests, reference CSVs), then every model in dependency order. Running it
 * again on the same engine rebuilds everything from the files.
 *
 * Models are views, as on Athena, except those whose header says `-- materialized: table`: the big
 * marts (facts, the daily balance snapshot, the calendar) are read by several analytics views and by
 * the CLI, and storing them once is much faster locally than recomputing the window functions on
 * every query.
 */
export async function buildCatalog(engine: DuckDbEngine, options: CatalogOptions): Promise<CatalogBuild> {
  const started = performance.now();
  const sqlDir = options.sqlDir ?? DEFAULT_SQL_DIR;
  await upgradeLake(options.lakeDir);
  await installCompatMacros(engine, sqlDir);
  const baseTables = await createBaseTables(engine, options);
  const { models, refresh } = await buildModels(engine, {
    sqlDir,
    models: options.models,
    lakeDir: options.lakeDir,
    referenceDir: options.referenceDir,
    rebuild: options.rebuild,
  });
  return { baseTables, models, refresh, ms: performance.now() - started };
}

/**
 * A lake written before commit records existed has manifests and no `commits/`: readers would see
 * none of its rows. Its commit records are written from the manifests once (what the sweep does).
 */
async function upgradeLake(lakeDir: string): Promise<void> {
  const root = resolve(lakeDir);
  if (existsSync(join(root, LAKE_PREFIXES.commits)) || !existsSync(join(root, LAKE_PREFIXES.manifests)))
    return;
  await sweepAttempts(new FsObjectStore(root));
}

/** Installs `sql/compat/duckdb.sql`: Trino function names as DuckDB macros. */
export async function installCompatMacros(
  engine: DuckDbEngine,
  sqlDir: string = DEFAULT_SQL_DIR,
): Promise<void> {
  const file = join(sqlDir, 'compat', 'duckdb.sql');
  try {
    await engine.execute(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CatalogError(`${file}: cannot install the DuckDB compat macros: ${reason(error)}`, file, {
      cause: error,
    });
  }
}

/** Creates every base table (`BASE_TABLES`) over the lake and the reference folder; returns their names. */
export async function createBaseTables(
  engine: DuckDbEngine,
  options: Pick<CatalogOptions, 'lakeDir' | 'referenceDir'>,
): Promise<string[]> {
  const lakeDir = resolve(options.lakeDir);
  const referenceDir = resolve(options.referenceDir ?? DEFAULT_REFERENCE_DIR);
  const schemas = new ParquetSchemaCache(lakeDir);
  for (const table of BASE_TABLES) {
    const sql = await baseTableSqlFor(engine, table, { lakeDir, referenceDir }, schemas);
    await dropRelation(engine, table.name);
    if (readsCommittedParts(table)) await dropRelation(engine, partsTableName(table.name));
    try {
      await engine.execute(sql);
    } catch (error) {
      const where = table.source.kind === 'reference' ? join(referenceDir, table.source.file) : lakeDir;
      throw new CatalogError(
        `cannot create base table '${table.name}' from ${where}: ${reason(error)}`,
        where,
        {
          cause: error,
        },
      );
    }
  }
  schemas.save();
  // Then what readers read: the committed rows of each (the commits table exists now).
  for (const table of BASE_TABLES.filter(readsCommittedParts)) {
    await engine.execute(`create view "${table.name}" as\n${committedRelationSql(table)}`);
  }
  return BASE_TABLES.map((table) => table.name);
}

/** `baseTableSql`, binding a dataset folder from one footer when all its files share a schema. */
async function baseTableSqlFor(
  engine: DuckDbEngine,
  table: BaseTable,
  dirs: { readonly lakeDir: string; readonly referenceDir: string },
  schemas: ParquetSchemaCache,
): Promise<string> {
  const folders =
    table.source.kind === 'curated'
      ? [join(dirs.lakeDir, LAKE_PREFIXES.curated, table.source.dataset)]
      : table.source.kind === 'quarantine'
        ? existsSync(join(dirs.lakeDir, LAKE_PREFIXES.quarantine))
          ? readdirSync(join(dirs.lakeDir, LAKE_PREFIXES.quarantine)).map((dataset) =>
              join(dirs.lakeDir, LAKE_PREFIXES.quarantine, dataset),
            )
          : []
        : [];
  const uniform = new Set<string>();
  for (const folder of folders) if (await schemas.uniform(engine, folder)) uniform.add(folder);
  return baseTableSql(table, { ...dirs, uniform });
}

/**
 * Creates the models (all, or `models` and what they read) in dependency order, on base tables that
 * already exist: the catalog's, or tables a test created by hand.
 */
export async function buildModels(
  engine: DuckDbEngine,
  options: {
    readonly sqlDir?: string;
    /** @default - every model */
    readonly models?: readonly string[];
    /**
     * Also (re)build the models that `models` read. Off only to recompute one model whose inputs exist.
     * @default true
     */
    readonly includeDependencies?: boolean;
    /**
     * Lake whose `marts/` folder holds the incremental models (and their refresh state).
     * @default - a temporary folder, the models built in full from the base tables' rows
     */
    readonly lakeDir?: string;
    /** Folder of the reference CSVs, part of the models' definitions. @default the repo's reference/ */
    readonly referenceDir?: string;
    /** @default false */
    readonly rebuild?: boolean | readonly string[];
    /**
     * Days that may have changed, per dataset, as an ingest event names them (see `RefreshOptions`).
     * @default - every day folder is compared with the refresh state
     */
    readonly hints?: Readonly<Record<string, readonly string[]>>;
  } = {},
): Promise<Pick<CatalogBuild, 'models' | 'refresh'>> {
  const all = loadModels(options.sqlDir ?? DEFAULT_SQL_DIR);
  const requested = options.models;
  const selected = !requested
    ? all
    : (options.includeDependencies ?? true)
      ? withDependencies(all, requested)
      : withDependencies(all, requested).filter((m) => requested.includes(m.name));
  const built: { name: string; materialized: Materialization; ms: number }[] = [];
  const lakeDir = options.lakeDir ?? mkdtempSync(join(tmpdir(), 'ledgerlake-marts-'));
  const writer = new DuckDbMartWriter(engine, lakeDir);
  // Tables that read an incremental model are built again once the refresh has written it.
  const afterRefresh: SqlModel[] = [];
  for (const model of selected) {
    const started = performance.now();
    const materialized = model.materialized ?? 'view';
    await dropRelation(engine, model.name);
    try {
      if (isIncremental(model)) await writer.prepare(model, all);
      else await engine.execute(`create ${materialized} "${model.name}" as\n${model.sql}`);
      if (materialized === 'table' && readsIncremental(model, all)) afterRefresh.push(model);
    } catch (error) {
      throw new CatalogError(
        `${model.file}: cannot create ${materialized} '${model.name}': ${reason(error)}`,
        model.file,
        {
          cause: error,
        },
      );
    }
    built.push({ name: model.name, materialized, ms: performance.now() - started });
  }
  const incremental = selected.filter(isIncremental);
  if (incremental.length === 0) return { models: built };
  const referenceDir = resolve(options.referenceDir ?? DEFAULT_REFERENCE_DIR);
  let refresh: RefreshResult;
  try {
    refresh = await refreshMarts({
      engine,
      store: new FsObjectStore(lakeDir),
      writer,
      models: all,
      only: incremental.map((m) => m.name),
      rebuild: options.rebuild,
      ...(options.hints === undefined ? {} : { hints: options.hints }),
      inputsFromEngine: options.lakeDir === undefined,
      definitionExtra: (model) => referenceDefinition(model, all, referenceDir),
    });
  } catch (error) {
    const file = error instanceof QueryError ? 'sql/' : lakeDir;
    throw new CatalogError(`cannot refresh the incremental models in ${lakeDir}: ${reason(error)}`, file, {
      cause: error,
    });
  }
  for (const model of afterRefresh) {
    await dropRelation(engine, model.name);
    await engine.execute(`create table "${model.name}" as\n${model.sql}`);
  }
  return { models: built, refresh };
}

/** Whether a model reads an incremental model, directly or through others. */
function readsIncremental(model: SqlModel, all: readonly SqlModel[]): boolean {
  const byName = new Map(all.map((m) => [m.name, m]));
  const visit = (name: string): boolean =>
    (byName.get(name)?.dependsOn ?? []).some((dep) => {
      const target = byName.get(dep);
      return target !== undefined && (isIncremental(target) || visit(dep));
    });
  return visit(model.name);
}

/** The requested models plus every model they read, in dependency order. */
function withDependencies(all: readonly SqlModel[], names: readonly string[]): SqlModel[] {
  const byName = new Map(all.map((m) => [m.name, m]));
  const wanted = new Set<string>();
  const visit = (name: string) => {
    const model = byName.get(name);
    if (!model) {
      throw new CatalogError(`unknown model '${name}'; known models: ${[...byName.keys()].join(', ')}`, name);
    }
    if (wanted.has(name)) return;
    wanted.add(name);
    model.dependsOn.forEach(visit);
  };
  names.forEach(visit);
  return all.filter((m) => wanted.has(m.name));
}

/** DuckDB statement that creates one base table, typed exactly as declared. */
export function baseTableSql(
  table: BaseTable,
  dirs: {
    readonly lakeDir: string;
    readonly referenceDir: string;
    /** Folders whose files all share one schema: bound from one footer. @default none */
    readonly uniform?: ReadonlySet<string>;
  },
): string {
  const source = table.source;
  const readPartitions = (folder: string) => readPartitionsOf(folder, !(dirs.uniform?.has(folder) ?? false));
  switch (source.kind) {
    case 'curated': {
      const folder = join(dirs.lakeDir, LAKE_PREFIXES.curated, source.dataset);
      const select = hasPartitionFiles(folder)
        ? `select ${castColumns(table.columns)}\nfrom ${readPartitions(folder)}`
        : emptySelect(table.columns);
      return `create view "${partsTableName(table.name)}" as\n${select}`;
    }
    case 'quarantine': {
      const root = join(dirs.lakeDir, LAKE_PREFIXES.quarantine);
      const datasets = existsSync(root)
        ? readdirSync(root)
            .filter((dataset) => hasPartitionFiles(join(root, dataset)))
            .sort()
        : [];
      const rest = table.columns.filter((column) => column.name !== 'dataset');
      const selects = datasets.map(
        (dataset) =>
          `select ${sqlString(dataset)} as "dataset", ${castColumns(rest)}\nfrom ${readPartitions(join(root, dataset))}`,
      );
      return `create view "${partsTableName(table.name)}" as\n${selects.length > 0 ? selects.join('\nunion all\n') : emptySelect(table.columns)}`;
    }
    case 'manifests': {
      const root = join(dirs.lakeDir, LAKE_PREFIXES.manifests);
      const hasRecords =
        existsSync(root) &&
        readdirSync(root).some((dataset) => listFiles(join(root, dataset), '.json').length > 0);
      // Manifests are small and read often by the freshness view: load them once.
      const select = hasRecords
        ? `select ${castColumns(table.columns)}\nfrom ${readJsonLines(join(root, '*', '*.json'), table.columns)}`
        : emptySelect(table.columns);
      return `create table "${table.name}" as\n${select}`;
    }
    case 'commits': {
      // One folder per dataset, as on Athena (partition `dataset`): a dataset's committed view reads its
      // own commit records only. A view, read live like the Parquet parts: a file committed after the
      // catalog was built (by an ingest, on the engine a refresh then uses) is seen with all its rows.
      const root = join(dirs.lakeDir, LAKE_PREFIXES.commits);
      const datasets = existsSync(root)
        ? readdirSync(root)
            .filter((dataset) => listFiles(join(root, dataset), '.json').length > 0)
            .sort()
        : [];
      const rest = table.columns.filter((column) => column.name !== 'dataset');
      const selects = datasets.map(
        (dataset) =>
          `select ${castColumns(rest)}, ${sqlString(dataset)} as "dataset"\n` +
          `from ${readJsonLines(join(root, dataset, '*.json'), rest)}`,
      );
      return `create view "${table.name}" as\n${selects.length > 0 ? selects.join('\nunion all\n') : emptySelect(table.columns)}`;
    }
    case 'reference': {
      const file = join(dirs.referenceDir, source.file);
      const columns = table.columns
        .map((c) => `${sqlString(c.name)}: ${sqlString(baseColumnType(c.type).duckdb)}`)
        .join(', ');
      return (
        `create table "${table.name}" as\nselect ${castColumns(table.columns)}\n` +
        `from read_csv(${sqlString(file)}, header = true, auto_detect = false, delim = ',', quote = '"', columns = {${columns}})`
      );
    }
  }
}

/**
 * Every Parquet file of a dataset folder, Hive partitions as columns. With `unionByName` (files of
 * several schemas, e.g. before and after a contract gained a column) missing columns read as null,
 * at the price of reading every file's footer to bind.
 */
function readPartitionsOf(folder: string, unionByName: boolean): string {
  return (
    `read_parquet(${sqlString(join(folder, 'dt=*', '*.parquet'))}, hive_partitioning = true` +
    `${unionByName ? ', union_by_name = true' : ''})`
  );
}

/** One JSON object per line, read with the declared columns only (other keys are ignored). */
function readJsonLines(glob: string, columns: readonly BaseColumn[]): string {
  const declared = columns
    .map((c) => `${sqlString(c.name)}: ${sqlString(baseColumnType(c.type).duckdb)}`)
    .join(', ');
  return `read_json(${sqlString(glob)}, format = 'newline_delimited', columns = {${declared}})`;
}

/** Casts each column to its declared type, so the table's types match the contract exactly. */
function castColumns(columns: readonly BaseColumn[]): string {
  return columns
    .map((c) => `cast("${c.name}" as ${baseColumnType(c.type).duckdb}) as "${c.name}"`)
    .join(',\n  ');
}

/** A typed, empty relation: a dataset with no files yet still has its table. */
function emptySelect(columns: readonly BaseColumn[]): string {
  return `select ${columns.map((c) => `cast(null as ${baseColumnType(c.type).duckdb}) as "${c.name}"`).join(',\n  ')}\nwhere false`;
}

function hasPartitionFiles(folder: string): boolean {
  if (!existsSync(folder)) return false;
  return readdirSync(folder).some(
    (entry) => entry.startsWith('dt=') && listFiles(join(folder, entry), '.parquet').length > 0,
  );
}

function listFiles(folder: string, extension: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => entry.name);
}

/** Drops a view or table of that name, whichever it is, so a rebuild can change its kind. */
async function dropRelation(engine: DuckDbEngine, name: string): Promise<void> {
  const found = await engine.query(
    `select table_type from information_schema.tables where table_schema = 'main' and table_name = ${sqlString(name)}`,
  );
  const type = found.rows[0]?.table_type;
  if (type === 'VIEW') await engine.execute(`drop view "${name}"`);
  else if (type !== undefined) await engine.execute(`drop table "${name}"`);
}

/** A SQL string literal (single quotes doubled), valid on DuckDB and Trino. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function reason(error: unknown): string {
  return error instanceof QueryError || error instanceof Error ? error.message : String(error);
}
