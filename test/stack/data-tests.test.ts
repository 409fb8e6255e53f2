import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthSmallStack } from '../support/synth-stack';

let template: Template;
let logicalId: (path: string) => string;

beforeAll(() => {
  ({ template, logicalId } = synthSmallStack());
});

describe('the data tests on AWS', () => {
  it('runs a function with the sql/ it tests, the workgroup, database and operations topic', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Runs the data tests declared in sql/'),
      Timeout: 900,
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: {
          ATHENA_WORKGROUP: 'ledgerlake',
          ATHENA_DATABASE: 'ledgerlake',
          OPERATIONS_TOPIC_ARN: { Ref: logicalId('Topics/Operations') },
          QUERY_TIMEOUT_MS: '300000',
        },
      },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId('DataTests/DeadLetterQueue'), 'Arn'] } },
    });
  });

  it('runs daily at 06:30 UTC, after the 06:00 catch-up refresh of the marts', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 6 * * ? *)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId('DataTests/Function'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
  });

  it('may publish to the operations topic and query in the workgroup, and write nothing to the lake', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(logicalId('DataTests/FunctionRole')),
    );
    expect(policies).toHaveLength(1);
    const statements = policies[0]!.Properties.PolicyDocument.Statement as {
      Action: string | string[];
      Resource: unknown;
    }[];
    const actions = (s: (typeof statements)[number]) => [s.Action].flat();
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: logicalId('Topics/Operations') } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: [
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StartQueryExecution',
          'athena:StopQueryExecution',
        ],
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':workgroup/ledgerlake'])] },
      }),
    );
    const lake = JSON.stringify({ 'Fn::GetAtt': [logicalId('LakeBucket'), 'Arn'] });
    const writesToLake = statements.filter(
      (s) => actions(s).some((a) => /^s3:(Put|Delete)/.test(a)) && JSON.stringify(s.Resource).includes(lake),
    );
    expect(writesToLake).toEqual([]);
    // The check above can fail: the results bucket is written.
    const results = JSON.stringify({ 'Fn::GetAtt': [logicalId('AthenaResultsBucket'), 'Arn'] });
    expect(
      statements.some(
        (s) => actions(s).includes('s3:PutObject') && JSON.stringify(s.Resource).includes(results),
      ),
    ).toBe(true);
  });

  it.each([
    ['DataTestsErrors', 'Errors'],
    ['DataTestsDeadLetterQueueNotEmpty', 'ApproximateNumberOfMessagesVisible'],
  ])('sends the %s alarm to the operations topic', (id, metricName) => {
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId(`Alarms/${id}`)]!;
    expect(alarm.Properties).toMatchObject({
      MetricName: metricName,
      AlarmActions: [{ Ref: logicalId('Topics/Operations') }],
    });
  });
});
