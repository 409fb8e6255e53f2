import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readEnvironment } from '../shared/environment';
import { createObservability, SERVICES } from '../shared/observability';
import { webhookUrlReader } from './slack-delivery';
import { createSlackHandler } from './slack-handler';

/**
 * Entry point of the Slack notifier. The environment holds the secret's *name* only; the webhook URL
 * itself is read from Secrets Manager at run time and never appears in the template or environment.
 */
const env = readEnvironment({ SLACK_WEBHOOK_SECRET_ID: {} });
const { logger } = createObservability(SERVICES.slackNotifier);

export const handler = createSlackHandler({
  logger,
  webhookUrl: webhookUrlReader(new SecretsManagerClient({}), env.SLACK_WEBHOOK_SECRET_ID),
});
