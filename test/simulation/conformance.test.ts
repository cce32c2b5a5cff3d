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

  'a completion sent again after it applied (an SDK retry) is not fenced and not recorded twice': async ({ renewals }, p) => {
    const r = renewal(`${p}-again`);
    await renewals.create(r);
    await renewals.claim(r.id, 'w', at(1), LEASE);
    const completion = { status: 'retry_scheduled', reason: 'attempt 1 retryable', attempts: [attempt(1)], nextAttemptAt: at(60).toISOString() } as const;
    const first = await renewals.complete(r.id, 'w', at(2), completion);
    const again = await renewals.complete(r.id, 'w', at(2), completion);
    const stored = await renewals.get(r.id);
    expect([first.fenced, again.fenced]).toEqual([false, false]);
    expect(stored?.attempts).toHaveLength(1);
    // Another worker's completion at another time is still fenced.
    const other = await renewals.complete(r.id, 'w', at(3), completion);
    expect(other.fenced).toBe(true);
    return [first, again, other, stored];
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

  'a failed send is marked on a renewal still waiting for its first attempt, and cleared once sent': async ({ renewals }, p) => {
    const fresh = renewal(`${p}-send-fresh`);
    const attempted = renewal(`${p}-send-attempted`);
    const leased = renewal(`${p}-send-leased`);
    for (const r of [fresh, attempted, leased]) await renewals.create(r);
    await renewals.claim(attempted.id, 'w1', at(1), LEASE);
    await renewals.release(attempted.id, 'w1', at(2), 'queued', [attempt(1, 'interrupted')]);
    await renewals.claim(leased.id, 'w1', at(1), LEASE);
    for (const r of [fresh, attempted, leased]) await renewals.markSendFailed(r.id, at(3));
    await renewals.markSendFailed('rnw_missing', at(3));
    const marked = [await renewals.get(fresh.id), await renewals.get(attempted.id), await renewals.get(leased.id), await renewals.get('rnw_missing')];
    expect(marked.map((r) => r?.sendFailedAt)).toEqual([at(3).toISOString(), undefined, undefined, undefined]);
    expect(marked.map((r) => r?.status)).toEqual(['queued', 'queued', 'in_progress', undefined]);
    // Nothing else of the record changes: a failed send never deletes a renewal.
    expect(marked[0]).toMatchObject({ ...fresh, sendFailedAt: at(3).toISOString() });
    for (const r of [fresh, attempted, leased]) await renewals.clearSendFailure(r.id);
    await renewals.clearSendFailure('rnw_missing');
    const cleared = await renewals.get(fresh.id);
    expect(cleared).toEqual(fresh);
    // Marked, then claimed before a repeat cleared it: the mark stays (clearing is only for a queued one).
    await renewals.markSendFailed(fresh.id, at(4));
    await renewals.claim(fresh.id, 'w2', at(5), LEASE);
    await renewals.clearSendFailure(fresh.id);
    const claimedMarked = await renewals.get(fresh.id);
    expect(claimedMarked).toMatchObject({ status: 'in_progress', sendFailedAt: at(4).toISOString() });
    return [marked, cleared, await renewals.get(attempted.id), await renewals.get(leased.id), claimedMarked];
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

  'hop: a waiting copy continues the hop or is it; a claim takes it; an ended renewal has none': async ({ renewals }, p) => {
    const r = renewal(`${p}-hop`);
    await renewals.create(r);
    const waits = [
      await renewals.advanceHop(r.id, undefined, 'c1'), // intake's copy: it carries the renewal
      await renewals.advanceHop(r.id, undefined, 'c1'), // the same copy again (redelivered, or an SDK retry)
      await renewals.advanceHop(r.id, undefined, 'c2'), // another intake copy: a stray
      await renewals.advanceHop(r.id, 'c1', 'c3'), // c1's successor
      await renewals.advanceHop(r.id, 'c1', 'c4'), // a second successor of c1 (c1 died after sending): a stray
    ];
    expect(waits.map((w) => w.advanced)).toEqual([true, true, false, true, false]);
    expect(waits[2]).toMatchObject({ advanced: false, current: { hop: 'c1' } });
    const claimed = await renewals.claim(r.id, 'w1', at(1), LEASE, undefined, 'c5');
    const left = await renewals.advanceHop(r.id, 'c3', 'c6'); // c3's successor, after c5 claimed: a stray
    const claimer = await renewals.advanceHop(r.id, 'c0', 'c5'); // the claiming copy itself
    await renewals.complete(r.id, 'w1', at(2), { status: 'succeeded', reason: 'ok', attempts: [attempt(1)] });
    const ended = await renewals.advanceHop(r.id, 'c5', 'c7');
    expect([left.advanced, claimer.advanced, ended.advanced]).toEqual([false, true, false]);
    const withPeriod = renewal(`${p}-hop-period`);
    await renewals.create(withPeriod);
    await renewals.claim(withPeriod.id, 'w2', at(3), LEASE, { provider: 'punchh', period: `${p}-hop-40` }, 'd1');
    const periodRecord = await renewals.get(withPeriod.id);
    expect(periodRecord?.hop).toBe('d1');
    return [...waits, claimed, left, claimer, ended, await renewals.advanceHop('rnw_missing', undefined, 'c8'), await renewals.get(r.id), periodRecord];
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

  'schedules: a put or cancel fenced by the version read (or by absence) fails once the schedule changed': async ({ schedules }, p) => {
    const sub = `${p}-fence@example.com`;
    const s = (version: number, nextRunAt: Date, status: ScheduleRecord['status'] = 'active'): ScheduleRecord => ({
      provider: 'pressone', subscription: sub, operation: 'renew', params: {}, cadence: 'P1M', anchorAt: at(0).toISOString(), status,
      runIndex: 0, nextRunAt: nextRunAt.toISOString(), version, createdAt: at(0).toISOString(), updatedAt: at(0).toISOString(),
    });
    const shard = shardOf('pressone', sub);
    const mine = (items: readonly ScheduleRecord[]) => items.filter((i) => i.subscription === sub).map((i) => `${i.nextRunAt}#${i.version}`);
    const out: unknown[] = [
      await schedules.put(s(1, at(100)), { version: 0 }),
      await schedules.put(s(1, at(100)), 'absent'),
      await schedules.put(s(2, at(200)), 'absent'),
      await schedules.put(s(2, at(200)), { version: 5 }),
      await schedules.put(s(2, at(200), 'paused'), { version: 1 }),
    ];
    out.push(mine((await schedules.due(shard, at(9_999), 100)).items), await schedules.get('pressone', sub));
    out.push(await schedules.put(s(3, at(300))), mine((await schedules.due(shard, at(9_999), 100)).items));
    out.push(
      await schedules.cancel('pressone', sub, at(5), { version: 2, webhooks: { 'msg_a': T0 } }),
      await schedules.cancel('pressone', sub, at(6), { version: 3, webhooks: { 'msg_b': T0 + 1 } }),
      await schedules.cancel('pressone', `${p}-none@example.com`, at(6), { version: 1, webhooks: {} }),
    );
    const record = await schedules.get('pressone', sub);
    out.push(record, mine((await schedules.due(shard, at(9_999), 100)).items));
    expect(out.slice(0, 5)).toEqual([false, true, false, false, true]);
    expect(record).toMatchObject({ status: 'cancelled', version: 4, webhooks: { msg_b: T0 + 1 } });
    return out;
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

  'credential gate: unknown credentials are probed, trusted ones open, refused ones paused until the pause ends': async ({ pause }, p) => {
    const gate = pause(`${p}-provider`, 600_000);
    const out: unknown[] = [gate.pauseMs, await gate.gate(at(0), 'fp-a')];
    await gate.trust('fp-a');
    out.push(await gate.gate(at(1), 'fp-a'), await gate.gate(at(1), 'fp-b'));
    await gate.pause(at(10), 'refused', 'fp-a');
    out.push(await gate.gate(at(11), 'fp-a'), await gate.gate(at(609.999), 'fp-a'), await gate.gate(at(610), 'fp-a'));
    // A rotated key is not paused: it is probed at once.
    out.push(await gate.gate(at(11), 'fp-b'));
    await gate.trust('fp-b');
    out.push(await gate.gate(at(12), 'fp-b'), await gate.gate(at(12), 'fp-a'));
    // A pause of other credentials ends the trust of these.
    await gate.pause(at(13), 'refused again', 'fp-c');
    out.push(await gate.gate(at(14), 'fp-b'), await gate.gate(at(14), 'fp-c'));
    expect(out).toEqual([
      600_000,
      { state: 'probe' },
      { state: 'open' },
      { state: 'probe' },
      { state: 'paused', until: T0 + 610_000, reason: 'refused' },
      { state: 'paused', until: T0 + 610_000, reason: 'refused' },
      { state: 'probe' },
      { state: 'probe' },
      { state: 'open' },
      { state: 'paused', until: T0 + 610_000, reason: 'refused' },
      { state: 'probe' },
      { state: 'paused', until: T0 + 613_000, reason: 'refused again' },
    ]);
    return out;
  },

  'credential gate: one probe lease at a time; an unsettled one counts as a refusal, is released only by its owner, and ends on trust or pause': async ({ pause }, p) => {
    const gate = pause(`${p}-provider`, 600_000);
    const PROBE = 35_000;
    const out: unknown[] = [];
    const acquire = async (seconds: number, owner: string, fp = 'fp-a') => {
      const got = await gate.acquireProbe(at(seconds), owner, fp, PROBE);
      out.push(`${owner}@${seconds}:${got}`);
      return got;
    };
    // Contention: the first wins, the others wait; at the lease's last millisecond it is still held.
    expect([await acquire(0, 'i1'), await acquire(1, 'i2'), await acquire(35, 'i2')]).toEqual([true, false, false]);
    // Expired without being settled (its holder stopped): it may have been refused, so these
    // credentials wait a pause after its lease; then it is taken over, and the old owner can no
    // longer release it.
    expect([await acquire(35.001, 'i2'), await acquire(634.999, 'i2')]).toEqual([false, false]);
    out.push(await gate.gate(at(36), 'fp-a'));
    expect(await acquire(635.001, 'i2')).toBe(true);
    await gate.releaseProbe('i1');
    expect(await acquire(636, 'i3')).toBe(false);
    await gate.releaseProbe('i2');
    expect(await acquire(637, 'i3')).toBe(true);
    // Trust ends the probe.
    await gate.trust('fp-a');
    out.push(await gate.gate(at(638), 'fp-a'));
    expect(await acquire(638, 'i4')).toBe(true);
    // A refusal pauses these credentials and ends the probe: none for them during the pause, one for a rotated key.
    await gate.pause(at(640), 'refused', 'fp-a');
    expect([await acquire(641, 'i5'), await acquire(1239.999, 'i5'), await acquire(642, 'i6', 'fp-b'), await acquire(643, 'i7', 'fp-b')]).toEqual([false, false, true, false]);
    await gate.releaseProbe('i6');
    expect(await acquire(1240, 'i7')).toBe(true);
    out.push(await gate.gate(at(1240), 'fp-a'));
    // Releasing a probe nobody holds, on a provider never written, is harmless.
    const fresh = pause(`${p}-untouched`, 600_000);
    await fresh.releaseProbe('nobody');
    out.push(await fresh.gate(at(0), 'fp-a'), await fresh.acquireProbe(at(0), 'i1', 'fp-a', PROBE));
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
