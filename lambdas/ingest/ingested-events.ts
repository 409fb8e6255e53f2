import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/**
 * What one ingest batch changed in one dataset: the seam for everything that reacts to new data
 * (the balance-alerts function evaluates exactly these datasets and dates).
 */
export interface IngestedDataset {
  readonly dataset: string;
  /** Days (`YYYY-MM-DD`) that received valid rows, sorted. */
  readonly dates: readonly string[];
  /** Landing keys ingested in this batch, in processing order. */
  readonly sourceKeys: readonly string[];
  readonly rowsValid: number;
}

/** The JSON body of an "ingested" SNS message. */
export interface IngestedMessage extends IngestedDataset {
  readonly type: 'ledgerlake.ingested';
  readonly version: 1;
}

/**
 * A hook that publishes one message per dataset to the "ingested" topic. Each message carries the
 * `dataset` and `event` message attributes, so a subscriber can filter (e.g. the alerts function
 * subscribes with `{ "dataset": ["transactions"] }`).
 */
export function publishIngestedEvents(
  sns: Pick<SNSClient, 'send'>,
  topicArn: string,
): (datasets: readonly IngestedDataset[]) => Promise<void> {
  return async (datasets) => {
    for (const dataset of datasets) {
      const message: IngestedMessage = { type: 'ledgerlake.ingested', version: 1, ...dataset };
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: `ledgerlake: ${dataset.dataset} ingested`.slice(0, 100),
          Message: JSON.stringify(message),
          MessageAttributes: {
            dataset: { DataType: 'String', StringValue: dataset.dataset },
            event: { DataType: 'String', StringValue: 'ingested' },
          },
        }),
      );
    }
  };
}
