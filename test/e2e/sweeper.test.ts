/**
 * Nothing accepted expires (docs/architecture.md#nothing-accepted-is-lost): a renewal whose message
 * is deleted from its queue, through the SQS API, still completes, because the sweeper finds it
 * not moving (SWEEPER_STALE_AFTER_SECONDS, a few seconds here) and queues it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack';
import { signedHeaders } from '../../local/webhook-client';
import { startTestStack } from '../support/stack';

let stack: LocalStack;

beforeAll(async () => {
  // Consumers start once the first message is deleted, so it is there to be deleted.
  stack = await startTestStack('sweeper', { schedulerIntervalMs: 0, deferConsumers: true, env: { SWEEPER_STALE_AFTER_SECONDS: '2' } });
});
afterAll(async () => {
  await stack?.stop();
});

const renew = async (email: string): Promise<string> => {
  const body = JSON.stringify({ email });
  const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', body), body });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
};
const statusOf = async (id: string): Promise<{ status: string; attemptCount: number }> =>
  (await (await fetch(`${stack.apiUrl}/v1/renewals/${id}`, { headers: { authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` } })).json()) as { status: string; attemptCount: number };
const until = async <T>(what: string, probe: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};
/** Sweeper runs (as `POST /_local/sweeper/run`) until one queues `id` again. */
const sweepUntilRequeued = (id: string) =>
  until(`the sweeper to queue ${id} again`, async () => {
    const res = await fetch(`${stack.apiUrl}/_local/sweeper/run`, { method: 'POST' });
    const summary = (await res.json()) as { found: number; requeued: number; requeuedIds: string[] };
    return summary.requeuedIds.includes(id) ? summary : undefined;
  });

describe('the sweeper', () => {
  it('a queued renewal whose message was deleted from the queue still completes', async () => {
    const email = `swept-${Date.now()}@example.com`;
    const id = await renew(email);
    const message = await until('its message', async () => {
      const out = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queues.pressone.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      return out.Messages?.find((m) => m.Body?.includes(id));
    });
    await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: stack.queues.pressone.url, ReceiptHandle: message.ReceiptHandle }));
    await stack.startConsumers();
    expect((await statusOf(id)).status).toBe('queued');

    const summary = await sweepUntilRequeued(id);
    expect(summary.found).toBeGreaterThanOrEqual(1);
    await until('the renewal to succeed', async () => ((await statusOf(id)).status === 'succeeded' ? true : undefined));
    expect(stack.sandboxes.pressone.renewalsFor(email)).toBe(1);
    // Done: out of the sweep index, so the sweeper finds nothing of it any more.
    const again = (await (await fetch(`${stack.apiUrl}/_local/sweeper/run`, { method: 'POST' })).json()) as { requeuedIds: string[] };
    expect(again.requeuedIds).not.toContain(id);
  });

  it("a retry_scheduled renewal whose delayed copy was deleted from the queue still completes", async () => {
    const email = `swept-retry-${Date.now()}@example.com`;
    // One 503 asking for 30 s: the copy waits in the queue long enough to be deleted, however loaded the machine.
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 30, count: 1 });
    const id = await renew(email);
    await until('the retry to be scheduled', async () => ((await statusOf(id)).status === 'retry_scheduled' ? true : undefined));
    await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.queues.pressone.url }));

    await sweepUntilRequeued(id);
    await until('the renewal to succeed', async () => ((await statusOf(id)).status === 'succeeded' ? true : undefined));
    expect((await statusOf(id)).attemptCount).toBe(2);
    expect(stack.sandboxes.pressone.renewalsFor(email)).toBe(1);
  });
});
