import { performance } from 'node:perf_hooks';
import type { QueryEngine } from '../engine/query-engine';
import { BASE_TABLES } from '../sql/base-tables';
import { referencedRelations, type SqlModel } from '../sql/models';
import type { ObjectStore } from '../storage/object-store';
import {
  composeRefreshSql,
  daysBefore,
  definitionHash,
  fullBuildDays,
  type IncrementalModel,
  isIncremental,
  type RelationNames,
  refreshBatches,
  refreshDays,
} from './plan';
import { changedDays, fingerprintDays, type MartsState, readState, writeState } from './state';

/**
 * Where the rows of a materialized model are stored: DuckDB writes Parquet into the local lake,
 * Athena runs INSERT INTO on the Glue table. Both lay out `marts/<model>/<day column>=<day>/`.
 */
export interface MartWriter {
  /** How SQL names a catalog relation past the CTEs that shadow it. */
  readonly names: RelationNames;
  /** Makes the model's table readable (empty and typed when it holds nothing yet). */
  prepare(model: IncrementalModel, models: readonly SqlModel[]): Promise<void>;
  /**
   * Replaces the partitions `days` of the model by the rows `select` yields (only rows of those
   * days); a day without rows ends up empty. At most 100 days.
   */
  replacePartitions(model: IncrementalModel, days: readonly string[], select: string): Promise<void>;
  /**
   * Rebuilds a model stored whole (`materialized: table`) from its SQL. A writer without it (DuckDB,
   * whose catalog builds such tables in memory at every start) leaves those models to the catalog.
   */
  replaceTable?(model: SqlModel, models: readonly SqlModel[]): Promise<void>;
}

export interface RefreshOptions {
  /** Runs the `select distinct <day>` checks after each write (DuckDB locally, Athena on AWS). */
  readonly engine: QueryEngine;
  /** The lake: curated files to fingerprint, and the state object. */
  readonly store: ObjectStore;
  readonly writer: MartWriter;
  /** Every model (`loadModels()`), in dependency order; only incremental ones are written. */
  readonly models: readonly SqlModel[];
  /**
   * Days that may have changed, per dataset (an ingest's days): only those day folders are listed.
   * @default - every day folder of every dataset is listed (catch-up)
   */
  readonly hints?: Readonly<Record<string, readonly string[]>>;
  /**
   * Rebuild these models (and everything downstream of them) in full; `true` for every model.
   * @default false (only what changed; a model whose definition changed is rebuilt in full anyway)
   */
  readonly rebuild?: boolean | readonly string[];
  /**
   * Only these incremental models and those upstream of them.
   * @default - every incremental model
   */
  readonly only?: readonly string[];
  /**
   * Take each dataset's days from the engine (`select distinct dt`) instead of fingerprinting files:
   * for base tables that are not files in `store` (tables a test made by hand). Every model is then
   * built in full. @default false
   */
  readonly inputsFromEngine?: boolean;
  /** Extra text for a model's definition hash (e.g. the reference data it reads). @default '' */
  readonly definitionExtra?: (model: SqlModel) => string;
  /** Called once per statement written, for logs. */
  readonly onStatement?: (event: { model: string; days: readonly string[]; ms: number }) => void;
}

/** What one model's refresh did. */
export interface ModelRefresh {
  readonly model: string;
  /** `full` (no state, changed definition or asked), `incremental`, or `unchanged` (nothing to do). */
  readonly mode: 'full' | 'incremental' | 'unchanged';
  /** Days written (an empty result empties the partition). */
  readonly days: readonly string[];
  readonly statements: number;
  readonly ms: number;
}

export interface RefreshResult {
  /** Days whose curated files changed since the last refresh, per dataset. */
  readonly changedInputs: Readonly<Record<string, readonly string[]>>;
  readonly models: readonly ModelRefresh[];
  /** The days each incremental model holds after the refresh. */
  readonly partitions: Readonly<Record<string, readonly string[]>>;
}

/**
 * Brings every materialized model up to date with the curated data, doing only the work the change
 * needs: a changed input day rebuilds the model days it feeds (see `refreshDays`), each in one
 * statement of at most 100 partitions that reads only the partitions it needs; a model with no state,
 * a changed definition or a rebuild request is rebuilt in full, and so is everything downstream of it.
 * The state is written last: a run that fails part-way is redone by the next one.
 */
export async function refreshMarts(options: RefreshOptions): Promise<RefreshResult> {
  const { store, writer, engine } = options;
  const state = await readState(store);
  const models = options.models;
  const selected = selectModels(models, options.only);

  // 1. Which input days changed.
  const datasets = BASE_TABLES.filter((t) => t.source.kind === 'curated').map((t) =>
    t.source.kind === 'curated' ? t.source.dataset : t.name,
  );
  const changed = new Map<string, readonly string[]>();
  const inputs: Record<string, Record<string, string>> = { ...state.inputs };
  const changedInputs: Record<string, readonly string[]> = {};
  for (const dataset of options.inputsFromEngine ? [] : datasets) {
    const before = state.inputs[dataset] ?? {};
    // Hints narrow the listing to the days an ingest named, once the state knows the dataset's other
    // days; a dataset the state has never seen is listed whole (a first build needs every day).
    const known = state.inputs[dataset] !== undefined;
    const scope = options.hints && known ? options.hints[dataset] : undefined;
    if (options.hints && known && scope === undefined) continue;
    const listed = await fingerprintDays(store, dataset, scope);
    const after = scope ? mergeScope(before, listed, scope) : listed;
    const days = changedDays(before, after, scope);
    inputs[dataset] = after;
    if (days.length > 0) {
      changed.set(dataset, days);
      changedInputs[dataset] = days;
    }
  }

  // 2. Each incremental model in dependency order.
  const partitions = new Map<string, readonly string[]>();
  for (const [dataset, days] of Object.entries(inputs)) partitions.set(dataset, Object.keys(days).sort());
  if (options.inputsFromEngine) {
    const read = new Set(selected.flatMap((m) => m.incremental.inputs.map((input) => input.relation)));
    for (const dataset of datasets.filter((name) => read.has(name))) {
      const { rows } = await engine.query(
        `select distinct cast("dt" as varchar) as day from ${writer.names.qualified(dataset)}`,
      );
      partitions.set(dataset, rows.map((row) => String(row.day)).sort());
    }
  }
  const modelState: Record<string, MartsState['models'][string]> = { ...state.models };
  for (const [name, entry] of Object.entries(state.models)) partitions.set(name, [...entry.partitions]);

  const rebuildAsked = (name: string) =>
    options.rebuild === true || (Array.isArray(options.rebuild) && options.rebuild.includes(name));
  const rebuiltInFull = new Set<string>();
  const results: ModelRefresh[] = [];
  // Whole tables first in their place in the dependency order: a customers snapshot rebuilds the
  // SCD2 dimension before the facts that look up its keys.
  const wholeTables = writer.replaceTable ? tablesToKeep(models, options.only) : [];
  // A requested rebuild is recorded first (as a definition no model has), so a run stopped part-way
  // leaves the models it did not reach marked: the next run, whatever asks for it, rebuilds them.
  const asked = selected.filter(
    (model) => rebuildAsked(model.name) || upstreamOf(model, models).some((name) => rebuildAsked(name)),
  );
  if (asked.length > 0) {
    for (const model of asked) {
      modelState[model.name] = {
        definition: REBUILD_REQUESTED,
        partitions: state.models[model.name]?.partitions ?? [],
      };
    }
    await writeState(store, { version: 1, inputs: state.inputs, models: modelState });
  }
  for (const model of orderLike(models, [...wholeTables, ...selected])) {
    const started = performance.now();
    const definition = definitionHash(model, models, options.definitionExtra?.(model) ?? '');
    if (!isIncremental(model)) {
      // A whole table: rebuilt when what it reads changed. Only a new definition (or a request)
      // rebuilds the models downstream in full; new data reaches them through their own inputs
      // (e.g. `customers.dt read=all refresh=through_latest`).
      const previous = state.models[model.name];
      const redefined =
        previous === undefined || previous.definition !== definition || rebuildAsked(model.name);
      const written = new Set(results.filter((r) => r.mode !== 'unchanged').map((r) => r.model));
      const rebuild =
        redefined ||
        baseInputsOf(model, models).some((dataset) => changed.has(dataset)) ||
        upstreamOf(model, models).some((name) => written.has(name));
      if (rebuild) await writer.replaceTable?.(model, models);
      if (redefined) rebuiltInFull.add(model.name);
      modelState[model.name] = { definition, partitions: [] };
      if (rebuild) await writeState(store, { version: 1, inputs: state.inputs, models: modelState });
      results.push({
        model: model.name,
        mode: rebuild ? 'full' : 'unchanged',
        days: [],
        statements: rebuild ? 1 : 0,
        ms: performance.now() - started,
      });
      continue;
    }
    const previous = state.models[model.name];
    const upstreamFull = upstreamOf(model, models).some((name) => rebuiltInFull.has(name));
    const full =
      options.inputsFromEngine === true ||
      previous === undefined ||
      previous.definition !== definition ||
      rebuildAsked(model.name) ||
      upstreamFull;
    await writer.prepare(model, models);

    const own = full ? [] : [...(previous?.partitions ?? [])];
    const days = full
      ? [...new Set([...fullBuildDays(model, partitions), ...(previous?.partitions ?? [])])].sort()
      : refreshDays(model, changed, partitions, own);
    if (full) rebuiltInFull.add(model.name);
    if (days.length === 0) {
      modelState[model.name] = { definition, partitions: own };
      partitions.set(model.name, own);
      results.push({ model: model.name, mode: full ? 'full' : 'unchanged', days: [], statements: 0, ms: 0 });
      continue;
    }

    let held = own;
    let statements = 0;
    for (const batch of refreshBatches(model, days)) {
      const batchStarted = performance.now();
      partitions.set(model.name, held);
      const sql = composeRefreshSql(
        {
          model,
          models,
          days: batch,
          partitions,
          priorDays: daysBefore(held, batch[0]!, model.incremental.carryPartitions),
        },
        writer.names,
      );
      await writer.replacePartitions(model, batch, sql);
      const present = await presentDays(engine, writer.names, model, batch);
      const replaced = new Set(batch);
      held = [...held.filter((day) => !replaced.has(day)), ...present].sort();
      statements++;
      options.onStatement?.({ model: model.name, days: batch, ms: performance.now() - batchStarted });
    }
    partitions.set(model.name, held);
    modelState[model.name] = { definition, partitions: held };
    changed.set(model.name, days);
    // Progress survives a run stopped part-way (a long rebuild): the models done so far, with the
    // inputs as they were before this run, so the next run redoes the rest from the same changes.
    await writeState(store, { version: 1, inputs: state.inputs, models: modelState });
    results.push({
      model: model.name,
      mode: full ? 'full' : 'incremental',
      days,
      statements,
      ms: performance.now() - started,
    });
  }

  await writeState(store, { version: 1, inputs, models: modelState });
  const held: Record<string, readonly string[]> = {};
  for (const model of selected) held[model.name] = partitions.get(model.name) ?? [];
  return { changedInputs, models: results, partitions: held };
}

/** Models stored whole (`materialized: table`) that the selected models read (or all of them). */
function tablesToKeep(models: readonly SqlModel[], only: readonly string[] | undefined): SqlModel[] {
  const tables = models.filter((m) => m.materialized === 'table');
  if (!only) return tables;
  const wanted = new Set<string>();
  for (const name of only) for (const dep of [name, ...upstreamOf({ name }, models)]) wanted.add(dep);
  return tables.filter((m) => wanted.has(m.name));
}

/** `subset` in the order of `models` (dependency order). */
function orderLike<T extends SqlModel>(models: readonly SqlModel[], subset: readonly T[]): T[] {
  const rank = new Map(models.map((m, index) => [m.name, index]));
  return [...subset].sort((a, b) => (rank.get(a.name) ?? 0) - (rank.get(b.name) ?? 0));
}

/** Base tables a model reads, directly or through the views and tables it reads. */
function baseInputsOf(model: SqlModel, models: readonly SqlModel[]): string[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const bases = new Set<string>();
  const seen = new Set<string>();
  const visit = (current: SqlModel) => {
    if (seen.has(current.name)) return;
    seen.add(current.name);
    for (const ref of referencedRelations(current.sql)) {
      const target = byName.get(ref);
      if (target) visit(target);
      else bases.add(ref);
    }
  };
  visit(model);
  return [...bases];
}

/** The definition recorded for a model whose rebuild was asked for and has not finished. */
const REBUILD_REQUESTED = 'rebuild-requested';

/** Incremental models to refresh: all, or those named and every incremental model they read. */
function selectModels(models: readonly SqlModel[], only: readonly string[] | undefined): IncrementalModel[] {
  const incremental = models.filter(isIncremental);
  if (!only) return incremental;
  const wanted = new Set<string>();
  for (const name of only)
    for (const dep of [name, ...upstreamOf({ name } as SqlModel, models)]) wanted.add(dep);
  return incremental.filter((m) => wanted.has(m.name));
}

/** Every model upstream of `model` (transitively). */
function upstreamOf(model: Pick<SqlModel, 'name'>, models: readonly SqlModel[]): string[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (!seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(model.name);
  return [...seen];
}

/** Keeps the fingerprints of days outside `scope`, replaces those inside with what was listed. */
function mergeScope(
  before: Readonly<Record<string, string>>,
  listed: Readonly<Record<string, string>>,
  scope: readonly string[],
): Record<string, string> {
  const merged: Record<string, string> = { ...before };
  for (const day of scope) delete merged[day];
  Object.assign(merged, listed);
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

/** Which of `days` hold rows of the model now (reads only those partitions). */
async function presentDays(
  engine: QueryEngine,
  names: RelationNames,
  model: IncrementalModel,
  days: readonly string[],
): Promise<string[]> {
  const column = model.incremental.partitionBy;
  const { rows } = await engine.query(
    `select distinct "${column}" as day from ${names.qualified(model.name)} where "${column}" in (${days
      .map((day) => `date '${day}'`)
      .join(', ')})`,
  );
  return rows.map((row) => String(row.day)).sort();
}
