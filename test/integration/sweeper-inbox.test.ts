/**
 * The sweeper's two passes (issue 12: fewer sweep writes), against DynamoDB Local: a new renewal
 * carries no sweep index entry and is found through the inbox by creation time; once queued again
 * it enters the sweep index, and the inbox pass leaves it there, so its backoff holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { RenewalSweep } from '../../shared/adapters/renewal-sweep';
import { RenewalStore, sweepPk } from '../../shared/adapters/renewal-store';
import type { RenewalQueue } from '../../shared/adapters/queue';
import { runSweeper } from '../../shared/sweeper/sweep';
import { newRenewalRecord, type QueuedRenewal } from '../../shared/domain/renewal';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let tableName: string;
beforeAll(async () => {
  const t = await createRenewalTable('sweep-inbox');
  dynamo = t.dynamo;
  tableName = t.tableName;
});
afterAll(() => dynamo?.destroy());

const STALE = 60;
const logger = new Logger({ logLevel: 'SILENT' });

describe('the sweeper finds new renewals through the inbox', () => {
  it('queues a stuck one again from the inbox, then only through the sweep index after its backoff', async () => {
    const store = new RenewalStore(dynamo, tableName);
    const sent: QueuedRenewal[] = [];
    const queue: RenewalQueue = { send: (m) => Promise.resolve(void sent.push(m)) };
    const deps = { sweep: new RenewalSweep(dynamo, tableName), queues: { pressone: queue }, logger, staleAfterSeconds: STALE, backlogSeconds: () => Promise.resolve(0) };
    const t0 = Date.now();
    const stuck = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'stuck@example.com', params: {} }, `sweep-inbox-${t0}`, new Date(t0 - 10 * 60_000));
    const fresh = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: 'fresh@example.com', params: {} }, `sweep-fresh-${t0}`, new Date(t0));
    await store.create(stuck);
    await store.create(fresh);
    const raw = async (id: string) => (await dynamo.send(new GetCommand({ TableName: tableName, Key: { pk: `RENEWAL#${id}`, sk: 'RENEWAL' } }))).Item ?? {};
    expect((await raw(stuck.id)).gsi3pk).toBeUndefined();

    const first = await runSweeper(deps, new Date(t0));
    expect(first.requeuedIds).toEqual([stuck.id]);
    expect(sent.map((m) => m.id)).toEqual([stuck.id]);
    // Queued again: now in the sweep index, a staleness ahead the first time.
    expect((await raw(stuck.id)).gsi3pk).toBe(sweepPk('pressone', stuck.id));

    // Right after, the inbox still lists it (created long ago) but leaves it to the sweep index.
    const second = await runSweeper(deps, new Date(t0 + 1_000));
    expect(second.requeuedIds).toEqual([]);
    expect(sent).toHaveLength(1);

    // Past its backoff, the sweep index brings it back; the fresh one is now stale too.
    const third = await runSweeper(deps, new Date(t0 + (2 * STALE + 1) * 1000));
    expect(new Set(third.requeuedIds)).toEqual(new Set([stuck.id, fresh.id]));
    expect((await raw(stuck.id)).sweeps).toBe(2);
  });
});
