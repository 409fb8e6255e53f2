import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { renderDigest } from '../../src/alerts/digest';
import { SlackDeliveryError } from '../../src/alerts/errors';
import { SnsAlertPublisher, type SnsSend, WebhookPublisher } from '../../src/alerts/publishers';
import {
  buildSlackMessage,
  notificationFromSns,
  postSlackMessage,
  type SlackDeadLetter,
} from '../../src/alerts/slack';
import type { AlertDigest } from '../../src/alerts/types';
import { entry } from './support';

const DIGEST: AlertDigest = {
  rule: 'account_balance_move',
  severity: 'warning',
  model: 'fact_account_daily_balance',
  entityKey: 'account_id',
  metric: 'closing_balance',
  day: '2024-06-02',
  description: 'Account closing balance moved by half or more in a day',
  thresholdRate: 0.5,
  direction: 'both',
  entries: [
    entry({}),
    entry({
      entityId: 'acct-2',
      previousBalance: 0,
      currentBalance: 1500,
      change: 1500,
      changeRate: null,
      isFromZero: true,
    }),
    entry({
      entityId: 'acct-3',
      previousBalance: 250,
      currentBalance: -40,
      change: -290,
      changeRate: -1.16,
      isSignFlip: true,
    }),
  ],
};

describe('renderDigest', () => {
  it('writes a subject to triage from and the entities sorted by the size of their move', () => {
    const notification = renderDigest(DIGEST);

    expect(notification.subject).toBe(
      '[WARNING] account_balance_move 2024-06-02: 3 accounts moved, top acct-2 from 0 to 1,500.00',
    );
    expect(notification.text.split('\n').slice(7, 12)).toEqual([
      '3 accounts breached, largest move first:',
      '',
      '  account_id  previous       new     change     rate  note',
      '  acct-2          0.00  1,500.00  +1,500.00   from 0  from zero',
      '  acct-3        250.00    -40.00    -290.00  -116.0%  sign flip: positive to negative',
    ]);
    expect(notification.attributes).toEqual({
      rule: 'account_balance_move',
      severity: 'warning',
      model: 'fact_account_daily_balance',
      metric: 'closing_balance',
      day: '2024-06-02',
      revision: 'false',
    });
  });

  it('marks a digest with a corrected balance as a revision', () => {
    const notification = renderDigest({ ...DIGEST, entries: [entry({ revision: true })] });

    expect(notification.subject).toBe(
      '[WARNING] account_balance_move 2024-06-02: 1 account moved (revised), top acct-1 +60.0%',
    );
    expect(notification.text).toContain('REVISION:');
    expect(notification.attributes.revision).toBe('true');
  });

  it('keeps the subject within SNS’s 100 ASCII characters', () => {
    const notification = renderDigest({
      ...DIGEST,
      rule: 'r'.repeat(80),
      entries: [entry({ entityId: 'Zürich-ä' })],
    });

    expect(notification.subject).toHaveLength(100);
    expect(notification.subject).toMatch(/^[\x20-\x7e]+\.\.\.$/);
  });
});

describe('SnsAlertPublisher', () => {
  it('publishes the subject, the plain text and the attributes to the topic', async () => {
    const sent: { command: string; input: unknown }[] = [];
    const client = {
      send: async (command: { constructor: { name: string }; input: unknown }) => {
        sent.push({ command: command.constructor.name, input: command.input });
        return { MessageId: 'm-1' };
      },
    } as unknown as SnsSend;
    const notification = renderDigest(DIGEST);

    await new SnsAlertPublisher(client, 'arn:aws:sns:eu-west-1:123456789012:balance-alerts').publish(
      notification,
    );

    expect(sent).toEqual([
      {
        command: 'PublishCommand',
        input: {
          TopicArn: 'arn:aws:sns:eu-west-1:123456789012:balance-alerts',
          Subject: notification.subject,
          Message: notification.text,
          MessageAttributes: {
            rule: { DataType: 'String', StringValue: 'account_balance_move' },
            severity: { DataType: 'String', StringValue: 'warning' },
            model: { DataType: 'String', StringValue: 'fact_account_daily_balance' },
            metric: { DataType: 'String', StringValue: 'closing_balance' },
            day: { DataType: 'String', StringValue: '2024-06-02' },
            revision: { DataType: 'String', StringValue: 'false' },
          },
        },
      },
    ]);
  });
});

describe('Slack delivery', () => {
  /** A stand-in for Slack's webhook on 127.0.0.1 that answers from a script and keeps every body. */
  let server: Server | undefined;
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  });

  async function slackServer(
    answers: readonly { status: number; headers?: Record<string, string>; body?: string }[],
  ) {
    const received: unknown[] = [];
    server = createServer(async (request: IncomingMessage, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      received.push(JSON.parse(body));
      const answer = answers[Math.min(received.length - 1, answers.length - 1)]!;
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.body ?? (answer.status === 200 ? 'ok' : 'error'));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/services/T000/B000/XXXX`, received };
  }

  it('delivers the Block Kit payload built from the notification', async () => {
    const slack = await slackServer([{ status: 200 }]);
    const notification = renderDigest(DIGEST);

    await new WebhookPublisher(slack.url).publish(notification);

    expect(slack.received).toEqual([
      {
        text: `:warning: ${notification.subject}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: notification.subject, emoji: true } },
          {
            type: 'section',
            text: { type: 'mrkdwn', text: `\`\`\`\n${notification.text.trimEnd()}\n\`\`\`` },
          },
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text: ':warning: rule *account_balance_move* | severity *warning* | model `fact_account_daily_balance`',
              },
            ],
          },
        ],
      },
    ]);
  });

  it('retries on 500 and on 429, waiting what Retry-After says, then delivers', async () => {
    const slack = await slackServer([
      { status: 500 },
      { status: 429, headers: { 'retry-after': '2' }, body: 'rate_limited' },
      { status: 200 },
    ]);
    const waits: number[] = [];

    const result = await postSlackMessage(slack.url, buildSlackMessage(renderDigest(DIGEST)), {
      baseDelayMs: 100,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

    expect(result).toEqual({ delivered: true, attempts: 3, deadLettered: false });
    expect(slack.received).toHaveLength(3);
    expect(waits).toEqual([100, 2000]);
  });

  it('gives up after the last attempt and hands the message to the dead-letter path', async () => {
    const slack = await slackServer([{ status: 503 }]);
    const letters: SlackDeadLetter[] = [];
    const waits: number[] = [];
    const message = buildSlackMessage(renderDigest(DIGEST));

    const result = await postSlackMessage(slack.url, message, {
      maxAttempts: 4,
      baseDelayMs: 100,
      sleep: async (ms) => {
        waits.push(ms);
      },
      deadLetter: async (letter) => {
        letters.push(letter);
      },
    });

    expect(result).toEqual({ delivered: false, attempts: 4, deadLettered: true });
    expect(waits).toEqual([100, 200, 400]);
    expect(letters).toEqual([
      {
        message,
        attempts: 4,
        lastStatus: 503,
        reason: 'Slack did not accept the alert after 4 attempt(s): HTTP 503 error',
        failedAt: expect.any(String),
      },
    ]);
  });

  it('does not retry an answer that cannot change (400 invalid_payload)', async () => {
    const slack = await slackServer([{ status: 400, body: 'invalid_payload' }]);

    const error = await postSlackMessage(slack.url, buildSlackMessage(renderDigest(DIGEST)), {
      sleep: async () => {},
    }).catch((e: unknown) => e);

    expect(slack.received).toHaveLength(1);
    expect(error).toBeInstanceOf(SlackDeliveryError);
    expect((error as SlackDeliveryError).message).toBe(
      'Slack did not accept the alert after 1 attempt(s): HTTP 400 invalid_payload',
    );
  });

  it('builds the same payload from the SNS record the Slack notifier receives', () => {
    const notification = renderDigest(DIGEST);
    const record = {
      Subject: notification.subject,
      Message: notification.text,
      MessageAttributes: Object.fromEntries(
        Object.entries(notification.attributes).map(([name, value]) => [
          name,
          { Type: 'String', Value: value },
        ]),
      ),
    };

    expect(buildSlackMessage(notificationFromSns(record))).toEqual(buildSlackMessage(notification));
  });
});
