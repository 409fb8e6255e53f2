import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets/index';
import { LedgerlakeFunction } from '../../lib/constructs/ledgerlake-function';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';
import { PROJECT_ROOT } from '../../lib/project-root';

// Issue 13: the S3 -> SQS guard, log retention and log group outputs, the SDK bundling choice, and
// docs/deploy.md against the synthesized template.
process.env.CDK_VALIDATION = 'false';
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const MODELS = [
  { name: 'stg_transactions', layer: 'staging', sql: 'select * from transactions' },
  { name: 'daily_kpis', layer: 'analytics', sql: 'select count(*) as n from stg_transactions' },
];

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
type Output = { Value: unknown };

let template: Template;
let resources: Record<string, Resource>;
let outputs: Record<string, Output>;

beforeAll(() => {
  // As docs/deploy.md deploys it: with the alert email and the Slack notifier.
  const { stack } = createLedgerlakeApp({
    nag: false,
    outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
    context: {
      ...SKIP_BUNDLING,
      alertEmail: 'ops@example.com',
      slackWebhookSecretName: 'ledgerlake/slack-webhook',
      projectionStartDate: '2024-03-01',
    },
    environment: {},
    stackProps: { models: MODELS },
  });
  template = Template.fromStack(stack);
  const json = template.toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, Output> };
  resources = json.Resources;
  outputs = json.Outputs;
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const logicalIdStartingWith = (prefix: string, type?: string) => {
  const found = Object.keys(resources).find(
    (id) => id.startsWith(prefix) && (type === undefined || resources[id]?.Type === type),
  );
  if (!found) throw new Error(`no ${type ?? 'resource'} whose logical id starts with ${prefix}`);
  return found;
};

describe('log retention with destroyOnRemoval', () => {
  it("gives CDK's bucket auto-delete function a log group with the configured retention too", () => {
    const { stack } = createLedgerlakeApp({
      nag: false,
      outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
      context: {
        ...SKIP_BUNDLING,
        destroyOnRemoval: true,
        logRetentionDays: 14,
        projectionStartDate: '2024-03-01',
      },
      environment: {},
      stackProps: { models: MODELS },
    });
    const json = Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> };
    const functions = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    const groups = new Map(
      Object.entries(json.Resources)
        .filter(([, r]) => r.Type === 'AWS::Logs::LogGroup')
        .map(([id, r]) => [id, r.Properties?.RetentionInDays]),
    );

    expect(functions.map(([id]) => id)).toContainEqual(expect.stringMatching(/^CustomS3AutoDeleteObjects/));
    for (const [id, fn] of functions) {
      const ref = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup
        ?.Ref;
      expect(ref, id).toBeDefined();
      expect(groups.get(ref!), id).toBe(14);
    }
  });
});

describe('landing queue policy', () => {
  it('lets S3 send to the ingest queue only for the landing bucket of this account', () => {
    const queue = logicalIdStartingWith('IngestQueue9');
    const landingBucket = logicalIdStartingWith('LandingBucket');

    const policies = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: { Queues: [{ Ref: queue }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) => (policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]) ?? [],
    );
    const fromS3 = statements.filter(
      (statement) => (statement.Principal as { Service?: string })?.Service === 's3.amazonaws.com',
    );

    expect(fromS3).toHaveLength(1);
    expect(fromS3[0]).toMatchObject({
      Effect: 'Allow',
      Action: expect.arrayContaining(['sqs:SendMessage']),
      Condition: {
        ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [landingBucket, 'Arn'] } },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      },
    });
  });
});

describe('log retention', () => {
  it('sends the logs of every function, the Provider framework and the notifications handler included, to a log group with the configured retention', () => {
    // logRetentionDays defaults to 30
    const retainedLogGroups = new Set(
      ofType('AWS::Logs::LogGroup')
        .filter(([, logGroup]) => logGroup.Properties?.RetentionInDays === 30)
        .map(([id]) => id),
    );
    const withoutRetention = ofType('AWS::Lambda::Function')
      .filter(([, fn]) => {
        const ref = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup
          ?.Ref;
        return ref === undefined || !retainedLogGroups.has(ref);
      })
      .map(([id]) => id);

    expect(ofType('AWS::Logs::LogGroup').map(([id]) => id)).toEqual([...retainedLogGroups]);

    // Every function, the reference data's BucketDeployment included, has a log group of ours.
    expect(withoutRetention).toEqual([]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'framework.onEvent',
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: logicalIdStartingWith('ViewsProviderLogs') } }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: {
        'Fn::GetAtt': [
          logicalIdStartingWith('BucketNotificationsHandler050a0587b7544547bf325f094a3db834Role'),
          'Arn',
        ],
      },
      LoggingConfig: { LogGroup: { Ref: logicalIdStartingWith('IngestNotificationsHandlerLogs') } },
    });
  });

  it('prints one stack output per log group, named <Function>LogGroupName', () => {
    const logGroupIds = ofType('AWS::Logs::LogGroup').map(([id]) => id);
    const logGroupOutputs = Object.entries(outputs).filter(([name]) => name.endsWith('LogGroupName'));

    for (const id of logGroupIds)
      expect(
        logGroupOutputs.filter(([, output]) => (output.Value as { Ref?: string }).Ref === id),
        `outputs naming ${id}`,
      ).toHaveLength(1);
    expect(logGroupOutputs).toHaveLength(logGroupIds.length);
    expect(outputs.IngestLogGroupName?.Value).toEqual({ Ref: logicalIdStartingWith('IngestFunctionLogs') });
  });
});

const installedVersion = (name: string): string =>
  (
    JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;

describe('AWS SDK bundling', () => {
  it('bundles the whole AWS SDK, lib-storage and the clients alike, and imports none from the runtime', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ledgerlake-bundle-'));
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Bundle');
    new LedgerlakeFunction(stack, 'Ingest', { entry: 'lambdas/ingest/handler.ts', logRetentionDays: 30 });
    app.synth();

    const [, fn] = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] ?? [];
    const bundle = readFileSync(join(outdir, String(fn?.Metadata?.['aws:asset:path']), 'index.mjs'), 'utf8');

    // (booleans and matches, not toContain: a failure would print the whole bundle)
    expect(bundle.includes('@aws-sdk/lib-storage: this instance of Upload has already executed')).toBe(true);
    expect(
      bundle.includes(`name:"@aws-sdk/client-s3",version:"${installedVersion('@aws-sdk/client-s3')}"`),
    ).toBe(true);
    expect(bundle.match(/(?:from|import\()\s*["']@(?:aws-sdk|smithy)\/[^"']+["']/g) ?? []).toEqual([]);
  }, 60_000);
});

describe('docs/deploy.md against the template', () => {
  const deployDoc = readFileSync(join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');

  it('states the number of alarms and their monthly cost the template has', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    // $0.10 per standard-resolution metric an alarm evaluates (a metric-math alarm pays per metric).
    const metrics = alarms.map(
      ([, alarm]) =>
        (
          (alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined) ?? [{ MetricStat: {} }]
        ).filter((metric) => metric.MetricStat).length,
    );
    const cost = (metrics.reduce((sum, count) => sum + count, 0) * 0.1).toFixed(2);

    const stated = /CloudWatch alarms \$(\d+\.\d\d) \((\d+) alarms/.exec(deployDoc);

    expect(stated, 'docs/deploy.md: "CloudWatch alarms $X.XX (N alarms"').not.toBeNull();
    expect({ cost: stated?.[1], alarms: Number(stated?.[2]) }).toEqual({ cost, alarms: alarms.length });
  });

  it('names only stack outputs the template has', () => {
    const named = [
      ...deployDoc.matchAll(/`(\w+)` output/g),
      ...deployDoc.matchAll(/<([A-Z]\w+(?:Name|Arn|Command))>/g),
      ...deployDoc.matchAll(/OutputKey=='(\w+)'/g),
    ].map((match) => match[1]);

    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((name) => !(name && name in outputs))).toEqual([]);
  });

  it('tails a log group from a stack output, not a made-up /aws/lambda name', () => {
    expect(deployDoc).not.toMatch(/aws logs tail \/aws\/lambda/);
    expect(deployDoc).toMatch(/aws logs tail "\$\w+" --follow/);
    expect(deployDoc).toContain("OutputKey=='IngestLogGroupName'");
  });

  it('lists every dataset as a landing folder', () => {
    const dropAFile = deployDoc.slice(deployDoc.indexOf('## Drop a file'), deployDoc.indexOf('## Query'));
    for (const { name } of DATASETS) expect(dropAFile, name).toContain(`\`${name}\``);
  });
});
