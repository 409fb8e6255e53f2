import { DATASETS } from '../../datasets/index';
import { REFERENCE_TABLES } from '../../datasets/reference';
import {
  COLUMN_TYPES,
  type ColumnType,
  type DatasetContract,
  LINEAGE_COLUMNS,
  PARTITION_COLUMN,
} from '../contract/types';
import { QUARANTINE_COLUMNS } from '../ingest/manifest';

/**
 * The relations SQL models may read: the same names exist in the Glue database on AWS and in the local
 * DuckDB catalog. Everything here is derived from the dataset contracts, the manifest and quarantine
 * declarations and the reference tables, so no column is written twice.
 */

/** Column types of base relations: the contract types plus the two the manifest table needs. */
export type BaseColumnType = ColumnType | 'bigint' | 'array<string>';

/** Engine types for the extra base column types (contract types come from `COLUMN_TYPES`). */
const EXTRA_COLUMN_TYPES: Readonly<
  Record<
    'bigint' | 'array<string>',
    { readonly glue: string; readonly duckdb: string; readonly trino: string }
  >
> = {
  bigint: { glue: 'bigint', duckdb: 'BIGINT', trino: 'bigint' },
  'array<string>': { glue: 'array<string>', duckdb: 'VARCHAR[]', trino: 'array(varchar)' },
};

/** Glue, DuckDB and Trino spelling of a base column type. */
export function baseColumnType(type: BaseColumnType): {
  readonly glue: string;
  readonly duckdb: string;
  readonly trino: string;
} {
  return type === 'bigint' || type === 'array<string>' ? EXTRA_COLUMN_TYPES[type] : COLUMN_TYPES[type];
}

export interface BaseColumn {
  readonly name: string;
  readonly type: BaseColumnType;
  readonly description: string;
}

/** Where a base relation's rows come from. */
export type BaseSource =
  | { readonly kind: 'curated'; readonly dataset: string }
  | { readonly kind: 'quarantine' }
  | { readonly kind: 'manifests' }
  | { readonly kind: 'commits' }
  | { readonly kind: 'reference'; readonly file: string };

export interface BaseTable {
  readonly name: string;
  readonly description: string;
  /** Columns in table order; partition columns come last and are listed in `partitionColumns` too. */
  readonly columns: readonly BaseColumn[];
  /** Hive partition columns (part of `columns`), e.g. `['dt']`, or `['dataset', 'dt']` for quarantine. */
  readonly partitionColumns: readonly string[];
  readonly source: BaseSource;
}

/**
 * Columns of the `manifests` table: the scalar fields of `Manifest` (src/ingest/manifest.ts).
 * `files_written` and `violations_by_rule` are left out on purpose: the quarantine table holds the
 * same facts per row, and nested objects read differently on Athena's JSON SerDe and DuckDB.
 */
export const MANIFEST_TABLE_COLUMNS: readonly BaseColumn[] = [
  { name: 'manifest_version', type: 'integer', description: 'Manifest format version.' },
  { name: 'dataset', type: 'string', description: 'Dataset the source file belongs to.' },
  { name: 'source_key', type: 'string', description: 'Landing key of the source file.' },
  { name: 'source_etag', type: 'string', description: 'Content fingerprint of the ingested version.' },
  { name: 'status', type: 'string', description: '`ok` (rows routed) or `rejected` (file unreadable).' },
  { name: 'rejection_reason', type: 'string', description: 'Why the file was rejected whole, else null.' },
  { name: 'format', type: 'string', description: 'csv, json or ndjson; null when unreadable.' },
  { name: 'compression', type: 'string', description: 'gzip or none.' },
  { name: 'delimiter', type: 'string', description: 'CSV delimiter detected, else null.' },
  { name: 'ingested_at', type: 'timestamp', description: 'Ingest time stamped on the rows (UTC).' },
  { name: 'started_at', type: 'timestamp', description: 'When processing started (UTC).' },
  { name: 'finished_at', type: 'timestamp', description: 'When processing finished (UTC).' },
  { name: 'duration_ms', type: 'bigint', description: 'Processing time in milliseconds.' },
  { name: 'rows_read', type: 'bigint', description: 'Rows read from the file.' },
  { name: 'rows_valid', type: 'bigint', description: 'Rows written to curated.' },
  { name: 'rows_quarantined', type: 'bigint', description: 'Rows written to quarantine.' },
  { name: 'duplicates_dropped', type: 'bigint', description: 'Rows dropped as in-file duplicates.' },
  { name: 'partitions', type: 'array<string>', description: 'Days (YYYY-MM-DD) that received valid rows.' },
  { name: 'bytes_in', type: 'bigint', description: 'Bytes read.' },
  { name: 'bytes_out', type: 'bigint', description: 'Bytes written.' },
  {
    name: 'ignored_columns',
    type: 'array<string>',
    description: 'Source columns matching no contract column.',
  },
];

/** Columns of the `commits` table: one commit record per source file (src/ingest/commit.ts). */
export const COMMIT_TABLE_COLUMNS: readonly BaseColumn[] = [
  { name: 'commit_version', type: 'integer', description: 'Commit record format version.' },
  { name: 'source_key', type: 'string', description: 'Landing key of the source file.' },
  { name: 'source_etag', type: 'string', description: 'Content fingerprint of the committed version.' },
  { name: 'attempt', type: 'string', description: 'The ingest attempt whose outputs readers see.' },
  {
    name: 'ingested_at',
    type: 'timestamp',
    description: "The committed attempt's ingest time, stamped on its rows (UTC).",
  },
  { name: 'status', type: 'string', description: '`ok` (rows routed) or `rejected` (file unreadable).' },
  {
    name: 'dataset',
    type: 'string',
    description: 'Dataset the source file belongs to (partition: a view reads its own dataset only).',
  },
];

const DT_COLUMN: BaseColumn = {
  name: PARTITION_COLUMN,
  type: 'date',
  description: 'UTC day of the event time.',
};

/**
 * Every base relation of `datasets`, in creation order: curated datasets, quarantine, manifests,
 * reference tables.
 */
export function baseTables(datasets: readonly DatasetContract[]): BaseTable[] {
  return [
    ...datasets.map(
      (contract): BaseTable => ({
        name: contract.name,
        description: contract.description,
        columns: [
          ...contract.columns.map(({ name, type, description }) => ({ name, type, description })),
          ...LINEAGE_COLUMNS,
          DT_COLUMN,
        ],
        partitionColumns: [PARTITION_COLUMN],
        source: { kind: 'curated', dataset: contract.name },
      }),
    ),
    {
      name: 'quarantine',
      description: 'Rows that broke a contract rule, with the original values and the reasons.',
      columns: [
        { name: 'dataset', type: 'string', description: 'Dataset the row was meant for.' },
        DT_COLUMN,
        ...QUARANTINE_COLUMNS,
      ],
      partitionColumns: ['dataset', PARTITION_COLUMN],
      source: { kind: 'quarantine' },
    },
    {
      name: 'manifests',
      description: 'One row per ingested source file: counts, timings and outcome.',
      columns: MANIFEST_TABLE_COLUMNS,
      partitionColumns: [],
      source: { kind: 'manifests' },
    },
    {
      name: 'commits',
      description:
        "One row per source file: the ingest attempt whose rows readers see. A file's rows are visible " +
        'only once its attempt has committed here.',
      columns: COMMIT_TABLE_COLUMNS,
      partitionColumns: ['dataset'],
      source: { kind: 'commits' },
    },
    ...REFERENCE_TABLES.map(
      (table): BaseTable => ({
        name: table.name,
        description: table.description,
        columns: table.columns,
        partitionColumns: [],
        source: { kind: 'reference', file: table.file },
      }),
    ),
  ];
}

/** The base relations of this run's datasets (`DATASETS`). */
export const BASE_TABLES: readonly BaseTable[] = baseTables(DATASETS);

/** Names of every base relation, for resolving model references. */
export const BASE_TABLE_NAMES: ReadonlySet<string> = new Set(BASE_TABLES.map((table) => table.name));

/**
 * Whether a base relation holds ingest outputs, stored as every attempt's Parquet parts in a table
 * named `partsTableName` and read through a view of the committed ones (`committedRelationSql`).
 */
export function readsCommittedParts(table: BaseTable): boolean {
  return table.source.kind === 'curated' || table.source.kind === 'quarantine';
}

/** The table over every Parquet part of a curated dataset or the quarantine, committed or not. */
export function partsTableName(name: string): string {
  return `${name}_parts`;
}

/**
 * The SELECT of a committed relation, in Trino's dialect and run as is on DuckDB: the rows of the
 * parts table whose attempt is the newest commit record of their source file. A failed or running
 * ingest's parts, and what a replaced version left, match no such record and are not seen
 * (src/ingest/commit.ts). Newest-wins lets commit records be written once and folded later.
 */
export function committedRelationSql(table: BaseTable): string {
  const dataset = table.source.kind === 'curated' ? table.source.dataset : undefined;
  const curated = dataset !== undefined;
  const scope = curated ? `where c."dataset" = '${dataset.replaceAll("'", "''")}'\n    ` : '';
  const group = curated ? 'c."source_key"' : 'c."dataset", c."source_key"';
  const datasetMatch = curated ? '' : 'n."dataset" = p."dataset" and ';
  return (
    `select p.*\nfrom "${partsTableName(table.name)}" as p\n` +
    'where exists (\n' +
    '  select 1\n' +
    `  from (\n    select ${group}, max(c."ingested_at") as "ingested_at"\n    from "commits" as c\n    ${scope}group by ${group}\n  ) as n\n` +
    `  where ${datasetMatch}n."source_key" = p."source_key" and n."ingested_at" = p."ingested_at"\n)`
  );
}
