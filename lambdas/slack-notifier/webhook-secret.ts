import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SlackWebhookSecretError } from '../shared/errors';

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
