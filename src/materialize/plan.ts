import { createHash } from 'node:crypto';
import {
  type IncrementalConfig,
  type IncrementalInput,
  referencedRelations,
  type SqlModel,
} from '../sql/models';

/**
 * The pure half of incremental materialization: which days of each model a change rebuilds, and the
 * one SELECT that rebuilds them. No engine, no store: `refresh.ts` runs what this plans.
 *
 * Days are ISO strings (`YYYY-MM-DD`), which sort as dates.
 */

/** Athena writes at most 100 partitions per INSERT INTO / CTAS: a refresh statement never writes more. */
export const MAX_PARTITIONS_PER_STATEMENT = 100;

/** A model that is stored as a day-partitioned table. */
export type IncrementalModel = SqlModel & { readonly incremental: IncrementalConfig };

export function isIncremental(model: SqlModel): model is IncrementalModel {
  return model.materialized === 'incremental' && model.incremental !== undefined;
}

/** `2024-03-05` plus `days` (negative to go back). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Every day from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The greatest day of `days` before `day`, or undefined (binary search over a sorted list). */
export function previousDay(sorted: readonly string[], day: string): string | undefined {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < day) low = mid + 1;
    else high = mid;
  }
  return low > 0 ? sorted[low - 1] : undefined;
}

/** The `count` greatest days of `sorted` before `day`. */
export function daysBefore(sorted: readonly string[], day: string, count: number): string[] {
  if (count <= 0) return [];
  let end = 0;
  while (end < sorted.length && sorted[end]! < day) end++;
  return sorted.slice(Math.max(0, end - count), end);
}

/** Splits sorted days into runs of consecutive days. */
export function contiguousRuns(sorted: readonly string[]): string[][] {
  const runs: string[][] = [];
  for (const day of sorted) {
    const run = runs.at(-1);
    if (run && addDays(run.at(-1)!, 1) === day) run.push(day);
    else runs.push([day]);
  }
  return runs;
}

/** Splits a list into pieces of at most `size`. */
export function chunks<T>(items: readonly T[], size = MAX_PARTITIONS_PER_STATEMENT): T[][] {
  const pieces: T[][] = [];
  for (let i = 0; i < items.length; i += size) pieces.push(items.slice(i, i + size));
  return pieces;
}

/** What the planner knows of one relation: the days that hold data, sorted. */
export type PartitionIndex = ReadonlyMap<string, readonly string[]>;

/**
 * The days of `model` to rebuild after its inputs changed on `changed` (per input relation, the days
 * whose data was added, replaced or removed), given the days each relation holds now (`partitions`,
 * inputs already refreshed) and the days the model itself holds.
 *
 * - `same`: the changed days themselves; `following:N`: each changed day and the N after it;
 *   `through_latest`: from the changed day to the latest day of the model's day-read inputs; `month`:
 *   every day of the changed day's month, from its first (up to the latest day).
 * - A model that carries state (or refreshes through the latest day) is kept gap-free: its window
 *   starts no later than the day after its own last partition, so a new day after a quiet spell
 *   fills the days between.
 * - Nothing is rebuilt past the latest input day, nor (for models without carried state) on a day
 *   that holds no input any more unless it held it before (the partition is then emptied).
 */
export function refreshDays(
  model: IncrementalModel,
  changed: ReadonlyMap<string, readonly string[]>,
  partitions: PartitionIndex,
  ownPartitions: readonly string[],
): string[] {
  const config = model.incremental;
  const dayInputs = config.inputs.filter((input) => input.read !== 'all');
  const latest = dayInputs
    .map((input) => partitions.get(input.relation)?.at(-1))
    .filter((day): day is string => day !== undefined)
    .sort()
    .at(-1);
  const ownLast = ownPartitions.at(-1);
  const end = [latest, ownLast]
    .filter((d): d is string => d !== undefined)
    .sort()
    .at(-1);
  if (end === undefined) return [];

  const days = new Set<string>();
  for (const input of config.inputs) {
    for (const day of changed.get(input.relation) ?? []) {
      const first = input.refresh.kind === 'month' ? `${day.slice(0, 8)}01` : day;
      const last = lastDayRebuilt(input.refresh, day, end);
      for (let d = first; d <= last; d = addDays(d, 1)) days.add(d);
    }
  }
  if (days.size === 0) return [];
  const gapFree = isGapFree(config);
  if (gapFree && ownLast !== undefined) {
    const first = [...days].sort()[0]!;
    for (let d = addDays(ownLast, 1); d < first; d = addDays(d, 1)) days.add(d);
  }
  let sorted = [...days].filter((day) => day <= end).sort();
  if (!gapFree) {
    // Only days that hold (or held) data: a late customers snapshot re-keys the fact days after it
    // that exist, not every calendar day up to the latest.
    const held = new Set<string>(ownPartitions);
    for (const input of dayInputs) {
      for (const day of partitions.get(input.relation) ?? []) held.add(day);
      for (const day of changed.get(input.relation) ?? []) held.add(day);
    }
    sorted = sorted.filter((day) => held.has(day));
  }
  return sorted;
}

function lastDayRebuilt(refresh: IncrementalInput['refresh'], day: string, end: string): string {
  switch (refresh.kind) {
    case 'same':
      return day;
    case 'following':
      return addDays(day, refresh.days);
    case 'through_latest':
      return end;
    case 'month':
      return lastDayOfMonth(day);
  }
}

/** `2024-02-29` for any day of February 2024. */
function lastDayOfMonth(day: string): string {
  const [year, month] = day.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

/** The days of a full build: every day of the day-read inputs, gap-filled for models that carry state. */
export function fullBuildDays(model: IncrementalModel, partitions: PartitionIndex): string[] {
  const config = model.incremental;
  const all = new Set<string>();
  for (const input of config.inputs) {
    if (input.read === 'all') continue;
    for (const day of partitions.get(input.relation) ?? []) all.add(day);
  }
  const sorted = [...all].sort();
  if (sorted.length === 0) return [];
  return isGapFree(config) ? daysBetween(sorted[0]!, sorted.at(-1)!) : sorted;
}

/**
 * A model that carries state from day to day, or whose day-read input refreshes it through the latest
 * day (a running balance), holds every day from its first to its last: no gaps.
 */
function isGapFree(config: IncrementalConfig): boolean {
  return (
    config.carryPartitions > 0 ||
    config.inputs.some((input) => input.read !== 'all' && input.refresh.kind === 'through_latest')
  );
}

/**
 * The statements of one refresh: the windows (runs of consecutive days for models that carry state,
 * any days otherwise), each at most `MAX_PARTITIONS_PER_STATEMENT` days, in the order they must run.
 */
export function refreshBatches(model: IncrementalModel, days: readonly string[]): string[][] {
  const sorted = [...new Set(days)].sort();
  const runs = model.incremental.carryPartitions > 0 ? contiguousRuns(sorted) : [sorted];
  return runs.flatMap((run) => chunks(run));
}

/** How the composed SQL names a relation of the catalog, past the CTEs that shadow it. */
export interface RelationNames {
  /** `main."transactions"` on DuckDB, `"ledgerlake"."transactions"` on Athena. */
  qualified(name: string): string;
}

/** Everything `composeRefreshSql` needs for one batch. */
export interface RefreshBatch {
  readonly model: IncrementalModel;
  /** Every model, for inlining the views between the model and its day-read inputs. */
  readonly models: readonly SqlModel[];
  /** Days written by this statement, sorted; at most 100. */
  readonly days: readonly string[];
  /** Days each relation holds, for the previous partition of `with_previous` inputs and for the carry. */
  readonly partitions: PartitionIndex;
  /** Days of the model before the batch that `prior_partitions` reads (the carry), sorted. */
  readonly priorDays: readonly string[];
}

/**
 * The one SELECT that yields the rows of `batch.days` of the model, in the model's column order:
 *
 * ```sql
 * with
 * refresh_window as (select date 'first' as window_start, date 'last' as window_end),
 * prior_partitions as (select <carried columns>, <partition column> from <model> where <day> in (...)),
 * transactions as (select * from main."transactions" where "dt" in (...)),  -- each day-read input
 * stg_transactions as (<its SQL>),                                          -- each view between
 * model as (<the model's SQL>)
 * select * from model where <partition column> in (<days>)
 * ```
 *
 * The model's own text is used as written; only the relations it reads are narrowed to the days
 * that matter, by CTEs named like them. Views between the model and a day-read input are inlined
 * so they read the narrowed input too (a view stored in the catalog would read the whole table).
 */
export function composeRefreshSql(batch: RefreshBatch, names: RelationNames): string {
  const { model, days } = batch;
  const config = model.incremental;
  const first = days[0]!;
  const last = days.at(-1)!;
  const ctes: string[] = [];
  ctes.push(`refresh_window as (select date '${first}' as window_start, date '${last}' as window_end)`);
  if (config.carryPartitions > 0 || model.sql.includes('prior_partitions')) {
    ctes.push(`prior_partitions as (${priorSelect(model, batch.priorDays, names)})`);
  }
  const narrowed = new Set<string>();
  for (const input of config.inputs) {
    if (input.read === 'all') continue;
    const held = batch.partitions.get(input.relation) ?? [];
    const read = new Set(days);
    if (input.read === 'with_previous') {
      for (const day of days) {
        const previous = previousDay(held, day);
        if (previous !== undefined) read.add(previous);
      }
    }
    narrowed.add(input.relation);
    ctes.push(
      `${input.relation} as (select * from ${names.qualified(input.relation)} where "${input.column}" in (${dayList([...read].sort())}))`,
    );
  }
  for (const view of viewsBetween(model, batch.models, narrowed)) {
    ctes.push(`${view.name} as (\n${view.sql}\n)`);
  }
  ctes.push(`model as (\n${model.sql}\n)`);
  return `with\n${ctes.join(',\n')}\nselect * from model where "${config.partitionBy}" in (${dayList(days)})`;
}

/**
 * The statement that gives an incremental model's output columns without reading data (a CTAS
 * `WITH NO DATA` on Athena, an empty typed view on DuckDB): the refresh SQL of one arbitrary day with
 * an empty carry.
 */
export function composeSchemaSql(
  model: IncrementalModel,
  models: readonly SqlModel[],
  names: RelationNames,
): string {
  return composeRefreshSql(
    { model, models, days: ['2000-01-01'], partitions: new Map(), priorDays: [] },
    names,
  );
}

/** `prior_partitions`: the carried columns of the given days of the model (typed and empty when none). */
function priorSelect(model: IncrementalModel, days: readonly string[], names: RelationNames): string {
  const config = model.incremental;
  const columns = [...config.carryColumns, { name: config.partitionBy, type: 'date' }];
  if (days.length === 0) {
    return `select ${columns.map((c) => `cast(null as ${c.type}) as "${c.name}"`).join(', ')} where false`;
  }
  return (
    `select ${columns.map((c) => `"${c.name}"`).join(', ')} from ${names.qualified(model.name)} ` +
    `where "${config.partitionBy}" in (${dayList(days)})`
  );
}

/**
 * Non-incremental models on a path from a narrowed relation to `model`, in dependency order (the
 * order of `models`): inlined so they read the narrowed inputs.
 */
function viewsBetween(
  model: SqlModel,
  models: readonly SqlModel[],
  narrowed: ReadonlySet<string>,
): SqlModel[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const readsNarrowed = new Map<string, boolean>();
  const reads = (name: string): boolean => {
    const known = readsNarrowed.get(name);
    if (known !== undefined) return known;
    const current = byName.get(name);
    // Incremental models are read as stored tables, never inlined. `dependsOn` lists models only:
    // the base tables a view reads come from its text.
    const result =
      current !== undefined &&
      !isIncremental(current) &&
      referencedRelations(current.sql).some((dep) => narrowed.has(dep) || reads(dep));
    readsNarrowed.set(name, result);
    return result;
  };
  const upstream = new Set<string>();
  const visit = (name: string) => {
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      if (upstream.has(dep) || narrowed.has(dep)) continue;
      const target = byName.get(dep);
      if (target && !isIncremental(target)) {
        upstream.add(dep);
        visit(dep);
      }
    }
  };
  visit(model.name);
  // Views upstream that read no narrowed relation stay references to the catalog's view (whole).
  return models.filter((m) => upstream.has(m.name) && reads(m.name));
}

function dayList(days: readonly string[]): string {
  return days.map((day) => `date '${day}'`).join(', ');
}

/**
 * A fingerprint of everything a model's stored rows depend on besides data: its SQL and header, and
 * the SQL of every model upstream of it, plus `extra` (e.g. the reference files it reads). A change
 * means the stored partitions no longer follow from the text: the model is rebuilt in full.
 */
export function definitionHash(model: SqlModel, models: readonly SqlModel[], extra = ''): string {
  const byName = new Map(models.map((m) => [m.name, m]));
  const seen = new Set<string>();
  const hash = createHash('sha256');
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const current = byName.get(name);
    if (!current) return;
    hash.update(`${current.name}\n${current.sql}\n${JSON.stringify(current.incremental ?? null)}\n`);
    current.dependsOn.forEach(visit);
  };
  visit(model.name);
  hash.update(extra);
  return hash.digest('hex').slice(0, 16);
}
