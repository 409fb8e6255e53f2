import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEventRecord } from 'aws-lambda';
import { SlackDeliveryError, SlackWebhookSecretError } from '../shared/errors';

/** A Slack message: fallback text plus Block Kit blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

/** Slack's limit for the text of a section block. */
const SECTION_TEXT_LIMIT = 3000;

/**
 * The SNS message as a simple Block Kit message: the subject as a header line and the body as a
 * section. (The alert digest's own Block Kit layout belongs to the balance alerts.)
 */
export function toSlackMessage(record: {
  readonly Sns: Pick<SNSEventRecord['Sns'], 'Message'> & { readonly Subject?: string | null };
}): SlackMessage {
  const subject = record.Sns.Subject ?? undefined;
  const body = record.Sns.Message;
  const text = subject ? `*${subject}*\n${body}` : body;
  const clipped = text.length <= SECTION_TEXT_LIMIT ? text : `${text.slice(0, SECTION_TEXT_LIMIT - 3)}...`;
  return {
    text: subject ?? body.slice(0, 150),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: clipped } }],
  };
}

/**
 * Reads the webhook URL from Secrets Manager: the secret string is the URL itself or JSON with a
 * `webhookUrl` (or `url`) field. Cached for `ttlMs` so a burst of alerts costs one read, and a
 * rotated URL is picked up within minutes without a redeploy.
 */
export function webhookUrlReader(
  secrets: Pick<SecretsManagerClient, 'send'>,
  secretId: string,
  options: { ttlMs?: number; now?: () => number } = {},
): () => Promise<string> {
  const ttl = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { url: string; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < ttl) return cached.url;
    let secretString: string | undefined;
    try {
      const output = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      secretString = output.SecretString;
    } catch (error) {
      throw new SlackWebhookSecretError(
        secretId,
        `could not be read (${(error as Error).name}): create it with ` +
          `aws secretsmanager create-secret --name ${secretId} --secret-string https://hooks.slack.com/services/...`,
        { cause: error },
      );
    }
    const url = parseWebhookSecret(secretId, secretString);
    cached = { url, at: now() };
    return url;
  };
}

function parseWebhookSecret(secretId: string, secretString: string | undefined): string {
  const raw = secretString?.trim() ?? '';
  let candidate = raw;
  if (raw.startsWith('{')) {
    try {
      const parsed = JSON.parse(raw) as { webhookUrl?: unknown; url?: unknown };
      candidate = String(parsed.webhookUrl ?? parsed.url ?? '');
    } catch (error) {
      throw new SlackWebhookSecretError(secretId, 'holds JSON that does not parse', { cause: error });
    }
  }
  if (!/^https?:\/\/\S+$/.test(candidate)) {
    // Never echo the value: it is a credential.
    throw new SlackWebhookSecretError(
      secretId,
      'does not hold a webhook URL (or JSON with a webhookUrl field)',
    );
  }
  return candidate;
}

export interface PostOptions {
  /** Attempts in all, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each retry, with full jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest single wait, also the cap on Slack's Retry-After. @default 10000 */
  readonly maxDelayMs?: number;
  /** @default setTimeout-based sleep */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Abort one request after this long (a hung connection counts as a network error). @default 10000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Posts a message to the webhook, retrying on 429 (after Slack's Retry-After) and on 5xx and network
 * errors (exponential backoff with full jitter). Other 4xx answers are not retried: the payload or the
 * URL is wrong and a retry would fail the same way.
 *
 * @throws SlackDeliveryError after the last attempt; the Lambda then fails, Lambda's async retries run,
 *   and the event ends in the function's dead-letter queue.
 */
export async function postToSlack(
  url: string,
  message: SlackMessage,
  options: PostOptions = {},
): Promise<number> {
  const maxAttempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 500;
  const cap = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const send = options.fetch ?? fetch;
  let lastStatus: number | undefined;
  let lastProblem = '';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const response = await send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      });
      lastStatus = response.status;
      const answer = await response.text();
      if (response.ok) return attempt;
      lastProblem = `HTTP ${response.status} ${answer.slice(0, 200)}`;
      if (response.status !== 429 && response.status < 500) {
        throw new SlackDeliveryError(
          attempt,
          response.status,
          `${lastProblem} (not retried: fix the payload or the URL)`,
        );
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      if (response.status === 429 && Number.isFinite(retryAfter) && retryAfter >= 0)
        retryAfterMs = retryAfter * 1000;
    } catch (error) {
      if (error instanceof SlackDeliveryError) throw error;
      lastStatus = undefined;
      lastProblem = `network error: ${(error as Error).message}`;
    }
    if (attempt < maxAttempts) {
      const backoff = random() * Math.min(cap, base * 2 ** (attempt - 1));
      await sleep(Math.min(cap, retryAfterMs ?? backoff));
    }
  }
  throw new SlackDeliveryError(maxAttempts, lastStatus, lastProblem);
}
