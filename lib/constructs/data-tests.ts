import { Duration } from 'aws-cdk-lib';
import { type IRuleTarget, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketGrant } from '../nag-acknowledgements';
import { grantCatalog } from './dataset-tables';
import { LedgerlakeFunction } from './ledgerlake-function';

/** Every query of a run is given up (and stopped) after this long. */
export const DATA_TEST_QUERY_TIMEOUT = Duration.minutes(5);

export interface DataTestsProps {
  /** The lake: Athena reads the curated data, manifests and marts with the function's rights. */
  readonly lakeBucket: IBucket;
  /** The workgroup's result bucket: Athena writes each query's results there with the function's rights. */
  readonly resultsBucket: IBucket;
  readonly workGroupName: string;
  readonly workGroupArn: string;
  /** The Glue database and the ARNs the queries read (`DatasetTables.catalogArns()`). */
  readonly glue: {
    readonly databaseName: string;
    readonly catalog: string;
    readonly database: string;
    readonly tables: string;
  };
  /** Where a failing test is published: the operations topic (email, Slack). */
  readonly operationsTopic: ITopic;
  /**
   * When the tests run.
   * @default - every day at 06:30 UTC, after the 06:00 catch-up refresh of the marts
   */
  readonly schedule?: Schedule;
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
}

/**
 * The data tests on AWS: a function that runs every test declared in the bundled `sql/` through
 * Athena (read-only: SELECTs in the analytics workgroup) and publishes each test that fails, warns or
 * cannot run to the operations topic, with the test's name, model and failing count as message
 * attributes; an EventBridge schedule that runs it daily; asynchronous invocations retried twice,
 * then kept in `deadLetterQueue`.
 */
export class DataTests extends Construct {
  readonly function: LedgerlakeFunction;
  /** Invocations that failed after Lambda's retries (an alarm should watch it). */
  readonly deadLetterQueue: Queue;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: DataTestsProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function = new LedgerlakeFunction(this, 'Function', {
      entry: 'lambdas/data-tests/handler.ts',
      description:
        'Runs the data tests declared in sql/ through Athena; publishes each failure to the operations topic.',
      timeout: Duration.minutes(15),
      memorySize: 512,
      reservedConcurrentExecutions: 1,
      bundledFolders: ['sql'],
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      environment: {
        ATHENA_WORKGROUP: props.workGroupName,
        ATHENA_DATABASE: props.glue.databaseName,
        OPERATIONS_TOPIC_ARN: props.operationsTopic.topicArn,
        QUERY_TIMEOUT_MS: String(DATA_TEST_QUERY_TIMEOUT.toMilliseconds()),
      },
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.grantQueries(props);
    props.operationsTopic.grantPublish(this.function);

    const target: IRuleTarget = new LambdaFunction(this.function, {
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.schedule = new Rule(this, 'DailySchedule', {
      description: 'ledgerlake: daily run of the data tests',
      schedule: props.schedule ?? Schedule.cron({ minute: '30', hour: '6' }),
      targets: [target],
    });
  }

  /** Athena queries in the workgroup; the Glue tables they read; the lake they scan; their results. */
  private grantQueries(props: DataTestsProps): void {
    const role = this.function.role!;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [props.workGroupArn],
      }),
    );
    grantCatalog(this, role, props.glue, ['read']);
    props.lakeBucket.grantRead(role);
    props.resultsBucket.grantReadWrite(role);

    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: ['*'],
      write: false,
      why: 'the tests read any curated partition, manifest, mart partition and reference table; nothing is written',
    });
    acknowledgeBucketGrant(role, props.resultsBucket, {
      keyPatterns: ['*'],
      write: true,
      why: 'Athena writes each query result under a generated key in the workgroup output location',
    });
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${props.glue.databaseName}/*]`]: `The tests read the tables and views of the ${props.glue.databaseName} database only; their names come from the contracts and sql/.`,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
        'From operationsTopic.grantPublish: publishing to the KMS-encrypted topic needs data keys of its key, and only that key.',
    });
  }
}
