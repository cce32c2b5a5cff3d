/**
 * Deadlines (docs/architecture.md#deadlines): a renewal whose next retry would come after its
 * deadline ends needs_attention, saying so, instead of retrying on and failing late.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { signedHeaders } from '../../local/webhook-client';
import { startTestStack } from '../support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack('deadline', { schedulerIntervalMs: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

const post = async (body: unknown) => {
  const raw = JSON.stringify(body);
  return fetch(`${stack.apiUrl}/v1/renewals`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', raw), body: raw });
};
const statusOf = async (id: string) =>
  (await (await fetch(`${stack.apiUrl}/v1/renewals/${id}`, { headers: { authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` } })).json()) as {
    status: string;
    statusReason?: string;
    deadline?: string;
    attemptCount: number;
  };

describe('deadline', () => {
  it('a renewal whose retry would pass its deadline ends needs_attention with that reason', async () => {
    const email = `deadline-${Date.now()}@example.com`;
    // The provider asks for an hour; the renewal must be done within the day's first minutes.
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 3600, count: 1 });
    const deadline = new Date(Date.now() + 10 * 60_000).toISOString();
    const res = await post({ provider: 'pressone', operation: 'renew', subscription: email, deadline });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const end = Date.now() + 60_000;
    let r = await statusOf(id);
    while (r.status !== 'needs_attention' && Date.now() < end) {
      await new Promise((ok) => setTimeout(ok, 200));
      r = await statusOf(id);
    }
    expect(r).toMatchObject({ status: 'needs_attention', deadline, attemptCount: 1 });
    expect(r.statusReason).toContain(`after the renewal's deadline (${deadline})`);
  });

  it('refuses a deadline that is not a date-time, naming the field', async () => {
    const res = await post({ provider: 'pressone', operation: 'renew', subscription: 'x@example.com', deadline: 'tomorrow' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['deadline']);
  });
});
