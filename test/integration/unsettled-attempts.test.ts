/**
 * No second call while an earlier call's outcome is unsettled (docs/architecture.md#no-double-renewal),
 * with DynamoDB Local as the record, a simulated clock and a scripted PressOne whose List User
 * shows a renewal only some time after it was applied. Found by the simulation (seed 3170).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import type { RenewalQueue } from '../../shared/adapters/queue';
import { call as pressone, LIST_USER_PATH } from '../../shared/providers/pressone/call';
import { processRenewal, type ConsumerDeps } from '../../shared/consumer/engine';
import { newRenewalRecord, queuedMessageFor } from '../../shared/domain/renewal';
import type { OutgoingRequest } from '../../shared/providers/types';
import { response } from '../support/responses';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;
beforeAll(async () => {
  const t = await createRenewalTable('unsettled');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
});
afterAll(() => dynamo?.destroy());

const MINUTE = 60_000;
const LEASE_MS = 35_000;

describe('an ambiguous call followed by a holder that died', () => {
  it('is confirmed from the ambiguous call on: List User showing that renewal ends it, with no second call', async () => {
    let clock = Date.parse('2026-12-05T00:00:00Z');
    /** PressOne: when it renewed, and how long List User takes to show it. */
    let renewedAt: number | null = null;
    const READ_LAG_MS = 30_000;
    const renewCalls: number[] = [];
    const noQueue: RenewalQueue = { send: async () => undefined };
    const deps: ConsumerDeps = {
      store,
      queue: noQueue,
      provider: pressone,
      config: { baseUrl: 'https://pressone.invalid', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} },
      call: async (request: OutgoingRequest) => {
        if (request.url.includes(LIST_USER_PATH)) {
          const visible = renewedAt !== null && clock >= renewedAt + READ_LAG_MS;
          return response(200, { success: true, message: 'ok', data: [{ email: 'unsettled@example.com', subscription: { last_renewed_at: visible ? new Date(renewedAt ?? 0).toISOString() : null } }] });
        }
        renewCalls.push(clock);
        // Renewed, and answered 502: ambiguous.
        renewedAt ??= clock;
        return response(502, { success: false, message: 'bad gateway' });
      },
      callTimeoutMs: 10_000,
      leaseMs: LEASE_MS,
      retry: { maxAttempts: 5, baseDelayMs: 30_000, maxDelayMs: 60 * MINUTE },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(clock),
      random: () => 0,
    };
    const req = { provider: 'pressone', operation: 'renew', subscription: 'unsettled@example.com', params: {} } as const;
    const record = newRenewalRecord(req, 'key-unsettled', new Date(clock));
    await store.create(record);
    const message = queuedMessageFor(record, req);

    // The call renews and answers 502; List User, asked at once, does not show it yet.
    expect(await processRenewal(message, 'w1', deps)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    // Twenty minutes later (well past the settle window and the clock-skew allowance) a worker
    // claims it and dies: say right after List User showed the renewal, before recording it.
    clock += 20 * MINUTE;
    expect((await store.claim(record.id, 'dies', new Date(clock), LEASE_MS)).claimed).toBe(true);
    // Its lease runs out; the next worker finds an interrupted attempt after the ambiguous call.
    // The ambiguous call is still unsettled: List User is asked about it, not only about the
    // interrupted holder, and shows the renewal.
    clock += LEASE_MS + 1_000;
    expect(await processRenewal(message, 'w3', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(renewCalls).toHaveLength(1);
    const done = await store.get(record.id);
    expect(done?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([
      ['ambiguous', 'not-renewed'],
      ['interrupted', 'renewed'],
    ]);
  });
});
