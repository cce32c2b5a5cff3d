/**
 * The simulator's stores must decide exactly as the DynamoDB ones do: the same cases run against
 * the DynamoDB adapters (on DynamoDB Local) and the in-memory ones, and every answer and every
 * record read back must be equal. Each case also asserts what the answers mean, so a case fails on
 * its own when both implementations are wrong the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { ScheduleStore, shardOf } from '../../shared/adapters/schedule-store';
import { DynamoRateLimiter, type Limiter, type RateLimit } from '../../shared/adapters/rate-limiter';
import { DynamoProviderPause, type ProviderPause } from '../../shared/adapters/provider-pause';
import { newRenewalRecord, type Attempt, type RenewalRecord } from '../../shared/domain/renewal';
import type { ScheduleRecord } from '../../shared/domain/schedule';
import { createRenewalTable } from '../support/tables';
import { MemoryTable } from './memory/table';
import { immediateIo } from './memory/io';
import { MemoryRenewalStore } from './memory/renewal-store';
import { MemoryScheduleStore } from './memory/schedule-store';
import { MemoryRateLimiter } from './memory/rate-limiter';
import { MemoryProviderPause } from './memory/provider-pause';
import type { RenewalStoreApi, ScheduleStoreApi } from './memory/ports';

interface Subject {
  readonly renewals: RenewalStoreApi;
  readonly schedules: ScheduleStoreApi;
  limiter(key: string, rate: RateLimit, now: () => number): Limiter;
  pause(provider: string, pauseMs: number): ProviderPause;
}

let dynamo: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('conformance'));
});
afterAll(() => dynamo.destroy());

const dynamoSubject = (): Subject => ({
  renewals: new RenewalStore(dynamo, tableName),
  schedules: new ScheduleStore(dynamo, tableName),
  limiter: (key, rate, now) => new DynamoRateLimiter(dynamo, tableName, key, rate, now),
  pause: (provider, pauseMs) => new DynamoProviderPause(dynamo, tableName, provider, pauseMs),
});

const memorySubject = (): Subject => {
  const table = new MemoryTable();
  return {
    renewals: new MemoryRenewalStore(table, immediateIo),
    schedules: new MemoryScheduleStore(table, immediateIo),
    limiter: (key, rate, now) => new MemoryRateLimiter(table, immediateIo, key, rate, now),
    pause: (provider, pauseMs) => new MemoryProviderPause(table, immediateIo, provider, pauseMs),
  };
};

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);
const LEASE = 35_000;

const pressone = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;
const renewal = (key: string, createdAtSeconds = 0): RenewalRecord => newRenewalRecord(pressone(`${key}@example.com`), key, at(createdAtSeconds));
const attempt = (n: number, errorClass: Attempt['errorClass'] = 'success'): Attempt => ({
  number: n,
  startedAt: at(n).toISOString(),
  latencyMs: 3,
  httpStatus: 200,
  errorClass,
  message: 'ok',
});
const errorName = (error: unknown): string => (error instanceof Error ? error.name : 'not an Error');
const failure = async (work: Promise<unknown>): Promise<string> => work.then(() => 'no error', errorName);

/** A case runs against one subject and returns its transcript: every answer, in order. */
type Case = (s: Subject, prefix: string) => Promise<unknown[]>;

const CASES: Record<string, Case> = {
  'create is once per key; a repeat gets the holder back': async ({ renewals }, p) => {
    const first = renewal(`${p}-create`);
    const out = [await renewals.create(first), await renewals.create(newRenewalRecord(pressone('other@example.com'), `${p}-create`, at(5)))];
    expect(out[0]).toEqual({ created: true });
    expect(out[1]).toEqual({ created: false, existing: first });
    return [...out, await renewals.get(first.id), await renewals.get('rnw_missing')];
  },

  'claim: one lease at a time; an expired lease is taken over as interrupted': async ({ renewals }, p) => {
    const r = renewal(`${p}-claim`);
    await renewals.create(r);
    const first = await renewals.claim(r.id, 'w1', at(1), LEASE);
    const during = await renewals.claim(r.id, 'w2', at(30), LEASE);
    const atExpiry = await renewals.claim(r.id, 'w2', at(36), LEASE);
    const after = await renewals.claim(r.id, 'w3', at(36.001), LEASE);
    expect(first).toMatchObject({ claimed: true, interrupted: false });
    expect(during).toMatchObject({ claimed: false, current: { leaseOwner: 'w1' } });
    expect(atExpiry.claimed).toBe(false);
    expect(after).toMatchObject({ claimed: true, interrupted: true, previous: { leaseOwner: 'w1' } });
    return [first, during, atExpiry, after, await renewals.get(r.id), await renewals.claim('rnw_missing', 'w', at(1), LEASE)];
  },

  'claim: a retry only once due, a finished renewal never': async ({ renewals }, p) => {
    const r = renewal(`${p}-due`);
    await renewals.create(r);
    await renewals.claim(r.id, 'w1', at(1), LEASE);
    const scheduled = await renewals.complete(r.id, 'w1', at(2), { status: 'retry_scheduled', reason: 'busy', attempts: [attempt(1, 'retryable')], nextAttemptAt: at(60).toISOString() });
    const early = await renewals.claim(r.id, 'w2', at(59.999), LEASE);
    const due = await renewals.claim(r.id, 'w2', at(60), LEASE);
    const done = await renewals.complete(r.id, 'w2', at(61), { status: 'succeeded', reason: 'ok', attempts: [attempt(2)] });
    const finished = await renewals.claim(r.id, 'w3', at(9_999), LEASE);
    expect([early.claimed, due.claimed, finished.claimed]).toEqual([false, true, false]);
    const stored = await renewals.get(r.id);
    expect(stored).toMatchObject({ status: 'succeeded', attempts: [{ number: 1 }, { number: 2 }] });
    expect(stored?.leaseOwner).toBeUndefined();
    expect(stored?.nextAttemptAt).toBeUndefined();
    return [scheduled, early, due, done, finished, stored];
  },

  'complete is fenced by the lease owner, but a fenced attempt is still recorded': async ({ renewals }, p) => {
    const r = renewal(`${p}-fence`);
    await renewals.create(r);
    await renewals.claim(r.id, 'slow', at(1), LEASE);
    await renewals.claim(r.id, 'fast', at(40), LEASE);
    const fast = await renewals.complete(r.id, 'fast', at(41), { status: 'needs_attention', reason: 'interrupted', attempts: [attempt(1, 'interrupted')] });
    const slow = await renewals.complete(r.id, 'slow', at(42), { status: 'succeeded', reason: 'ok', attempts: [attempt(2)] });
    expect([fast.fenced, slow.fenced]).toEqual([false, true]);
    const stored = await renewals.get(r.id);
    expect(stored?.status).toBe('needs_attention');
    expect(stored?.attempts).toHaveLength(2);
    const missing = await failure(renewals.complete('rnw_missing', 'w', at(1), { status: 'succeeded', reason: 'ok', attempts: [attempt(1)] }));
    return [fast, slow, stored, missing, await renewals.get('rnw_missing')];
  },

  'release gives a claim back, keeping attempts; only the owner can': async ({ renewals }, p) => {
    const r = renewal(`${p}-release`);
    await renewals.create(r);
    await renewals.claim(r.id, 'w1', at(1), LEASE);
    await renewals.release(r.id, 'intruder', at(2), 'queued', [attempt(1, 'interrupted')]);
    const untouched = await renewals.get(r.id);
    await renewals.release(r.id, 'w1', at(3), 'queued', [attempt(1, 'interrupted')]);
    const released = await renewals.get(r.id);
    expect(untouched).toMatchObject({ status: 'in_progress', leaseOwner: 'w1', attempts: [] });
    expect(released).toMatchObject({ status: 'queued', attempts: [{ errorClass: 'interrupted' }] });
    expect(released?.leaseOwner).toBeUndefined();
    await renewals.release('rnw_missing', 'w1', at(3), 'queued', []);
    return [untouched, released, await renewals.claim(r.id, 'w2', at(4), LEASE)];
  },

  'withdraw deletes only a queued renewal that was never attempted': async ({ renewals }, p) => {
    const fresh = renewal(`${p}-withdraw-fresh`);
    const attempted = renewal(`${p}-withdraw-attempted`);
    const leased = renewal(`${p}-withdraw-leased`);
    for (const r of [fresh, attempted, leased]) await renewals.create(r);
    await renewals.claim(attempted.id, 'w1', at(1), LEASE);
    await renewals.release(attempted.id, 'w1', at(2), 'queued', [attempt(1, 'interrupted')]);
    await renewals.claim(leased.id, 'w1', at(1), LEASE);
    for (const r of [fresh, attempted, leased]) await renewals.deleteUnqueued(r.id);
    await renewals.deleteUnqueued('rnw_missing');
    const after = [await renewals.get(fresh.id), await renewals.get(attempted.id), await renewals.get(leased.id)];
    expect(after.map((r) => r?.status)).toEqual([undefined, 'queued', 'in_progress']);
    return after;
  },

  'a period is held by one renewal until it fails for good': async ({ renewals }, p) => {
    const period = { provider: 'punchh', period: `${p}-40:2026-12-01T00:00:00.000Z/2027-01-01T00:00:00.000Z` } as const;
    const [a, b, c] = [renewal(`${p}-period-a`), renewal(`${p}-period-b`), renewal(`${p}-period-c`)];
    for (const r of [a, b, c]) await renewals.create(r);
    const first = await renewals.claim(a.id, 'wa', at(1), LEASE, period);
    const held = await renewals.claim(b.id, 'wb', at(2), LEASE, period);
    const again = await renewals.claim(a.id, 'wa2', at(40), LEASE, period);
    // Not claimable itself and the period held: the renewal's own reason wins.
    await renewals.claim(c.id, 'wc', at(3), LEASE);
    const both = await renewals.claim(c.id, 'wc2', at(4), LEASE, period);
    await renewals.releasePeriod(b.id, period.provider, period.period);
    const stillHeld = await renewals.claim(b.id, 'wb', at(41), LEASE, period);
    await renewals.complete(a.id, 'wa2', at(42), { status: 'failed', reason: 'refused', attempts: [attempt(1, 'permanent')] });
    await renewals.releasePeriod(a.id, period.provider, period.period);
    const afterRelease = await renewals.claim(b.id, 'wb', at(43), LEASE, period);
    const missing = await renewals.claim('rnw_missing', 'w', at(1), LEASE, period);
    await renewals.releasePeriod(a.id, 'punchh', `${p}-no-such-period`);
    expect(first).toMatchObject({ claimed: true, interrupted: false });
    expect(held).toEqual({ claimed: false, periodHeldBy: a.id });
    expect(again).toMatchObject({ claimed: true, interrupted: true });
    expect(both).toMatchObject({ claimed: false, current: { leaseOwner: 'wc' } });
    expect(stillHeld).toEqual({ claimed: false, periodHeldBy: a.id });
    expect(afterRelease).toMatchObject({ claimed: true, interrupted: false });
    return [first, held, again, both, stillHeld, afterRelease, missing];
  },

  'a renewal whose period is taken ends without a call only from a waiting status': async ({ renewals }, p) => {
    const [waiting, working] = [renewal(`${p}-dup-waiting`), renewal(`${p}-dup-working`)];
    for (const r of [waiting, working]) await renewals.create(r);
    await renewals.claim(working.id, 'w', at(1), LEASE);
    const out = [
      await renewals.completeWithoutCall(waiting.id, at(2), 'succeeded', 'done by another', 'rnw_holder'),
      await renewals.completeWithoutCall(working.id, at(2), 'succeeded', 'done by another', 'rnw_holder'),
      await renewals.completeWithoutCall('rnw_missing', at(2), 'succeeded', 'done by another', 'rnw_holder'),
    ];
    expect(out).toEqual([true, false, false]);
    return [...out, await renewals.get(waiting.id), await renewals.get(working.id)];
  },

  'exactly one of many concurrent claimers wins, with or without a period': async ({ renewals }, p) => {
    const r = renewal(`${p}-race`);
    await renewals.create(r);
    const plain = await Promise.all(Array.from({ length: 8 }, (_, i) => renewals.claim(r.id, `w${i}`, at(1), LEASE)));
    const period = { provider: 'punchh', period: `${p}-race-period` } as const;
    const rivals = Array.from({ length: 4 }, (_, i) => renewal(`${p}-race-period-${i}`));
    for (const x of rivals) await renewals.create(x);
    const locked = await Promise.all(rivals.map((x, i) => renewals.claim(x.id, `p${i}`, at(2), LEASE, period)));
    const wins = [plain.filter((c) => c.claimed).length, locked.filter((c) => c.claimed).length];
    expect(wins).toEqual([1, 1]);
    return [wins, locked.filter((c) => !c.claimed).map((c) => ('periodHeldBy' in c ? 'held' : 'current'))];
  },

  'lists a subscription newest first, a page at a time': async ({ renewals }, p) => {
    const email = `${p}-list@example.com`;
    const records = Array.from({ length: 6 }, (_, i) => newRenewalRecord(pressone(email), `${p}-list-${i}`, at(i)));
    for (const r of records) await renewals.create(r);
    const first = await renewals.listBySubscription('pressone', email, { limit: 4 });
    const second = await renewals.listBySubscription('pressone', email, { limit: 4, cursor: first.nextCursor });
    const exact = await renewals.listBySubscription('pressone', email, { limit: 6 });
    const beyond = await renewals.listBySubscription('pressone', email, { limit: 6, cursor: exact.nextCursor });
    expect(first.items.map((r) => r.id)).toEqual(records.slice(2).reverse().map((r) => r.id));
    expect(second.items.map((r) => r.id)).toEqual(records.slice(0, 2).reverse().map((r) => r.id));
    expect([second.nextCursor, beyond.items.length]).toEqual([undefined, 0]);
    const bogus = await failure(renewals.listBySubscription('pressone', email, { limit: 3, cursor: 'bogus' }));
    // A cursor is opaque: compared by what it holds, not by the order of its JSON keys.
    const opened = (page: { nextCursor?: string }) => page.nextCursor && JSON.parse(Buffer.from(page.nextCursor, 'base64url').toString('utf8'));
    return [first.items, opened(first), second, opened(exact), beyond, bogus];
  },

  'schedules: due while active and due, advanced only from the version read': async ({ schedules }, p) => {
    const s = (subscription: string, nextRunAt: Date, status: ScheduleRecord['status'] = 'active'): ScheduleRecord => ({
      provider: 'pressone',
      subscription,
      operation: 'renew',
      params: {},
      cadence: 'P1M',
      anchorAt: nextRunAt.toISOString(),
      status,
      runIndex: 0,
      nextRunAt: nextRunAt.toISOString(),
      version: 1,
      createdAt: at(0).toISOString(),
      updatedAt: at(0).toISOString(),
    });
    const sub = `${p}-sched@example.com`;
    const shard = shardOf('pressone', sub);
    const mine = (items: readonly ScheduleRecord[]) => items.filter((i) => i.subscription.startsWith(p)).map((i) => `${i.subscription}@${i.nextRunAt}#${i.version}`);
    await schedules.put(s(sub, at(100)));
    const notYet = mine((await schedules.due(shard, at(99), 100)).items);
    const due = await schedules.due(shard, at(100), 100);
    const stale = await schedules.advance({ ...s(sub, at(100)), version: 7 }, { runIndex: 1, nextRunAt: at(200).toISOString() }, { renewalId: 'r0', periodStart: at(100).toISOString() }, at(101));
    const advanced = await schedules.advance(s(sub, at(100)), { runIndex: 1, nextRunAt: at(200).toISOString() }, { renewalId: 'r0', periodStart: at(100).toISOString() }, at(101));
    const twice = await schedules.advance(s(sub, at(100)), { runIndex: 1, nextRunAt: at(200).toISOString() }, { renewalId: 'r0', periodStart: at(100).toISOString() }, at(101));
    const afterAdvance = [mine((await schedules.due(shard, at(150), 100)).items), mine((await schedules.due(shard, at(200), 100)).items)];
    await schedules.put({ ...s(sub, at(300), 'paused'), version: 3 });
    const paused = mine((await schedules.due(shard, at(9_999), 100)).items);
    const pausedAdvance = await schedules.advance({ ...s(sub, at(300)), version: 3 }, { runIndex: 1, nextRunAt: at(400).toISOString() }, { renewalId: 'r1', periodStart: at(300).toISOString() }, at(301));
    const cancelled = [await schedules.cancel('pressone', sub, at(5)), await schedules.cancel('pressone', `${p}-none@example.com`, at(5))];
    const record = await schedules.get('pressone', sub);
    expect(notYet).toEqual([]);
    expect(mine(due.items)).toHaveLength(1);
    expect([stale, advanced, twice, pausedAdvance]).toEqual([false, true, false, false]);
    expect(afterAdvance.map((x) => x.length)).toEqual([0, 1]);
    expect(paused).toEqual([]);
    expect(cancelled).toEqual([true, false]);
    expect(record).toMatchObject({ status: 'cancelled', version: 4 });
    return [notYet, mine(due.items), stale, advanced, twice, afterAdvance, paused, pausedAdvance, cancelled, record];
  },

  'schedules: the due query pages by its limit': async ({ schedules }, p) => {
    const subs = Array.from({ length: 40 }, (_, i) => `${p}-page-${i}@example.com`);
    const shard = shardOf('pressone', subs[0] ?? '');
    const sameShard = subs.filter((x) => shardOf('pressone', x) === shard).slice(0, 3);
    for (const [i, sub] of sameShard.entries()) {
      await schedules.put({
        provider: 'pressone', subscription: sub, operation: 'renew', params: {}, cadence: 'P1M', anchorAt: at(i).toISOString(), status: 'active',
        runIndex: 0, nextRunAt: at(i).toISOString(), version: 1, createdAt: at(0).toISOString(), updatedAt: at(0).toISOString(),
      });
    }
    const pages: string[][] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await schedules.due(shard, at(10), 2, cursor);
      pages.push(page.items.filter((i) => i.subscription.startsWith(p)).map((i) => i.subscription));
      cursor = page.cursor;
    } while (cursor);
    expect(pages.flat()).toEqual(sameShard);
    return pages;
  },

  'rate limiter: the same slots for the same requests, across instances': async ({ limiter }, p) => {
    let now = T0;
    const clock = () => now;
    const rate = { limit: 10, windowMs: 1_000 };
    const a = limiter(`${p}-rate`, rate, clock);
    const b = limiter(`${p}-rate`, rate, clock);
    const out = [await a.reserve(4, 5_000), await b.reserve(10, 450), await a.reserve(3, 0), await a.reserve(0, 100)];
    now += 10_000;
    out.push(await b.reserve(2, 0), await a.reserve(1, 1_000));
    expect(out[0]?.slots).toHaveLength(4);
    expect(out[1]?.slots.length).toBeLessThan(10);
    expect(out[2]).toMatchObject({ slots: [] });
    expect(a.toleranceMs).toBe(b.toleranceMs);
    return out;
  },

  'provider pause: paused until the pause ends': async ({ pause }, p) => {
    const paused = pause(`${p}-provider`, 600_000);
    const out = [await paused.pausedUntil(at(0))];
    await paused.pause(at(10), 'refused');
    out.push(await paused.pausedUntil(at(11)), await paused.pausedUntil(at(609.999)), await paused.pausedUntil(at(610)));
    expect(out).toEqual([undefined, T0 + 610_000, T0 + 610_000, undefined]);
    return out;
  },
};

describe('in-memory stores answer exactly as the DynamoDB adapters (DynamoDB Local)', () => {
  it.each(Object.keys(CASES))('%s', async (name) => {
    const run = CASES[name];
    if (!run) throw new Error(`no case ${name}`);
    const prefix = `c${Object.keys(CASES).indexOf(name)}`;
    const fromDynamo = await run(dynamoSubject(), prefix);
    const fromMemory = await run(memorySubject(), prefix);
    expect(fromMemory).toEqual(fromDynamo);
  });
});
