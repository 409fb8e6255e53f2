import { createHash } from 'node:crypto';
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { RelationDefinition, ViewDeploymentProperties } from '../../lambdas/athena-views/deploy-views';
import { athenaNames, martTablePrefix } from '../../src/materialize/athena-writer';
import { composeSchemaSql, isIncremental } from '../../src/materialize/plan';
import { MARTS_PREFIX } from '../../src/materialize/state';
import {
  BASE_TABLES,
  type BaseTable,
  committedRelationSql,
  readsCommittedParts,
} from '../../src/sql/base-tables';
import type { SqlModel } from '../../src/sql/models';
import { acknowledge, acknowledgeBucketGrant, acknowledgeProvider } from '../nag-acknowledgements';
import type { DatasetTables } from './dataset-tables';
import { LedgerlakeFunction } from './ledgerlake-function';

export interface AthenaViewsProps {
  /**
   * Models in dependency order (`loadModels()`): an incremental one is deployed as an empty
   * partitioned table under `marts/<name>/` of the lake, every other one as a view named after it.
   * Models without `materialized` are views.
   */
  readonly models: readonly (Pick<SqlModel, 'name' | 'sql'> & Partial<SqlModel>)[];
  /** Workgroup the DDL runs in (its enforced settings put results in `resultsBucket`). */
  readonly workGroupName: string;
  readonly workGroupArn: string;
  /** Bucket receiving the workgroup's query results. */
  readonly resultsBucket: IBucket;
  /** The lake bucket the views read and the mart tables live in (`marts/`). */
  readonly lakeBucket: IBucket;
  /** Database and tables the views live in and read. */
  readonly tables: DatasetTables;
  /** Retention of the function's and the Provider framework function's log groups, days. */
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
  /**
   * Part of `SqlHash`: a new value re-creates every relation on the next deploy though no SQL changed.
   * @default 0
   */
  readonly revision?: number;
}

/**
 * The relations of the SQL models from each contract's columns: views, and a CTAS `WITH NO DATA` for
 * each incremental model (Hive-partitioned Parquet under `marts/<name>/`) and each model stored whole
 * (`materialized: table`, filled by the refresh), in dependency order.
 */
export function deploymentRelations(
  models: AthenaViewsProps['models'],
  databaseName: string,
): RelationDefinition[] {
  const full: SqlModel[] = models.map((model) => ({ file: '', layer: '', dependsOn: [], ...model }));
  const names = athenaNames(databaseName);
  // First what every model reads: the committed rows of each dataset and of the quarantine.
  const committed = BASE_TABLES.filter(readsCommittedParts).map(
    (table): RelationDefinition => ({ kind: 'view', name: table.name, sql: committedRelationSql(table) }),
  );
  return [
    ...committed,
    ...full.map((model): RelationDefinition => {
      // A model stored whole (a small dimension): an empty table the refresh fills and swaps.
      if (model.materialized === 'table') {
        return { kind: 'table', name: model.name, sql: model.sql, prefix: martTablePrefix(model.name) };
      }
      if (!isIncremental(model)) return { kind: 'view', name: model.name, sql: model.sql };
      return {
        kind: 'table',
        name: model.name,
        sql: composeSchemaSql(model, full, names),
        partitionBy: model.incremental.partitionBy,
        prefix: martTablePrefix(model.name),
      };
    }),
  ];
}

/**
 * A hash of the base tables' names and columns: the contracts every relation reads. It is part of
 * the custom resource's properties, so a changed contract re-creates the views (Athena marks a view
 * stale when a table it reads changes schema) and the mart tables.
 * @param tables @default BASE_TABLES
 */
export function contractHash(tables: readonly BaseTable[] = BASE_TABLES): string {
  const contracts = tables.map((table) => ({
    name: table.name,
    columns: table.columns.map((column) => `${column.name} ${column.type}`),
    partitions: table.partitionColumns,
  }));
  return createHash('sha256').update(JSON.stringify(contracts)).digest('hex');
}

/**
 * The SQL models deployed as Athena views and mart tables, by a custom resource that runs the DDL
 * through Athena in the stack's workgroup.
 *
 * Why a custom resource and not Glue VIRTUAL_VIEW tables: a Glue view must carry the Presto view
 * encoding with the output column names and types of the query, which only the engine can work out
 * (writing them by hand would duplicate every model's schema and drift). Running `CREATE OR REPLACE
 * VIEW` lets Athena parse and type-check each view at deploy time, and a bad view fails the
 * deployment with the view's name and Athena's own error.
 *
 * One resource holds every relation in dependency order; its `SqlHash` changes with any SQL and with
 * the contracts (a view's stored column list goes stale when a base table's columns change), so an
 * edit re-creates the views on the next deploy, and deleting the stack drops them in reverse order.
 * A mart table is created again only when its own definition (or a contract) changed: its files are
 * deleted and its refresh state forgotten, so the next refresh rebuilds it in full.
 */
export class AthenaViews extends Construct {
  readonly resource: CustomResource;
  readonly function: LedgerlakeFunction;
  /** Log group of the custom resource Provider's framework function, with `logRetentionDays`. */
  readonly providerLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AthenaViewsProps) {
    super(scope, id);
    const relations = deploymentRelations(props.models, props.tables.databaseName);
    const contracts = contractHash();
    const revision = props.revision ?? 0;
    const sqlHash = createHash('sha256')
      .update(JSON.stringify(revision === 0 ? { relations, contracts } : { relations, contracts, revision }))
      .digest('hex');

    this.function = new LedgerlakeFunction(this, 'Function', {
      entry: 'lambdas/athena-views/handler.ts',
      description:
        'Creates, replaces and drops the ledgerlake SQL views and mart tables in Athena (CloudFormation custom resource).',
      timeout: Duration.minutes(10),
      memorySize: 256,
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      environment: {},
    });
    const role = this.function.role!;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
        resources: [props.workGroupArn],
      }),
    );
    props.tables.grantTableDdl(role);
    // Athena writes each DDL statement's result file to the workgroup's output location.
    props.resultsBucket.grantReadWrite(role);
    props.lakeBucket.grantRead(role);
    // Mart tables: their files are deleted before a CTAS (its location must be empty) and the
    // refresh state (marts/_state.json) forgets a re-created table.
    props.lakeBucket.grantPut(role, `${MARTS_PREFIX}*`);
    props.lakeBucket.grantDelete(role, `${MARTS_PREFIX}*`);
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${props.tables.databaseName}/*]`]:
        'The views and mart tables are Glue tables whose names come from sql/ and change with it; the grant is limited to this database.',
    });
    acknowledgeBucketGrant(role, props.resultsBucket, {
      keyPatterns: ['*'],
      write: true,
      why: 'Athena writes the result file of each DDL statement under generated keys',
    });
    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: ['*', `${MARTS_PREFIX}*`],
      write: true,
      why:
        'Athena checks the tables a view reads, which may be under any lake prefix; deletes and writes are ' +
        'limited to marts/* (mart table files, refresh state)',
    });

    // The framework function (`Provider/framework-onEvent`) logs to a group of ours, not to a
    // never-expiring default one.
    this.providerLogGroup = new LogGroup(this, 'ProviderLogs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.function,
      logGroup: this.providerLogGroup,
    });
    acknowledgeProvider(provider, this.function);

    const properties: ViewDeploymentProperties = {
      WorkGroup: props.workGroupName,
      Database: props.tables.databaseName,
      LakeBucket: props.lakeBucket.bucketName,
      Relations: relations,
      ContractHash: contracts,
      SqlHash: sqlHash,
    };
    this.resource = new CustomResource(this, 'Views', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AthenaViews',
      properties,
    });
    // Views need their tables at create time, and must go before the tables on delete.
    this.resource.node.addDependency(props.tables);
  }
}
