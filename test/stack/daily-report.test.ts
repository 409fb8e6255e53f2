import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { synthSmallStack } from '../support/synth-stack';

let template: Template;
let logicalId: (path: string) => string;

beforeAll(() => {
  ({ template, logicalId } = synthSmallStack());
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The statements of the policies attached to a role. */
function statementsOf(role: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(logicalId(role)))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
const actions = (s: Statement) => [s.Action].flat();
const lakeArn = () => JSON.stringify({ 'Fn::GetAtt': [logicalId('LakeBucket'), 'Arn'] });

describe('the daily dashboard on AWS (a step of the refresh-and-alerts function)', () => {
  it('is written by the function the daily 06:00 schedule runs, whose one reserved slot keeps refreshes apart', () => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId('BalanceAlerts/Function')]!;
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      ATHENA_WORKGROUP: 'ledgerlake',
      ATHENA_DATABASE: 'ledgerlake',
      LAKE_BUCKET: { Ref: logicalId('LakeBucket') },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId('BalanceAlerts/Function'), 'Arn'] } })],
    });
  });

  it('may put objects under reports/dashboard/ only, and delete none there', () => {
    const statements = statementsOf('BalanceAlerts/FunctionRole');
    const onReports = statements.filter((s) => JSON.stringify(s.Resource).includes('/reports/'));

    expect(onReports).toHaveLength(1);
    expect(actions(onReports[0]!)).toContain('s3:PutObject');
    expect(actions(onReports[0]!).filter((a) => /^s3:(Delete|Get|List)/.test(a))).toEqual([]);
    expect(JSON.stringify(onReports[0]!.Resource)).toBe(
      JSON.stringify({ 'Fn::Join': ['', [JSON.parse(lakeArn()), '/reports/dashboard/*']] }),
    );
    // Negative control: the same filter finds the marts' put grant, so it is not vacuous.
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes('/marts/*'))).not.toEqual([]);
  });

  it('gives no other function a write to the reports prefix', () => {
    const writers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('/reports/dashboard/*'),
    );

    expect(writers.map((policy) => JSON.stringify(policy.Properties.Roles))).toEqual([
      JSON.stringify([{ Ref: logicalId('BalanceAlerts/FunctionRole') }]),
    ]);
  });

  it('alarms to the operations topic when a run could not publish the page', () => {
    const alarm = template.findResources('AWS::CloudWatch::Alarm')[logicalId('Alarms/DailyReportFailed')]!;

    expect(alarm.Properties).toMatchObject({
      Namespace: 'Ledgerlake',
      MetricName: 'DailyReportFailures',
      Dimensions: [{ Name: 'service', Value: 'alerts' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: logicalId('Topics/Operations') }],
      OKActions: [{ Ref: logicalId('Topics/Operations') }],
    });
  });
});
