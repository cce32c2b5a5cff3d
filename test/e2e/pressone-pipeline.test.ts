/**
 * The PressOne slice end to end on the local stack (issue 2's "what it must show"): signed
 * webhook → intake → SQS → consumer → sandbox over HTTP → DynamoDB → status API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';

let stack: LocalStack;
let n = 0;

beforeAll(async () => {
  stack = await startTestStack('e2e', {
    pollWaitSeconds: 1,
    env: { RETRY_BASE_DELAY_MS: '200', AUTH_FAILURE_PAUSE_SECONDS: '1' },
  });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => stack.sandboxes.pressone.reset());

const secret = () => stack.env.RENEWALS_WEBHOOK_SECRETS ?? '';
const readHeaders = () => ({ authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` });
const email = () => `user${++n}.${Date.now()}@example.com`;

const post = async (path: string, body: string | Uint8Array, options: { webhookId?: string; at?: Date; headers?: Record<string, string> } = {}) => {
  const headers = { ...signedHeaders(secret(), body, options), ...options.headers };
  const res = await fetch(`${stack.apiUrl}${path}`, { method: 'POST', headers, body });
  return { status: res.status, contentType: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
};

const getRenewal = async (id: string) => {
  const res = await fetch(`${stack.apiUrl}/v1/renewals/${id}`, { headers: readHeaders() });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { status: string; attempts: Array<Record<string, unknown>> } };
};

const waitForStatus = async (id: string, statuses: readonly string[], timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRenewal(id);
    if (statuses.includes(r.json.status)) return r.json;
    if (Date.now() > deadline) throw new Error(`renewal ${id} still ${r.json.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
};

const queueDepth = async () => {
  const out = await stack.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.queues.pressone.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) + Number(a.ApproximateNumberOfMessagesDelayed);
};

const renewCalls = () => stack.sandboxes.pressone.calls().filter((c) => c.path === '/api/third-party/partner/renew-number/');

describe('PressOne renewal through the local stack', () => {
  it('renews once: 202, then succeeded, with exactly one correct call at the sandbox; a repeat is 200 and calls nothing', async () => {
    const user = email();
    const body = JSON.stringify({ email: user });
    const first = await post('/v1/providers/pressone/renew-number', body, { webhookId: 'wh-once-1' });
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ id: expect.stringMatching(/^rnw_/), status: 'queued', idempotencyKey: 'wh-once-1' });
    const id = String(first.json.id);

    const done = await waitForStatus(id, ['succeeded']);
    expect(done.attempts).toEqual([expect.objectContaining({ number: 1, httpStatus: 200, errorClass: 'success' })]);

    const calls = renewCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('POST');
    expect(calls[0]?.body).toEqual({ email: user });
    expect(calls[0]?.headers.authorization).toBe(`Bearer ${stack.env.PRESSONE_API_KEY}`);
    expect(calls[0]?.headers['pressone-x-api-key']).toBe(stack.env.PRESSONE_API_KEY);
    expect(stack.sandboxes.pressone.renewalsFor(user)).toBe(1);

    // Same webhook-id (an upstream retry, re-signed): 200 with the same renewal, no second call.
    const repeat = await post('/v1/providers/pressone/renew-number', body, { webhookId: 'wh-once-1' });
    expect(repeat.status).toBe(200);
    expect(repeat.json).toEqual({ id, status: 'succeeded', idempotencyKey: 'wh-once-1' });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(renewCalls()).toHaveLength(1);

    // Same key, different request: 409.
    const clash = await post('/v1/providers/pressone/renew-number', JSON.stringify({ email: email() }), { webhookId: 'wh-once-1' });
    expect(clash.status).toBe(409);
    expect(clash.contentType).toBe('application/problem+json');

    // The Idempotency-Key header takes precedence over webhook-id.
    const keyed = await post('/v1/providers/pressone/renew-number', body, { headers: { 'idempotency-key': 'explicit-key-1' } });
    expect(keyed.json.idempotencyKey).toBe('explicit-key-1');
  });

  it('accepts the canonical route for PressOne, and names a bad field of another provider’s params', async () => {
    const user = email();
    const canonical = await post('/v1/renewals', JSON.stringify({ provider: 'pressone', operation: 'renew', subscription: user }));
    expect(canonical.status).toBe(202);
    await waitForStatus(String(canonical.json.id), ['succeeded']);
    expect(stack.sandboxes.pressone.renewalsFor(user)).toBe(1);

    const punchh = { provider: 'punchh', operation: 'renew', subscription: '40', params: { startTime: '2026-12-01T00:00:00Z', endTime: '2027-01-01T00:00:00Z', purchasePrice: 9.99 } };
    const badPunchh = await post('/v1/renewals', JSON.stringify({ ...punchh, params: { ...punchh.params, purchasePrice: 'free' } }));
    expect(badPunchh.status).toBe(422);
    expect(badPunchh.json.errors).toEqual([{ path: 'params.purchasePrice', message: expect.any(String) }]);
  });

  describe('refuses bad requests with a problem document and queues nothing', () => {
    const refusals: Array<[string, () => Promise<{ status: number; json: Record<string, unknown> }>, number, string[]?]> = [
      ['a bad signature', () => post('/v1/providers/pressone/renew-number', '{"email":"a@example.com"}', { headers: { 'webhook-signature': 'v1,AAAA' } }), 401],
      ['a timestamp 10 minutes old', () => post('/v1/providers/pressone/renew-number', '{"email":"a@example.com"}', { at: new Date(Date.now() - 600_000) }), 401],
      ['missing signature headers', async () => {
        const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });
        return { status: res.status, json: (await res.json()) as Record<string, unknown> };
      }, 401],
      ['malformed JSON', () => post('/v1/providers/pressone/renew-number', '{"email": '), 400],
      // Signed over its exact bytes, which are not UTF-8 (0xff): the signature verifies, the body does not decode.
      ['a correctly signed body that is not UTF-8', () => post('/v1/providers/pressone/renew-number', Buffer.from('{"email":"\xff@example.com"}', 'latin1')), 400, ['(body)']],
      ['a missing email', () => post('/v1/providers/pressone/renew-number', '{}'), 422, ['email']],
      ['an invalid email', () => post('/v1/providers/pressone/renew-number', '{"email":"not-an-email"}'), 422, ['email']],
      ['an email that is not a string', () => post('/v1/providers/pressone/renew-number', '{"email":42}'), 422, ['email']],
      ['an unknown field', () => post('/v1/providers/pressone/renew-number', '{"email":"a@example.com","plan":"gold"}'), 422, ['plan']],
      ['a non-JSON content type', () => post('/v1/providers/pressone/renew-number', '{"email":"a@example.com"}', { headers: { 'content-type': 'text/plain' } }), 415],
      ['a body over 64 KiB', () => post('/v1/providers/pressone/renew-number', JSON.stringify({ email: 'a@example.com', pad: 'x'.repeat(70_000) })), 413],
      ['a canonical request with a bad operation', () => post('/v1/renewals', JSON.stringify({ provider: 'pressone', operation: 'renewal-price', subscription: 'a@example.com' })), 422, ['operation']],
    ];
    it.each(refusals)('%s', async (_name, send, status, fields) => {
      const sendsBefore = stack.sqsServer.stats().SendMessage ?? 0;
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.json).toMatchObject({ type: expect.stringContaining('/problems/'), title: expect.any(String), status, detail: expect.any(String) });
      if (fields) expect((res.json.errors as Array<{ path: string }>).map((e) => e.path)).toEqual(fields);
      expect(stack.sqsServer.stats().SendMessage ?? 0).toBe(sendsBefore);
      expect(renewCalls()).toHaveLength(0);
    });
  });

  it('retries 503 with Retry-After: 1 twice, then succeeds on the third attempt, all recorded', async () => {
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 1, count: 2 });
    const res = await post('/v1/providers/pressone/renew-number', JSON.stringify({ email: email() }));
    expect(res.status).toBe(202);
    const done = await waitForStatus(String(res.json.id), ['succeeded', 'failed', 'needs_attention'], 20_000);
    expect(done.status).toBe('succeeded');
    expect(done.attempts.map((a) => [a.number, a.httpStatus, a.errorClass])).toEqual([
      [1, 503, 'retryable'],
      [2, 503, 'retryable'],
      [3, 200, 'success'],
    ]);
    expect(done.attempts[0]?.retryAfterSeconds).toBe(1);
    expect(renewCalls()).toHaveLength(3);
  });

  it.each([
    [422, 'failed'],
    [401, 'needs_attention'],
  ])('a %i ends %s after one attempt', async (status, expected) => {
    stack.sandboxes.pressone.injectFaults({ kind: 'status', status, body: { message: 'refused for jane@example.com', success: false, data: null } });
    const res = await post('/v1/providers/pressone/renew-number', JSON.stringify({ email: email() }));
    const done = await waitForStatus(String(res.json.id), [expected]);
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ httpStatus: status, message: 'refused for j***@example.com' });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(renewCalls()).toHaveLength(1);
  });

  it('lists a subscription’s renewals newest first, behind the read token', async () => {
    const user = email();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(String((await post('/v1/providers/pressone/renew-number', JSON.stringify({ email: user }))).json.id));
      await new Promise((r) => setTimeout(r, 5));
    }
    const url = `${stack.apiUrl}/v1/subscriptions/pressone/${encodeURIComponent(user)}/renewals?limit=2`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const page1 = (await (await fetch(url, { headers: readHeaders() })).json()) as { items: Array<{ id: string }>; nextCursor: string };
    expect(page1.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const page2 = (await (await fetch(`${url}&cursor=${page1.nextCursor}`, { headers: readHeaders() })).json()) as { items: Array<{ id: string }>; nextCursor: string | null };
    expect(page2.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(page2.nextCursor).toBeNull();
    expect((await fetch(`${stack.apiUrl}/v1/subscriptions/acme/x/renewals`, { headers: readHeaders() })).status).toBe(400);
    // Longer than any subscription reference: a 400 naming it (AWS would refuse the index key over 2048 bytes: a 500).
    const tooLong = await fetch(`${stack.apiUrl}/v1/subscriptions/pressone/${'x'.repeat(3000)}/renewals`, { headers: readHeaders() });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['path.subscriptionRef']);
    // A cursor issued for this subscription, used for another one (the right shape, the wrong key): 400 naming it, not a 500.
    const other = `${stack.apiUrl}/v1/subscriptions/pressone/${encodeURIComponent(email())}/renewals?cursor=${page1.nextCursor}`;
    const forged = await fetch(other, { headers: readHeaders() });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(['query.cursor']);
    expect((await getRenewal('rnw_aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);

    // Once they are done, nothing is left in the queue or its DLQ.
    for (const id of ids) await waitForStatus(id, ['succeeded']);
    await new Promise((r) => setTimeout(r, 300));
    expect(await queueDepth()).toBe(0);
    const dlq = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.queues.pressone.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
  });

});
