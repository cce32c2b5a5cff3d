import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RenewalStore, InvalidCursorError } from '../../shared/adapters/renewal-store';
import { newRenewalRecord, type Attempt } from '../../shared/domain/renewal';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;

beforeAll(async () => {
  const t = await createRenewalTable('store');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
});
afterAll(() => dynamo.destroy());

const request = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;
const attempt = (n: number): Attempt => ({ number: n, startedAt: new Date().toISOString(), latencyMs: 3, httpStatus: 200, errorClass: 'success', message: 'ok' });

describe('RenewalStore against DynamoDB Local', () => {
  it('creates once per idempotency key and hands back the holder on a repeat', async () => {
    const record = newRenewalRecord(request('a@example.com'), 'key-create', new Date());
    expect(await store.create(record)).toEqual({ created: true });
    const again = await store.create(newRenewalRecord(request('b@example.com'), 'key-create', new Date()));
    expect(again.created).toBe(false);
    if (!again.created) {
      expect(again.existing.id).toBe(record.id);
      expect(again.existing.subscription).toBe('a@example.com');
      expect(again.existing.requestHash).toBe(record.requestHash);
    }
  });

  it('lets exactly one of many concurrent claimers win', async () => {
    const record = newRenewalRecord(request('c@example.com'), 'key-race', new Date());
    await store.create(record);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim(record.id, `owner-${i}`, new Date(), 30_000)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    const losers = results.filter((r) => !r.claimed);
    expect(losers.every((r) => !r.claimed && 'current' in r && r.current?.status === 'in_progress')).toBe(true);
  });

  it('hands an expired lease to a new claimer and marks it interrupted', async () => {
    const record = newRenewalRecord(request('d@example.com'), 'key-expired', new Date());
    await store.create(record);
    const first = await store.claim(record.id, 'crashed', new Date(), 1);
    expect(first.claimed && first.interrupted).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    const second = await store.claim(record.id, 'successor', new Date(), 30_000);
    expect(second.claimed && second.interrupted).toBe(true);
  });

  it('does not claim a finished renewal or a retry that is not due', async () => {
    const record = newRenewalRecord(request('e@example.com'), 'key-finished', new Date());
    await store.create(record);
    await store.claim(record.id, 'w1', new Date(), 30_000);
    const later = new Date(Date.now() + 60_000).toISOString();
    await store.complete(record.id, 'w1', new Date(), { status: 'retry_scheduled', reason: 'busy', attempts: [attempt(1)], nextAttemptAt: later });
    const notDue = await store.claim(record.id, 'w2', new Date(), 30_000);
    expect(notDue.claimed).toBe(false);
    const due = await store.claim(record.id, 'w2', new Date(Date.now() + 61_000), 30_000);
    expect(due.claimed).toBe(true);
    await store.complete(record.id, 'w2', new Date(), { status: 'succeeded', reason: 'ok', attempts: [attempt(2)] });
    const done = await store.claim(record.id, 'w3', new Date(Date.now() + 120_000), 30_000);
    expect(done.claimed).toBe(false);
    const stored = await store.get(record.id);
    expect(stored?.status).toBe('succeeded');
    expect(stored?.attempts.map((a) => a.number)).toEqual([1, 2]);
    expect(stored?.leaseOwner).toBeUndefined();
  });

  it('fences a completion by a holder that lost its lease but keeps its attempt', async () => {
    const record = newRenewalRecord(request('f@example.com'), 'key-fenced', new Date());
    await store.create(record);
    await store.claim(record.id, 'slow', new Date(), 1);
    await new Promise((r) => setTimeout(r, 20));
    await store.claim(record.id, 'fast', new Date(), 30_000);
    await store.complete(record.id, 'fast', new Date(), { status: 'needs_attention', reason: 'interrupted', attempts: [{ ...attempt(1), errorClass: 'interrupted' }] });
    const late = await store.complete(record.id, 'slow', new Date(), { status: 'succeeded', reason: 'ok', attempts: [attempt(1)] });
    expect(late.fenced).toBe(true);
    const stored = await store.get(record.id);
    expect(stored?.status).toBe('needs_attention');
    expect(stored?.attempts).toHaveLength(2);
  });

  it('marks a failed send only on a renewal still queued and never attempted, and never deletes one', async () => {
    const waiting = newRenewalRecord(request('g@example.com'), 'key-mark', new Date());
    await store.create(waiting);
    await store.markSendFailed(waiting.id, new Date());
    expect(await store.get(waiting.id)).toMatchObject({ status: 'queued', sendFailedAt: expect.any(String) });

    // Attempted meanwhile (its message arrived after all): the mark would be false, so none is set.
    const attempted = newRenewalRecord(request('g2@example.com'), 'key-mark-2', new Date());
    await store.create(attempted);
    await store.claim(attempted.id, 'w', new Date(), 60_000);
    await store.markSendFailed(attempted.id, new Date());
    const after = await store.get(attempted.id);
    expect(after?.status).toBe('in_progress');
    expect(after?.sendFailedAt).toBeUndefined();
    expect('deleteUnqueued' in store).toBe(false);
  });

  it('stores the numbers at the edges of the range validation accepts; DynamoDB refuses one step past the small end', async () => {
    for (const [i, price] of [0, 1e-130, 9.99, Number.MAX_SAFE_INTEGER].entries()) {
      const r = newRenewalRecord({ provider: 'digitalriver', operation: 'renewal-price', subscription: 's1', params: { renewalUnitPrice: price } }, `key-edge-${i}`, new Date());
      expect(await store.create(r)).toEqual({ created: true });
      expect((await store.get(r.id))?.params).toEqual({ renewalUnitPrice: price });
    }
    const tooSmall = newRenewalRecord({ provider: 'digitalriver', operation: 'renewal-price', subscription: 's1', params: { renewalUnitPrice: 1e-131 } }, 'key-edge-small', new Date());
    await expect(store.create(tooSmall)).rejects.toThrow();
  });

  it('lists a subscription newest first with a cursor', async () => {
    const email = 'h@example.com';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = newRenewalRecord(request(email), `key-list-${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
      ids.push(r.id);
      await store.create(r);
    }
    const first = await store.listBySubscription('pressone', email, { limit: 3 });
    expect(first.items.map((r) => r.id)).toEqual([ids[4], ids[3], ids[2]]);
    expect(first.nextCursor).toBeDefined();
    const second = await store.listBySubscription('pressone', email, { limit: 3, cursor: first.nextCursor });
    expect(second.items.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    await expect(store.listBySubscription('pressone', email, { limit: 3, cursor: 'bogus' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('refuses a cursor of the right shape that was not issued for this subscription, instead of letting DynamoDB refuse the query', async () => {
    const email = 'cursor-owner@example.com';
    for (let i = 0; i < 3; i++) await store.create(newRenewalRecord(request(email), `key-cursor-${i}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i))));
    const page = await store.listBySubscription('pressone', email, { limit: 1 });
    const issued = JSON.parse(Buffer.from(page.nextCursor ?? '', 'base64url').toString()) as Record<string, string>;
    const forge = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const refused = (cursor: string, subscription = email) =>
      store.listBySubscription('pressone', subscription, { limit: 1, cursor }).then(
        () => 'accepted',
        (error: unknown) => (error instanceof InvalidCursorError ? 'refused' : error),
      );
    // Another subscription's cursor, and hand edits that keep the shape (four string keys).
    expect(await refused(page.nextCursor ?? '', 'someone-else@example.com')).toBe('refused');
    expect(await refused(forge({ ...issued, gsi1pk: 'SUB#pressone#someone-else@example.com' }))).toBe('refused');
    expect(await refused(forge({ ...issued, pk: 'RENEWAL#rnw_aaaaaaaaaaaaaaaaaaaaaaaaaa' }))).toBe('refused');
    expect(await refused(forge({ ...issued, sk: 'PERIOD' }))).toBe('refused');
    expect(await refused(forge({ ...issued, gsi1sk: 'x' }))).toBe('refused');
    expect(await refused(forge({ pk: 'a', sk: 'b', gsi1pk: 'c', gsi1sk: 'd' }))).toBe('refused');
    // The issued one still pages on.
    expect(await refused(page.nextCursor ?? '')).toBe('accepted');
  });
});
