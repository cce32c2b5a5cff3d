/**
 * The inbox's buckets (shared/domain/inbox.ts), against DynamoDB Local: renewals queued and worked
 * on share eight shards, so a claim of a queued renewal does not write the index (counted here in
 * the capacity units DynamoDB reports); retries wait in eight shards of their own; a listing of
 * `queued` or `in_progress` reads the open bucket and keeps that status. Checked over a mix of
 * queued, in_progress and retry_scheduled renewals: every page oldest first, each renewal listed
 * exactly once under its own status, across page sizes and with a page that runs out of its
 * budget of keys; and a renewal whose entry predates the buckets is still found by the sweeper.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localDynamoClient } from '../../local/dynamo';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { InboxReader, RenewalStore, renewalKey } from '../../shared/adapters/renewal-store';
import { RenewalSweep } from '../../shared/adapters/renewal-sweep';
import { runSweeper } from '../../shared/sweeper/sweep';
import { inboxShard, OPEN_STATUSES, type OpenStatus } from '../../shared/domain/inbox';
import { newRenewalRecord, type QueuedRenewal, type RenewalRecord } from '../../shared/domain/renewal';
import type { RenewalQueue } from '../../shared/adapters/queue';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let tableName: string;
beforeAll(async () => {
  const t = await createRenewalTable('inbox-open');
  dynamo = t.dynamo;
  tableName = t.tableName;
});
afterAll(() => dynamo?.destroy());

const CUTOFF = '2001-12-31T00:00:00.000Z';
const created: Array<{ id: string; status: OpenStatus }> = [];

/** 40 PressOne renewals created a second apart in 2001, each left queued, in_progress or retry_scheduled (a fixed pattern). */
beforeAll(async () => {
  const store = new RenewalStore(dynamo, tableName);
  for (let i = 0; i < 40; i++) {
    const record = newRenewalRecord(
      { provider: 'pressone', operation: 'renew', subscription: `open-${i}@example.com`, params: {} },
      `inbox-open-${i}`,
      new Date(Date.parse('2001-01-01T00:00:00.000Z') + i * 1000),
    );
    await store.create(record);
    const status = OPEN_STATUSES[(i * 7) % 3] as OpenStatus;
    if (status !== 'queued') {
      expect((await store.claim(record.id, 'w', new Date(), 35_000)).claimed).toBe(true);
      if (status === 'retry_scheduled') {
        await store.complete(record.id, 'w', new Date(), {
          status: 'retry_scheduled',
          reason: 'seeded',
          attempts: [],
          nextAttemptAt: new Date(Date.now() + 3_600_000).toISOString(),
        });
      }
    }
    created.push({ id: record.id, status });
  }
});

const listAll = async (reader: InboxReader, statuses: readonly OpenStatus[], limit: number) => {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await reader.page({ statuses, providers: ['pressone'], createdBefore: CUTOFF }, { limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    for (const r of page.items) expect(statuses).toContain(r.status);
    pages.push(page.items.map((r) => r.id));
    cursor = page.nextCursor;
    if (pages.length > 200) throw new Error('the listing does not end');
  } while (cursor);
  return pages;
};

describe('the open bucket of the inbox', () => {
  it('spreads the renewals over several shards', () => {
    expect(new Set(created.map((c) => inboxShard(c.id))).size).toBeGreaterThan(4);
  });

  it.each([1, 3, 7, 50])('lists each open status alone, oldest first, each renewal once (pages of %i)', async (limit) => {
    const reader = new InboxReader(dynamo, tableName);
    for (const status of OPEN_STATUSES) {
      const pages = await listAll(reader, [status], limit);
      expect(pages.flat()).toEqual(created.filter((c) => c.status === status).map((c) => c.id));
      // Every page but the last is full: a page reads on past renewals in other statuses.
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
    }
    expect((await listAll(reader, OPEN_STATUSES, limit)).flat()).toEqual(created.map((c) => c.id));
    expect((await listAll(reader, ['queued', 'retry_scheduled'], limit)).flat()).toEqual(created.filter((c) => c.status !== 'in_progress').map((c) => c.id));
  });

  it('answers a short page with a cursor when its budget of keys runs out, and the cursor goes on', async () => {
    const reader = new InboxReader(dynamo, tableName, 4);
    const pages = await listAll(reader, ['in_progress'], 10);
    expect(pages.flat()).toEqual(created.filter((c) => c.status === 'in_progress').map((c) => c.id));
    expect(pages.some((p) => p.length < 10 && p !== pages.at(-1))).toBe(true);
  });

  it('does not list a renewal that left the bucket after the index was read', async () => {
    const reader = new InboxReader(dynamo, tableName);
    const store = new RenewalStore(dynamo, tableName);
    const first = created.find((c) => c.status === 'in_progress');
    if (!first) throw new Error('no in_progress renewal seeded');
    await store.complete(first.id, 'w', new Date(), { status: 'succeeded', reason: 'done', attempts: [] });
    const ids = (await listAll(reader, OPEN_STATUSES, 50)).flat();
    expect(ids).not.toContain(first.id);
    expect(ids).toHaveLength(created.length - 1);
    created.splice(created.indexOf(first), 1);
  });
});

describe('what the inbox costs a renewal (write units as DynamoDB reports them, indexes included)', () => {
  /** A client on the same DynamoDB Local that asks every write for its capacity, indexes included, and sums it. */
  const counting = () => {
    const client = localDynamoClient(inject('dynamoEndpoint'));
    const units = { total: 0, inbox: 0 };
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> } }).ConsumedCapacity;
        units.total += consumed?.CapacityUnits ?? 0;
        units.inbox += consumed?.GlobalSecondaryIndexes?.inbox?.CapacityUnits ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countCapacity' },
    );
    return { client, units };
  };

  it('writes the inbox when the renewal is created and when it ends well, not when it is claimed', async () => {
    const { client, units } = counting();
    const store = new RenewalStore(client, tableName);
    const record = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'cost@example.com', params: {} }, 'inbox-cost-1', new Date());
    const step = async (f: () => Promise<unknown>) => {
      const before = { ...units };
      await f();
      return { total: units.total - before.total, inbox: units.inbox - before.inbox };
    };
    expect(await step(() => store.create(record))).toEqual({ total: 3, inbox: 1 });
    expect(await step(() => store.claim(record.id, 'w', new Date(), 35_000))).toEqual({ total: 1, inbox: 0 });
    expect(await step(() => store.complete(record.id, 'w', new Date(), { status: 'succeeded', reason: 'renewed', attempts: [] }))).toEqual({ total: 2, inbox: 1 });
    client.destroy();
  });

  it('moves the entry for a retry and back for its claim (a delete and a put each)', async () => {
    const { client, units } = counting();
    const store = new RenewalStore(client, tableName);
    const record = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'cost-retry@example.com', params: {} }, 'inbox-cost-2', new Date());
    await store.create(record);
    await store.claim(record.id, 'w', new Date(), 35_000);
    const before = units.inbox;
    await store.complete(record.id, 'w', new Date(), { status: 'retry_scheduled', reason: 'later', attempts: [], nextAttemptAt: new Date(Date.now() - 1).toISOString() });
    expect(units.inbox - before).toBe(2);
    await store.claim(record.id, 'w2', new Date(), 35_000);
    expect(units.inbox - before).toBe(4);
    client.destroy();
  });
});

describe('entries written before the buckets', () => {
  it('are found by the sweeper, so no renewal accepted before an upgrade is left behind', async () => {
    const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
    const old: RenewalRecord = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'legacy@example.com', params: {} }, 'legacy-entry', new Date(Date.now() - 3_600_000));
    // As the store wrote it before: the partition named by the status.
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...renewalKey(old.id), ...old, gsi4pk: 'INBOX#queued', gsi4sk: `pressone#${old.createdAt}#${old.id}` } }));
    const sent: QueuedRenewal[] = [];
    const queue: RenewalQueue = { send: (m) => Promise.resolve(void sent.push(m)) };
    const summary = await runSweeper({ sweep: new RenewalSweep(dynamo, tableName), queues: { pressone: queue }, logger: new Logger({ logLevel: 'SILENT' }), staleAfterSeconds: 60, backlogSeconds: () => Promise.resolve(0) }, new Date());
    expect(summary.requeuedIds).toContain(old.id);
    expect(sent.map((m) => m.id)).toContain(old.id);
  });
});
