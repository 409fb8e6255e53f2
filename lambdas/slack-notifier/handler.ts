import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { createSlackHandler, type SlackNotifierPostOptions } from './slack-handler';
import { webhookUrlReader } from './webhook-secret';

/**
 * Entry point of the Slack notifier. The environment holds the secret's *name* only; the webhook URL
 * itself is read from Secrets Manager at run time and never appears in the template or environment.
 */
const env = readEnvironment({ SLACK_WEBHOOK_SECRET_ID: {} });
const { logger } = createObservability(SERVICES.slackNotifier);

/**
 * Retries fit inside the function's 60 s timeout (lib/constructs/alert-topics.ts): at worst 4 requests
 * of 10 s plus 3 waits of at most 5 s (a longer Retry-After is cut to 5 s) = 55 s, so a message Slack
 * keeps refusing ends in SlackDeliveryError, not in a timeout, before Lambda's own retries start.
 */
const POST_OPTIONS: SlackNotifierPostOptions = {
  maxAttempts: 4,
  maxDelayMs: 5_000,
  requestTimeoutMs: 10_000,
};

export const handler = createSlackHandler({
  logger,
  webhookUrl: webhookUrlReader(new SecretsManagerClient({}), env.SLACK_WEBHOOK_SECRET_ID),
  post: POST_OPTIONS,
});
