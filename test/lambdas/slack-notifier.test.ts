import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlackWebhookSecretError } from '../../lambdas/shared/errors';
import { deliverToSlack } from '../../lambdas/slack-notifier/slack-handler';
import { webhookUrlReader } from '../../lambdas/slack-notifier/webhook-secret';
import { SlackDeliveryError } from '../../src/alerts/errors';

/** A local HTTP server standing in for Slack: answers each POST with the next scripted status. */
let server: Server;
let url: string;
let answers: { status: number; headers?: Record<string, string> }[];
let received: unknown[];

beforeEach(async () => {
  answers = [];
  received = [];
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push(JSON.parse(body));
      const answer = answers.shift() ?? { status: 200 };
      response.writeHead(answer.status, answer.headers);
      response.end(answer.status === 200 ? 'ok' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T/B/X`;
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const TOPIC = 'arn:aws:sns:eu-west-1:1:balance-alerts';

/** An SNS event as the balance-alerts topic delivers it: Subject, Message and MessageAttributes. */
const alertEvent = (): SNSEvent =>
  ({
    Records: [
      {
        Sns: {
          MessageId: 'sns-1',
          TopicArn: TOPIC,
          Subject: 'Balance alert: 2 accounts',
          Message: 'A1 100.00 -> 160.00 (+60%)',
          MessageAttributes: {
            rule: { Type: 'String', Value: 'balance_jump' },
            severity: { Type: 'String', Value: 'critical' },
            model: { Type: 'String', Value: 'fct_account_balance' },
          },
        },
      },
    ],
  }) as unknown as SNSEvent;

const noWait = { sleep: async () => undefined };

/** An SNS event as the operations topic delivers it: CloudWatch's alarm JSON as the message. */
const alarmEvent = (newState: string, oldState: string): SNSEvent =>
  ({
    Records: [
      {
        Sns: {
          MessageId: 'sns-2',
          TopicArn: 'arn:aws:sns:eu-west-1:1:operations',
          Subject: `${newState}: "Ledgerlake-AlarmsIngestErrors" in EU (Ireland)`,
          Message: JSON.stringify({
            AlarmName: 'Ledgerlake-AlarmsIngestErrors',
            AlarmDescription: 'The Ingest function failed.',
            AWSAccountId: '111111111111',
            NewStateValue: newState,
            NewStateReason: `Threshold Crossed: 1 datapoint [2.0] (${oldState} -> ${newState}).`,
            StateChangeTime: '2026-12-02T15:05:00.000+0000',
            Region: 'EU (Ireland)',
            AlarmArn: 'arn:aws:cloudwatch:eu-west-1:111111111111:alarm:Ledgerlake-AlarmsIngestErrors',
            OldStateValue: oldState,
            Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 },
          }),
          MessageAttributes: {},
        },
      },
    ],
  }) as unknown as SNSEvent;

describe('Slack notifier', () => {
  it('posts the alert to the webhook as the Block Kit message of the balance alerts', async () => {
    const event = alertEvent();

    await deliverToSlack(event, { logger: new Logger(), webhookUrl: async () => url });

    expect(received).toEqual([
      {
        text: ':rotating_light: Balance alert: 2 accounts',
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: 'Balance alert: 2 accounts', emoji: true } },
          { type: 'section', text: { type: 'mrkdwn', text: '```\nA1 100.00 -> 160.00 (+60%)\n```' } },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: ':rotating_light: rule *balance_jump* | severity *critical* | model `fct_account_balance`',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('posts an alarm notification as its state, name, description and reason, not as raw JSON', async () => {
    const event = alarmEvent('ALARM', 'OK');

    await deliverToSlack(event, { logger: new Logger(), webhookUrl: async () => url });

    expect(received).toEqual([
      {
        text: ':rotating_light: ALARM: Ledgerlake-AlarmsIngestErrors',
        blocks: [
          {
            type: 'header',
            text: { type: 'plain_text', text: 'ALARM: Ledgerlake-AlarmsIngestErrors', emoji: true },
          },
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: 'The Ingest function failed.\n_Threshold Crossed: 1 datapoint [2.0] (OK -&gt; ALARM)._',
            },
          },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text:
                  ':rotating_light: OK → *ALARM* | EU (Ireland) | account 111111111111 | ' +
                  '2026-12-02T15:05:00.000+0000',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('marks the return to OK with a check mark', async () => {
    await deliverToSlack(alarmEvent('OK', 'ALARM'), { logger: new Logger(), webhookUrl: async () => url });

    expect(received).toMatchObject([{ text: ':white_check_mark: OK: Ledgerlake-AlarmsIngestErrors' }]);
  });

  it('logs how many attempts the delivery took', async () => {
    answers = [{ status: 500 }, { status: 200 }];
    const logger = new Logger();
    const info = vi.spyOn(logger, 'info');

    await deliverToSlack(alertEvent(), { logger, webhookUrl: async () => url, post: noWait });

    expect(received).toHaveLength(2);
    expect(info).toHaveBeenCalledWith('posted to Slack', { messageId: 'sns-1', topic: TOPIC, attempts: 2 });
  });

  it('throws after the last attempt so Lambda retries and the event goes to the dead-letter queue', async () => {
    answers = [{ status: 503 }, { status: 503 }, { status: 503 }];

    const delivery = deliverToSlack(alertEvent(), {
      logger: new Logger(),
      webhookUrl: async () => url,
      post: { ...noWait, maxAttempts: 3 },
    });

    await expect(delivery).rejects.toThrow(SlackDeliveryError);
    await expect(delivery).rejects.toThrow(
      'Slack did not accept the alert after 3 attempt(s): HTTP 503 error',
    );
    expect(received).toHaveLength(3);
  });

  it('does not retry a 400: the payload or the webhook is wrong and a retry would fail the same way', async () => {
    answers = [{ status: 400 }];

    const delivery = deliverToSlack(alertEvent(), {
      logger: new Logger(),
      webhookUrl: async () => url,
      post: noWait,
    });

    await expect(delivery).rejects.toThrow(
      'Slack did not accept the alert after 1 attempt(s): HTTP 400 error',
    );
    expect(received).toHaveLength(1);
  });
});

describe('webhook URL from Secrets Manager', () => {
  const secrets = (secretString: string | undefined) => {
    const requests: unknown[] = [];
    return {
      requests,
      client: {
        send: (async (command: GetSecretValueCommand) => {
          requests.push(command.input);
          return { SecretString: secretString };
        }) as never,
      },
    };
  };

  it.each([
    ['the URL itself', 'https://hooks.slack.com/services/T/B/X'],
    ['JSON with webhookUrl', '{"webhookUrl":"https://hooks.slack.com/services/T/B/X"}'],
  ])('reads a secret holding %s and caches it', async (_case, secretString) => {
    const { client, requests } = secrets(secretString);
    const read = webhookUrlReader(client, 'ledgerlake/slack', { now: () => 0 });

    expect(await read()).toBe('https://hooks.slack.com/services/T/B/X');
    expect(await read()).toBe('https://hooks.slack.com/services/T/B/X');
    expect(requests).toEqual([{ SecretId: 'ledgerlake/slack' }]);
  });

  it('fails without echoing a secret that is not a URL', async () => {
    const { client } = secrets('hunter2');

    const read = webhookUrlReader(client, 'ledgerlake/slack')();

    await expect(read).rejects.toThrow(SlackWebhookSecretError);
    await expect(read).rejects.not.toThrow('hunter2');
  });
});
