import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LedgerlakeFunction } from './ledgerlake-function';

export interface AlertTopicsProps {
  /**
   * Email address subscribed to the balance-alert topic (the address must confirm the subscription).
   * @default - no email subscription
   */
  readonly alertEmail?: string;
  /**
   * Email address subscribed to the operations topic, i.e. alarm and OK notifications (the address
   * must confirm the subscription).
   * @default - no email subscription
   */
  readonly opsEmail?: string;
  /**
   * Secrets Manager name of the Slack webhook URL, read by the notifier at run time. The notifier
   * subscribes to the balance-alert and the operations topics.
   * @default - no Slack notifier
   */
  readonly slackWebhookSecretName?: string;
  readonly logRetentionDays: number;
  /** @default false */
  readonly destroyOnRemoval?: boolean;
}

/**
 * The SNS side of ledgerlake, all topics encrypted with one customer-managed KMS key (rotated yearly):
 * - `balanceAlerts`: balance alerts (published by the balance-alerts function), to email and Slack;
 * - `operations`: alarm and OK notifications (published by CloudWatch), to the ops email and Slack;
 * - `ingested`: one message per dataset and ingest batch, with the days that got new rows.
 * A customer-managed key (not `alias/aws/sns`) because CloudWatch alarms can only publish to an
 * encrypted topic whose key policy lets `cloudwatch.amazonaws.com` use the key. `enforceSSL` makes
 * CDK write a topic policy, which replaces SNS's default one: the operations topic's policy therefore
 * allows CloudWatch to publish, and both grants are limited to this account's alarms.
 */
export class AlertTopics extends Construct {
  readonly key: Key;
  readonly balanceAlerts: Topic;
  readonly operations: Topic;
  readonly ingested: Topic;
  /** The Slack notifier and the queue its failed deliveries land in (when a secret name is given). */
  readonly slack?: { readonly function: LedgerlakeFunction; readonly deadLetterQueue: Queue };

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.key = new Key(this, 'TopicKey', {
      description: 'ledgerlake: encrypts the balance-alert, operations and ingested SNS topics',
      enableKeyRotation: true,
      removalPolicy: props.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    // CloudWatch signs its publish with the alarm's ARN and account (confused-deputy protection).
    const stack = Stack.of(this);
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    const topic = (topicId: string, displayName: string) =>
      new Topic(this, topicId, { displayName, masterKey: this.key, enforceSSL: true });
    this.balanceAlerts = topic('BalanceAlerts', 'ledgerlake balance alerts');
    this.operations = topic('Operations', 'ledgerlake operations');
    this.ingested = topic('Ingested', 'ledgerlake ingested datasets');
    this.operations.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.operations.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );

    if (props.alertEmail !== undefined) {
      this.balanceAlerts.addSubscription(new EmailSubscription(props.alertEmail));
    }
    if (props.opsEmail !== undefined) {
      this.operations.addSubscription(new EmailSubscription(props.opsEmail));
    }
    if (props.slackWebhookSecretName !== undefined) {
      this.slack = this.createSlackNotifier(props.slackWebhookSecretName, props);
    }
  }

  private createSlackNotifier(secretName: string, props: AlertTopicsProps) {
    const deadLetterQueue = new Queue(this, 'SlackDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const fn = new LedgerlakeFunction(this, 'SlackNotifier', {
      entry: 'lambdas/slack-notifier/handler.ts',
      description:
        'Posts balance alerts and alarm notifications to Slack; the webhook URL is read from Secrets Manager at run time.',
      timeout: Duration.seconds(60),
      memorySize: 256,
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      // The secret's name only; the URL never enters the template or the environment.
      environment: { SLACK_WEBHOOK_SECRET_ID: secretName },
      // Lambda retries a failed asynchronous invocation twice, then the event lands in the DLQ.
      retryAttempts: 2,
      deadLetterQueue,
    });
    Secret.fromSecretNameV2(this, 'SlackWebhookSecret', secretName).grantRead(fn);
    // SNS's own DLQ: messages SNS could not hand to the function at all (throttled, deleted...).
    for (const topic of [this.balanceAlerts, this.operations]) {
      topic.addSubscription(new LambdaSubscription(fn, { deadLetterQueue }));
    }
    return { function: fn, deadLetterQueue };
  }
}
