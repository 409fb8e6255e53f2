import { CONFORMED_DATASETS } from '../contract/feeds';
import {
  COLUMN_TYPES,
  type ColumnType,
  type DatasetContract,
  LINEAGE_COLUMNS,
  PARTITION_COLUMN,
} from '../contract/types';

/**
 * Models written from the dataset contracts rather than by hand, so a new dataset reaches the marts and
 * the operational views without a SQL edit:
 *
 * - `int_<dataset>_unioned` for each conformed dataset (src/contract/feeds.ts): its rows and the rows of
 *   every dataset whose contract `feeds` it, mapped onto its columns. Its staging model reads this view.
 * - `int_curated_rows_per_day`: curated rows per dataset and day, for every dataset; read by
 *   `data_quality_daily` and `pipeline_freshness`.
 *
 * Each is one SELECT in Trino's dialect, like the files under sql/ (the grammar test reads them too).
 */

/** Where generated models say they come from (`SqlModel.file`). */
export const GENERATED_MODELS_FILE = 'src/sql/generated-models.ts';

/** The view that unions a conformed dataset with the datasets feeding it. */
export function unionModelName(dataset: string): string {
  return `int_${dataset}_unioned`;
}

/** The view of curated row counts per dataset and day. */
export const CURATED_ROWS_MODEL = 'int_curated_rows_per_day';

/** A model's text as a file would hold it: header comment lines, then the SELECT. */
export interface GeneratedModelText {
  readonly name: string;
  readonly layer: string;
  readonly text: string;
}

/** A dataset contract whose `feeds` cannot be turned into SQL; names the contract and the column. */
export class FeedError extends Error {
  constructor(dataset: string, message: string) {
    super(`dataset contract '${dataset}': feeds: ${message}`);
    this.name = 'FeedError';
  }
}

const quote = (name: string) => `"${name}"`;
const trino = (type: ColumnType) => COLUMN_TYPES[type].trino;

function literal(value: string | number | boolean, type: ColumnType): string {
  const text = typeof value === 'string' ? `'${value.replace(/'/g, "''")}'` : String(value);
  return `cast(${text} as ${trino(type)})`;
}

/** `source` (of type `from`) as a value of type `to`. */
function converted(source: string, from: ColumnType, to: ColumnType): string {
  return from === to ? quote(source) : `cast(${quote(source)} as ${trino(to)})`;
}

/**
 * The dataset a row came from. Two sources may use the same transaction id for different
 * transactions, so the staging dedupe keys on it too: without it one of them would vanish.
 */
export const SOURCE_DATASET_COLUMN = 'source_dataset';

function sourceDatasetColumn(dataset: DatasetContract): string {
  return `cast('${dataset.name}' as varchar) as ${quote(SOURCE_DATASET_COLUMN)}`;
}

/** The SELECT list that maps `feeder`'s rows onto `target`'s columns plus the conformed extras. */
function feederSelect(target: DatasetContract, feeder: DatasetContract): string {
  const extras = CONFORMED_DATASETS[target.name]?.extraColumns ?? [];
  const mapping = feeder.feeds?.columns ?? {};
  const own = new Map(feeder.columns.map((c) => [c.name, c]));
  for (const name of Object.keys(mapping)) {
    if (!target.columns.some((c) => c.name === name) && !extras.some((c) => c.name === name)) {
      throw new FeedError(
        feeder.name,
        `'${name}' is not a column of ${target.name} (its columns: ${[...target.columns, ...extras].map((c) => c.name).join(', ')})`,
      );
    }
  }
  const expression = (name: string, type: ColumnType): string | undefined => {
    const mapped = mapping[name] ?? (own.has(name) ? name : undefined);
    if (mapped === undefined) return undefined;
    if (typeof mapped === 'object') return literal(mapped.value, type);
    const column = own.get(mapped);
    if (!column) throw new FeedError(feeder.name, `columns.${name}: '${mapped}' is not one of its columns`);
    return converted(mapped, column.type, type);
  };
  const lines = target.columns.map((column) => {
    let value = expression(column.name, column.type);
    const fallback = column.default;
    if (value === undefined && fallback !== undefined) {
      value =
        typeof fallback === 'object'
          ? expression(
              fallback.fromColumn,
              target.columns.find((c) => c.name === fallback.fromColumn)?.type ?? column.type,
            )
          : literal(fallback, column.type);
    }
    if (value === undefined && column.required) {
      throw new FeedError(
        feeder.name,
        `gives no value for ${target.name}.${column.name}, which is required; map one of its columns onto it in feeds.columns`,
      );
    }
    return `${value ?? `cast(null as ${trino(column.type)})`} as ${quote(column.name)}`;
  });
  for (const extra of extras) {
    lines.push(
      `${expression(extra.name, extra.type) ?? `cast(null as ${trino(extra.type)})`} as ${quote(extra.name)}`,
    );
  }
  lines.push(sourceDatasetColumn(feeder));
  for (const lineage of [...LINEAGE_COLUMNS.map((c) => c.name), PARTITION_COLUMN]) lines.push(quote(lineage));
  return `select\n    ${lines.join(',\n    ')}\nfrom ${feeder.name}`;
}

/** The built-in dataset's own rows with the conformed extras as nulls. */
function ownSelect(target: DatasetContract): string {
  const extras = CONFORMED_DATASETS[target.name]?.extraColumns ?? [];
  const lines = [
    ...target.columns.map((c) => quote(c.name)),
    ...extras.map((c) => `cast(null as ${trino(c.type)}) as ${quote(c.name)}`),
    sourceDatasetColumn(target),
    ...LINEAGE_COLUMNS.map((c) => quote(c.name)),
    quote(PARTITION_COLUMN),
  ];
  return `select\n    ${lines.join(',\n    ')}\nfrom ${target.name}`;
}

/** The datasets whose contract feeds `dataset`, sorted by name. */
export function feedersOf(dataset: string, datasets: readonly DatasetContract[]): DatasetContract[] {
  return datasets.filter((d) => d.feeds?.dataset === dataset).sort((a, b) => a.name.localeCompare(b.name));
}

/** Every generated model of `datasets`, as text with a header like a model file's. */
export function generatedModelTexts(datasets: readonly DatasetContract[]): GeneratedModelText[] {
  const texts: GeneratedModelText[] = [];
  for (const name of Object.keys(CONFORMED_DATASETS)) {
    const target = datasets.find((d) => d.name === name);
    if (!target) continue;
    const feeders = feedersOf(name, datasets);
    const header = [
      `-- ${unionModelName(name)}: the ${name} rows of every source, in the columns of the ${name} contract.`,
      `-- grain: one row per curated row of ${[name, ...feeders.map((f) => f.name)].join(', ')}.`,
      `-- Generated from the dataset contracts (${GENERATED_MODELS_FILE}): a contract with`,
      `-- \`feeds: { dataset: ${name} }\` adds its rows here.`,
    ];
    const selects = [ownSelect(target), ...feeders.map((feeder) => feederSelect(target, feeder))];
    texts.push({
      name: unionModelName(name),
      layer: 'intermediate',
      text: `${header.join('\n')}\n${selects.join('\nunion all\n')}\n`,
    });
  }
  if (datasets.length === 0) return texts;
  const counts = [...datasets]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (d) =>
        `select '${d.name}' as dataset, ${quote(PARTITION_COLUMN)}, count(*) as curated_rows from ${d.name} group by ${quote(PARTITION_COLUMN)}`,
    );
  texts.push({
    name: CURATED_ROWS_MODEL,
    layer: 'intermediate',
    text: [
      `-- ${CURATED_ROWS_MODEL}: curated (valid) rows per dataset and partition day, as ingested.`,
      '-- grain: one row per dataset and day (dt) that holds curated rows.',
      `-- Generated from the dataset contracts (${GENERATED_MODELS_FILE}): every dataset has a line.`,
      counts.join('\nunion all\n'),
      '',
    ].join('\n'),
  });
  return texts;
}
