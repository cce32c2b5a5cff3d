/** Builds the Standard Webhooks headers an upstream sends (used by `npm run call` and the tests). */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { webhookKey, webhookSignature } from '../shared/http/auth';

/**
 * A text body is signed by the reference library, as an upstream would; bytes (which the library
 * would decode as UTF-8 first) are signed over exactly those bytes, per the specification.
 */
export const signedHeaders = (
  secret: string,
  body: string | Uint8Array,
  options: { webhookId?: string; at?: Date } = {},
): Record<string, string> => {
  const id = options.webhookId ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const timestamp = String(Math.floor(at.getTime() / 1000));
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': typeof body === 'string' ? new Webhook(secret).sign(id, at, body) : `v1,${webhookSignature(webhookKey(secret), id, timestamp, body)}`,
  };
};
