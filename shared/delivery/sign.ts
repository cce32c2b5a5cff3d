/**
 * Standard Webhooks signing of a delivery (shared/delivery/policy.ts says with which secrets). Its
 * own module, loaded by the delivery function on its first delivery, so no other function's cold
 * start evaluates the `standardwebhooks` library.
 */
import { Webhook } from 'standardwebhooks';

/** The Standard Webhooks headers of one delivery: `webhook-id` is the event id, so receivers dedupe. */
export const signedHeaders = (eventId: string, payload: string, secrets: readonly string[], at: Date): Record<string, string> => {
  if (secrets.length === 0) throw new Error('no secret to sign with');
  return {
    'content-type': 'application/json',
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    // Several signatures, space-separated: a receiver with either secret verifies.
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(eventId, at, payload)).join(' '),
  };
};

