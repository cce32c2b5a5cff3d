/** Builds the Standard Webhooks headers an upstream sends (used by `npm run call` and the tests). */
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export const signedHeaders = (
  secret: string,
  body: string,
  options: { webhookId?: string; at?: Date } = {},
): Record<string, string> => {
  const id = options.webhookId ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
};
