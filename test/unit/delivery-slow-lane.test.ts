/**
 * The slow lane of push delivery (docs/architecture.md#push-delivery-to-endpoints): a call over
 * DELIVERY_SLOW_CALL_MS marks its endpoint slow (slowUntil, folded into the endpoint write that
 * follows the attempt), the fan-out and the main lane route a slow endpoint's messages to the slow
 * queue, retries follow the endpoint's lane, the slow lane delivers what it gets, and a forward
 * that fails brings the message back. Store, queues and HTTP are faked; no timing is asserted (the
 * one slow call below only has to take at least its sleep, never at most).
 */
import { describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { fanOut, onLane, sendByLane, type DeliveryEntry, type DeliveryMessage } from '../../shared/delivery/queue';
import { SLOW_FOR_MS, isSlow, slowUntilAfter } from '../../shared/delivery/policy';
import { DEFAULT_DELIVERY_SLOW_CALL_MS, deliveryTuning } from '../../shared/delivery/tuning';
import { createDeliveryHandler, type DeliveryStore, type Post } from '../../functions/delivery/app';
import { createEventsHandler } from '../../functions/events/app';
import type { DeliveryAttempt, EndpointRecord } from '../../shared/adapters/event-endpoints';
import type { GatewayEvent, RenewalEvent } from '../../shared/events/event';
import type { EventLog } from '../../shared/adapters/event-log';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { marshall } from '@aws-sdk/util-dynamodb';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { createLogger } from '../../shared/logger';

const NOW = new Date('2026-11-29T12:00:00.000Z');
const LATER = new Date(NOW.getTime() + 60_000).toISOString();
const EARLIER = new Date(NOW.getTime() - 60_000).toISOString();

const event = (n: number): RenewalEvent => ({
  id: `evt_${String(n).padStart(32, '0')}`,
  type: 'renewal.succeeded',
  createdAt: new Date(NOW.getTime() + n * 1000).toISOString(),
  data: { id: `rnw_${'a'.repeat(26)}`, provider: 'pressone', operation: 'renew', subscription: 's', status: 'succeeded', attemptCount: 1, lastErrorClass: 'success', reason: null },
});
const endpoint = (id: string, extra: Partial<EndpointRecord> = {}): EndpointRecord => ({
  id,
  url: `https://${id}.example.com/hook`,
  secrets: [{ secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64'), createdAt: NOW.toISOString() }],
  enabled: true,
  createdAt: NOW.toISOString(),
  createdBy: 'ops',
  ...extra,
});
const A = 'ep_aaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'ep_bbbbbbbbbbbbbbbbbbbbbbbbbb';

/** The delivery function with a main and a slow queue, recording what each got and what the store wrote. */
const harness = (endpoints: EndpointRecord[], post: Post, options: { slowCallMs?: number; slowSend?: () => Promise<void>; schedule?: number[]; slowLane?: boolean } = {}) => {
  const byId = new Map(endpoints.map((e) => [e.id, { ...e }]));
  const attempts: DeliveryAttempt[] = [];
  const main: DeliveryEntry[] = [];
  const moved: string[] = [];
  const slow: DeliveryEntry[] = [];
  const writes: Array<{ kind: 'success' | 'failure'; id: string; slowUntil: Date | undefined }> = [];
  const store: DeliveryStore = {
    get: (id) => Promise.resolve(byId.get(id)),
    list: () => Promise.resolve([...byId.values()]),
    recordAttempt: (_id, a) => (attempts.push(a), Promise.resolve()),
    recordSuccess: (id, _at, slowUntil) => {
      writes.push({ kind: 'success', id, slowUntil });
      const e = byId.get(id);
      if (e) byId.set(id, { ...e, failingSince: undefined, ...(slowUntil ? { slowUntil: slowUntil.toISOString() } : {}) });
      return Promise.resolve();
    },
    recordFailure: (id, at, slowUntil) => {
      writes.push({ kind: 'failure', id, slowUntil });
      const e = byId.get(id);
      if (!e) return Promise.resolve(undefined);
      const since = e.failingSince ?? at.toISOString();
      byId.set(id, { ...e, failingSince: since, ...(slowUntil ? { slowUntil: slowUntil.toISOString() } : {}) });
      return Promise.resolve(since);
    },
    disable: () => Promise.resolve(false),
    recordDeadLetter: () => Promise.resolve(),
  };
  const handler = createDeliveryHandler({
    store,
    queue: { send: (entries) => (main.push(...entries), Promise.resolve()) },
    ...(options.slowLane === false
      ? {}
      : { slowQueue: { send: async (entries) => (await options.slowSend?.(), slow.push(...entries), undefined) } }),
    slowCallMs: options.slowCallMs ?? 60_000,
    post,
    log: { append: (events) => Promise.resolve(new Set(events.map((e) => e.id))) },
    publisher: { publish: () => Promise.resolve([]) },
    schedule: options.schedule ?? [5, 300],
    timeoutMs: 1000,
    logger: createLogger('delivery', 'SILENT'),
    now: () => NOW,
    sleep: () => Promise.resolve(),
    observer: { attempted: () => undefined, movedToSlowLane: (id) => void moved.push(id), flush: () => undefined },
  });
  return { handler, byId, attempts, main, slow, writes, moved };
};
const sqsEvent = (messages: readonly DeliveryMessage[]): SQSEvent =>
  ({ Records: messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m) })) }) as unknown as SQSEvent;
const ok: Post = () => Promise.resolve({ kind: 'response', status: 204 });
/** A receiver that answers 2xx after at least `ms` (the call takes no less; how much more does not matter). */
const slowOk =
  (ms: number): Post =>
  () =>
    new Promise((resolve) => setTimeout(() => resolve({ kind: 'response', status: 200 }), ms));

describe('the slow decision', () => {
  it('a call longer than the threshold marks the endpoint for 10 minutes from the attempt; one at or under it does not', () => {
    expect(slowUntilAfter(2001, 2000, NOW)).toEqual(new Date(NOW.getTime() + SLOW_FOR_MS));
    expect(SLOW_FOR_MS).toBe(10 * 60 * 1000);
    expect(slowUntilAfter(2000, 2000, NOW)).toBeUndefined();
    expect(slowUntilAfter(5, 2000, NOW)).toBeUndefined();
  });
  it('an endpoint is slow while slowUntil is in the future', () => {
    expect(isSlow({ slowUntil: LATER }, NOW)).toBe(true);
    expect(isSlow({ slowUntil: EARLIER }, NOW)).toBe(false);
    expect(isSlow({}, NOW)).toBe(false);
  });
  it('DELIVERY_SLOW_CALL_MS: 2000 by default, 100 ms to 60 s', () => {
    expect(DEFAULT_DELIVERY_SLOW_CALL_MS).toBe(2000);
    expect(deliveryTuning({}).slowCallMs).toBe(2000);
    expect(deliveryTuning({ DELIVERY_SLOW_CALL_MS: '300' }).slowCallMs).toBe(300);
    for (const bad of ['50', '60001', 'slow', '1.5']) expect(() => deliveryTuning({ DELIVERY_SLOW_CALL_MS: bad }), bad).toThrow(/DELIVERY_SLOW_CALL_MS/);
  });
});

describe('lanes', () => {
  it('the fan-out marks the messages of endpoints slow at that time; sendByLane puts them on the slow queue', async () => {
    const entries = fanOut([event(1)], [endpoint(A, { slowUntil: LATER }), endpoint(B, { slowUntil: EARLIER })], NOW);
    expect(entries.map((e) => [e.message.endpointId, e.message.lane])).toEqual([
      [A, 'slow'],
      [B, undefined],
    ]);
    // Without `at` (replay) nothing is marked.
    expect(fanOut([event(1)], [endpoint(A, { slowUntil: LATER })]).map((e) => e.message.lane)).toEqual([undefined]);
    const main: DeliveryEntry[] = [];
    const slow: DeliveryEntry[] = [];
    await sendByLane({ main: { send: async (e) => void main.push(...e) }, slow: { send: async (e) => void slow.push(...e) } }, entries);
    expect(main.map((e) => e.message.endpointId)).toEqual([B]);
    expect(slow.map((e) => [e.message.endpointId, e.message.lane])).toEqual([[A, 'slow']]);
    // No slow queue: everything on the main one, unmarked.
    const only: DeliveryEntry[] = [];
    await sendByLane({ main: { send: async (e) => void only.push(...e) } }, entries);
    expect(only.map((e) => [e.message.endpointId, e.message.lane])).toEqual([
      [A, undefined],
      [B, undefined],
    ]);
    expect(onLane({ message: { endpointId: A, event: event(1), attempt: 1, lane: 'slow' } }, false).message).not.toHaveProperty('lane');
  });

  it('the events function sends a slow endpoint new messages straight to the slow queue', async () => {
    const main: DeliveryEntry[] = [];
    const slow: DeliveryEntry[] = [];
    const renewal = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'a@example.com', params: {} }, 'key-h', new Date('2026-11-01T00:00:00.000Z'));
    const item = { pk: `RENEWAL#${renewal.id}`, sk: 'RENEWAL', ...renewal };
    const image = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
    const record: DynamoDBRecord = {
      eventID: 'e1',
      eventName: 'MODIFY',
      dynamodb: {
        Keys: image({ pk: item.pk, sk: item.sk }),
        OldImage: image({ ...item, status: 'in_progress' }),
        NewImage: image({ ...item, status: 'succeeded', updatedAt: '2026-11-01T00:00:01.000Z' }),
        SequenceNumber: '0000000001',
      },
    };
    const handler = createEventsHandler({
      log: { append: (events: readonly GatewayEvent[]) => Promise.resolve(new Set(events.map((e) => e.id))) } as unknown as EventLog,
      publisher: { publish: () => Promise.resolve([]) },
      logger: createLogger('events', 'SILENT'),
      deliveries: {
        endpoints: () => Promise.resolve([endpoint(A, { slowUntil: LATER }), endpoint(B)]),
        queue: { send: async (e) => void main.push(...e) },
        slowQueue: { send: async (e) => void slow.push(...e) },
      },
      now: () => NOW,
    });
    expect(await handler({ Records: [record] } as unknown as DynamoDBStreamEvent)).toEqual({ batchItemFailures: [] });
    expect(main.map((e) => e.message.endpointId)).toEqual([B]);
    expect(slow.map((e) => [e.message.endpointId, e.message.lane])).toEqual([[A, 'slow']]);
  });
});

describe('delivery on two lanes', () => {
  it('a slow call marks the endpoint in the write that follows the attempt (no write of its own); a fast one does not', async () => {
    const h = harness([endpoint(A)], slowOk(150), { slowCallMs: 100 });
    expect(await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1 }]))).toEqual({ batchItemFailures: [] });
    expect(h.writes).toEqual([{ kind: 'success', id: A, slowUntil: new Date(NOW.getTime() + SLOW_FOR_MS) }]);
    expect(h.byId.get(A)?.slowUntil).toBe(new Date(NOW.getTime() + SLOW_FOR_MS).toISOString());
    const fast = harness([endpoint(A)], ok);
    await fast.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1 }]));
    expect(fast.writes).toEqual([{ kind: 'success', id: A, slowUntil: undefined }]);
  });

  it('a slow call that failed marks the endpoint with the failure write, and its retry goes to the slow lane', async () => {
    const h = harness([endpoint(A)], () => new Promise((resolve) => setTimeout(() => resolve({ kind: 'response', status: 503 }), 150)), { slowCallMs: 100 });
    await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1 }]));
    expect(h.writes).toEqual([{ kind: 'failure', id: A, slowUntil: new Date(NOW.getTime() + SLOW_FOR_MS) }]);
    expect(h.main).toEqual([]);
    expect(h.slow).toEqual([{ message: { endpointId: A, event: event(1), attempt: 2, lane: 'slow' }, delaySeconds: 5 }]);
  });

  it('after a slow call the rest of the endpoint batch moves to the slow lane uncalled; another endpoint stays on the main lane', async () => {
    let calls = 0;
    const h = harness([endpoint(A), endpoint(B)], (url) => (calls++, url.includes(A) ? slowOk(150)('', {}, '', 0) : ok('', {}, '', 0)), { slowCallMs: 100 });
    await h.handler(sqsEvent([1, 2, 3].flatMap((n) => [{ endpointId: A, event: event(n), attempt: 1 }, { endpointId: B, event: event(n), attempt: 1 }])));
    expect(calls).toBe(1 + 3);
    expect(h.slow.map((e) => [e.message.endpointId, e.message.event.id, e.message.attempt, e.message.lane])).toEqual([
      [A, event(2).id, 1, 'slow'],
      [A, event(3).id, 1, 'slow'],
    ]);
    expect(h.main).toEqual([]);
  });

  it('a main-lane message for a slow endpoint is forwarded to the slow queue as it is, not called, and acknowledged', async () => {
    let calls = 0;
    const h = harness([endpoint(A, { slowUntil: LATER })], () => (calls++, ok('', {}, '', 0)));
    const message: DeliveryMessage = { endpointId: A, event: event(1), attempt: 3, replay: true };
    expect(await h.handler(sqsEvent([message]))).toEqual({ batchItemFailures: [] });
    expect(calls).toBe(0);
    expect(h.attempts).toEqual([]);
    expect(h.slow).toEqual([{ message: { ...message, lane: 'slow' } }]);
    expect(h.main).toEqual([]);
    // Counted (EventDeliveriesMovedToSlowLane), per endpoint.
    expect(h.moved).toEqual([A]);
  });

  it('a forward that fails is a batch item failure: the message comes back, nothing is called', async () => {
    let calls = 0;
    const h = harness([endpoint(A, { slowUntil: LATER }), endpoint(B)], () => (calls++, ok('', {}, '', 0)), { slowSend: () => Promise.reject(new Error('SQS down')) });
    const result = await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1 }, { endpointId: B, event: event(1), attempt: 1 }]));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }] });
    // The other endpoint is served all the same.
    expect(calls).toBe(1);
    expect(h.attempts.map((a) => a.eventId)).toEqual([event(1).id]);
  });

  it('the slow lane delivers what it gets (no ping-pong), and its retries stay there while the endpoint is slow', async () => {
    let calls = 0;
    const h = harness([endpoint(A, { slowUntil: LATER })], () => (calls++, Promise.resolve({ kind: 'response', status: 500 })));
    await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1, lane: 'slow' }]));
    expect(calls).toBe(1);
    expect(h.slow).toEqual([{ message: { endpointId: A, event: event(1), attempt: 2, lane: 'slow' }, delaySeconds: 5 }]);
    expect(h.main).toEqual([]);
  });

  it('a slow-lane message for an endpoint no longer slow is delivered there, its retry goes back to the main lane', async () => {
    const h = harness([endpoint(A, { slowUntil: EARLIER })], () => Promise.resolve({ kind: 'response', status: 500 }));
    await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1, lane: 'slow' }]));
    expect(h.main).toEqual([{ message: { endpointId: A, event: event(1), attempt: 2 }, delaySeconds: 5 }]);
    expect(h.slow).toEqual([]);
  });

  it('without a slow queue nothing is forwarded: a slow endpoint is delivered on the one lane, as before', async () => {
    let calls = 0;
    const h = harness([endpoint(A, { slowUntil: LATER })], () => (calls++, Promise.resolve({ kind: 'response', status: 500 })), { slowLane: false });
    await h.handler(sqsEvent([{ endpointId: A, event: event(1), attempt: 1 }]));
    expect(calls).toBe(1);
    expect(h.main).toEqual([{ message: { endpointId: A, event: event(1), attempt: 2 }, delaySeconds: 5 }]);
  });
});
