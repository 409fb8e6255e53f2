import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS, transactions } from '../../datasets/index';
import { createTableStatement, type RelationDefinition } from '../../lambdas/athena-views/deploy-views';
import { SWEEP_EVENT } from '../../lambdas/ingest/sweep-event';
import { contractHash } from '../../lib/constructs/athena-views';
import { DatasetTables } from '../../lib/constructs/dataset-tables';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';
import { COLUMN_TYPES, LINEAGE_COLUMNS } from '../../src/contract/types';
import { isIncremental } from '../../src/materialize/plan';
import {
  BASE_TABLES,
  committedRelationSql,
  partsTableName,
  readsCommittedParts,
} from '../../src/sql/base-tables';
import { loadModels } from '../../src/sql/models';

// The built-in CloudFormation schema validation and Lambda bundling run in the nag test; here they
// would only slow every template build down.
process.env.CDK_VALIDATION = 'false';
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const SECRET_NAME = 'ledgerlake/slack-webhook';
const MODELS = [
  { name: 'stg_transactions', layer: 'staging', sql: 'select * from transactions' },
  { name: 'daily_kpis', layer: 'analytics', sql: 'select count(*) as n from stg_transactions' },
];

/** The day the tests synthesize on: the default projectionStartDate is computed from it. */
const SYNTH_DAY = new Date('2026-12-02T13:56:00Z');

function synth(context: Record<string, unknown>, environment: Record<string, string> = {}) {
  const { stack } = createLedgerlakeApp({
    nag: false,
    outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
    context: { ...SKIP_BUNDLING, ...context },
    environment,
    today: SYNTH_DAY,
    stackProps: { models: MODELS },
  });
  return { stack, template: Template.fromStack(stack) };
}

let template: Template;
let logicalId: (path: string) => string;

beforeAll(() => {
  const built = synth({ alertEmail: 'ops@example.com', slackWebhookSecretName: SECRET_NAME });
  template = built.template;
  logicalId = (path) => {
    const construct = built.stack.node
      .findAll()
      .find((candidate) => candidate.node.path === `Ledgerlake/${path}`);
    if (!construct) throw new Error(`no construct at ${path}`);
    return built.stack.getLogicalId(construct.node.defaultChild as never);
  };
});

describe('buckets', () => {
  it('encrypts, blocks public access, disables ACLs and retains every bucket by default', () => {
    const buckets = template.findResources('AWS::S3::Bucket');

    expect(Object.keys(buckets)).toHaveLength(4);
    for (const bucket of Object.values(buckets)) {
      expect(bucket).toMatchObject({
        DeletionPolicy: 'Retain',
        Properties: {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
      });
    }
  });

  it.each(['LandingBucket', 'LakeBucket', 'AthenaResultsBucket', 'AccessLogsBucket'])(
    'denies requests without TLS to %s',
    (id) => {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(id) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    },
  );

  it('versions the landing bucket, logs its access and expires landed files after the configured days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId('AccessLogsBucket') },
        LogFilePrefix: 'LandingBucket/',
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-objects', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
  });

  it('versions the lake bucket and never expires its current objects', () => {
    const lake = template.findResources('AWS::S3::Bucket')[logicalId('LakeBucket')]!;

    expect(lake.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(lake.Properties.LifecycleConfiguration.Rules.map((rule: { Id: string }) => rule.Id)).not.toContain(
      'expire-objects',
    );
  });

  it('deletes buckets and their objects only when destroyOnRemoval is set', () => {
    const destroyable = synth({ destroyOnRemoval: true }).template;

    for (const bucket of Object.values(destroyable.findResources('AWS::S3::Bucket'))) {
      expect(bucket.DeletionPolicy).toBe('Delete');
    }
    destroyable.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });
});

describe('landing queue and ingest function', () => {
  it('notifies the queue of objects created under landing/ only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId('LandingBucket') },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'landing/' }] } },
            QueueArn: { 'Fn::GetAtt': [logicalId('Ingest/Queue'), 'Arn'] },
          },
        ],
      },
    });
  });

  it('moves a message to the dead-letter queue after five receives and hides it for six function timeouts', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 900,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId('Ingest/DeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('consumes the queue in batches with partial batch failures and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId('Ingest/Queue'), 'Arn'] },
      FunctionName: { Ref: logicalId('Ingest/Function') },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('runs the ingest function on Node.js 24 arm64 with its buckets and topic in the environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Timeout: 900,
      Environment: {
        Variables: {
          LANDING_BUCKET: { Ref: logicalId('LandingBucket') },
          LAKE_BUCKET: { Ref: logicalId('LakeBucket') },
          INGESTED_TOPIC_ARN: { Ref: logicalId('Topics/Ingested') },
        },
      },
    });
  });

  it('lets ingest write only its own prefixes of the lake: outputs, manifests, commits and attempts', () => {
    const policy = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: logicalId('Ingest/FunctionRole') }] },
    });
    const resources = JSON.stringify(Object.values(policy)[0]);

    for (const prefix of [
      'curated/*',
      'quarantine/*',
      'manifests/*',
      'commits/*',
      '_attempts/*',
      'landing/*',
    ])
      expect(resources).toContain(prefix);
    expect(resources).not.toMatch(/"Resource":"\*"/);
    expect(resources).not.toContain('reference/*');
  });

  it('runs the sweeper on the ingest function daily, with the event the handler recognises', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 5 * * ? *)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId('Ingest/Function'), 'Arn'] },
          Input: JSON.stringify(SWEEP_EVENT),
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });
});

describe('Glue tables generated from the contracts', () => {
  const table = (name: string) =>
    Object.values(template.findResources('AWS::Glue::Table')).find(
      (resource) => resource.Properties.TableInput.Name === name,
    )!.Properties.TableInput;

  it("gives the transactions table the contract's columns followed by the lineage columns", () => {
    const expected = [...transactions.columns, ...LINEAGE_COLUMNS].map((column) => ({
      Name: column.name,
      Type: COLUMN_TYPES[column.type].glue,
      Comment: column.description,
    }));

    expect(table('transactions_parts').StorageDescriptor.Columns).toEqual(expected);
  });

  it.each(DATASETS.map((dataset) => [dataset.name]))(
    'projects the dt partitions of %s without a crawler',
    (name) => {
      const input = table(partsTableName(name));

      expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'date', Comment: expect.any(String) }]);
      expect(input.Parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        // projectionStartDate is not set: 1 January of the year before SYNTH_DAY.
        'projection.dt.range': '2025-01-01,NOW+1DAYS',
        'projection.dt.interval.unit': 'DAYS',
      });
      expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain(
        `/curated/${name}/dt=\${dt}/`,
      );
      expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
        'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
      );
    },
  );

  it('partitions the quarantine table by dataset (one enum value per contract) and dt', () => {
    const input = table('quarantine_parts');

    expect(input.PartitionKeys.map((key: { Name: string }) => key.Name)).toEqual(['dataset', 'dt']);
    expect(input.Parameters['projection.dataset.values']).toBe(
      DATASETS.map((dataset) => dataset.name).join(','),
    );
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholder syntax, not a JS template
      '/quarantine/${dataset}/dt=${dt}/',
    );
  });

  it('reads manifests as one JSON object per line and reference data as typed tab-separated text', () => {
    expect(table('manifests').StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe',
      Parameters: { 'timestamp.formats': "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'" },
    });
    const reference = table('ref_channels');
    expect(reference.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe',
      Parameters: { 'field.delim': '\t', 'serialization.format': '\t' },
    });
    expect(reference.Parameters['skip.header.line.count']).toBe('1');
    expect(reference.StorageDescriptor.Columns).toContainEqual(
      expect.objectContaining({ Name: 'fee_percent', Type: 'decimal(18,2)' }),
    );
  });
});

describe('partition projection start', () => {
  let pinned: Template;
  beforeAll(() => {
    pinned = synth({ projectionStartDate: '2024-03-01' }).template;
  });

  it.each([...DATASETS.map((dataset) => dataset.name), 'quarantine'])(
    'starts the dt projection of %s at projectionStartDate',
    (name) => {
      pinned.hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: partsTableName(name),
          Parameters: Match.objectLike({ 'projection.dt.range': '2024-03-01,NOW+1DAYS' }),
        }),
      });
    },
  );

  it('takes the start from LEDGERLAKE_PROJECTION_START when the context does not set it', () => {
    const fromEnvironment = synth({}, { LEDGERLAKE_PROJECTION_START: '2023-07-01' }).template;

    fromEnvironment.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'quarantine_parts',
        Parameters: Match.objectLike({ 'projection.dt.range': '2023-07-01,NOW+1DAYS' }),
      }),
    });
  });

  it('warns at synth that the default start hides earlier days, and says how to set it', () => {
    const { stack } = synth({});

    Annotations.fromStack(stack).hasWarning(
      '/Ledgerlake',
      Match.stringLikeRegexp(
        '^projectionStartDate is not set, so Athena sees the days from 2025-01-01 .*Set -c projectionStartDate=YYYY-MM-DD',
      ),
    );
  });

  it('refuses a DatasetTables projectionStartDate outside the lake calendar', () => {
    const stack = new Stack();
    const lakeBucket = new Bucket(stack, 'Lake');

    expect(
      () =>
        new DatasetTables(stack, 'Tables', {
          lakeBucket,
          databaseName: 'lake',
          projectionStartDate: '2019-12-31',
        }),
    ).toThrow(
      'DatasetTables projectionStartDate "2019-12-31" must be a day written YYYY-MM-DD from 2020-01-01 to 2030-12-31',
    );
  });

  it('does not warn when projectionStartDate is set', () => {
    const { stack } = synth({ projectionStartDate: '2024-03-01' });

    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('projectionStartDate'));
  });
});

describe('Athena', () => {
  it('enforces engine v3, encrypted results in the results bucket and the per-query scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'ledgerlake',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1024 * 1024 * 1024,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          OutputLocation: {
            'Fn::Join': ['', ['s3://', { Ref: logicalId('AthenaResultsBucket') }, '/results/']],
          },
        },
      },
    });
  });

  it('deploys the models as views in dependency order, keyed by a hash of their SQL and the contracts', () => {
    template.hasResourceProperties('Custom::AthenaViews', {
      WorkGroup: 'ledgerlake',
      Database: 'ledgerlake',
      LakeBucket: { Ref: logicalId('LakeBucket') },
      // First the committed view of each curated dataset and of the quarantine, then the models.
      Relations: [
        ...BASE_TABLES.filter(readsCommittedParts).map((table) => ({
          kind: 'view',
          name: table.name,
          sql: committedRelationSql(table),
        })),
        ...MODELS.map(({ name, sql }) => ({ kind: 'view', name, sql })),
      ],
      ContractHash: contractHash(),
      SqlHash: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
    });
  });

  it('re-creates the views when viewsRevision changes, with the same SQL (the upgrade path of deploy.md)', () => {
    const hashOf = (t: Template) =>
      (Object.values(t.findResources('Custom::AthenaViews'))[0] as { Properties: { SqlHash: string } })
        .Properties.SqlHash;
    const again = synth({ alertEmail: 'ops@example.com', slackWebhookSecretName: SECRET_NAME }).template;
    const revised = synth({
      alertEmail: 'ops@example.com',
      slackWebhookSecretName: SECRET_NAME,
      viewsRevision: 1,
    }).template;

    expect(hashOf(again)).toBe(hashOf(template));
    expect(hashOf(revised)).not.toBe(hashOf(template));
  });

  it('keys the views on the contracts: a column added to a dataset changes the hash, so the views are re-created', () => {
    const transactions = BASE_TABLES.find((table) => table.name === 'transactions')!;
    const widened = BASE_TABLES.map((table) =>
      table === transactions
        ? {
            ...table,
            columns: [...table.columns, { name: 'memo', type: 'string' as const, description: 'A note.' }],
          }
        : table,
    );
    const retyped = BASE_TABLES.map((table) =>
      table === transactions
        ? {
            ...table,
            columns: table.columns.map((c) => (c.name === 'amount' ? { ...c, type: 'double' as const } : c)),
          }
        : table,
    );

    expect(contractHash(widened)).not.toBe(contractHash());
    expect(contractHash(retyped)).not.toBe(contractHash());
    expect(contractHash([...BASE_TABLES])).toBe(contractHash());
  });

  it('gives the refresh a workgroup of its own with the materialization scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'ledgerlake_materialize',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10_240 * 1024 * 1024,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      }),
    });
  });
});

describe('mart tables and their refresh', () => {
  const models = loadModels();
  let marts: Template;
  let martsId: (path: string) => string;
  beforeAll(() => {
    const { stack } = createLedgerlakeApp({
      nag: false,
      outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
      context: { ...SKIP_BUNDLING },
      today: SYNTH_DAY,
      stackProps: { models },
    });
    marts = Template.fromStack(stack);
    martsId = (path) =>
      stack.getLogicalId(
        stack.node.findAll().find((c) => c.node.path === `Ledgerlake/${path}`)!.node.defaultChild as never,
      );
  });

  it('creates one empty partitioned Parquet table per incremental model under marts/, an empty whole table per stored dimension, views for the rest, in dependency order', () => {
    const relations = marts.findResources('Custom::AthenaViews');
    const [resource] = Object.values(relations) as { Properties: { Relations: RelationDefinition[] } }[];
    const deployed = resource!.Properties.Relations;

    const committed = BASE_TABLES.filter(readsCommittedParts).map((t) => t.name);
    expect(deployed.map((r) => r.name)).toEqual([...committed, ...models.map((m) => m.name)]);
    const allTables = deployed.filter(
      (r): r is Extract<RelationDefinition, { kind: 'table' }> => r.kind === 'table',
    );
    const tables = allTables.filter((r) => r.partitionBy !== undefined);
    expect(tables.map((t) => [t.name, t.partitionBy, t.prefix])).toEqual(
      models.filter(isIncremental).map((m) => [m.name, m.incremental.partitionBy, `marts/${m.name}/`]),
    );
    const whole = allTables.filter((r) => r.partitionBy === undefined);
    expect(whole.map((t) => t.name)).toEqual(
      models.filter((m) => m.materialized === 'table').map((m) => m.name),
    );
    expect(whole.map((t) => t.name)).toContain('dim_customer');
    for (const table of whole) {
      expect(createTableStatement(table, 'lake')).toMatch(
        new RegExp(
          `^CREATE TABLE ${table.name}\\nWITH \\(format = 'PARQUET', write_compression = 'SNAPPY', ` +
            `external_location = 's3://lake/marts/${table.name}/initial/'\\)\\nAS\\n[\\s\\S]+\\nWITH NO DATA$`,
        ),
      );
    }
    for (const table of tables) {
      expect(createTableStatement(table, 'lake')).toMatch(
        new RegExp(
          `^CREATE TABLE ${table.name}\\nWITH \\(format = 'PARQUET', write_compression = 'SNAPPY', ` +
            `external_location = 's3://lake/marts/${table.name}/', partitioned_by = ARRAY\\['${table.partitionBy}'\\]\\)\\nAS\\n[\\s\\S]+\\nWITH NO DATA$`,
        ),
      );
    }
  });

  it('runs the refresh one at a time, stopping its queries before the function times out', () => {
    const [fn] = Object.values(
      marts.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { MATERIALIZE_WORKGROUP: 'ledgerlake_materialize' } } },
      }),
    ) as {
      Properties: {
        Timeout: number;
        ReservedConcurrentExecutions: number;
        Environment: { Variables: Record<string, string> };
      };
    }[];
    const { Timeout, ReservedConcurrentExecutions, Environment } = fn!.Properties;

    expect(ReservedConcurrentExecutions).toBe(1);
    expect(Timeout).toBe(900);
    const queryTimeoutMs = Number(Environment.Variables.QUERY_TIMEOUT_MS);
    const reserveMs = Number(Environment.Variables.STOP_RESERVE_MS);
    expect(queryTimeoutMs + reserveMs).toBeLessThan(Timeout * 1000);
    expect(reserveMs).toBe(30_000);
  });

  it('subscribes the refresh to the ingested messages of every dataset', () => {
    marts.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('Ingested') },
      FilterPolicy: { dataset: DATASETS.map((d) => d.name) },
    });
  });

  it('lets the refresh add and drop partitions of the database and write only marts/ and alerts/sent/ of the lake', () => {
    marts.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: martsId('BalanceAlerts/FunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith([
              'glue:BatchCreatePartition',
              'glue:BatchDeletePartition',
              'glue:GetPartitions',
            ]),
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', Match.arrayWith([':database/default'])] },
              { 'Fn::Join': ['', Match.arrayWith([':table/ledgerlake/*'])] },
            ]),
          }),
          Match.objectLike({
            Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
            Resource: Match.arrayWith([
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [martsId('LakeBucket'), 'Arn'] }, '/marts/*']] },
            ]),
          }),
        ]),
      },
    });
  });

  it('lets the views function create and drop tables and delete mart files only', () => {
    marts.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: martsId('Views/FunctionRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith([
              'glue:CreateTable',
              'glue:DeleteTable',
              'glue:GetDatabase',
              'glue:GetDatabases',
            ]),
          }),
          Match.objectLike({
            Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [martsId('LakeBucket'), 'Arn'] }, '/marts/*']] },
          }),
        ]),
      },
    });
  });
});

describe('alerts and operations', () => {
  it('encrypts every topic with the rotated customer-managed key that CloudWatch may use', () => {
    for (const topic of Object.values(template.findResources('AWS::SNS::Topic'))) {
      expect(topic.Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': [logicalId('Topics/TopicKey'), 'Arn'],
      });
    }
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('subscribes the alert email and the Slack notifier to the balance-alert topic', () => {
    const topic = { Ref: logicalId('Topics/BalanceAlerts') };
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: topic,
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: topic,
      Protocol: 'lambda',
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId('Topics/SlackDeadLetterQueue'), 'Arn'] },
      },
    });
  });

  it('gives the Slack notifier the secret name only, retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { SLACK_WEBHOOK_SECRET_ID: SECRET_NAME } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId('Topics/SlackDeadLetterQueue'), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([`:secret:${SECRET_NAME}-??????`])] },
          }),
        ]),
      },
    });
  });

  it('never puts a webhook URL in the template', () => {
    const json = JSON.stringify(template.toJSON());

    expect(json).not.toMatch(/hooks\.slack\.com|https:\/\/hooks\./);
    expect(json).not.toMatch(/WEBHOOK_URL/);
  });

  it.each([
    ['IngestDeadLetterQueueNotEmpty', 'ApproximateNumberOfMessagesVisible'],
    ['SlackDeadLetterQueueNotEmpty', 'ApproximateNumberOfMessagesVisible'],
    ['IngestErrors', 'Errors'],
    ['IngestThrottles', 'Throttles'],
    ['SlackNotifierErrors', 'Errors'],
  ])('sends %s alarm and OK notifications to the operations topic', (id, metricName) => {
    const topic = { Ref: logicalId('Topics/Operations') };
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(`Alarms/${id}`)]!;

    expect(alarm.Properties).toMatchObject({
      MetricName: metricName,
      AlarmActions: [topic],
      OKActions: [topic],
      Threshold: 1,
    });
  });

  it.each(DATASETS.map((dataset) => [dataset.name]))(
    'alarms when the quarantine share of %s exceeds the threshold',
    (name) => {
      const alarm =
        template.findResources('AWS::CloudWatch::Alarm')[logicalId(`Alarms/QuarantineShare-${name}`)]!;
      const dimensions = [
        { Name: 'dataset', Value: name },
        { Name: 'service', Value: 'ingest' },
      ];

      expect(alarm.Properties).toMatchObject({
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        OKActions: [{ Ref: logicalId('Topics/Operations') }],
      });
      expect(alarm.Properties.Metrics).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Expression: 'IF(readRows > 0, 100 * quarantinedRows / readRows, 0)' }),
          expect.objectContaining({
            Id: 'quarantinedRows',
            MetricStat: expect.objectContaining({
              Metric: { Namespace: 'Ledgerlake', MetricName: 'RowsQuarantined', Dimensions: dimensions },
            }),
          }),
        ]),
      );
    },
  );
});

describe('outputs', () => {
  it('prints ready-to-paste commands for landing a file and querying a KPI view', () => {
    const outputs = template.findOutputs('*');

    expect(JSON.stringify(outputs.DropFileCommand!.Value)).toContain('aws s3 cp ./transactions.csv s3://');
    expect(JSON.stringify(outputs.DropFileCommand!.Value)).toContain('/landing/transactions/');
    expect(outputs.QueryCommand!.Value).toBe(
      'aws athena start-query-execution --work-group ledgerlake --query-execution-context Database=ledgerlake ' +
        '--query-string "SELECT * FROM daily_kpis LIMIT 30"',
    );
    for (const name of [
      'LandingBucketName',
      'LakeBucketName',
      'GlueDatabaseName',
      'AthenaWorkGroupName',
      'BalanceAlertsTopicArn',
      'OperationsTopicArn',
    ]) {
      expect(outputs).toHaveProperty(name);
    }
  });
});
