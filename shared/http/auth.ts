/**
 * Authentication for the public routes (docs/architecture.md#authentication): Standard Webhooks
 * signatures on writes, bearer read tokens on reads. Both compare in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ConfigError, fromSecret, splitList, type SecretReader } from '../config';
import { serviceUnavailable, unauthorized } from './problem';

export interface SignatureHeaders {
  readonly id?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly signature?: string | undefined;
}

/** Checks a signed request; throws a 401 HttpError when it does not verify. */
export type WebhookVerifier = (rawBody: Buffer, headers: SignatureHeaders) => Promise<void>;
/** Checks `Authorization: Bearer <token>`; throws a 401 HttpError when it is not a valid token. */
export type ReadTokenCheck = (authorization: string | undefined) => Promise<void>;

/**
 * The current value of a secret the request is checked against. A secret that cannot be read
 * (Secrets Manager unreachable) is our outage, not the caller's error: 503, retry later.
 */
const current = async <T>(get: () => Promise<T>, what: string): Promise<T> => {
  try {
    return await get();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw serviceUnavailable(`The ${what} could not be read; retry shortly.`, 5, error);
  }
};

/**
 * Verifies with the current `RENEWALS_WEBHOOK_SECRETS`: a rotation needs no cold start. Read once
 * here, so a missing or malformed secret fails the cold start naming it.
 */
export const loadWebhookVerifier = async (read: SecretReader): Promise<WebhookVerifier> => {
  const verifier = fromSecret(read, 'RENEWALS_WEBHOOK_SECRETS', (value) => createWebhookVerifier(splitList(value)));
  await verifier();
  return async (rawBody, headers) => (await current(verifier, 'webhook secret'))(rawBody, headers);
};

/** Checks against the current `RENEWALS_READ_TOKENS`: a revoked token stops working without a cold start. */
export const loadReadTokenCheck = async (read: SecretReader): Promise<ReadTokenCheck> => {
  const check = fromSecret(read, 'RENEWALS_READ_TOKENS', (value) => createReadTokenCheck(splitList(value)));
  await check();
  return async (authorization) => (await current(check, 'read tokens'))(authorization);
};

/** Builds a verifier accepting a signature by any of these secrets (several during rotation). */
export const createWebhookVerifier = (secrets: readonly string[]): ((rawBody: Buffer, headers: SignatureHeaders) => void) => {
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

/** Checks `Authorization: Bearer <token>` against these read tokens. */
export const createReadTokenCheck = (tokens: readonly string[]): ((authorization: string | undefined) => void) => {
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
