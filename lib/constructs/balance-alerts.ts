import { Duration } from 'aws-cdk-lib';
import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { type IRuleTarget, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { type ITopic, SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DATASETS } from '../../datasets/index';
import { DAILY_REPORT_METRICS, METRICS_NAMESPACE, SERVICES } from '../../lambdas/shared/observability';
import { SENT_ALERTS_PREFIX } from '../../src/alerts/ledger';
import { MARTS_PREFIX } from '../../src/materialize/state';
import { DASHBOARD_REPORTS_PREFIX } from '../../src/report/publish-report';
import { acknowledge, acknowledgeBucketGrant } from '../nag-acknowledgements';
import { grantCatalog } from './dataset-tables';
import { LedgerlakeFunction } from './ledgerlake-function';

/**
 * Time budget of one run. Every Athena query is given up (and stopped) after `QUERY_TIMEOUT`, and no
 * query runs into the last `STOP_RESERVE` of the function's time: the engine stops it with
 * StopQueryExecution and the run fails cleanly, to be redone by the retry or the next run. So the
 * function's timeout exceeds one query's timeout plus the reserve, and a run of many statements ends
 * before Lambda kills it, with no query left running.
 */
export const REFRESH_TIMING = {
  functionTimeout: Duration.minutes(15),
  queryTimeout: Duration.minutes(10),
  stopReserve: Duration.seconds(30),
} as const;

export interface BalanceAlertsProps {
  /** The lake: Athena reads the curated data and reference tables with the function's rights; the ledger of sent alerts lives under `alerts/sent/`. */
  readonly lakeBucket: IBucket;
  /** The workgroup's result bucket: Athena writes each query's results there with the function's rights. */
  readonly resultsBucket: IBucket;
  readonly workGroupName: string;
  readonly workGroupArn: string;
  /**
   * Workgroup of the refresh's statements (INSERT INTO, ALTER TABLE), with its own scan cutoff.
   * @default - the queries' workgroup
   */
  readonly materializationWorkGroupName?: string;
  /** @default - `workGroupArn` */
  readonly materializationWorkGroupArn?: string;
  /** The Glue database and the ARNs the queries read (`DatasetTables.catalogArns()`). */
  readonly glue: {
    readonly databaseName: string;
    readonly catalog: string;
    readonly database: string;
    readonly tables: string;
  };
  /** Topic the digests are published to (email, Slack). */
  readonly alertTopic: ITopic;
  /** Topic with one message per ingested dataset; the function runs for every dataset's messages. */
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
 * The refresh-and-alerts function and what runs it:
 * - subscribed to the "ingested" topic for every dataset: it refreshes the materialized marts for
 *   the days the ingest touched (Athena INSERT INTO the Hive tables under `marts/`), then evaluates
 *   the alert rules for exactly the balance_moves days the refresh wrote;
 * - an EventBridge schedule (daily) that catches up (a refresh listing every day) and evaluates the
 *   last `lookbackDays` balance dates;
 * - `aws lambda invoke --payload '{"rebuild": true}'` rebuilds every mart (docs/deploy.md);
 * - every run but an ingest's (the schedule, a manual `{}`, a rebuild) ends by writing the dashboard
 *   (the page `ledgerlake report` writes, through Athena) to `reports/dashboard/<day>.html` and
 *   `latest.html` in the lake: in the same invocation, after the refresh, so no refresh can be
 *   half-way through the marts it reads (see `metricDailyReportFailures`);
 * - reserved concurrency 1: a refresh reads and writes one state object, so runs never overlap
 *   (SNS and the schedule invoke asynchronously; Lambda retries throttled events);
 * - asynchronous invocations retried twice, then kept in `deadLetterQueue`.
 * It publishes to the balance-alert topic; the sent-alert ledger in the lake bucket makes repeated
 * runs send each alert once. It reads the SQL models and reference CSVs bundled next to its handler.
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
        'Refreshes the materialized marts through Athena, then evaluates the balance-alert rules for the days refreshed.',
      timeout: REFRESH_TIMING.functionTimeout,
      memorySize: 1024,
      reservedConcurrentExecutions: 1,
      bundledFolders: ['sql', 'reference'],
      logRetentionDays: props.logRetentionDays,
      destroyOnRemoval: props.destroyOnRemoval,
      environment: {
        ATHENA_WORKGROUP: props.workGroupName,
        MATERIALIZE_WORKGROUP: props.materializationWorkGroupName ?? props.workGroupName,
        ATHENA_DATABASE: props.glue.databaseName,
        LAKE_BUCKET: props.lakeBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        LOOKBACK_DAYS: String(props.lookbackDays ?? 3),
        QUERY_TIMEOUT_MS: String(REFRESH_TIMING.queryTimeout.toMilliseconds()),
        STOP_RESERVE_MS: String(REFRESH_TIMING.stopReserve.toMilliseconds()),
      },
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.grantQueries(props);
    props.alertTopic.grantPublish(this.function);

    props.ingestedTopic.addSubscription(
      new LambdaSubscription(this.function, {
        filterPolicy: {
          dataset: SubscriptionFilter.stringFilter({ allowlist: DATASETS.map((dataset) => dataset.name) }),
        },
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

  /**
   * Runs that could not publish the dashboard (a failed report query, a failed PUT), from the
   * function's own metric: the refresh and alerts of such a run succeeded, so the function's Errors
   * metric does not show it.
   */
  metricDailyReportFailures(options: MetricOptions = {}): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: DAILY_REPORT_METRICS.failures,
      dimensionsMap: { service: SERVICES.alerts },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }

  /**
   * Athena in the workgroups; the Glue tables it reads and the partitions it adds and drops; the data
   * it scans, the mart files it writes and deletes, its results; the ledger.
   */
  private grantQueries(props: BalanceAlertsProps): void {
    const role = this.function.role!;
    const workGroups = [props.workGroupArn, props.materializationWorkGroupArn ?? props.workGroupArn];
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [...new Set(workGroups)],
      }),
    );
    // The refresh adds and drops partitions, and rebuilds whole tables (CTAS, SET LOCATION, DROP).
    grantCatalog(this, role, props.glue, ['read', 'partitions', 'tables']);
    props.lakeBucket.grantRead(role);
    // The ledger: create claims (conditional PutObject) and release them after a failed publish.
    props.lakeBucket.grantPut(role, `${SENT_ALERTS_PREFIX}*`);
    props.lakeBucket.grantDelete(role, `${SENT_ALERTS_PREFIX}*`);
    // The marts: Athena's INSERT INTO writes their files with this role's rights; the writer deletes
    // a batch's old files; the refresh state is marts/_state.json.
    props.lakeBucket.grantPut(role, `${MARTS_PREFIX}*`);
    props.lakeBucket.grantDelete(role, `${MARTS_PREFIX}*`);
    // The dashboard: PutObject on its prefix only (no delete: a page is replaced, never removed).
    props.lakeBucket.grantPut(role, `${DASHBOARD_REPORTS_PREFIX}*`);
    props.resultsBucket.grantReadWrite(role);

    acknowledgeBucketGrant(role, props.lakeBucket, {
      keyPatterns: ['*', `${SENT_ALERTS_PREFIX}*`, `${MARTS_PREFIX}*`, `${DASHBOARD_REPORTS_PREFIX}*`],
      write: true,
      why:
        'Athena reads any curated partition and reference table; writes are limited to alerts/sent/* ' +
        '(ledger claims, deleted after a failed publish), marts/* (mart partitions and the refresh state) ' +
        `and ${DASHBOARD_REPORTS_PREFIX}* (the daily dashboard pages, put only)`,
    });
    acknowledgeBucketGrant(role, props.resultsBucket, {
      keyPatterns: ['*'],
      write: true,
      why: 'Athena writes each query result under a generated key in the workgroup output location',
    });
    acknowledge(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${props.glue.databaseName}/*]`]: `Queries read, and the refresh adds and drops partitions of and rebuilds whole tables in, the tables of the ${props.glue.databaseName} database only; their names come from the contracts and sql/.`,
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]':
        'From alertTopic.grantPublish: publishing to the KMS-encrypted topic needs data keys of its key, and only that key.',
    });
  }
}
