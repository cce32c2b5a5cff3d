/**
 * Push delivery's pure parts (shared/delivery/policy.ts, the fan-out of shared/delivery/queue.ts)
 * and the delivery function's rules (functions/delivery/app.ts) with its store, queue and HTTP
 * faked: the schedule, Retry-After, 410, disabling after 5 failing days, the rate limit, signing
 * with two secrets, one endpoint never holding another's deliveries, a host resolving to a private
 * address being a failed attempt (functions/delivery/post.ts, test/unit/delivery-post.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  decideOutcome,
  generateSecret,
  maskSecret,
  nextDelaySeconds,
  parseRetryAfter,
  parseRetrySchedule,
  rotateSecrets,
  shouldDisable,
  signingSecrets,
  wantsType,
} from '../../shared/delivery/policy';
import { fanOut, type DeliveryEntry, type DeliveryMessage } from '../../shared/delivery/queue';
import { signedHeaders } from '../../shared/delivery/sign';
import { createDeliveryHandler, endpointDisabledEvent, type DeliveryStore, type Post } from '../../functions/delivery/app';
import { createHttpPost, type Resolve } from '../../functions/delivery/post';
import type { DeliveryAttempt, EndpointRecord } from '../../shared/adapters/event-endpoints';
import type { GatewayEvent, RenewalEvent } from '../../shared/events/event';
import type { Limiter } from '../../shared/adapters/rate-limiter';
import { createLogger } from '../../shared/logger';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const DAY = 86_400_000;

describe('retry schedule', () => {
  it('spans more than 24 hours by default, Svix-like', () => {
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(24 * 3600);
  });
  it('gives the wait after each failed attempt, then null when it ran out', () => {
    expect(nextDelaySeconds(DEFAULT_RETRY_SCHEDULE_SECONDS, 1)).toBe(5);
    expect(nextDelaySeconds(DEFAULT_RETRY_SCHEDULE_SECONDS, 2)).toBe(300);
    expect(nextDelaySeconds(DEFAULT_RETRY_SCHEDULE_SECONDS, 7)).toBe(36000);
    expect(nextDelaySeconds(DEFAULT_RETRY_SCHEDULE_SECONDS, 8)).toBeNull();
  });
  it('lets Retry-After lengthen a wait, never shorten it, and caps it at a day', () => {
    expect(nextDelaySeconds([5, 300], 1, 60)).toBe(60);
    expect(nextDelaySeconds([5, 300], 2, 60)).toBe(300);
    expect(nextDelaySeconds([5], 1, 10 * 86_400)).toBe(86_400);
  });
  it('reads DELIVERY_RETRY_SCHEDULE_SECONDS, refusing anything but whole seconds of at least 1', () => {
    expect(parseRetrySchedule(undefined)).toBe(DEFAULT_RETRY_SCHEDULE_SECONDS);
    expect(parseRetrySchedule(' ')).toBe(DEFAULT_RETRY_SCHEDULE_SECONDS);
    expect(parseRetrySchedule('1, 1,2')).toEqual([1, 1, 2]);
    for (const bad of ['1,,2', '-1', '1.5', 'a', '1;2', '0', '5,0,300']) expect(() => parseRetrySchedule(bad), bad).toThrow(/DELIVERY_RETRY_SCHEDULE_SECONDS/);
  });
});

describe('Retry-After', () => {
  it('takes seconds or an HTTP date, relative to now', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(new Date(NOW.getTime() + 90_500).toUTCString(), NOW)).toBe(90);
    expect(parseRetryAfter(new Date(NOW.getTime() - 60_000).toUTCString(), NOW)).toBe(0);
  });
  it('ignores what it cannot read', () => {
    for (const v of [undefined, null, '', ' ', '-5', '1.5', 'soon', 'Tuesday']) expect(parseRetryAfter(v, NOW), String(v)).toBeUndefined();
  });
});

describe('outcome of an attempt', () => {
  const schedule = [5, 300];
  it('2xx is delivered', () => {
    for (const status of [200, 201, 202, 204, 299]) expect(decideOutcome({ kind: 'response', status }, 1, schedule, NOW)).toEqual({ kind: 'delivered' });
  });
  it('410 stops: dead, gone, whatever the schedule has left', () => {
    expect(decideOutcome({ kind: 'response', status: 410 }, 1, schedule, NOW)).toEqual({ kind: 'dead', reason: 'gone' });
  });
  it('other answers and no answer are retried on the schedule, honouring Retry-After', () => {
    expect(decideOutcome({ kind: 'response', status: 500 }, 1, schedule, NOW)).toEqual({ kind: 'retry', delaySeconds: 5 });
    expect(decideOutcome({ kind: 'response', status: 301 }, 1, schedule, NOW)).toEqual({ kind: 'retry', delaySeconds: 5 });
    expect(decideOutcome({ kind: 'response', status: 429, retryAfter: '60' }, 1, schedule, NOW)).toEqual({ kind: 'retry', delaySeconds: 60 });
    expect(decideOutcome({ kind: 'error', error: 'ECONNREFUSED' }, 2, schedule, NOW)).toEqual({ kind: 'retry', delaySeconds: 300 });
  });
  it('is dead, exhausted, when the schedule ran out', () => {
    expect(decideOutcome({ kind: 'response', status: 503 }, 3, schedule, NOW)).toEqual({ kind: 'dead', reason: 'exhausted' });
  });
});

describe('disabling', () => {
  it('disables an endpoint failing for 5 days straight, not sooner, not one that is not failing', () => {
    expect(shouldDisable(undefined, NOW)).toBe(false);
    expect(shouldDisable(new Date(NOW.getTime() - 5 * DAY + 1000).toISOString(), NOW)).toBe(false);
    expect(shouldDisable(new Date(NOW.getTime() - 5 * DAY).toISOString(), NOW)).toBe(true);
    expect(shouldDisable(new Date(NOW.getTime() - 9 * DAY).toISOString(), NOW)).toBe(true);
  });
});

describe('secrets and signatures', () => {
  it('generates Standard Webhooks secrets: whsec_ and 24 random bytes in base64', () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(24);
    expect(generateSecret()).not.toBe(a);
    expect(maskSecret(a)).toBe(`${a.slice(0, 10)}…`);
    expect(maskSecret(a)).not.toContain(a.slice(10));
  });
  it('after a rotation both secrets sign for 24 hours, then only the new one', () => {
    const old = generateSecret();
    const fresh = generateSecret();
    const secrets = rotateSecrets([{ secret: old, createdAt: NOW.toISOString() }], fresh, NOW);
    expect(signingSecrets(secrets, NOW)).toEqual([fresh, old]);
    expect(signingSecrets(secrets, new Date(NOW.getTime() + DAY - 1))).toEqual([fresh, old]);
    expect(signingSecrets(secrets, new Date(NOW.getTime() + DAY))).toEqual([fresh]);
    // A second rotation after the overlap drops the expired one.
    const again = rotateSecrets(secrets, generateSecret(), new Date(NOW.getTime() + 2 * DAY));
    expect(again.map((s) => s.secret)).not.toContain(old);
    expect(again).toHaveLength(2);
  });
  it('signs with two secrets: a receiver holding either one verifies, a third does not', () => {
    const [a, b, c] = [generateSecret(), generateSecret(), generateSecret()];
    const payload = JSON.stringify({ id: 'evt_1', type: 'renewal.succeeded' });
    const headers = signedHeaders('evt_1', payload, [a, b], new Date());
    expect(headers['webhook-id']).toBe('evt_1');
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(new Webhook(a).verify(payload, headers)).toEqual(JSON.parse(payload));
    expect(new Webhook(b).verify(payload, headers)).toEqual(JSON.parse(payload));
    expect(() => new Webhook(c).verify(payload, headers)).toThrow();
    expect(() => new Webhook(a).verify(`${payload} `, headers)).toThrow();
    expect(() => signedHeaders('evt_1', payload, [], new Date())).toThrow();
  });
});

const event = (n: number, type = 'renewal.succeeded'): RenewalEvent => ({
  id: `evt_${String(n).padStart(32, '0')}`,
  type,
  createdAt: new Date(NOW.getTime() + n * 1000).toISOString(),
  data: { id: `rnw_${'a'.repeat(26)}`, provider: 'pressone', operation: 'renew', subscription: 's', status: type.slice(8), attemptCount: 1, lastErrorClass: 'success', reason: null },
});
const endpoint = (id: string, extra: Partial<EndpointRecord> = {}): EndpointRecord => ({
  id,
  url: `https://${id}.example.com/hook`,
  secrets: [{ secret: generateSecret(), createdAt: NOW.toISOString() }],
  enabled: true,
  createdAt: NOW.toISOString(),
  createdBy: 'ops',
  ...extra,
});

describe('fan-out', () => {
  it('one message per enabled endpoint that wants the type, per event', () => {
    const all = endpoint('ep_all');
    const failedOnly = endpoint('ep_failed', { types: ['renewal.failed'] });
    const off = endpoint('ep_off', { enabled: false });
    const entries = fanOut([event(1), event(2, 'renewal.failed')], [all, failedOnly, off]);
    expect(entries.map((e) => `${e.message.endpointId} ${e.message.event.type} ${e.message.attempt}`)).toEqual([
      'ep_all renewal.succeeded 1',
      'ep_all renewal.failed 1',
      'ep_failed renewal.failed 1',
    ]);
    expect(wantsType(undefined, 'x')).toBe(true);
    expect(wantsType([], 'x')).toBe(true);
  });
});

/** The delivery function over an in-memory store and queue, and a fake HTTP. */
const harness = (endpoints: EndpointRecord[], post: Post, options: { schedule?: number[]; limiter?: Limiter; now?: () => Date } = {}) => {
  const byId = new Map(endpoints.map((e) => [e.id, { ...e }]));
  const attempts: Array<DeliveryAttempt & { endpointId: string }> = [];
  const dead: Array<{ endpointId: string; eventId: string; reason: string }> = [];
  const sent: DeliveryEntry[] = [];
  const logged: GatewayEvent[] = [];
  const published: GatewayEvent[] = [];
  const store: DeliveryStore = {
    get: (id) => Promise.resolve(byId.get(id)),
    list: () => Promise.resolve([...byId.values()]),
    recordAttempt: (endpointId, a) => (attempts.push({ ...a, endpointId }), Promise.resolve()),
    recordSuccess: (id) => {
      const e = byId.get(id);
      if (e) byId.set(id, { ...e, failingSince: undefined });
      return Promise.resolve();
    },
    recordFailure: (id, at) => {
      const e = byId.get(id);
      if (!e) return Promise.resolve(undefined);
      const since = e.failingSince ?? at.toISOString();
      byId.set(id, { ...e, failingSince: since });
      return Promise.resolve(since);
    },
    disable: (id, since, reason, at) => {
      const e = byId.get(id);
      if (!e?.enabled || e.failingSince !== since) return Promise.resolve(false);
      byId.set(id, { ...e, enabled: false, disabledAt: at.toISOString(), disabledReason: reason });
      return Promise.resolve(true);
    },
    recordDeadLetter: (endpointId, e, reason) => (dead.push({ endpointId, eventId: e.id, reason }), Promise.resolve()),
  };
  const handler = createDeliveryHandler({
    store,
    queue: { send: (entries) => (sent.push(...entries), Promise.resolve()) },
    post,
    ...(options.limiter ? { limiterFor: () => options.limiter as Limiter } : {}),
    log: { append: (events) => (logged.push(...events), Promise.resolve(new Set(events.map((e) => e.id)))) },
    publisher: { publish: (events) => (published.push(...events), Promise.resolve([])) },
    schedule: options.schedule ?? [5, 300, 1800, 7200, 18000, 36000, 36000],
    timeoutMs: 1000,
    logger: createLogger('delivery', 'SILENT'),
    now: options.now ?? (() => NOW),
    sleep: () => Promise.resolve(),
  });
  return { handler, byId, attempts, dead, sent, logged, published };
};
const sqsEvent = (messages: readonly DeliveryMessage[]): SQSEvent =>
  ({ Records: messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) })) }) as unknown as SQSEvent;
const ok: Post = () => Promise.resolve({ kind: 'response', status: 204 });

describe('delivery function', () => {
  it('posts the event signed with the endpoint secret, webhook-id the event id, and records the attempt', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const calls: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    // The real clock: the receiver's library refuses timestamps more than 5 minutes off.
    const h = harness([ep], (url, headers, body) => (calls.push({ url, headers, body }), Promise.resolve({ kind: 'response', status: 200 })), { now: () => new Date() });
    expect(await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 1 }]))).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe(ep.url);
    expect(calls[0]?.headers['webhook-id']).toBe(event(1).id);
    expect(new Webhook(ep.secrets[0]?.secret ?? '').verify(calls[0]?.body ?? '', calls[0]?.headers ?? {})).toEqual(event(1));
    expect(h.attempts).toEqual([expect.objectContaining({ eventId: event(1).id, attempt: 1, statusCode: 200, outcome: 'delivered', error: null })]);
    expect(h.sent).toEqual([]);
  });

  it('a failure is retried on the schedule: the next attempt with the delay, Retry-After honoured, hops past 15 minutes', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const h = harness([ep], () => Promise.resolve({ kind: 'response', status: 503, retryAfter: '120' }));
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 1 }]));
    expect(h.sent).toEqual([{ message: { endpointId: ep.id, event: event(1), attempt: 2 }, delaySeconds: 120 }]);
    expect(h.attempts[0]).toMatchObject({ outcome: 'retry', statusCode: 503, error: 'HTTP 503', nextAttemptAt: new Date(NOW.getTime() + 120_000).toISOString() });
    // Attempt 3 failing waits 30 minutes: SQS delays at most 15, so the message carries notBefore.
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 3 }]));
    expect(h.sent[1]).toEqual({ message: { endpointId: ep.id, event: event(1), attempt: 4, notBefore: new Date(NOW.getTime() + 1800_000).toISOString() }, delaySeconds: 900 });
    // A message whose notBefore has not come goes back without an attempt.
    const before = h.attempts.length;
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 4, notBefore: new Date(NOW.getTime() + 1000_000).toISOString() }]));
    expect(h.attempts).toHaveLength(before);
    expect(h.sent[2]).toEqual({ message: { endpointId: ep.id, event: event(1), attempt: 4, notBefore: new Date(NOW.getTime() + 1000_000).toISOString() }, delaySeconds: 900 });
  });

  it('410 stops at once: a dead letter, no retry, and it does not count towards disabling', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const h = harness([ep], () => Promise.resolve({ kind: 'response', status: 410 }));
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 1 }]));
    expect(h.sent).toEqual([]);
    expect(h.dead).toEqual([{ endpointId: ep.id, eventId: event(1).id, reason: 'gone' }]);
    expect(h.byId.get(ep.id)?.failingSince).toBeUndefined();
  });

  it('the last attempt failing leaves a dead-letter record', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const h = harness([ep], () => Promise.resolve({ kind: 'error', error: 'ECONNREFUSED' }), { schedule: [1, 1] });
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 3 }]));
    expect(h.sent).toEqual([]);
    expect(h.dead).toEqual([{ endpointId: ep.id, eventId: event(1).id, reason: 'exhausted' }]);
    expect(h.attempts[0]).toMatchObject({ statusCode: null, error: 'ECONNREFUSED', outcome: 'dead' });
  });

  it('a public name resolving to a private address is a failed attempt, retried; the batch does not fail and the other endpoint is served', async () => {
    const rebound = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const fine = endpoint('ep_bbbbbbbbbbbbbbbbbbbbbbbbbb');
    const resolve: Resolve = (host) => Promise.resolve(host === new URL(rebound.url).hostname ? [{ address: '10.0.0.5', family: 4 }] : []);
    const refusing = createHttpPost({ publicOnly: true, resolve });
    // The real check, then a fake receiver for whatever it lets through (nothing here connects).
    const h = harness([rebound, fine], async (url, headers, body, timeoutMs) => (url === rebound.url ? refusing(url, headers, body, timeoutMs) : { kind: 'response', status: 204 }));
    const result = await h.handler(sqsEvent([{ endpointId: rebound.id, event: event(1), attempt: 1 }, { endpointId: fine.id, event: event(1), attempt: 1 }]));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(h.attempts.find((a) => a.endpointId === rebound.id)).toMatchObject({ statusCode: null, error: 'address not public: 10.0.0.5', outcome: 'retry' });
    expect(h.attempts.find((a) => a.endpointId === fine.id)).toMatchObject({ statusCode: 204, outcome: 'delivered' });
    expect(h.sent).toEqual([{ message: { endpointId: rebound.id, event: event(1), attempt: 2 }, delaySeconds: 5 }]);
  });

  it('an endpoint failing for 5 days straight is disabled and endpoint.disabled is logged, published and sent to the other endpoints', async () => {
    const failing = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa', { failingSince: new Date(NOW.getTime() - 5 * DAY).toISOString() });
    const other = endpoint('ep_bbbbbbbbbbbbbbbbbbbbbbbbbb');
    const h = harness([failing, other], (url) => Promise.resolve({ kind: 'response', status: url === failing.url ? 500 : 204 }));
    await h.handler(sqsEvent([{ endpointId: failing.id, event: event(1), attempt: 2 }]));
    expect(h.byId.get(failing.id)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('5 days') });
    const disabled = endpointDisabledEvent(failing, failing.failingSince ?? '', 'failing for 5 days without a successful delivery', NOW);
    expect(h.logged).toEqual([disabled]);
    expect(h.published).toEqual([disabled]);
    expect(h.sent.filter((e) => e.message.event.type === 'endpoint.disabled').map((e) => e.message.endpointId)).toEqual([other.id]);
    // Its queued deliveries are dropped from now on.
    const attempts = h.attempts.length;
    await h.handler(sqsEvent([{ endpointId: failing.id, event: event(1), attempt: 3 }]));
    expect(h.attempts).toHaveLength(attempts);
  });

  it('an endpoint failing for less than 5 days, or succeeding in between, stays enabled', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa', { failingSince: new Date(NOW.getTime() - 4 * DAY).toISOString() });
    const h = harness([ep], () => Promise.resolve({ kind: 'response', status: 500 }));
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 1 }]));
    expect(h.byId.get(ep.id)?.enabled).toBe(true);
    const recovered = harness([{ ...ep, failingSince: new Date(NOW.getTime() - 6 * DAY).toISOString() }], ok);
    await recovered.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 1 }]));
    expect(recovered.byId.get(ep.id)).toMatchObject({ enabled: true, failingSince: undefined });
  });

  it('over the endpoint rate limit a delivery goes back to the queue, the same attempt, without a call', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    let calls = 0;
    const full: Limiter = { reserve: () => Promise.resolve({ slots: [], retryInMs: 2500 }), toleranceMs: 0 };
    const h = harness([ep], () => (calls++, Promise.resolve({ kind: 'response', status: 204 })), { limiter: full });
    await h.handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 2 }]));
    expect(calls).toBe(0);
    expect(h.sent).toEqual([{ message: { endpointId: ep.id, event: event(1), attempt: 2 }, delaySeconds: 3 }]);
    const free: Limiter = { reserve: () => Promise.resolve({ slots: [Date.now()], retryInMs: 0 }), toleranceMs: 0 };
    await harness([ep], () => (calls++, Promise.resolve({ kind: 'response', status: 204 })), { limiter: free }).handler(sqsEvent([{ endpointId: ep.id, event: event(1), attempt: 2 }]));
    expect(calls).toBe(1);
  });

  it('one endpoint failing does not hold another: its own later messages wait, the other endpoint gets all of its own, in event order', async () => {
    const down = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const up = endpoint('ep_bbbbbbbbbbbbbbbbbbbbbbbbbb');
    const calls: string[] = [];
    const h = harness([down, up], (url, headers) => (calls.push(`${url} ${headers['webhook-id']}`), Promise.resolve(url === down.url ? { kind: 'error', error: 'timeout after 1000 ms' } : { kind: 'response', status: 204 })));
    await h.handler(sqsEvent([3, 1, 2].flatMap((n) => [{ endpointId: down.id, event: event(n), attempt: 1 }, { endpointId: up.id, event: event(n), attempt: 1 }])));
    expect(calls.filter((c) => c.startsWith(up.url))).toEqual([1, 2, 3].map((n) => `${up.url} ${event(n).id}`));
    // The down endpoint was called once; its other two messages went back with the first delay, not as attempts.
    expect(calls.filter((c) => c.startsWith(down.url))).toEqual([`${down.url} ${event(1).id}`]);
    expect(h.sent.map((e) => [e.message.event.id, e.message.attempt, e.delaySeconds])).toEqual([
      [event(1).id, 2, 5],
      [event(2).id, 1, 5],
      [event(3).id, 1, 5],
    ]);
  });

  it('drops a message it does not understand and a delivery for an endpoint that is gone; fails only what errs', async () => {
    const ep = endpoint('ep_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const h = harness([ep], () => Promise.reject(new Error('bug')));
    const result = await h.handler({ Records: [{ messageId: 'junk', body: '{"x":1}' }, { messageId: 'gone', body: JSON.stringify({ endpointId: 'ep_cccccccccccccccccccccccccc', event: event(1), attempt: 1 }) }, { messageId: 'errs', body: JSON.stringify({ endpointId: ep.id, event: event(1), attempt: 1 }) }] } as unknown as SQSEvent);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'errs' }] });
  });
});

describe('what the endpoint routes answer', () => {
  it('matches the documented schema, with the secrets masked', async () => {
    const { EventEndpointSchema } = await import('../../openapi/schemas');
    const { endpointView } = await import('../../shared/adapters/event-endpoints');
    const secret = generateSecret();
    const record = endpoint('ep_3f9a1c0e7b5d2a4c6e8f0a1b2c', { types: ['renewal.failed'], secrets: rotateSecrets([{ secret, createdAt: NOW.toISOString() }], generateSecret(), NOW) });
    const view = endpointView(record, NOW);
    expect(EventEndpointSchema.safeParse(view).error?.issues ?? []).toEqual([]);
    expect(JSON.stringify(view)).not.toContain(secret);
    expect(view.secrets.map((s) => s.active)).toEqual([true, true]);
  });

  it("shows slowUntil only while it is ahead: the endpoint's deliveries are on the slow lane until then", async () => {
    const { EventEndpointSchema } = await import('../../openapi/schemas');
    const { endpointView } = await import('../../shared/adapters/event-endpoints');
    const base = endpoint('ep_3f9a1c0e7b5d2a4c6e8f0a1b2c', {});
    const ahead = new Date(NOW.getTime() + 60_000).toISOString();
    expect(endpointView({ ...base, slowUntil: ahead }, NOW).slowUntil).toBe(ahead);
    expect(endpointView({ ...base, slowUntil: NOW.toISOString() }, NOW).slowUntil).toBeNull();
    expect(endpointView({ ...base, slowUntil: new Date(NOW.getTime() - 1).toISOString() }, NOW).slowUntil).toBeNull();
    expect(endpointView(base, NOW).slowUntil).toBeNull();
    expect(EventEndpointSchema.safeParse(endpointView({ ...base, slowUntil: ahead }, NOW)).error?.issues ?? []).toEqual([]);
  });
});
