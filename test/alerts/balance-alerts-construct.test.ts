import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets/index';
import { BalanceAlerts, type BalanceAlertsProps } from '../../lib/constructs/balance-alerts';
import { SecureBucket } from '../../lib/constructs/secure-bucket';
import { FEATURE_FLAGS } from '../../lib/ledgerlake-app';

/** A stack holding the construct and stand-ins for what the ledgerlake stack passes it. */
function alertsStack(overrides: Partial<BalanceAlertsProps> = {}, options: { nag?: boolean } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-'));
  // No bundling: these tests look at the template, not the function's code.
  const app = new App({ outdir, context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'AlertsTest');
  const logs = new SecureBucket(stack, 'Logs', {});
  const lakeBucket = new SecureBucket(stack, 'Lake', { serverAccessLogsBucket: logs });
  const resultsBucket = new SecureBucket(stack, 'Results', { serverAccessLogsBucket: logs });
  const key = new Key(stack, 'TopicKey', { enableKeyRotation: true });
  const alertTopic = new Topic(stack, 'BalanceAlerts', { masterKey: key, enforceSSL: true });
  const ingestedTopic = new Topic(stack, 'Ingested', { masterKey: key, enforceSSL: true });
  const alerts = new BalanceAlerts(stack, 'Alerts', {
    lakeBucket,
    resultsBucket,
    workGroupName: 'ledgerlake',
    workGroupArn: 'arn:aws:athena:eu-west-1:123456789012:workgroup/ledgerlake',
    glue: {
      databaseName: 'ledgerlake',
      catalog: stack.formatArn({ service: 'glue', resource: 'catalog' }),
      database: stack.formatArn({ service: 'glue', resource: 'database', resourceName: 'ledgerlake' }),
      tables: stack.formatArn({ service: 'glue', resource: 'table', resourceName: 'ledgerlake/*' }),
    },
    alertTopic,
    ingestedTopic,
    logRetentionDays: 30,
    ...overrides,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, alerts, outdir };
}

describe('BalanceAlerts', () => {
  it('runs the alerts handler with the workgroup, database, lake bucket, topic and lookback in its environment', () => {
    const { stack } = alertsStack();

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Environment: {
        Variables: {
          ATHENA_WORKGROUP: 'ledgerlake',
          ATHENA_DATABASE: 'ledgerlake',
          LAKE_BUCKET: { Ref: Match.stringLikeRegexp('^Lake') },
          ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^BalanceAlerts') },
          LOOKBACK_DAYS: '3',
        },
      },
    });
  });

  it('subscribes to the ingested topic for every dataset (each one feeds a materialized model)', () => {
    const { stack } = alertsStack();

    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: { Ref: Match.stringLikeRegexp('^Ingested') },
      FilterPolicy: { dataset: DATASETS.map((dataset) => dataset.name) },
    });
  });

  it.each([
    ['the default daily 06:00 UTC', undefined, 'cron(0 6 * * ? *)'],
    ['a given', Schedule.cron({ minute: '30', hour: '4' }), 'cron(30 4 * * ? *)'],
  ])('runs on %s schedule', (_label, schedule, expression) => {
    const { stack } = alertsStack(schedule ? { schedule } : {});

    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: expression,
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
  });

  it('may query Athena in its workgroup only and write the lake under alerts/sent/ and marts/ only', () => {
    const { stack } = alertsStack();

    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [
              'athena:GetQueryExecution',
              'athena:GetQueryResults',
              'athena:StartQueryExecution',
              'athena:StopQueryExecution',
            ],
            Resource: 'arn:aws:athena:eu-west-1:123456789012:workgroup/ledgerlake',
          }),
          Match.objectLike({
            Action: Match.arrayWith(['s3:DeleteObject*', 's3:PutObject']),
            Resource: ['/alerts/sent/*', '/marts/*'].map((suffix) => ({
              'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Lake'), 'Arn'] }, suffix]],
            })),
          }),
          Match.objectLike({
            Action: 'sns:Publish',
            Resource: { Ref: Match.stringLikeRegexp('^BalanceAlerts') },
          }),
        ]),
      },
    });
  });

  it('rejects a lookback that is not a whole number of days, saying what to use', () => {
    expect(() => alertsStack({ lookbackDays: 0 })).toThrow(
      'BalanceAlerts Alerts: lookbackDays must be a whole number from 1 to 99, got 0; use e.g. 3',
    );
  });

  it('leaves no unacknowledged cdk-nag AwsSolutions finding on its resources', () => {
    const { app, outdir } = alertsStack({}, { nag: true });

    let synthError: unknown;
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));

    const findings = (
      report.pluginReports as {
        violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
      }[]
    )
      .flatMap((plugin) => plugin.violations)
      .flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} on ${c.constructPath}`))
      .filter((finding) => finding.includes(' on AlertsTest/Alerts/'));
    expect(findings).toEqual([]);
    expect(synthError).toBeUndefined();
  });
});
