import { type CfnResource, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
} from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SWEEP_EVENT } from '../../lambdas/ingest/sweep-event';
import { LAKE_PREFIXES } from '../../src/ingest/lake-layout';
import { acknowledge, acknowledgeBucketGrant } from '../nag-acknowledgements';
import { LedgerlakeFunction } from './ledgerlake-function';

/** The lake prefixes ingest writes (and the sweeper cleans): outputs, manifests, the commit protocol's records. */
export const INGEST_PREFIXES = [
  LAKE_PREFIXES.curated,
  LAKE_PREFIXES.quarantine,
  LAKE_PREFIXES.manifests,
  LAKE_PREFIXES.commits,
  LAKE_PREFIXES.attempts,
] as const;

export interface IngestPipelineProps {
  readonly landingBucket: IBucket;
  readonly lakeBucket: IBucket;
  /** Topic receiving one "ingested" message per dataset and batch (the seam for the alerts). */
  readonly ingestedTopic: ITopic;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  /** Receives of a message before it moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
}

/**
 * Landing zone to lake: S3 notifications for objects created under `landing/` go to an SQS queue, the
 * ingest function consumes it in batches and reports partial batch failures, and a message that
 * keeps failing moves to the dead-letter queue after `maxReceiveCount` receives.
 *
 * S3 notifies SQS directly (not through EventBridge): one hop less, a documented message format, and
 * the prefix filter is part of the notification itself.
 */
export class IngestPipeline extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: LedgerlakeFunction;
  /**
   * Runs the sweeper on the ingest function once a day: attempts that failed and that no later ingest
   * of the same file came to clean up are rolled back (their parts deleted) or, when committed,
   * finished (src/ingest/commit.ts). Readers never see those parts either way.
   */
  readonly sweepSchedule: Rule;
  /**
   * Log group of the CDK-provided function that writes the landing bucket's notification
   * configuration at deploy (`BucketNotificationsHandler...`), with the same retention as ours.
   */
  readonly notificationsHandlerLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: IngestPipelineProps) {
    super(scope, id);
    const timeout = Duration.seconds(props.timeoutSeconds);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS guidance for SQS event sources: at least six times the function timeout, so a message is
      // not handed to a second function while the first (and its retries) may still work on it.
      visibilityTimeout: Duration.seconds(props.timeoutSeconds * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    props.landingBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LandingQueueDestination(this.queue),
      {
        prefix: LAKE_PREFIXES.landing,
      },
    );
    this.notificationsHandlerLogGroup = retainNotificationsHandlerLogs(this, props);

    this.function = new LedgerlakeFunction(this, 'Function', {
      entry: 'lambdas/ingest/handler.ts',
      description:
        'Validates landed files against their dataset contract and writes Parquet, quarantine and manifests.',
      timeout,
      memorySize: props.memoryMb,
      // Parquet parts are staged in /tmp before upload.
      ephemeralStorageSize: Size.mebibytes(2048),
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      environment: {
        LANDING_BUCKET: props.landingBucket.bucketName,
        LAKE_BUCKET: props.lakeBucket.bucketName,
        INGESTED_TOPIC_ARN: props.ingestedTopic.topicArn,
      },
    });
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );

    // Least privilege: read landed files only, write only the lake prefixes ingest owns.
    props.landingBucket.grantRead(this.function, `${LAKE_PREFIXES.landing}*`);
    for (const prefix of INGEST_PREFIXES) props.lakeBucket.grantReadWrite(this.function, `${prefix}*`);
    props.ingestedTopic.grantPublish(this.function);

    const role = this.function.role!;
    acknowledgeBucketGrant(role, props.landingBucket, {
      keyPatterns: [`${LAKE_PREFIXES.landing}*`],
      write: false,
      why: 'ingest reads any file landed under landing/',
    });
    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: INGEST_PREFIXES.map((prefix) => `${prefix}*`),
      write: true,
      why:
        'ingest writes and replaces Parquet, quarantine, manifest, commit and attempt objects under its own ' +
        'prefixes only (src/ingest/commit.ts)',
    });
    acknowledge(role, {
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
        'From topic.grantPublish on the KMS-encrypted ingested topic; limited to the topic key.',
    });

    this.sweepSchedule = new Rule(this, 'DailySweep', {
      description:
        'Daily: settles ingest attempts that failed half-way and were not retried (ledgerlake sweep).',
      schedule: Schedule.cron({ minute: '30', hour: '5' }),
      targets: [
        new LambdaFunction(this.function, {
          event: RuleTargetInput.fromObject(SWEEP_EVENT),
          retryAttempts: 2,
        }),
      ],
    });
  }
}

/**
 * S3 -> SQS like `SqsDestination`, with the confused-deputy guard on both keys: S3 may send only for
 * the landing bucket (`aws:SourceArn`) of this account (`aws:SourceAccount`; a bucket ARN names no
 * account, so without it a same-named bucket elsewhere would match). The queues use SQS-managed
 * encryption, so no KMS key policy is involved.
 */
class LandingQueueDestination implements IBucketNotificationDestination {
  constructor(private readonly queue: Queue) {}

  bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    this.queue.grantSendMessages(
      new ServicePrincipal('s3.amazonaws.com', {
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
        },
      }),
    );
    return {
      arn: this.queue.queueArn,
      type: BucketNotificationDestinationType.QUEUE,
      dependencies: [this.queue],
    };
  }
}

/** The stack-wide singleton aws-cdk-lib creates behind `addEventNotification` (fixed id). */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * The notifications handler has no log settings of its own and would log to a never-expiring
 * `/aws/lambda/...` group: send its logs to a group with our retention (escape hatch on its
 * `AWS::Lambda::Function`; its managed basic execution policy already allows writing there).
 */
function retainNotificationsHandlerLogs(scope: Construct, props: IngestPipelineProps): LogGroup {
  const handler = Stack.of(scope).node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
  const resource = handler?.node.tryFindChild('Resource') as CfnResource | undefined;
  if (!resource)
    throw new Error(
      `IngestPipeline: aws-cdk-lib no longer creates ${NOTIFICATIONS_HANDLER_ID}/Resource; find where the bucket notifications handler went and give it a log group`,
    );
  const logGroup = new LogGroup(scope, 'NotificationsHandlerLogs', {
    retention: props.logRetentionDays as RetentionDays,
    removalPolicy: props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  });
  resource.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  return logGroup;
}
