/**
 * A captured signed request replayed with what the signature does not cover changed (issue 9, #2):
 * the signature covers webhook-id, timestamp and body; the path, the query and the other headers
 * are not signed. Within the 300 s window, every such replay is refused (409) and nothing new is
 * renewed, set or cancelled; an exact repeat is the idempotent answer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack('replay', { schedulerIntervalMs: 0 });
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(() => {
  for (const sandbox of Object.values(stack.sandboxes)) sandbox.reset();
});

let n = 0;
const next = () => ++n + Math.floor(Math.random() * 1_000_000);
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const customerJwt = () => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: `customer-${next()}` })}.c2lnbmF0dXJl`;

interface Captured {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}
/** One signed request, as an attacker on the wire would capture it. */
const capture = (method: string, path: string, body: unknown, headers: Record<string, string> = {}): Captured => {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const signed = signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', raw);
  if (body === undefined) delete signed['content-type'];
  return { method, path, headers: { ...signed, ...headers }, body: raw };
};
const send = async (c: Captured, change: { path?: string; headers?: Record<string, string | undefined> } = {}) => {
  const headers = Object.fromEntries(Object.entries({ ...c.headers, ...change.headers }).filter((e): e is [string, string] => e[1] !== undefined));
  const res = await fetch(`${stack.apiUrl}${change.path ?? c.path}`, { method: c.method, headers, ...(c.body ? { body: c.body } : {}) });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
};
const read = (path: string) => fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.env.RENEWALS_READ_TOKENS}` } });
const renewalsOf = async (provider: string, ref: string) =>
  ((await (await read(`/v1/subscriptions/${provider}/${encodeURIComponent(ref)}/renewals`)).json()) as { items: Array<{ id: string }> }).items;
/**
 * Waits until the one renewal `id` is finished (a hang limit, not a speed limit: a loaded machine
 * may take long); a call made for a replay would have been queued before it, so is made by then.
 */
const finished = async (id: string, limitMs = 150_000): Promise<void> => {
  const until = Date.now() + limitMs;
  for (;;) {
    const res = await read(`/v1/renewals/${id}`);
    const status = res.ok ? ((await res.json()) as { status: string }).status : 'unknown';
    if (['succeeded', 'accepted', 'failed', 'needs_attention', 'cancelled'].includes(status)) return;
    if (Date.now() > until) throw new Error(`renewal ${id} still ${status} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('a replayed webhook with an unsigned part changed', () => {
  it('PressOne: Idempotency-Key removed or replaced answers 409 and renews nothing more; the exact repeat is 200', async () => {
    const email = `replay${next()}@example.com`;
    const signed = capture('POST', '/v1/providers/pressone/renew-number', { email }, { 'idempotency-key': 'order-1' });
    const first = await send(signed);
    expect(first.status).toBe(202);

    const withoutKey = await send(signed, { headers: { 'idempotency-key': undefined } });
    const otherKey = await send(signed, { headers: { 'idempotency-key': 'attacker-1' } });
    for (const res of [withoutKey, otherKey]) {
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({ status: 409, errors: [{ path: 'headers.webhook-id' }] });
    }
    const repeat = await send(signed);
    expect(repeat).toMatchObject({ status: 200, json: { id: first.json.id, idempotencyKey: 'order-1' } });

    await finished(String(first.json.id));
    expect(stack.sandboxes.pressone.renewalsFor(email)).toBe(1);
    expect(await renewalsOf('pressone', email)).toHaveLength(1);
  }, 180_000);

  it('Pelcro Core: user_id 35 instead of 34 answers 409 and Pelcro is called for user 34 only', async () => {
    const sub = next();
    const body = { subscription_id: sub, plan_id: 7, quantity: 1, source: 'API' };
    const signed = capture('POST', '/v1/providers/pelcro/core/subscriptions/renew?site_id=1&user_id=34', body);
    const first = await send(signed);
    expect(first.status).toBe(202);
    expect((await send(signed, { path: '/v1/providers/pelcro/core/subscriptions/renew?site_id=1&user_id=35' })).status).toBe(409);
    expect((await send(signed, { path: '/v1/providers/pelcro/core/subscriptions/renew?site_id=2&user_id=34' })).status).toBe(409);
    await finished(String(first.json.id));
    const calls = stack.sandboxes.pelcro.calls().filter((c) => c.path.startsWith('/api/v1/core/subscriptions/renew'));
    expect(calls.map((c) => c.path)).toEqual([expect.stringMatching(/user_id=34/)]);
  }, 180_000);

  it('Pelcro SDK: another customer’s token in Authorization answers 409', async () => {
    const signed = capture('POST', '/v1/providers/pelcro/subscription/renew?site_id=1', { plan_id: 7, subscription_id: next() }, { authorization: `Bearer ${customerJwt()}` });
    expect((await send(signed)).status).toBe(202);
    expect((await send(signed, { headers: { authorization: `Bearer ${customerJwt()}` } })).status).toBe(409);
  });

  it('Digital River: the body signed for one subscription, sent to another’s path, answers 409', async () => {
    const signed = capture('POST', '/v1/providers/digitalriver/subscriptions/sub-a/renewal-quantity', { renewalQuantity: 3 });
    expect((await send(signed)).status).toBe(202);
    expect((await send(signed, { path: '/v1/providers/digitalriver/subscriptions/sub-b/renewal-quantity' })).status).toBe(409);
    expect(await renewalsOf('digitalriver', 'sub-b')).toEqual([]);
  });
});

describe('a replayed schedule write', () => {
  const path = (ref: string) => `/v1/subscriptions/pressone/${encodeURIComponent(ref)}/schedule`;
  const schedule = async (ref: string) => {
    const res = await read(path(ref));
    return { status: res.status, json: (await res.json()) as { status: string; cadence: string } };
  };

  it('PUT: sent to another subscription answers 409 and sets nothing there', async () => {
    const [a, b] = [`a${next()}@example.com`, `b${next()}@example.com`];
    const signed = capture('PUT', path(a), { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' });
    expect((await send(signed)).status).toBe(201);
    expect((await send(signed, { path: path(b) })).status).toBe(409);
    expect((await schedule(b)).status).toBe(404);
  });

  it('PUT: replayed after a later PUT does not undo it', async () => {
    const ref = `c${next()}@example.com`;
    const monthly = capture('PUT', path(ref), { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' });
    expect((await send(monthly)).status).toBe(201);
    const yearly = capture('PUT', path(ref), { cadence: 'P1Y', nextRunAt: '2027-01-01T00:00:00Z' });
    expect((await send(yearly)).status).toBe(200);
    const replay = await send(monthly);
    expect(replay.status).toBe(200);
    expect((await schedule(ref)).json.cadence).toBe('P1Y');
  });

  it('DELETE: replayed after the schedule was set again does not cancel it; sent to another path answers 409', async () => {
    const ref = `d${next()}@example.com`;
    expect((await send(capture('PUT', path(ref), { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' }))).status).toBe(201);
    const cancel = capture('DELETE', path(ref), undefined);
    expect((await send(cancel)).status).toBe(204);
    expect((await schedule(ref)).json.status).toBe('cancelled');
    expect((await send(capture('PUT', path(ref), { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' }))).status).toBe(200);
    expect((await send(cancel)).status).toBe(204);
    expect((await schedule(ref)).json.status).toBe('active');

    const other = `e${next()}@example.com`;
    expect((await send(capture('PUT', path(other), { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' }))).status).toBe(201);
    expect((await send(cancel, { path: path(other) })).status).toBe(409);
    expect((await schedule(other)).json.status).toBe('active');
  });
});
