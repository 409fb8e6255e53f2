import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { DATASETS } from '../../datasets/index';
import { packageRoot } from '../contract/package-root';
import type { DatasetContract } from '../contract/types';
import { baseTables } from './base-tables';
import { feedersOf, GENERATED_MODELS_FILE, generatedModelTexts } from './generated-models';

/** One SQL model: a SELECT in Athena's (Trino) dialect that is deployed as a view named after its file. */
export interface SqlModel {
  /** View name: the file name without `.sql`, e.g. `fact_account_daily_balance`. */
  readonly name: string;
  /** Path relative to the repo root, e.g. `sql/marts/fact_account_daily_balance.sql`. */
  readonly file: string;
  /** Folder under `sql/`: `staging`, `marts` or `analytics`. */
  readonly layer: 'staging' | 'marts' | 'analytics' | string;
  /** The SELECT body only (header comment and trailing semicolon removed), Trino dialect. */
  readonly sql: string;
  /** Other models this one reads, sorted. */
  readonly dependsOn: readonly string[];
  /**
   * How it is stored. `view` (the default) on both engines; `table` (header `-- materialized: table`)
   * is a hint for DuckDB, where small dimensions are faster stored than recomputed (a view on Athena);
   * `incremental` (header `-- materialized: incremental`) is a day-partitioned table on both engines,
   * refreshed partition by partition (see `incremental` and src/materialize/).
   * @default 'view'
   */
  readonly materialized?: Materialization;
  /** How an incremental model is partitioned and refreshed; set exactly when `materialized` is `incremental`. */
  readonly incremental?: IncrementalConfig;
}

export type Materialization = 'view' | 'table' | 'incremental';

/**
 * How an incremental model is kept: day partitions, the inputs whose changed days trigger a refresh,
 * and the state it carries from the partitions before a refresh window. Declared in the header:
 *
 * ```sql
 * -- materialized: incremental
 * -- partitioned_by: balance_date
 * -- input: fact_transactions.event_date refresh=through_latest
 * -- carry: 1 account_id varchar, customer_id varchar, closing_balance decimal(18, 2)
 * ```
 */
export interface IncrementalConfig {
  /** The day (date) column the table is partitioned by; it must be the last output column. */
  readonly partitionBy: string;
  readonly inputs: readonly IncrementalInput[];
  /** Partitions of this model, before the window, that a refresh reads as `prior_partitions` (0: none). */
  readonly carryPartitions: number;
  /** Columns of `prior_partitions` besides the partition column, with their (Trino) types. */
  readonly carryColumns: readonly { readonly name: string; readonly type: string }[];
}

/** One `-- input:` line: a day-partitioned relation the model reads, and what its changed days cause. */
export interface IncrementalInput {
  /** A base table or another incremental model. */
  readonly relation: string;
  /** Its day column: `dt` for base tables, the partition column for models. */
  readonly column: string;
  /**
   * What the refresh reads of it: `window` the window's days only (the default), `with_previous` also
   * each window day's previous partition (for a change from the day before), `all` everything (a
   * small dimension-like input that only triggers refreshes).
   */
  readonly read: 'window' | 'with_previous' | 'all';
  /**
   * Which days of the model a changed input day D rebuilds: `same` D, `through_latest` D up to the
   * latest day (running balances), `following:N` D to D+N (moving averages over N+1 days), `month`
   * every day of D's month (a monthly summary, rebuilt from its month's days alone).
   */
  readonly refresh:
    | { readonly kind: 'same' }
    | { readonly kind: 'month' }
    | { readonly kind: 'through_latest' }
    | { readonly kind: 'following'; readonly days: number };
}

/**
 * Relations the refresh runner defines for an incremental model (never models or base tables):
 * `refresh_window` (one row: `window_start`, `window_end`, the days being written) and
 * `prior_partitions` (the model's own carried columns on the partitions just before the window;
 * empty on a full build).
 */
export const RUNNER_RELATIONS: ReadonlySet<string> = new Set(['refresh_window', 'prior_partitions']);

/** A model file that cannot be loaded: unknown relation, cycle, duplicate name. Names the file. */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelError';
  }
}

/** Repo root: the package's folder (see `packageRoot`). */
export const REPO_ROOT = packageRoot(import.meta.url, 2);

/** The repo's `sql/` folder. */
export const DEFAULT_SQL_DIR = join(REPO_ROOT, 'sql');

/** Folders under `sql/` that hold engine glue, not models (the DuckDB macro pack). */
const NON_MODEL_FOLDERS = new Set(['compat']);

/** Layers in the order they usually build; used only to keep the output order stable and readable. */
const LAYER_RANK: Readonly<Record<string, number>> = { staging: 0, intermediate: 1, marts: 2, analytics: 3 };

/**
 * Loads every model under `sqlDir` (`<layer>/<name>.sql`) and the models generated from the dataset
 * contracts (src/sql/generated-models.ts), and returns them in dependency order: a model comes after
 * every model it reads. Dependencies are worked out from the SQL text (relations after `from` / `join`
 * that are not CTEs of the same file). Synchronous so CDK can call it at synth time.
 *
 * An `-- input:` line on a conformed dataset (`transactions.dt`) also stands for every dataset whose
 * contract feeds it, with the same options: their new days refresh the model too.
 *
 * @param sqlDir folder holding the layer folders. @default the repo's `sql/`
 * @param datasets the contracts the generated models and input lines follow. @default DATASETS
 * @throws ModelError on a reference that is neither a model nor a base table, a cycle, or two models
 *   with the same name; the message names the file (and line for references).
 */
export function loadModels(
  sqlDir: string = DEFAULT_SQL_DIR,
  datasets: readonly DatasetContract[] = DATASETS,
): SqlModel[] {
  const root = resolve(sqlDir);
  const repoRoot = dirname(root);
  const parsed = [
    ...listModelFiles(root).map((path) => parseModelFile(path, relative(repoRoot, path))),
    ...generatedModelTexts(datasets).map((model) =>
      parseModelText(model.text, GENERATED_MODELS_FILE, model.name, model.layer),
    ),
  ].map((model) => withFeederInputs(model, datasets));

  const baseTableNames = new Set(baseTables(datasets).map((table) => table.name));
  const byName = new Map<string, (typeof parsed)[number]>();
  for (const model of parsed) {
    const previous = byName.get(model.name);
    if (previous) {
      throw new ModelError(
        `${model.file}: a model named '${model.name}' already exists in ${previous.file}; rename one of the files`,
        model.file,
      );
    }
    byName.set(model.name, model);
  }

  const models: SqlModel[] = parsed.map((model) => {
    const dependsOn = new Set<string>();
    for (const ref of model.references) {
      if (byName.has(ref.name)) dependsOn.add(ref.name);
      else if (model.incremental && RUNNER_RELATIONS.has(ref.name)) continue;
      else if (!baseTableNames.has(ref.name)) {
        throw new ModelError(
          `${model.file}:${ref.line}: '${ref.name}' is neither a model in ${relative(repoRoot, root) || 'sql'}/ ` +
            `nor a base table (${[...baseTableNames].join(', ')}); fix the name or add the model`,
          model.file,
        );
      }
    }
    dependsOn.delete(model.name);
    const selfReference = model.references.find((ref) => ref.name === model.name);
    if (selfReference) {
      throw new ModelError(
        `${model.file}:${selfReference.line}: model '${model.name}' reads itself`,
        model.file,
      );
    }
    for (const input of model.incremental?.inputs ?? []) {
      if (!byName.has(input.relation) && !baseTableNames.has(input.relation)) {
        throw new ModelError(
          `${model.file}: input '${input.relation}' is neither a model nor a base table; fix the -- input: line`,
          model.file,
        );
      }
      const upstream = byName.get(input.relation);
      if (upstream && input.read !== 'all' && upstream.materialized !== 'incremental') {
        throw new ModelError(
          `${model.file}: input '${input.relation}' is a ${upstream.materialized}; a model read by day must be ` +
            'incremental (or a base table), or read it with read=all',
          model.file,
        );
      }
    }
    return {
      name: model.name,
      file: model.file,
      layer: model.layer,
      sql: model.sql,
      dependsOn: [...dependsOn].sort(),
      materialized: model.materialized,
      ...(model.incremental ? { incremental: model.incremental } : {}),
    };
  });
  return sortByDependencies(models);
}

/** Orders models so every model follows its dependencies (Kahn's algorithm, ties by layer then name). */
function sortByDependencies(models: readonly SqlModel[]): SqlModel[] {
  const rank = (m: SqlModel) => LAYER_RANK[m.layer] ?? 99;
  const compare = (a: SqlModel, b: SqlModel) => rank(a) - rank(b) || a.name.localeCompare(b.name);
  const remaining = new Map(models.map((m) => [m.name, new Set(m.dependsOn)]));
  const ordered: SqlModel[] = [];
  const pending = [...models].sort(compare);
  while (pending.length > 0) {
    const index = pending.findIndex((m) => remaining.get(m.name)?.size === 0);
    if (index < 0) {
      const cycle = findCycle(pending);
      const first = models.find((m) => m.name === cycle[0])!;
      throw new ModelError(
        `${first.file}: models depend on each other in a cycle: ${cycle.join(' -> ')}; break the cycle`,
        first.file,
      );
    }
    const [next] = pending.splice(index, 1);
    ordered.push(next!);
    for (const deps of remaining.values()) deps.delete(next!.name);
  }
  return ordered;
}

/** A cycle among models that could not be ordered, as names with the first repeated at the end. */
function findCycle(models: readonly SqlModel[]): string[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const path: string[] = [];
  let current = models[0]!;
  while (!path.includes(current.name)) {
    path.push(current.name);
    const next = current.dependsOn.map((d) => byName.get(d)).find((m) => m !== undefined);
    if (!next) break;
    current = next;
  }
  const start = path.indexOf(current.name);
  return [...path.slice(start), current.name];
}

function listModelFiles(root: string): string[] {
  let layers: string[];
  try {
    layers = readdirSync(root).sort();
  } catch (error) {
    throw new ModelError(`cannot read the SQL folder ${root}: ${(error as Error).message}`, root, {
      cause: error,
    });
  }
  const files: string[] = [];
  for (const layer of layers) {
    const folder = join(root, layer);
    if (NON_MODEL_FOLDERS.has(layer) || !statSync(folder).isDirectory()) continue;
    for (const file of readdirSync(folder).sort()) {
      if (file.endsWith('.sql')) files.push(join(folder, file));
    }
  }
  return files;
}

interface ParsedModel {
  readonly name: string;
  readonly file: string;
  readonly layer: string;
  readonly sql: string;
  readonly references: readonly { readonly name: string; readonly line: number }[];
  readonly materialized: Materialization;
  readonly incremental?: IncrementalConfig;
}

/** Adds, after each input on a conformed dataset, the same input on every dataset feeding it. */
function withFeederInputs(model: ParsedModel, datasets: readonly DatasetContract[]): ParsedModel {
  if (!model.incremental) return model;
  const inputs = model.incremental.inputs.flatMap((input) => [
    input,
    ...feedersOf(input.relation, datasets)
      .filter((feeder) => !model.incremental!.inputs.some((other) => other.relation === feeder.name))
      .map((feeder) => ({ ...input, relation: feeder.name })),
  ]);
  return { ...model, incremental: { ...model.incremental, inputs } };
}

function parseModelFile(path: string, file: string): ParsedModel {
  const text = readFileSync(path, 'utf8');
  const name = file.replace(/^.*[\\/]/, '').replace(/\.sql$/, '');
  return parseModelText(text, file, name, file.split(/[\\/]/).at(-2) ?? '');
}

function parseModelText(text: string, file: string, name: string, layer: string): ParsedModel {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new ModelError(
      `${file}: model file names must be snake_case identifiers (they become view names)`,
      file,
    );
  }
  const header = /^(?:\s*--[^\n]*\n)*/.exec(text)?.[0] ?? '';
  const kind = /--\s*materialized:\s*([a-z_]+)/i.exec(header)?.[1]?.toLowerCase() ?? 'view';
  if (kind !== 'view' && kind !== 'table' && kind !== 'incremental') {
    throw new ModelError(`${file}: materialized must be view, table or incremental, got '${kind}'`, file);
  }
  const sql = text.slice(header.length).trim().replace(/;\s*$/, '').trimEnd();
  if (sql.length === 0) throw new ModelError(`${file}: the file holds no SELECT`, file);
  return {
    name,
    file,
    layer,
    sql,
    references: relationReferences(tokenize(text)),
    materialized: kind,
    ...(kind === 'incremental' ? { incremental: parseIncrementalHeader(header, file) } : {}),
  };
}

/** Reads the `partitioned_by`, `input` and `carry` lines of an incremental model's header. */
function parseIncrementalHeader(header: string, file: string): IncrementalConfig {
  const lines = header.split('\n').map((line) => line.replace(/^\s*--\s?/, '').trim());
  const values = (key: string) =>
    lines
      .filter((line) => line.toLowerCase().startsWith(`${key}:`))
      .map((line) => line.slice(key.length + 1).trim());
  const fail = (what: string): never => {
    throw new ModelError(`${file}: ${what}`, file);
  };
  const partitionBy =
    values('partitioned_by')[0] ??
    fail('an incremental model needs a `-- partitioned_by: <date column>` line');
  if (!/^[a-z_][a-z0-9_]*$/.test(partitionBy))
    fail(`partitioned_by must be a column name, got '${partitionBy}'`);
  const inputs = values('input').map((line): IncrementalInput => {
    const [target, ...options] = line.split(/\s+/);
    const match = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(target ?? '');
    if (!match) return fail(`input must be <relation>.<day column>, got '${target}'`);
    let read: IncrementalInput['read'] = 'window';
    let refresh: IncrementalInput['refresh'] = { kind: 'same' };
    for (const option of options) {
      const [key, value = ''] = option.split('=');
      if (key === 'read' && (value === 'window' || value === 'with_previous' || value === 'all'))
        read = value;
      else if (key === 'refresh' && (value === 'same' || value === 'through_latest' || value === 'month'))
        refresh = { kind: value };
      else if (key === 'refresh' && /^following:[1-9]\d?$/.test(value))
        refresh = { kind: 'following', days: Number(value.slice('following:'.length)) };
      else
        fail(
          `input option '${option}' is not one of read=window|with_previous|all, refresh=same|through_latest|following:N|month`,
        );
    }
    return { relation: match[1]!, column: match[2]!, read, refresh };
  });
  if (!inputs.some((input) => input.read !== 'all')) {
    fail(
      'an incremental model needs at least one `-- input:` read by day (read=window or read=with_previous)',
    );
  }
  const carry = values('carry')[0];
  let carryPartitions = 0;
  let carryColumns: { name: string; type: string }[] = [];
  if (carry !== undefined) {
    const match =
      /^(\d+)\s+(.+)$/.exec(carry) ??
      fail(`carry must be '<partitions> <column> <type>, ...', got '${carry}'`);
    carryPartitions = Number(match[1]);
    carryColumns = match[2]!.split(/,(?![^(]*\))/).map((part) => {
      const column = /^\s*([a-z_][a-z0-9_]*)\s+([a-z]+(?:\s*\(\s*\d+\s*(?:,\s*\d+\s*)?\))?)\s*$/.exec(part);
      if (!column) return fail(`carry column must be '<name> <type>', got '${part.trim()}'`);
      return { name: column[1]!, type: column[2]!.replace(/\s+/g, '') };
    });
  }
  return { partitionBy, inputs, carryPartitions, carryColumns };
}

interface Token {
  /** Lower-cased text for words, the character for punctuation. */
  readonly text: string;
  readonly kind: 'word' | 'quoted' | 'punct';
  readonly line: number;
}

/** Splits SQL into words, quoted identifiers and punctuation; drops comments and string literals. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === '\n') {
      line++;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? sql.length : end + 2;
      line += (sql.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop;
    } else if (ch === "'" || ch === '"') {
      // Strings ('' escapes a quote) are skipped; quoted identifiers ("" escapes) are kept as names.
      let j = i + 1;
      let value = '';
      while (j < sql.length) {
        if (sql[j] === ch && sql[j + 1] === ch) {
          value += ch;
          j += 2;
        } else if (sql[j] === ch) break;
        else {
          if (sql[j] === '\n') line++;
          value += sql[j];
          j++;
        }
      }
      if (ch === '"') tokens.push({ text: value.toLowerCase(), kind: 'quoted', line });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(ch)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      tokens.push({ text: sql.slice(i, j).toLowerCase(), kind: 'word', line });
      i = j;
    } else {
      tokens.push({ text: ch, kind: 'punct', line });
      i++;
    }
  }
  return tokens;
}

/**
 * Unqualified relation names a statement reads (after `from` / `join`, minus its own CTEs), e.g. to
 * build only the models an ad-hoc query needs.
 */
export function referencedRelations(sql: string): string[] {
  return [...new Set(relationReferences(tokenize(sql)).map((ref) => ref.name))];
}

/** Functions whose parentheses may contain `from` without it naming a relation. */
const FROM_IN_FUNCTIONS = new Set(['extract', 'substring', 'trim', 'position', 'overlay']);

/**
 * Relations read by a statement: names after `from` / `join` (and comma-separated lists after `from`)
 * that are not subqueries, table functions, or CTEs defined in the same statement. Qualified names
 * (`schema.table`) point outside the catalog and are not returned.
 */
function relationReferences(tokens: readonly Token[]): { name: string; line: number }[] {
  const ctes = new Set<string>();
  for (let i = 1; i + 2 < tokens.length; i++) {
    const [prev, name, as, open] = [tokens[i - 1]!, tokens[i]!, tokens[i + 1]!, tokens[i + 2]];
    if ((prev.text === 'with' || prev.text === ',' || prev.text === 'recursive') && name.kind !== 'punct') {
      if (as.text === 'as' && open?.text === '(') ctes.add(name.text);
    }
  }

  const references: { name: string; line: number }[] = [];
  const parens: string[] = []; // the word before each open parenthesis, to spot extract(... from ...)
  /** Reads a relation name at `start`; returns the index of its last token, or -1 if none is there. */
  const readRelation = (start: number): number => {
    const first = tokens[start];
    if (!first || first.kind === 'punct' || tokens[start + 1]?.text === '(') return -1;
    let end = start;
    while (tokens[end + 1]?.text === '.' && tokens[end + 2] && tokens[end + 2]!.kind !== 'punct') end += 2;
    if (end === start && !ctes.has(first.text) && first.text !== 'lateral') {
      references.push({ name: first.text, line: first.line });
    }
    return end;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.text === '(') parens.push(tokens[i - 1]?.text ?? '');
    else if (token.text === ')') parens.pop();
    else if (token.kind === 'word' && (token.text === 'from' || token.text === 'join')) {
      if (token.text === 'from' && FROM_IN_FUNCTIONS.has(parens.at(-1) ?? '')) continue;
      if (token.text === 'from' && tokens[i - 1]?.text === 'distinct') continue; // a is [not] distinct from b
      let end = readRelation(i + 1);
      // Comma-separated relations after FROM (`from a x, b y`): skip the alias, read the next name.
      while (token.text === 'from' && end >= 0) {
        let j = end + 1;
        if (tokens[j]?.text === 'as') j++;
        if (tokens[j] && tokens[j]!.kind !== 'punct' && !CLAUSE_KEYWORDS.has(tokens[j]!.text)) j++;
        if (tokens[j]?.text !== ',') break;
        end = readRelation(j + 1);
      }
    }
  }
  return references;
}

const CLAUSE_KEYWORDS = new Set([
  'where',
  'group',
  'order',
  'having',
  'limit',
  'join',
  'left',
  'right',
  'inner',
  'full',
  'cross',
  'on',
  'union',
  'except',
  'intersect',
  'window',
  'offset',
  'fetch',
]);
