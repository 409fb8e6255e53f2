import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_METRICS, METRICS_NAMESPACE, SERVICES } from '../../lambdas/shared/observability';

export interface OperationsAlarmsProps {
  /** Topic receiving every alarm and OK notification. */
  readonly topic: ITopic;
  /** Dead-letter queues: any visible message is an alarm. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  /** Functions watched for errors and throttles. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /**
   * Failures a function counts itself without failing its invocation (e.g. the daily dashboard):
   * alarm id -> the metric (a Sum; 1 or more is an alarm) and what to do.
   * @default - none
   */
  readonly countedFailures?: Readonly<
    Record<string, { readonly metric: IMetric; readonly description: string }>
  >;
  /** Datasets whose quarantine share is watched. */
  readonly datasets: readonly string[];
  /** Percent of rows read (per dataset, per hour) above which the quarantine alarm fires. */
  readonly quarantineThresholdPercent: number;
}

/**
 * Alarms with alarm and OK actions to the operations topic: dead-letter queues not empty, Lambda
 * errors and throttles, failures a function counts itself (`countedFailures`), and a dataset's quarantine share (RowsQuarantined / RowsRead from the ingest
 * function's metrics, by metric math) above the threshold.
 */
export class OperationsAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: OperationsAlarmsProps) {
    super(scope, id);
    const action = new SnsAction(props.topic);
    const add = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      description: string,
      comparison?: ComparisonOperator,
    ) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        `${name}NotEmpty`,
        queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `Messages in the ${name} dead-letter queue: inspect them, fix the cause, then redrive (docs/deploy.md).`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(5) }),
        1,
        `The ${name} function failed.`,
      );
      add(
        `${name}Throttles`,
        fn.metricThrottles({ period: Duration.minutes(5) }),
        1,
        `The ${name} function was throttled: raise its concurrency or the account limit.`,
      );
    }
    for (const [name, failure] of Object.entries(props.countedFailures ?? {})) {
      add(name, failure.metric, 1, failure.description);
    }
    for (const dataset of props.datasets) {
      const metric = (metricName: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service: SERVICES.ingest, dataset },
          statistic: 'Sum',
          period: Duration.hours(1),
        });
      const share = new MathExpression({
        expression: 'IF(readRows > 0, 100 * quarantinedRows / readRows, 0)',
        usingMetrics: {
          quarantinedRows: metric(INGEST_METRICS.rowsQuarantined),
          readRows: metric(INGEST_METRICS.rowsRead),
        },
        label: `${dataset} quarantine share (%)`,
        period: Duration.hours(1),
      });
      add(
        `QuarantineShare-${dataset}`,
        share,
        props.quarantineThresholdPercent,
        `More than ${props.quarantineThresholdPercent}% of the ${dataset} rows ingested in the last hour were quarantined: ` +
          'query the quarantine table for the rules broken.',
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      );
    }
  }
}
