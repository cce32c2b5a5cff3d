/**
 * Authentication for the public routes (docs/architecture.md#authentication): Standard Webhooks
 * signatures on writes, bearer read tokens on reads. Both compare in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ConfigError } from '../config';
import { unauthorized } from './problem';

export type WebhookVerifier = (rawBody: Buffer, headers: { id?: string; timestamp?: string; signature?: string }) => void;

/** Builds a verifier accepting a signature by any configured secret (several during rotation). */
export const createWebhookVerifier = (secrets: readonly string[]): WebhookVerifier => {
  if (secrets.length === 0) throw new ConfigError('RENEWALS_WEBHOOK_SECRETS holds no secret');
  const webhooks = secrets.map((secret, i) => {
    if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new ConfigError(`RENEWALS_WEBHOOK_SECRETS entry ${i + 1} is not a whsec_<base64> secret`);
    return new Webhook(secret);
  });
  return (rawBody, { id, timestamp, signature }) => {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signature && 'webhook-signature'].filter(Boolean);
    if (missing.length > 0) throw unauthorized(`Missing signature headers: ${missing.join(', ')}.`);
    if (!/^\d{1,12}$/.test(timestamp ?? '')) throw unauthorized('webhook-timestamp must be unix seconds.');
    const headers = { 'webhook-id': id ?? '', 'webhook-timestamp': timestamp ?? '', 'webhook-signature': signature ?? '' };
    let lastError = 'No signature matches.';
    for (const webhook of webhooks) {
      try {
        webhook.verify(rawBody.toString('utf8'), headers, { jsonParse: false });
        return;
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        // The timestamp check is the same for every secret: say so rather than "no match".
        if (/timestamp/i.test(error.message)) throw unauthorized('webhook-timestamp is more than 300 seconds away from now.');
        lastError = 'No signature matches a configured secret.';
      }
    }
    throw unauthorized(lastError);
  };
};

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Checks `Authorization: Bearer <token>` against the configured read tokens. */
export const createReadTokenCheck = (tokens: readonly string[]) => {
  if (tokens.length === 0) throw new ConfigError('RENEWALS_READ_TOKENS holds no token');
  const digests = tokens.map(digest);
  return (authorization: string | undefined): void => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized('Send Authorization: Bearer <read token>.', 'Bearer');
    const presented = digest(match[1]);
    // Compare against every token, so timing does not tell which one (if any) matched.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, presented) || ok;
    if (!ok) throw unauthorized('The read token is not valid.', 'Bearer');
  };
};
