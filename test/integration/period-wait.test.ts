/**
 * A renewal whose period another renewal holds (Punchh's term lock, docs/architecture.md#no-double-renewal)
 * waits for it, but not forever: with DynamoDB Local as the record and a simulated clock, a holder
 * that does not move (its consumer died and its message is parked in the dead-letter queue) is
 * waited for a bounded time, after which the waiting renewal ends needs_attention naming it.
 * Found by the simulation (seeds 253, 515, 5665).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { MAX_DELAY_SECONDS, type RenewalQueue } from '../../shared/adapters/queue';
import { call as punchh } from '../../shared/providers/punchh/call';
import { PERIOD_HOLDER_STUCK_MS, processRenewal, type ConsumerDeps } from '../../shared/consumer/engine';
import { newRenewalRecord, queuedMessageFor, type QueuedRenewal } from '../../shared/domain/renewal';
import { response } from '../support/responses';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;
beforeAll(async () => {
  const t = await createRenewalTable('periodwait');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
});
afterAll(() => dynamo?.destroy());

const LEASE_MS = 35_000;
const term = { startTime: '2026-12-01T00:00:00.000Z', endTime: '2027-01-01T00:00:00.000Z', purchasePrice: 9.99 };

const setup = async (subscription: string, clock: () => number) => {
  const sent: Array<{ message: QueuedRenewal; delaySeconds: number }> = [];
  const queue: RenewalQueue = {
    send: async (message, delaySeconds = 0) => {
      sent.push({ message, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)) });
    },
  };
  let calls = 0;
  const deps: ConsumerDeps = {
    store,
    queue,
    provider: punchh,
    config: { baseUrl: 'https://punchh.invalid', secrets: { PUNCHH_ADMIN_KEY: 'k' }, settings: {} },
    call: async () => {
      calls++;
      return response(200, {});
    },
    callTimeoutMs: 1_000,
    leaseMs: LEASE_MS,
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date(clock()),
    random: () => 0,
  };
  const req = (key: string) => ({ provider: 'punchh', operation: 'renew', subscription, params: term, key }) as const;
  const accept = async (key: string): Promise<QueuedRenewal> => {
    const { key: _key, ...request } = req(key);
    const record = newRenewalRecord(request, key, new Date(clock()));
    await store.create(record);
    return queuedMessageFor(record, request);
  };
  return { deps, sent, accept, calls: () => calls };
};

describe('a renewal waiting on the holder of its period', () => {
  it('ends needs_attention naming a holder that has not moved for the bound, with no call and one copy at a time', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const { deps, sent, accept, calls } = await setup('40', () => now);
    const holder = await accept('key-holder');
    const waiter = await accept('key-waiter');
    // The holder's consumer claimed the term and died; its message went to the dead-letter queue.
    const period = punchh.periodOf?.(holder);
    expect((await store.claim(holder.id, 'dead', new Date(now), LEASE_MS, period ? { provider: 'punchh', period } : undefined)).claimed).toBe(true);

    // While the holder's lease runs, the waiter looks again once it has run out.
    now += 5_000;
    expect(await processRenewal(waiter, 'w1', deps)).toMatchObject({ kind: 'deferred', delaySeconds: 31 });
    // Then less and less often, one copy at a time, never past the bound.
    let copy = sent.splice(0)[0];
    const delays: number[] = [];
    let result: Awaited<ReturnType<typeof processRenewal>> | undefined;
    for (let looks = 0; copy && looks < 100; looks++) {
      now += copy.delaySeconds * 1000;
      result = await processRenewal(copy.message, `w-look-${looks}`, deps);
      expect(sent.length).toBeLessThanOrEqual(1);
      delays.push(copy.delaySeconds);
      copy = sent.splice(0)[0];
    }
    expect(result).toEqual({ kind: 'completed', status: 'needs_attention' });
    expect(delays.every((d) => d >= 30 && d <= 900)).toBe(true);
    // Bounded: the stuck time, then at most one more look.
    const waited = delays.reduce((a, b) => a + b, 0) * 1000;
    expect(waited).toBeGreaterThanOrEqual(PERIOD_HOLDER_STUCK_MS);
    expect(waited).toBeLessThan(PERIOD_HOLDER_STUCK_MS + LEASE_MS + 900_000);
    expect(delays.length).toBeLessThan(40);
    const ended = await store.get(waiter.id);
    expect(ended).toMatchObject({ status: 'needs_attention', duplicateOf: holder.id });
    expect(ended?.statusReason).toContain(holder.id);
    expect(ended?.statusReason).toMatch(/has not moved/);
    expect(calls()).toBe(0);
  });

  it('a holder that failed for good but died before letting the period go: the waiter lets it go, then renews', async () => {
    let now = Date.parse('2026-12-02T00:00:00Z');
    const { deps, sent, accept, calls } = await setup('41', () => now);
    const holder = await accept('key-failed-holder');
    const waiter = await accept('key-failed-waiter');
    const period = punchh.periodOf?.(holder);
    await store.claim(holder.id, 'h', new Date(now), LEASE_MS, period ? { provider: 'punchh', period } : undefined);
    await store.complete(holder.id, 'h', new Date(now), { status: 'failed', reason: 'refused', attempts: [] });
    now += 1_000;
    expect(await processRenewal(waiter, 'w1', deps)).toMatchObject({ kind: 'deferred', why: `period released by ${holder.id}, which failed` });
    const next = sent.splice(0)[0];
    if (!next) throw new Error('no copy');
    now += next.delaySeconds * 1000;
    expect(await processRenewal(next.message, 'w2', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(calls()).toBe(1);
  });
});
