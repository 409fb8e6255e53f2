import { Stack } from 'aws-cdk-lib';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { DATASETS } from '../../datasets/index';
import { REFERENCE_TABLES } from '../../datasets/reference';
import { PARTITION_COLUMN } from '../../src/contract/types';
import { LAKE_CALENDAR, LAKE_PREFIXES } from '../../src/ingest/lake-layout';
import { MANIFEST_TIMESTAMP_FORMAT } from '../../src/ingest/manifest';
import { BASE_TABLES, type BaseTable, baseColumnType, partsTableName } from '../../src/sql/base-tables';
import { referenceObjectKey } from '../reference-data';
import { lakeDayProblem } from '../settings';

const PARQUET = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};
const TEXT_FORMATS = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
};

/** Glue allows 255 characters in a column comment. */
function comment(text: string): string {
  return text.length <= 255 ? text : `${text.slice(0, 252)}...`;
}

/**
 * Projection parameters of a `date` partition column written as `dt=YYYY-MM-DD`, from `start` (a
 * query without a `dt` filter lists every day from there to tomorrow).
 */
function dateProjection(column: string, start: string): Record<string, string> {
  return {
    [`projection.${column}.type`]: 'date',
    [`projection.${column}.format`]: 'yyyy-MM-dd',
    // Tomorrow as the end: a file for "today" in a time zone ahead of UTC is still found.
    [`projection.${column}.range`]: `${start},NOW+1DAYS`,
    [`projection.${column}.interval`]: '1',
    [`projection.${column}.interval.unit`]: 'DAYS',
  };
}

/**
 * The Glue table input of one base relation (src/sql/base-tables.ts), which is itself generated from
 * the dataset contracts, the quarantine and manifest declarations and the reference tables.
 *
 * - curated datasets: Parquet under `curated/<dataset>/`, partitioned by `dt` with partition
 *   projection, so new days are queryable at once without a crawler or `MSCK REPAIR`.
 *   `dt` is declared `date`: the values are exactly `yyyy-MM-dd` (the one format Hive accepts for a
 *   date partition), projection of type `date` works with it, and DuckDB's Hive partitioning reads the
 *   same folders as DATE, so one SQL text (`dt >= date '2024-03-01'`) runs on both engines.
 * - quarantine: Parquet under `quarantine/<dataset>/dt=.../`, partitioned by `dataset` (an enum of the
 *   contract names: the folder is not `dataset=...`, so `storage.location.template` maps it) and `dt`.
 * - curated and quarantine tables are named `<name>_parts`: they hold every attempt's parts, and the
 *   relation readers use, `<name>`, is a view of the committed ones (`committedRelationSql`, deployed
 *   by AthenaViews).
 * - commits: one JSON record per source file under `commits/<dataset>/`, partitioned by `dataset`
 *   (projection enum, like the quarantine), so a dataset's committed view reads its records only.
 * - manifests: one JSON object per line under `manifests/`; not partitioned (Athena reads the
 *   per-dataset folders below the location). The Hive JSON SerDe, not the OpenX one: Athena documents
 *   that OpenX can give non-deterministic rows and nulls, and documents `timestamp.formats` for Hive, so
 *   the ISO times of the manifests read as timestamps. The Hive SerDe has no `ignore.malformed.json`:
 *   a manifest edited by hand into broken JSON fails queries on this table until it is fixed or
 *   deleted (ingest writes each manifest whole, in one PUT, so it never leaves a broken one).
 * - reference: tab-separated text written by the stack from the repo's CSVs (see lib/reference-data.ts).
 *
 * @param projectionStartDate first `dt` the curated and quarantine tables project (`YYYY-MM-DD`)
 */
/** One JSON object per line, ISO times read as timestamps (the manifests' and commits' format). */
const JSON_LINES = {
  ...TEXT_FORMATS,
  serdeInfo: {
    serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe',
    parameters: { 'timestamp.formats': MANIFEST_TIMESTAMP_FORMAT },
  },
};

export function glueTableInput(
  table: BaseTable,
  lakeBucketName: string,
  projectionStartDate: string = LAKE_CALENDAR.first,
): CfnTable.TableInputProperty {
  const lake = `s3://${lakeBucketName}`;
  const partitioned = new Set(table.partitionColumns);
  const toGlue = (column: BaseTable['columns'][number]) => ({
    name: column.name,
    type: baseColumnType(column.type).glue,
    comment: comment(column.description),
  });
  const columns = table.columns.filter((column) => !partitioned.has(column.name)).map(toGlue);
  const partitionKeys = table.partitionColumns.map((name) => {
    const column = table.columns.find((candidate) => candidate.name === name);
    if (!column)
      throw new Error(`base table ${table.name} lists partition column ${name} but does not declare it`);
    return toGlue(column);
  });
  const base = { name: table.name, description: comment(table.description), tableType: 'EXTERNAL_TABLE' };
  // Ingest outputs: this table holds every attempt's parts; readers read the committed view.
  const parts = {
    ...base,
    name: partsTableName(table.name),
    description: comment(
      `${table.description} Every stored Parquet part, committed or not: read the view ${table.name}.`,
    ),
  };

  switch (table.source.kind) {
    case 'curated': {
      const location = `${lake}/curated/${table.source.dataset}/`;
      return {
        ...parts,
        partitionKeys,
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          ...dateProjection(PARTITION_COLUMN, projectionStartDate),
          'storage.location.template': `${location}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
        },
        storageDescriptor: { columns, location, ...PARQUET },
      };
    }
    case 'quarantine':
      return {
        ...parts,
        partitionKeys,
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          'projection.dataset.type': 'enum',
          'projection.dataset.values': DATASETS.map((dataset) => dataset.name).join(','),
          ...dateProjection(PARTITION_COLUMN, projectionStartDate),
          'storage.location.template': `${lake}/quarantine/\${dataset}/${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`,
        },
        storageDescriptor: { columns, location: `${lake}/quarantine/`, ...PARQUET },
      };
    case 'manifests':
      return {
        ...base,
        partitionKeys,
        parameters: { classification: 'json', EXTERNAL: 'TRUE' },
        storageDescriptor: {
          columns,
          location: `${lake}/${LAKE_PREFIXES.manifests}`,
          ...JSON_LINES,
        },
      };
    case 'commits':
      return {
        ...base,
        partitionKeys,
        parameters: {
          classification: 'json',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          'projection.dataset.type': 'enum',
          'projection.dataset.values': DATASETS.map((dataset) => dataset.name).join(','),
          'storage.location.template': `${lake}/${LAKE_PREFIXES.commits}\${dataset}/`,
        },
        storageDescriptor: { columns, location: `${lake}/${LAKE_PREFIXES.commits}`, ...JSON_LINES },
      };
    case 'reference': {
      const declaration = REFERENCE_TABLES.find((candidate) => candidate.name === table.name);
      if (!declaration)
        throw new Error(`reference table ${table.name} is not declared in datasets/reference.ts`);
      const key = referenceObjectKey(declaration);
      return {
        ...base,
        partitionKeys,
        parameters: { classification: 'csv', EXTERNAL: 'TRUE', 'skip.header.line.count': '1' },
        storageDescriptor: {
          columns,
          location: `${lake}/${key.slice(0, key.lastIndexOf('/') + 1)}`,
          ...TEXT_FORMATS,
          serdeInfo: {
            serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
            parameters: { 'field.delim': '\t', 'serialization.format': '\t' },
          },
        },
      };
    }
  }
}

export interface DatasetTablesProps {
  /** The lake bucket (curated, quarantine, manifests, reference). */
  readonly lakeBucket: IBucket;
  /** Name of the Glue database to create. */
  readonly databaseName: string;
  /**
   * Relations to declare.
   * @default BASE_TABLES (every dataset contract, quarantine, manifests, reference tables)
   */
  readonly tables?: readonly BaseTable[];
  /**
   * First day (`YYYY-MM-DD`, within `LAKE_CALENDAR`) the `dt` partition projection of the curated and
   * quarantine tables lists. Days before it stay in the lake but Athena does not see them; a query
   * without a `dt` filter lists every day from here to tomorrow, so keep it near the oldest data.
   * @default LAKE_CALENDAR.first (2020-01-01: nothing hidden, every unfiltered query lists the whole calendar)
   */
  readonly projectionStartDate?: string;
}

/** ARNs of the catalog, a database and its tables, as `DatasetTables.catalogArns()` gives them. */
export interface GlueCatalogArns {
  readonly catalog: string;
  readonly database: string;
  readonly tables: string;
}

/** Glue actions by what an Athena statement does with the catalog. */
export const GLUE_ACCESS = {
  /** Queries: resolve databases, tables and partitions. */
  read: [
    'glue:GetDatabase',
    'glue:GetDatabases',
    'glue:GetTable',
    'glue:GetTables',
    'glue:GetPartition',
    'glue:GetPartitions',
    'glue:BatchGetPartition',
  ],
  /** INSERT INTO (registers the partitions it wrote) and ALTER TABLE ... DROP PARTITION. */
  partitions: [
    'glue:CreatePartition',
    'glue:BatchCreatePartition',
    'glue:UpdatePartition',
    'glue:DeletePartition',
    'glue:BatchDeletePartition',
  ],
  /** CREATE OR REPLACE VIEW, CREATE TABLE AS, DROP TABLE / VIEW. */
  tables: ['glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable'],
} as const;

/**
 * Grants Glue actions on the catalog, the database and its tables, plus `database/default`: Athena
 * documents GetDatabase on the default database as needed by DDL and DML, whatever database the
 * statement names.
 */
export function grantCatalog(
  scope: IConstruct,
  grantee: IGrantable,
  arns: GlueCatalogArns,
  access: readonly (keyof typeof GLUE_ACCESS)[],
): Grant {
  const defaultDatabase = Stack.of(scope).formatArn({
    service: 'glue',
    resource: 'database',
    resourceName: 'default',
  });
  return Grant.addToPrincipal({
    grantee,
    actions: [...new Set(access.flatMap((name) => GLUE_ACCESS[name]))],
    resourceArns: [arns.catalog, arns.database, defaultDatabase, arns.tables],
  });
}

/** The Glue database and one table per base relation; no crawler, no partition registration. */
export class DatasetTables extends Construct {
  readonly database: CfnDatabase;
  readonly databaseName: string;
  /** Tables by name (construct ids are the table names). */
  readonly tables: ReadonlyMap<string, CfnTable>;

  constructor(scope: Construct, id: string, props: DatasetTablesProps) {
    super(scope, id);
    const projectionStartDate = props.projectionStartDate ?? LAKE_CALENDAR.first;
    const problem = lakeDayProblem(projectionStartDate);
    if (problem !== undefined)
      throw new Error(`DatasetTables projectionStartDate ${JSON.stringify(projectionStartDate)} ${problem}`);
    const account = Stack.of(this).account;
    this.databaseName = props.databaseName;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: {
        name: props.databaseName,
        description: 'ledgerlake: curated datasets, quarantine, manifests, reference data and SQL views.',
      },
    });
    const tables = new Map<string, CfnTable>();
    for (const table of props.tables ?? BASE_TABLES) {
      const resource = new CfnTable(this, table.name, {
        catalogId: account,
        databaseName: props.databaseName,
        tableInput: glueTableInput(table, props.lakeBucket.bucketName, projectionStartDate),
      });
      resource.addResourceDependency(this.database);
      tables.set(table.name, resource);
    }
    this.tables = tables;
  }

  /** ARNs of the catalog, the database and its tables (views are tables too), for IAM grants. */
  catalogArns(): GlueCatalogArns {
    const stack = Stack.of(this);
    return {
      catalog: stack.formatArn({ service: 'glue', resource: 'catalog' }),
      database: stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
      tables: stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` }),
    };
  }

  /** Querying the tables and views (Athena SELECT). */
  grantRead(grantee: IGrantable): Grant {
    return grantCatalog(this, grantee, this.catalogArns(), ['read']);
  }

  /** Creating, replacing and dropping views and tables, and their partitions (the deploy's DDL). */
  grantTableDdl(grantee: IGrantable): Grant {
    return grantCatalog(this, grantee, this.catalogArns(), ['read', 'tables', 'partitions']);
  }
}
