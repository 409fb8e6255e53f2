import { randomUUID } from 'node:crypto';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { ObjectStore } from '../storage/object-store';
import { buildSlackMessage, postSlackMessage, type SlackDeadLetter, type SlackPostOptions } from './slack';
import type { AlertDigest, AlertNotification, AlertPublisher } from './types';

/** The one SNS client method the publisher calls; an `SNSClient` fits, and so does a test double. */
export type SnsSend = Pick<SNSClient, 'send'>;

/**
 * Publishes alerts to the balance-alert SNS topic: the subject and plain-text body reach email
 * subscribers as they are; the message attributes (rule, severity, model, metric, day, revision) let
 * subscriptions filter, e.g. a pager only for `severity = critical`. The Slack notifier Lambda,
 * subscribed to the same topic, turns the notification into Block Kit.
 */
export class SnsAlertPublisher implements AlertPublisher {
  readonly name: string;

  constructor(
    private readonly client: SnsSend,
    private readonly topicArn: string,
  ) {
    this.name = `sns:${topicArn}`;
  }

  async publish(notification: AlertNotification): Promise<void> {
    // Loaded on first use: the CLI's console publisher never pays for the AWS SDK.
    const { PublishCommand } = await import('@aws-sdk/client-sns');
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notification.subject,
        Message: notification.text,
        MessageAttributes: Object.fromEntries(
          Object.entries(notification.attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
  }
}

/** Prints each alert as an email would show it; the local default. */
export class ConsolePublisher implements AlertPublisher {
  readonly name = 'console';

  constructor(private readonly write: (text: string) => void = (text) => process.stdout.write(text)) {}

  async publish(notification: AlertNotification): Promise<void> {
    this.write(
      `${notification.subject}\n${'-'.repeat(Math.min(notification.subject.length, 100))}\n${notification.text}\n`,
    );
  }
}

/**
 * Keeps each digest, with its notification's subject and attributes, instead of delivering it: what
 * the CLI's `--json` prints as the alerts sent.
 */
export class CollectingPublisher implements AlertPublisher {
  readonly name = 'json';
  readonly sent: Record<string, unknown>[] = [];

  async publish(notification: AlertNotification, digest: AlertDigest): Promise<void> {
    this.sent.push({ subject: notification.subject, attributes: notification.attributes, ...digest });
  }
}

/**
 * Posts each alert's Slack payload to an incoming webhook, with the poster's retries and backoff. A
 * message Slack never takes goes to `deadLetter` (the CLI parks it in the lake); the alert then
 * counts as handled, since retrying it on every run would not help.
 */
export class WebhookPublisher implements AlertPublisher {
  readonly name: string;

  constructor(
    private readonly webhookUrl: string,
    private readonly options: SlackPostOptions = {},
  ) {
    this.name = `slack webhook ${new URL(webhookUrl).host}`;
  }

  async publish(notification: AlertNotification): Promise<void> {
    await postSlackMessage(this.webhookUrl, buildSlackMessage(notification), this.options);
  }
}

/** Sends every alert to each publisher in turn (e.g. the console and Slack). */
export class FanOutPublisher implements AlertPublisher {
  readonly name: string;

  constructor(private readonly publishers: readonly AlertPublisher[]) {
    this.name = publishers.map((p) => p.name).join(' + ');
  }

  async publish(notification: AlertNotification, digest: AlertDigest): Promise<void> {
    for (const publisher of this.publishers) await publisher.publish(notification, digest);
  }
}

/** Lake folder where undeliverable Slack messages are parked locally. */
export const SLACK_DEAD_LETTER_PREFIX = 'alerts/dead-letter/slack/';

/** A dead-letter sink writing each undelivered Slack message as JSON under `alerts/dead-letter/slack/`. */
export function storeDeadLetter(store: ObjectStore): (letter: SlackDeadLetter) => Promise<void> {
  return async (letter) => {
    const key = `${SLACK_DEAD_LETTER_PREFIX}${letter.failedAt.replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.json`;
    await store.put(key, JSON.stringify(letter, null, 2), { contentType: 'application/json' });
  };
}
