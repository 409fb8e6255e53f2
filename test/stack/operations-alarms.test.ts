import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createLedgerlakeApp } from '../../lib/ledgerlake-app';

// Schema validation and bundling run in the nag test; here they would only slow the synth down.
process.env.CDK_VALIDATION = 'false';
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const SECRET_NAME = 'ledgerlake/slack-webhook';
const MODELS = [{ name: 'stg_transactions', layer: 'staging', sql: 'select * from transactions' }];

function synth(context: Record<string, unknown> = {}) {
  const { stack } = createLedgerlakeApp({
    nag: false,
    outdir: mkdtempSync(join(tmpdir(), 'ledgerlake-cdk-')),
    context: { ...SKIP_BUNDLING, ...context },
    environment: {},
    today: new Date('2026-12-02T13:56:00Z'),
    stackProps: { models: MODELS },
  });
  const template = Template.fromStack(stack);
  const logicalId = (path: string) => {
    const construct = stack.node.findAll().find((candidate) => candidate.node.path === `Ledgerlake/${path}`);
    if (!construct) throw new Error(`no construct at ${path}`);
    return stack.getLogicalId(construct.node.defaultChild as never);
  };
  return { template, logicalId };
}

/** What CloudWatch must present to publish: this account, and an alarm of this account and region. */
const FROM_THIS_ACCOUNTS_ALARMS = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: {
    'aws:SourceArn': {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudwatch:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':alarm:*',
        ],
      ],
    },
  },
};

describe('operations notifications', () => {
  it("lets this account's CloudWatch alarms publish to the operations topic and still denies plain HTTP", () => {
    const { template, logicalId } = synth();
    const topic = { Ref: logicalId('Topics/Operations') };

    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topic],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: FROM_THIS_ACCOUNTS_ALARMS,
          },
        ]),
      },
    });
  });

  it("lets only this account's CloudWatch alarms use the topic key", () => {
    const { template } = synth();

    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowCloudWatchAlarmsToUseTheKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: FROM_THIS_ACCOUNTS_ALARMS,
          },
        ]),
      },
    });
  });

  it('subscribes opsEmail to the operations topic', () => {
    const { template, logicalId } = synth({ opsEmail: 'oncall@example.com' });

    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: logicalId('Topics/Operations') },
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('subscribes no email to the operations topic without opsEmail, even with alertEmail', () => {
    const { template, logicalId } = synth({ alertEmail: 'ops@example.com' });

    const emails = template.findResources('AWS::SNS::Subscription', {
      Properties: { TopicArn: { Ref: logicalId('Topics/Operations') }, Protocol: 'email' },
    });

    expect(emails).toEqual({});
  });

  it('subscribes the Slack notifier to the operations topic, with its dead-letter queue', () => {
    const { template, logicalId } = synth({ slackWebhookSecretName: SECRET_NAME });

    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: { Ref: logicalId('Topics/Operations') },
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [logicalId('Topics/SlackNotifier'), 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId('Topics/SlackDeadLetterQueue'), 'Arn'] },
      },
    });
  });

  it('gives every alarm OK actions equal to its alarm actions, both to the operations topic', () => {
    const { template, logicalId } = synth({ slackWebhookSecretName: SECRET_NAME });

    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId('Topics/Operations') }]);
      expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
    }
  });
});

describe('ingest queue redrive', () => {
  it('moves a message to the dead-letter queue after five receives by default', () => {
    const { template, logicalId } = synth();

    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId('Ingest/DeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });
});
