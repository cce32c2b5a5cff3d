/**
 * The webhook-id binding against DynamoDB Local (issue 9, #2): one conditional write binds a
 * webhook-id to the digest of what it asked for; the same digest is a repeat, another one a 409;
 * a binding outlives every replay the signature check lets through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BINDING_TTL_SECONDS, bindingDigest, WebhookBindings } from '../../shared/adapters/webhook-bindings';
import { WEBHOOK_TOLERANCE_SECONDS } from '../../shared/http/auth';
import { HttpError } from '../../shared/http/problem';
import { ScheduleStore } from '../../shared/adapters/schedule-store';
import { scheduleFromRequest } from '../../shared/domain/schedule';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let bindings: WebhookBindings;
let schedules: ScheduleStore;
beforeAll(async () => {
  const t = await createRenewalTable('bindings');
  dynamo = t.dynamo;
  bindings = new WebhookBindings(dynamo, t.tableName);
  schedules = new ScheduleStore(dynamo, t.tableName);
});
afterAll(() => dynamo?.destroy());

const outcome = (p: Promise<unknown>) => p.catch((e: unknown) => (e instanceof HttpError ? e.status : e));

describe('webhook-id bindings', () => {
  it('binds a webhook-id once: the same request is a repeat, anything else a 409', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const asked = bindingDigest({ kind: 'renewal', idempotencyKey: 'k1', request: { provider: 'pelcro', params: { userId: 34, siteId: 1 } } });
    expect(await bindings.bind('msg_1', asked, now)).toBe('first');
    // Key order does not matter; the content does.
    expect(await bindings.bind('msg_1', bindingDigest({ request: { params: { siteId: 1, userId: 34 }, provider: 'pelcro' }, idempotencyKey: 'k1', kind: 'renewal' }), now)).toBe('repeat');
    expect(await outcome(bindings.bind('msg_1', bindingDigest({ kind: 'renewal', idempotencyKey: 'k1', request: { provider: 'pelcro', params: { userId: 35, siteId: 1 } } }), now))).toBe(409);
    expect(await outcome(bindings.bind('msg_1', bindingDigest({ kind: 'renewal', idempotencyKey: 'attacker-1', request: { provider: 'pelcro', params: { userId: 34, siteId: 1 } } }), now))).toBe(409);
    // Another webhook-id is another message.
    expect(await bindings.bind('msg_2', asked, now)).toBe('first');
  });

  it('outlives every replay the signature lets through (twice the tolerance), and only then counts as absent', async () => {
    expect(BINDING_TTL_SECONDS).toBeGreaterThanOrEqual(2 * WEBHOOK_TOLERANCE_SECONDS);
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    await bindings.bind('msg_ttl', 'digest-a', new Date(t0));
    expect(await outcome(bindings.bind('msg_ttl', 'digest-b', new Date(t0 + 2 * WEBHOOK_TOLERANCE_SECONDS * 1000)))).toBe(409);
    expect(await outcome(bindings.bind('msg_ttl', 'digest-b', new Date(t0 + BINDING_TTL_SECONDS * 1000)))).toBe(409);
    // Expired but not yet deleted by TTL: no replay of it can verify any more, so it is free again.
    expect(await bindings.bind('msg_ttl', 'digest-b', new Date(t0 + (BINDING_TTL_SECONDS + 1) * 1000))).toBe('first');
  });
});

describe('schedule writes conditional on the version read', () => {
  it('a PUT does not overwrite a schedule changed since it was read', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const made = await scheduleFromRequest('pressone', 'v@example.com', { cadence: 'P1M', nextRunAt: '2027-01-01T00:00:00Z' }, now);
    if (!made.ok) throw new Error('invalid');
    expect(await schedules.put(made.value, 'absent')).toBe(true);
    expect(await schedules.put(made.value, 'absent')).toBe(false);
    const read = await schedules.get('pressone', 'v@example.com');
    expect(await schedules.advance(read!, { runIndex: 1, nextRunAt: '2027-02-01T00:00:00.000Z' }, { renewalId: 'r', periodStart: '2027-01-01T00:00:00.000Z' }, now)).toBe(true);
    // The writer that read before the advance loses; the advance stands.
    expect(await schedules.put({ ...made.value, version: read!.version + 1 }, { version: read!.version })).toBe(false);
    expect((await schedules.get('pressone', 'v@example.com'))?.runIndex).toBe(1);
    expect(await schedules.cancel('pressone', 'v@example.com', now, { version: read!.version, webhooks: {} })).toBe(false);
    expect(await schedules.cancel('pressone', 'v@example.com', now, { version: read!.version + 1, webhooks: { m: 1 } })).toBe(true);
  });
});
