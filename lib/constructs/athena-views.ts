import { createHash } from 'node:crypto';
import { CustomResource, Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { ViewDeploymentProperties } from '../../lambdas/athena-views/deploy-views';
import type { SqlModel } from '../../src/sql/models';
import { acknowledge, acknowledgeBucketGrant, acknowledgeProvider } from '../nag-acknowledgements';
import type { DatasetTables } from './dataset-tables';
import { LedgerlakeFunction } from './ledgerlake-function';

export interface AthenaViewsProps {
  /** Models in dependency order (`loadModels()`), each deployed as a view named after it. */
  readonly models: readonly Pick<SqlModel, 'name' | 'sql'>[];
  /** Workgroup the DDL runs in (its enforced settings put results in `resultsBucket`). */
  readonly workGroupName: string;
  readonly workGroupArn: string;
  /** Bucket receiving the workgroup's query results. */
  readonly resultsBucket: IBucket;
  /** The lake bucket the views read (Athena checks the referenced tables when creating a view). */
  readonly lakeBucket: IBucket;
  /** Database and tables the views live in and read. */
  readonly tables: DatasetTables;
  /** Retention of the function's log group, days. */
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
}

/**
 * The SQL models deployed as Athena views, by a custom resource that runs the DDL through Athena in
 * the stack's workgroup.
 *
 * Why a custom resource and not Glue VIRTUAL_VIEW tables: a Glue view must carry the Presto view
 * encoding with the output column names and types of the query, which only the engine can work out
 * (writing them by hand would duplicate every model's schema and drift). Running `CREATE OR REPLACE
 * VIEW` lets Athena parse and type-check each view at deploy time, and a bad view fails the
 * deployment with the view's name and Athena's own error.
 *
 * One resource holds every view in dependency order; its `SqlHash` changes with any SQL, so an edit
 * re-creates the views on the next deploy, and deleting the stack drops them in reverse order.
 */
export class AthenaViews extends Construct {
  readonly resource: CustomResource;
  readonly function: LedgerlakeFunction;

  constructor(scope: Construct, id: string, props: AthenaViewsProps) {
    super(scope, id);
    const views = props.models.map(({ name, sql }) => ({ name, sql }));
    const sqlHash = createHash('sha256').update(JSON.stringify(views)).digest('hex');

    this.function = new LedgerlakeFunction(this, 'Function', {
      entry: 'lambdas/athena-views/handler.ts',
      description:
        'Creates, replaces and drops the ledgerlake SQL views in Athena (CloudFormation custom resource).',
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
    const glue = props.tables.catalogArns();
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:DeleteTable',
        ],
        resources: [glue.catalog, glue.database, glue.tables],
      }),
    );
    // Athena writes each DDL statement's result file to the workgroup's output location.
    props.resultsBucket.grantReadWrite(role);
    props.lakeBucket.grantRead(role);
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${props.tables.databaseName}/*]`]:
        'The views are Glue tables whose names come from sql/ and change with it; the grant is limited to this database.',
    });
    acknowledgeBucketGrant(role, props.resultsBucket, {
      keyPatterns: ['*'],
      write: true,
      why: 'Athena writes the result file of each DDL statement under generated keys',
    });
    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: ['*'],
      write: false,
      why: 'Athena checks the tables a view reads, which may be under any lake prefix',
    });

    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.function,
    });
    acknowledgeProvider(provider, this.function);

    const properties: ViewDeploymentProperties = {
      WorkGroup: props.workGroupName,
      Database: props.tables.databaseName,
      Views: views,
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
