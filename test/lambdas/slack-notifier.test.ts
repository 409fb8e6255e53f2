import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SlackDeliveryError, SlackWebhookSecretError } from '../../lambdas/shared/errors';
import { postToSlack, toSlackMessage, webhookUrlReader } from '../../lambdas/slack-notifier/slack-delivery';
import { deliverToSlack } from '../../lambdas/slack-notifier/slack-handler';

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

const snsRecord = (subject: string | null, message: string) => ({
  Sns: { Subject: subject, Message: message, MessageId: 'sns-1', TopicArn: 'arn:aws:sns:eu-west-1:1:alerts' },
});

describe('Slack notifier', () => {
  it('posts the SNS message as a Block Kit section to the webhook', async () => {
    const event = {
      Records: [snsRecord('Balance alert: 2 accounts', 'A1 100.00 -> 160.00 (+60%)')],
    } as unknown as SNSEvent;

    await deliverToSlack(event, { logger: new Logger(), webhookUrl: async () => url });

    expect(received).toEqual([
      {
        text: 'Balance alert: 2 accounts',
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*Balance alert: 2 accounts*\nA1 100.00 -> 160.00 (+60%)' },
          },
        ],
      },
    ]);
  });

  it.each([
    ['a 500', { status: 500 }],
    ['a 429 with Retry-After', { status: 429, headers: { 'retry-after': '2' } }],
  ])('retries after %s and succeeds on the next attempt', async (_case, failure) => {
    answers = [failure, { status: 200 }];
    const waits: number[] = [];

    const attempts = await postToSlack(url, toSlackMessage(snsRecord(null, 'hi')), {
      sleep: async (ms) => void waits.push(ms),
      random: () => 0.5,
    });

    expect(attempts).toBe(2);
    expect(received).toHaveLength(2);
    expect(waits).toEqual([failure.status === 429 ? 2000 : 250]);
  });

  it('gives up after the last attempt so the event goes to the dead-letter queue', async () => {
    answers = [{ status: 503 }, { status: 503 }, { status: 503 }];

    const delivery = postToSlack(url, toSlackMessage(snsRecord(null, 'hi')), {
      maxAttempts: 3,
      sleep: async () => undefined,
    });

    await expect(delivery).rejects.toThrow(SlackDeliveryError);
    await expect(delivery).rejects.toThrow('Slack delivery failed after 3 attempt(s): HTTP 503 error');
  });

  it('does not retry a 4xx other than 429', async () => {
    answers = [{ status: 404 }];

    await expect(
      postToSlack(url, toSlackMessage(snsRecord(null, 'hi')), { sleep: async () => undefined }),
    ).rejects.toThrow('HTTP 404 error (not retried: fix the payload or the URL)');
    expect(received).toHaveLength(1);
  });

  it('clips a long message to Slack section limit', () => {
    const message = toSlackMessage(snsRecord(null, 'x'.repeat(5000)));

    expect((message.blocks[0] as { text: { text: string } }).text.text).toHaveLength(3000);
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
