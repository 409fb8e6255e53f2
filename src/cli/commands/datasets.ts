import type { Command } from 'commander';
import { DATASETS } from '../../../datasets';
import type { ColumnSpec, DatasetContract } from '../../contract/types';
import { loadModels, referencedRelations, type SqlModel } from '../../sql/models';
import { UsageError } from '../program';

/** A dataset as `ledgerlake datasets` describes it: its contract, and the models built from it. */
export interface DatasetDescription {
  readonly name: string;
  readonly description: string;
  readonly primary_key: readonly string[];
  readonly event_time: string;
  readonly columns: readonly {
    readonly name: string;
    readonly type: string;
    readonly required: boolean;
    readonly rules: readonly string[];
    readonly description: string;
  }[];
  /** Models reading the dataset's table, directly or through other models, in build order. */
  readonly feeds: readonly string[];
}

/** The rules a column declares, as short readable phrases (`allowed: a, b`, `> 0`, `pattern: ...`). */
export function columnRules(column: ColumnSpec): string[] {
  const rules: string[] = [];
  if (column.required) rules.push('required');
  if (column.allowed) rules.push(`allowed: ${column.allowed.join(', ')}`);
  if (column.range) {
    const { min, max, minExclusive, maxExclusive } = column.range;
    if (min !== undefined) rules.push(`${minExclusive ? '>' : '>='} ${min}`);
    if (max !== undefined) rules.push(`${maxExclusive ? '<' : '<='} ${max}`);
  }
  if (column.pattern) rules.push(`pattern: ${column.pattern.description}`);
  if (column.formats) rules.push(`formats: ${column.formats.join(', ')}`);
  if (column.case) rules.push(`${column.case} case`);
  if (column.round) rules.push('rounded');
  if (column.lookup)
    rules.push(`lookup: ${column.lookup.key} -> ${column.lookup.value} in ${column.lookup.source}`);
  if (column.default !== undefined)
    rules.push(
      typeof column.default === 'object'
        ? `default: from ${column.default.fromColumn}`
        : `default: ${column.default}`,
    );
  return rules;
}

/** Models that read `relation`, directly or through other models, in the models' build order. */
export function modelsFedBy(relation: string, models: readonly SqlModel[]): string[] {
  const reached = new Set<string>([relation]);
  const fed: string[] = [];
  for (const model of models) {
    if (referencedRelations(model.sql).some((d) => reached.has(d))) {
      reached.add(model.name);
      fed.push(model.name);
    }
  }
  return fed;
}

export function describeDatasets(
  datasets: readonly DatasetContract[] = DATASETS,
  models: readonly SqlModel[] = loadModels(),
): DatasetDescription[] {
  return datasets.map((d) => ({
    name: d.name,
    description: d.description,
    primary_key: d.primaryKey,
    event_time: d.eventTime,
    columns: d.columns.map((c) => ({
      name: c.name,
      type: c.type,
      required: c.required ?? false,
      rules: columnRules(c),
      description: c.description,
    })),
    feeds: modelsFedBy(d.name, models),
  }));
}

function renderDataset(d: DatasetDescription): string {
  const width = Math.max(...d.columns.map((c) => c.name.length));
  const typeWidth = Math.max(...d.columns.map((c) => c.type.length));
  return [
    `${d.name}  ${d.description}`,
    `  key: ${d.primary_key.join(', ')}   event time: ${d.event_time}   landing: landing/${d.name}/`,
    ...d.columns.map(
      (c) => `  ${c.name.padEnd(width)}  ${c.type.padEnd(typeWidth)}  ${c.rules.join('; ') || '-'}`,
    ),
    `  feeds: ${d.feeds.join(', ') || 'no model'}`,
  ].join('\n');
}

/** `ledgerlake datasets [NAME...] [--json]`: the datasets, their columns and rules, and the models they feed. */
export function registerDatasetsCommand(program: Command): void {
  program
    .command('datasets')
    .description('List the datasets with their columns, rules and the models they feed.')
    .argument('[names...]', 'only these datasets')
    .option('--json', 'print JSON instead of text', false)
    .action((names: string[], options: { json: boolean }) => {
      const all = describeDatasets();
      const unknown = names.filter((n) => !all.some((d) => d.name === n));
      if (unknown.length > 0)
        throw new UsageError(`unknown dataset '${unknown[0]}' (known: ${all.map((d) => d.name).join(', ')})`);
      const chosen = names.length === 0 ? all : all.filter((d) => names.includes(d.name));
      if (options.json) console.log(JSON.stringify(chosen, null, 2));
      else console.log(chosen.map(renderDataset).join('\n\n'));
    });
}
