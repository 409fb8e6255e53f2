import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import { type PostOptions, postToSlack, toSlackMessage } from './slack-delivery';

export interface SlackHandlerDependencies {
  readonly logger: Logger;
  /** Returns the webhook URL (read from Secrets Manager at run time, cached). */
  readonly webhookUrl: () => Promise<string>;
  readonly post?: PostOptions;
}

/**
 * Posts every SNS record to Slack. Throws when a record cannot be delivered after the retries, so
 * Lambda's asynchronous retries and then the dead-letter queue take over.
 */
export async function deliverToSlack(event: SNSEvent, deps: SlackHandlerDependencies): Promise<void> {
  const url = await deps.webhookUrl();
  for (const record of event.Records) {
    const attempts = await postToSlack(url, toSlackMessage(record), deps.post);
    deps.logger.info('posted to Slack', {
      messageId: record.Sns.MessageId,
      topic: record.Sns.TopicArn,
      attempts,
    });
  }
}

/** The Lambda handler: `deliverToSlack` with the Lambda context in every log line. */
export function createSlackHandler(deps: SlackHandlerDependencies) {
  return middy<SNSEvent, void>((event: SNSEvent) => deliverToSlack(event, deps)).use(
    injectLambdaContext(deps.logger),
  );
}
