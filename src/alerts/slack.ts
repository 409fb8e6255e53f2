/**
 * Slack delivery, shared by the Slack notifier Lambda (which receives the SNS notification) and the
 * local `ledgerlake alerts --slack-webhook` (which has the digest): both build the payload from the
 * same `AlertNotification`, so Slack shows the same message in AWS and locally.
 */
import { SlackDeliveryError } from './errors';
import type { AlertNotification } from './types';

/** Slack's limits: header text 150 characters, section text 3000. */
const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;

/** A Slack message: fallback text for notifications plus Block Kit blocks. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const SEVERITY_EMOJI: Readonly<Record<string, string>> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

/**
 * Block Kit payload for an alert: a header with the subject, the digest's plain text in a code block
 * (its table stays aligned in Slack's monospace font; cut at Slack's 3000-character limit with a
 * count of the lines left out), and a context line with rule, severity and model.
 */
export function buildSlackMessage(notification: AlertNotification): SlackMessage {
  const { subject, text, attributes } = notification;
  const emoji = SEVERITY_EMOJI[attributes.severity ?? ''] ?? ':bell:';
  const context = [
    attributes.rule === undefined ? undefined : `rule *${attributes.rule}*`,
    attributes.severity === undefined ? undefined : `severity *${attributes.severity}*`,
    attributes.model === undefined ? undefined : `model \`${attributes.model}\``,
    attributes.revision === 'true' ? '*revision*' : undefined,
  ].filter((part): part is string => part !== undefined);
  return {
    text: `${emoji} ${subject}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: truncate(subject, HEADER_LIMIT), emoji: true } },
      { type: 'section', text: { type: 'mrkdwn', text: codeBlock(text) } },
      ...(context.length === 0
        ? []
        : [{ type: 'context', elements: [{ type: 'mrkdwn', text: `${emoji} ${context.join(' | ')}` }] }]),
    ],
  };
}

/**
 * The notification carried by an SNS record (the shape the Slack notifier Lambda receives):
 * `Subject`, `Message` and `MessageAttributes` as `{ Type, Value }`.
 */
export function notificationFromSns(sns: {
  readonly Subject?: string | null;
  readonly Message: string;
  readonly MessageAttributes?: Readonly<Record<string, { readonly Type?: string; readonly Value?: string }>>;
}): AlertNotification {
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(sns.MessageAttributes ?? {})) {
    if (attribute.Value !== undefined) attributes[name] = attribute.Value;
  }
  const subject = sns.Subject ?? sns.Message.split('\n', 1)[0] ?? 'ledgerlake alert';
  return { subject, text: sns.Message, attributes };
}

/** A message Slack did not take, handed to the dead-letter path with why. */
export interface SlackDeadLetter {
  readonly message: SlackMessage;
  readonly attempts: number;
  /** HTTP status of the last answer, undefined when the last attempt failed on the network. */
  readonly lastStatus: number | undefined;
  readonly reason: string;
  readonly failedAt: string;
}

export interface SlackPostOptions {
  /** Attempts before giving up (the first try included). @default 5 */
  readonly maxAttempts?: number;
  /** Wait before the second attempt; doubled after each failure. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest wait between attempts, also the cap on a Retry-After. @default 30000 */
  readonly maxDelayMs?: number;
  /** Time allowed for one request. @default 10000 */
  readonly requestTimeoutMs?: number;
  /**
   * Where a message goes after the last failed attempt (an SQS queue, a lake folder). Without one
   * the poster throws `SlackDeliveryError`, so the caller's own dead-letter path takes over (for an
   * SNS-invoked Lambda: its on-failure destination).
   * @default - throw
   */
  readonly deadLetter?: (letter: SlackDeadLetter) => Promise<void>;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface SlackPostResult {
  readonly delivered: boolean;
  readonly attempts: number;
  /** True when the message was handed to `deadLetter`. */
  readonly deadLettered: boolean;
}

/**
 * Posts a message to a Slack incoming webhook. Retries on 429 (waiting what Retry-After says), on
 * 5xx and on network errors, with exponential backoff; other 4xx answers (a bad payload, a revoked
 * webhook) cannot succeed on retry and go to the dead-letter path at once.
 *
 * @throws SlackDeliveryError when the message was not delivered and no `deadLetter` is given
 */
export async function postSlackMessage(
  webhookUrl: string,
  message: SlackMessage,
  options: SlackPostOptions = {},
): Promise<SlackPostResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = options.fetch ?? globalThis.fetch;
  const body = JSON.stringify(message);
  let delay = options.baseDelayMs ?? 500;
  let lastStatus: number | undefined;
  let reason = '';
  let attempts = 0;
  while (attempts < maxAttempts) {
    attempts++;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      });
      const answer = await response.text();
      if (response.ok) return { delivered: true, attempts, deadLettered: false };
      lastStatus = response.status;
      reason = `HTTP ${response.status}${answer ? ` ${answer.slice(0, 200)}` : ''}`;
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable) break;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      lastStatus = undefined;
      reason = `network error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (attempts >= maxAttempts) break;
    await sleep(Math.min(retryAfterMs ?? delay, maxDelayMs));
    delay = Math.min(delay * 2, maxDelayMs);
  }

  const summary = `Slack did not accept the alert after ${attempts} attempt(s): ${reason}`;
  if (!options.deadLetter) throw new SlackDeliveryError(summary, attempts, lastStatus);
  await options.deadLetter({
    message,
    attempts,
    lastStatus,
    reason: summary,
    failedAt: new Date().toISOString(),
  });
  return { delivered: false, attempts, deadLettered: true };
}

/** Retry-After in seconds (Slack's form) or as an HTTP date; undefined when absent or unreadable. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function codeBlock(text: string): string {
  const fence = '```';
  const room = SECTION_LIMIT - 2 * fence.length - 2;
  return `${fence}\n${truncate(fitLines(text.trimEnd().split('\n'), room), room)}\n${fence}`;
}

/**
 * The text's lines within `room` characters. Table rows (the indented lines after the table's
 * header) are cut first, from the smallest move up, so what follows the table (how many more there
 * are, the query to see them all, a revision note) still shows; only when that is not enough are
 * lines cut from the end.
 */
function fitLines(lines: readonly string[], room: number): string {
  const joined = lines.join('\n');
  if (joined.length <= room) return joined;
  const header = lines.findIndex((line) => line.startsWith('  '));
  let end = header + 1;
  while (header >= 0 && end < lines.length && lines[end]!.startsWith('  ')) end++;
  const rows = end - header - 1;
  if (rows > 0) {
    const head = lines.slice(0, header + 1);
    const tail = lines.slice(end);
    // Rows are added while the head, the kept rows, a marker line and the tail fit.
    const marker = (left: number) => `  ... ${left} more row(s) in the email`;
    let length = [...head, marker(rows), ...tail].join('\n').length;
    if (length <= room) {
      let kept = 0;
      while (kept < rows - 1) {
        const next =
          length +
          lines[header + 1 + kept]!.length +
          1 +
          String(rows - kept - 1).length -
          String(rows - kept).length;
        if (next > room) break;
        length = next;
        kept++;
      }
      return [...head, ...lines.slice(header + 1, header + 1 + kept), marker(rows - kept), ...tail].join(
        '\n',
      );
    }
  }
  let kept = [...lines];
  let cut = joined;
  while (cut.length > room && kept.length > 1) {
    kept = kept.slice(0, -1);
    cut = `${kept.join('\n')}\n... ${lines.length - kept.length} more line(s) in the email`;
  }
  return cut;
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
