import { join } from 'node:path';
import { CfnOutput, CfnResource, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DATASETS } from '../datasets/index';
import { REFERENCE_TABLES } from '../datasets/reference';
import { LAKE_PREFIXES } from '../src/ingest/lake-layout';
import { loadModels, type SqlModel } from '../src/sql/models';
import { AlertTopics } from './constructs/alert-topics';
import { AthenaViews } from './constructs/athena-views';
import { BalanceAlerts } from './constructs/balance-alerts';
import { DataTests } from './constructs/data-tests';
import { DatasetTables } from './constructs/dataset-tables';
import { IngestPipeline } from './constructs/ingest-pipeline';
import { OperationsAlarms } from './constructs/operations-alarms';
import { SecureBucket } from './constructs/secure-bucket';
import { acknowledgeStackFindings } from './nag-acknowledgements';
import { PROJECT_ROOT } from './project-root';
import { loadReferenceTsv, referenceObjectKey } from './reference-data';
import type { LedgerlakeSettings } from './settings';

export interface LedgerlakeStackProps extends StackProps {
  /** Validated settings (`parseSettings`). */
  readonly settings: LedgerlakeSettings;
  /**
   * SQL models to deploy, in dependency order: incremental ones as mart tables, the others as views.
   * @default loadModels() (every model under sql/)
   */
  readonly models?: readonly (Pick<SqlModel, 'name' | 'sql' | 'layer'> & Partial<SqlModel>)[];
  /**
   * Folder holding the reference CSVs.
   * @default the repo's reference/
   */
  readonly referenceDir?: string;
}

/**
 * The whole ledgerlake pipeline on AWS: landing zone -> queue -> ingest Lambda -> lake (Parquet,
 * quarantine, manifests) -> Glue tables and Athena views; SNS topics for balance alerts, operations
 * and ingest events; alarms. Construct ids are public API: renaming one replaces the resource.
 */
export class LedgerlakeStack extends Stack {
  readonly accessLogsBucket: SecureBucket;
  readonly landingBucket: SecureBucket;
  readonly lakeBucket: SecureBucket;
  readonly athenaResultsBucket: SecureBucket;
  readonly topics: AlertTopics;
  readonly ingest: IngestPipeline;
  readonly tables: DatasetTables;
  readonly workGroup: CfnWorkGroup;
  readonly workGroupArn: string;
  /** Workgroup of the refresh's INSERT INTO statements, with its own (larger) scan cutoff. */
  readonly materializationWorkGroup: CfnWorkGroup;
  readonly materializationWorkGroupArn: string;
  readonly views: AthenaViews;
  readonly alerts: BalanceAlerts;
  /** The data tests of sql/, run daily through Athena; failures go to the operations topic. */
  readonly dataTests: DataTests;
  readonly alarms: OperationsAlarms;
  /** Log group of the reference-data deployment's function. */
  readonly referenceDataLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LedgerlakeStackProps) {
    super(scope, id, props);
    const settings = props.settings;
    const destroy = settings.destroyOnRemoval;

    // Buckets
    this.accessLogsBucket = new SecureBucket(this, 'AccessLogsBucket', {
      expirationDays: settings.accessLogsExpirationDays,
      destroyOnRemoval: destroy,
    });
    const logs = { serverAccessLogsBucket: this.accessLogsBucket, destroyOnRemoval: destroy };
    this.landingBucket = new SecureBucket(this, 'LandingBucket', {
      ...logs,
      versioned: true,
      expirationDays: settings.landingExpirationDays,
      noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
    });
    this.lakeBucket = new SecureBucket(this, 'LakeBucket', {
      ...logs,
      versioned: true,
      noncurrentVersionExpirationDays: settings.noncurrentVersionExpirationDays,
    });
    this.athenaResultsBucket = new SecureBucket(this, 'AthenaResultsBucket', {
      ...logs,
      expirationDays: settings.athenaResultsExpirationDays,
    });

    // Topics (balance alerts, operations, ingested) and the Slack notifier
    this.topics = new AlertTopics(this, 'Topics', {
      alertEmail: settings.alertEmail,
      opsEmail: settings.opsEmail,
      slackWebhookSecretName: settings.slackWebhookSecretName,
      logRetentionDays: settings.logRetentionDays,
      destroyOnRemoval: destroy,
    });

    // Landing -> queue -> ingest
    this.ingest = new IngestPipeline(this, 'Ingest', {
      landingBucket: this.landingBucket,
      lakeBucket: this.lakeBucket,
      ingestedTopic: this.topics.ingested,
      timeoutSeconds: settings.ingestTimeoutSeconds,
      memoryMb: settings.ingestMemoryMb,
      batchSize: settings.ingestBatchSize,
      maxConcurrency: settings.ingestMaxConcurrency,
      maxReceiveCount: settings.maxReceiveCount,
      logRetentionDays: settings.logRetentionDays,
      destroyOnRemoval: destroy,
    });

    // Reference data: the repo's CSVs, as the TSV the Glue tables read (see lib/reference-data.ts)
    const referenceDir = props.referenceDir ?? join(PROJECT_ROOT, 'reference');
    // The deployment's CDK function logs to a group of ours with the configured retention.
    this.referenceDataLogGroup = new LogGroup(this, 'ReferenceDataLogs', {
      retention: settings.logRetentionDays as RetentionDays,
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const referenceDeployment = new BucketDeployment(this, 'ReferenceData', {
      logGroup: this.referenceDataLogGroup,
      sources: REFERENCE_TABLES.map((table) =>
        Source.data(
          referenceObjectKey(table).slice(LAKE_PREFIXES.reference.length),
          loadReferenceTsv(table, referenceDir),
        ),
      ),
      destinationBucket: this.lakeBucket,
      destinationKeyPrefix: LAKE_PREFIXES.reference,
      // Only reference/ is pruned: a table removed from datasets/reference.ts disappears from the lake.
      prune: true,
      retainOnDelete: !destroy,
      memoryLimit: 256,
    });

    // Glue catalog and Athena
    this.tables = new DatasetTables(this, 'Tables', {
      lakeBucket: this.lakeBucket,
      databaseName: settings.databaseName,
      projectionStartDate: settings.projectionStartDate,
    });
    const workGroupName = settings.databaseName;
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description:
        'ledgerlake analytics: engine v3, enforced settings, encrypted results, per-query scan limit',
      state: 'ENABLED',
      // Saved queries must not block deleting the stack.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: settings.bytesScannedCutoffMb * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.athenaResultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.workGroupArn = this.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: workGroupName,
    });
    // The refresh's statements read a batch of up to 100 days: a cutoff of their own, so the routine
    // queries keep the tight one (docs/deploy.md).
    const materializationWorkGroupName = `${workGroupName}_materialize`;
    this.materializationWorkGroup = new CfnWorkGroup(this, 'MaterializationWorkGroup', {
      name: materializationWorkGroupName,
      description: 'ledgerlake mart refresh (INSERT INTO per batch of days): engine v3, its own scan limit',
      state: 'ENABLED',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: settings.materializationBytesScannedCutoffMb * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.athenaResultsBucket.bucketName}/materialize/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.materializationWorkGroupArn = this.formatArn({
      service: 'athena',
      resource: 'workgroup',
      resourceName: materializationWorkGroupName,
    });

    const models = props.models ?? loadModels();
    this.views = new AthenaViews(this, 'Views', {
      models,
      workGroupName,
      workGroupArn: this.workGroupArn,
      resultsBucket: this.athenaResultsBucket,
      lakeBucket: this.lakeBucket,
      tables: this.tables,
      logRetentionDays: settings.logRetentionDays,
      destroyOnRemoval: destroy,
      revision: settings.viewsRevision,
    });
    this.views.resource.node.addDependency(this.workGroup, referenceDeployment);

    // Refresh of the marts, then balance alerts: after each ingest and on a daily schedule.
    this.alerts = new BalanceAlerts(this, 'BalanceAlerts', {
      lakeBucket: this.lakeBucket,
      resultsBucket: this.athenaResultsBucket,
      workGroupName,
      workGroupArn: this.workGroupArn,
      materializationWorkGroupName,
      materializationWorkGroupArn: this.materializationWorkGroupArn,
      glue: { databaseName: this.tables.databaseName, ...this.tables.catalogArns() },
      alertTopic: this.topics.balanceAlerts,
      ingestedTopic: this.topics.ingested,
      logRetentionDays: settings.logRetentionDays,
      destroyOnRemoval: destroy,
    });
    this.alerts.node.addDependency(this.views.resource, this.materializationWorkGroup);

    // Data tests: daily through Athena, after the catch-up refresh; failures to the operations topic.
    this.dataTests = new DataTests(this, 'DataTests', {
      lakeBucket: this.lakeBucket,
      resultsBucket: this.athenaResultsBucket,
      workGroupName,
      workGroupArn: this.workGroupArn,
      glue: { databaseName: this.tables.databaseName, ...this.tables.catalogArns() },
      operationsTopic: this.topics.operations,
      logRetentionDays: settings.logRetentionDays,
      destroyOnRemoval: destroy,
    });
    this.dataTests.node.addDependency(this.views.resource);

    const functions: Record<string, IFunction> = {
      Ingest: this.ingest.function,
      BalanceAlerts: this.alerts.function,
      DataTests: this.dataTests.function,
    };
    const deadLetterQueues: Record<string, IQueue> = {
      IngestDeadLetterQueue: this.ingest.deadLetterQueue,
      BalanceAlertsDeadLetterQueue: this.alerts.deadLetterQueue,
      DataTestsDeadLetterQueue: this.dataTests.deadLetterQueue,
    };
    if (this.topics.slack) {
      functions.SlackNotifier = this.topics.slack.function;
      deadLetterQueues.SlackDeadLetterQueue = this.topics.slack.deadLetterQueue;
    }
    this.alarms = new OperationsAlarms(this, 'Alarms', {
      topic: this.topics.operations,
      functions,
      deadLetterQueues,
      countedFailures: {
        DailyReportFailed: {
          metric: this.alerts.metricDailyReportFailures(),
          description:
            'The daily dashboard was not written to reports/dashboard/ (the refresh and alerts ran): ' +
            'see the BalanceAlerts log ("dashboard not published"); latest.html is the previous page.',
        },
      },
      datasets: DATASETS.map((dataset) => dataset.name),
      quarantineThresholdPercent: settings.quarantineAlarmThresholdPercent,
    });

    if (destroy) this.logAutoDeleteWithRetention(settings.logRetentionDays);
    this.addOutputs(settings, models);
    acknowledgeStackFindings(this);
  }

  /**
   * With `destroyOnRemoval` the buckets empty themselves through CDK's auto-delete provider, a
   * function CDK creates without a log group of ours: give it one with the configured retention.
   */
  private logAutoDeleteWithRetention(logRetentionDays: number): void {
    const provider = this.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource)) {
      throw new Error(
        'LedgerlakeStack: CDK no longer names its auto-delete provider Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler; ' +
          'find its function and give it a log group with retention',
      );
    }
    const logGroup = new LogGroup(this, 'AutoDeleteObjectsLogs', {
      retention: logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    handler.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  }

  private addOutputs(
    settings: LedgerlakeSettings,
    models: readonly Pick<SqlModel, 'name' | 'layer'>[],
  ): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('LandingBucketName', this.landingBucket.bucketName, 'Drop files under landing/<dataset>/ here.');
    output(
      'LakeBucketName',
      this.lakeBucket.bucketName,
      'Curated Parquet, quarantine, manifests, reference data.',
    );
    output('AthenaResultsBucketName', this.athenaResultsBucket.bucketName, 'Athena query results.');
    output(
      'AccessLogsBucketName',
      this.accessLogsBucket.bucketName,
      'S3 server access logs of the other buckets.',
    );
    output('GlueDatabaseName', settings.databaseName, 'Glue database with the dataset tables and views.');
    output('AthenaWorkGroupName', this.workGroup.name, 'Athena workgroup to query in (engine v3).');
    output('BalanceAlertsTopicArn', this.topics.balanceAlerts.topicArn, 'Balance alerts (email, Slack).');
    output('OperationsTopicArn', this.topics.operations.topicArn, 'Alarm and OK notifications.');
    output('IngestedTopicArn', this.topics.ingested.topicArn, 'One message per dataset and ingest batch.');
    output(
      'IngestDeadLetterQueueArn',
      this.ingest.deadLetterQueue.queueArn,
      'Messages that failed every receive.',
    );

    const dataset = DATASETS.some((d) => d.name === 'transactions') ? 'transactions' : DATASETS[0]!.name;
    output(
      'DropFileCommand',
      `aws s3 cp ./${dataset}.csv s3://${this.landingBucket.bucketName}/${LAKE_PREFIXES.landing}${dataset}/`,
      'Land a file: it is ingested within seconds.',
    );
    const kpiView =
      models.find((model) => /kpi/.test(model.name))?.name ??
      models.find((model) => model.layer === 'analytics')?.name ??
      dataset;
    output(
      'QueryCommand',
      `aws athena start-query-execution --work-group ${this.workGroup.name} ` +
        `--query-execution-context Database=${settings.databaseName} ` +
        `--query-string "SELECT * FROM ${kpiView} LIMIT 30"`,
      'Run a query; fetch rows with aws athena get-query-results --query-execution-id <id>.',
    );
    output(
      'DataTestsFunctionName',
      this.dataTests.function.functionName,
      'Daily data tests; invoke it to run them now (failures go to the operations topic).',
    );
    output(
      'BalanceAlertsFunctionName',
      this.alerts.function.functionName,
      'Refresh and balance alerts; invoke with {"rebuild": true} to rebuild the marts.',
    );

    // One output per function log group, for `aws logs tail <name> --follow`.
    const logGroups: [string, string, string][] = [
      ['Ingest', this.ingest.function.logGroup.logGroupName, 'the ingest function'],
      ['BalanceAlerts', this.alerts.function.logGroup.logGroupName, 'the mart refresh and balance alerts'],
      ['DataTests', this.dataTests.function.logGroup.logGroupName, 'the daily data tests'],
      ['Views', this.views.function.logGroup.logGroupName, 'the views custom resource (deploy time)'],
      [
        'ViewsProvider',
        this.views.providerLogGroup.logGroupName,
        'the custom resource Provider framework of the views (deploy time)',
      ],
      [
        'ReferenceData',
        this.referenceDataLogGroup.logGroupName,
        'the CDK function copying the reference data to the lake (deploy time)',
      ],
      [
        'BucketNotificationsHandler',
        this.ingest.notificationsHandlerLogGroup.logGroupName,
        'the CDK handler writing the landing bucket notifications (deploy time)',
      ],
    ];
    if (this.topics.slack)
      logGroups.push([
        'SlackNotifier',
        this.topics.slack.function.logGroup.logGroupName,
        'the Slack notifier',
      ]);
    for (const [name, logGroupName, what] of logGroups)
      output(`${name}LogGroupName`, logGroupName, `Log group of ${what}.`);
    output(
      'RedriveCommand',
      `aws sqs start-message-move-task --source-arn ${this.ingest.deadLetterQueue.queueArn}`,
      'Move dead-lettered messages back to the ingest queue once the cause is fixed.',
    );
  }
}
