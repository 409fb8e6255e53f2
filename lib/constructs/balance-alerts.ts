import { Duration } from 'aws-cdk-lib';
import { type IRuleTarget, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type ITopic, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BALANCE_DATASETS } from '../../src/alerts/balance-datasets';
import { SENT_ALERTS_PREFIX } from '../../src/alerts/ledger';
import { acknowledge, acknowledgeBucketGrant } from '../nag-acknowledgements';
import { LedgerlakeFunction } from './ledgerlake-function';

export interface BalanceAlertsProps {
  /** The lake: Athena reads the curated data and reference tables with the function's rights; the ledger of sent alerts lives under `alerts/sent/`. */
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
  /** Topic the digests are published to (email, Slack). */
  readonly alertTopic: ITopic;
  /** Topic with one message per ingested dataset; the function runs for the balance datasets. */
  readonly ingestedTopic: ITopic;
  /**
   * When the catch-up run starts.
   * @default - every day at 06:00 UTC
   */
  readonly schedule?: Schedule;
  /**
   * Balance dates the scheduled run evaluates, up to the latest (already sent alerts are skipped).
   * @default 3
   */
  readonly lookbackDays?: number;
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
}

/** Validation rules for the props: what was wrong, the value received and the fix. */
const PROP_RULES: readonly {
  readonly breaks: (props: BalanceAlertsProps) => boolean;
  readonly message: (props: BalanceAlertsProps) => string;
}[] = [
  {
    breaks: (p) =>
      p.lookbackDays !== undefined &&
      (!Number.isInteger(p.lookbackDays) || p.lookbackDays < 1 || p.lookbackDays > 99),
    message: (p) => `lookbackDays must be a whole number from 1 to 99, got ${p.lookbackDays}; use e.g. 3`,
  },
];

/**
 * The balance-alerts function and what runs it:
 * - subscribed to the "ingested" topic with a filter on the `dataset` attribute, so it evaluates the
 *   dates an ingest touched in a balance dataset (transactions, invoices, organizations);
 * - an EventBridge schedule (daily) that catches up on the last `lookbackDays` balance dates;
 * - asynchronous invocations retried twice, then kept in `deadLetterQueue`.
 * It queries through Athena in the stack's workgroup and publishes to the balance-alert topic; the
 * sent-alert ledger in the lake bucket makes repeated runs send each alert once.
 */
export class BalanceAlerts extends Construct {
  readonly function: LedgerlakeFunction;
  /** Invocations that failed after Lambda's retries (an alarm should watch it). */
  readonly deadLetterQueue: Queue;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: BalanceAlertsProps) {
    super(scope, id);
    const problems = PROP_RULES.filter((rule) => rule.breaks(props)).map((rule) => rule.message(props));
    if (problems.length > 0) throw new Error(`BalanceAlerts ${id}: ${problems.join('; ')}`);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function = new LedgerlakeFunction(this, 'Function', {
      entry: 'lambdas/alerts/handler.ts',
      description:
        'Evaluates the balance-alert rules through Athena and publishes one digest per rule and day.',
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      environment: {
        ATHENA_WORKGROUP: props.workGroupName,
        ATHENA_DATABASE: props.glue.databaseName,
        LAKE_BUCKET: props.lakeBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        LOOKBACK_DAYS: String(props.lookbackDays ?? 3),
      },
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.grantQueries(props);
    props.alertTopic.grantPublish(this.function);

    props.ingestedTopic.addSubscription(
      new LambdaSubscription(this.function, {
        filterPolicy: { dataset: SubscriptionFilter.stringFilter({ allowlist: [...BALANCE_DATASETS] }) },
        deadLetterQueue: this.deadLetterQueue,
      }),
    );
    const target: IRuleTarget = new LambdaFunction(this.function, {
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.schedule = new Rule(this, 'DailySchedule', {
      description: 'ledgerlake: daily catch-up run of the balance alerts',
      schedule: props.schedule ?? Schedule.cron({ minute: '0', hour: '6' }),
      targets: [target],
    });
  }

  /** Athena in the workgroup, the Glue tables it reads, the data it scans, its results, the ledger. */
  private grantQueries(props: BalanceAlertsProps): void {
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
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
        ],
        resources: [props.glue.catalog, props.glue.database, props.glue.tables],
      }),
    );
    props.lakeBucket.grantRead(role);
    // The ledger: create claims (conditional PutObject) and release them after a failed publish.
    props.lakeBucket.grantPut(role, `${SENT_ALERTS_PREFIX}*`);
    props.lakeBucket.grantDelete(role, `${SENT_ALERTS_PREFIX}*`);
    props.resultsBucket.grantReadWrite(role);

    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: ['*', `${SENT_ALERTS_PREFIX}*`],
      write: true,
      why:
        'Athena reads any curated partition and reference table; writes (ledger claims, and deleting them ' +
        'after a failed publish) are limited to alerts/sent/*',
    });
    acknowledgeBucketGrant(role, props.resultsBucket, {
      keyPatterns: ['*'],
      write: true,
      why: 'Athena writes each query result under a generated key in the workgroup output location',
    });
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${props.glue.databaseName}/*]`]: `Queries read the tables and views of the ${props.glue.databaseName} database only; their names come from the contracts and sql/.`,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
        'From alertTopic.grantPublish: publishing to the KMS-encrypted topic needs data keys of its key, and only that key.',
    });
  }
}
