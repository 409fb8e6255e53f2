import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import {
  buildSlackMessage,
  notificationFromSns,
  postSlackMessage,
  type SlackPostOptions,
} from '../../src/alerts/slack';
import { alarmFromSnsMessage, buildAlarmSlackMessage } from './alarm-message';

/**
 * How the notifier posts: everything `postSlackMessage` takes except `deadLetter`. Without one a
 * message Slack refuses throws `SlackDeliveryError`, and the function's own dead-letter path (Lambda's
 * asynchronous retries, then the on-failure DLQ) keeps the original event for a replay.
 */
export type SlackNotifierPostOptions = Omit<SlackPostOptions, 'deadLetter'>;

export interface SlackHandlerDependencies {
  readonly logger: Logger;
  /** Returns the webhook URL (read from Secrets Manager at run time, cached). */
  readonly webhookUrl: () => Promise<string>;
  /** @default postSlackMessage's defaults */
  readonly post?: SlackNotifierPostOptions;
}

/**
 * Posts every SNS record to Slack: a balance alert as the same Block Kit message the local
 * `ledgerlake alerts --slack-webhook` sends, an alarm notification (CloudWatch's JSON, from the
 * operations topic) as its state, name, description and reason. Throws when a record cannot be
 * delivered after the retries, so Lambda's asynchronous retries and then the dead-letter queue take
 * over.
 *
 * @throws SlackDeliveryError (from src/alerts/errors) when Slack did not accept a record
 */
export async function deliverToSlack(event: SNSEvent, deps: SlackHandlerDependencies): Promise<void> {
  const url = await deps.webhookUrl();
  for (const record of event.Records) {
    const alarm = alarmFromSnsMessage(record.Sns.Message);
    const message =
      alarm === undefined
        ? buildSlackMessage(notificationFromSns(record.Sns))
        : buildAlarmSlackMessage(alarm);
    const { attempts } = await postSlackMessage(url, message, deps.post);
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
