/**
 * One copy per renewal (docs/architecture.md#one-copy-per-renewal), with DynamoDB Local as the
 * record and a simulated clock: a renewal that waits long is sent on hop after hop, and a consumer
 * that dies after sending a copy on leaves the original to come back as well. Each hop is recorded
 * on the renewal, so the copies a crash leaves behind are dropped at their next look instead of
 * multiplying, and the copies of a renewal that has ended are dropped even while the credential
 * gate holds every renewal back. Found by the simulation (seeds 112, 188, 631).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { MAX_DELAY_SECONDS, type RenewalQueue } from '../../shared/adapters/queue';
import { credentialFingerprint, DynamoProviderPause } from '../../shared/adapters/provider-pause';
import { call as pressone } from '../../shared/providers/pressone/call';
import { processRenewal, type ConsumerDeps } from '../../shared/consumer/engine';
import { createBatchHandler } from '../../shared/consumer/batch';
import { newRenewalRecord, queuedMessageFor, type QueuedRenewal } from '../../shared/domain/renewal';
import { lambdaContext } from '../../local/lambda-context';
import { response } from '../support/responses';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let tableName: string;
let store: RenewalStore;
beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('onecopy'));
  store = new RenewalStore(dynamo, tableName);
});
afterAll(() => dynamo?.destroy());

const HOUR = 3_600_000;
const SECRETS = { PRESSONE_API_KEY: 'k' };

const recordingQueue = () => {
  const sent: Array<{ message: QueuedRenewal; delaySeconds: number }> = [];
  const queue: RenewalQueue = {
    send: async (message, delaySeconds = 0) => {
      sent.push({ message, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)) });
    },
  };
  return { queue, sent };
};

const request = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;

describe('copies of a waiting renewal collapse', () => {
  it('a consumer that dies after sending a copy on leaves two; at the next hop one is dropped', async () => {
    let clock = Date.parse('2026-12-10T00:00:00Z');
    const { queue, sent } = recordingQueue();
    let calls = 0;
    const answers = [503, 200];
    const deps: ConsumerDeps = {
      store,
      queue,
      provider: pressone,
      config: { baseUrl: 'https://pressone.invalid', secrets: SECRETS, settings: {} },
      call: async () => {
        calls++;
        const status = answers.shift() ?? 500;
        return response(status, { success: status === 200, message: status === 200 ? 'ok' : 'busy' });
      },
      callTimeoutMs: 1_000,
      leaseMs: 35_000,
      // The retry is six hours away: 24 hops of 15 minutes.
      retry: { maxAttempts: 3, baseDelayMs: 6 * HOUR, maxDelayMs: 6 * HOUR },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(clock),
      random: () => 0.5,
    };
    const record = newRenewalRecord(request('hops@example.com'), 'key-hops', new Date(clock));
    await store.create(record);
    const first = queuedMessageFor(record, request('hops@example.com'));
    expect(await processRenewal(first, 'w1', deps)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    const retry = sent.splice(0)[0]?.message;
    if (!retry) throw new Error('no retry copy');

    // The retry copy comes back early and is sent on; its consumer dies before acknowledging it,
    // so SQS delivers it again: two copies wait now, both continuing the same hop.
    clock += 900_000;
    expect(await processRenewal(retry, 'w2', deps)).toMatchObject({ kind: 'deferred', why: 'retry not due yet' });
    expect(await processRenewal(retry, 'w2-again', deps)).toMatchObject({ kind: 'deferred', why: 'retry not due yet' });
    const [a, b] = sent.splice(0).map((s) => s.message);
    if (!a || !b) throw new Error('expected two copies');
    expect([a.hop, b.hop]).toEqual([retry.copyId, retry.copyId]);
    expect(a.copyId).not.toBe(b.copyId);

    // At the next hop the first copy carries the renewal on; the second finds the hop taken and is
    // dropped, without a call or a new copy.
    clock += 900_000;
    expect(await processRenewal(a, 'w3', deps)).toMatchObject({ kind: 'deferred' });
    expect(await processRenewal(b, 'w4', deps)).toEqual({ kind: 'skipped', why: 'another copy carries this renewal' });
    // So is the original retry copy, should it come back once more.
    expect(await processRenewal(retry, 'w5', deps)).toEqual({ kind: 'skipped', why: 'another copy carries this renewal' });
    expect(sent).toHaveLength(1);
    expect(calls).toBe(1);

    // Once due, the one copy left renews; a copy left behind before then is dropped on arrival.
    let copy = sent.splice(0)[0]?.message;
    for (let hops = 0; copy && hops < 30; hops++) {
      clock += 900_000;
      const out = await processRenewal(copy, `w-hop-${hops}`, deps);
      copy = sent.splice(0)[0]?.message;
      if (out.kind === 'completed') break;
    }
    expect(calls).toBe(2);
    expect(await processRenewal(b, 'w-late', deps)).toEqual({ kind: 'skipped', why: 'already succeeded' });
  });

  it('while the credential gate holds renewals back, a copy of a renewal that has ended is dropped, not sent on', async () => {
    const clock = Date.parse('2026-12-11T00:00:00Z');
    const { queue, sent } = recordingQueue();
    const pause = new DynamoProviderPause(dynamo, tableName, 'pressone', 600_000);
    await pause.pause(new Date(), 'refused', credentialFingerprint(SECRETS));
    const handler = createBatchHandler(
      {
        store,
        queue,
        config: { baseUrl: 'https://pressone.invalid', secrets: SECRETS, settings: {} },
        call: async () => response(200, { success: true, message: 'ok' }),
        callTimeoutMs: 1_000,
        leaseMs: 35_000,
        retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 1_000 },
        logger: new Logger({ logLevel: 'SILENT' }),
        now: () => new Date(clock),
        pause,
        pauseOnAuthStatuses: [401],
        maxSlotWaitMs: 10_000,
      },
      () => Promise.resolve(pressone),
    );
    const ended = newRenewalRecord(request('ended@example.com'), 'key-gate-ended', new Date(clock));
    await store.create(ended);
    await store.claim(ended.id, 'w', new Date(clock), 35_000);
    await store.complete(ended.id, 'w', new Date(clock), { status: 'succeeded', reason: 'ok', attempts: [] });
    const waiting = newRenewalRecord(request('waiting@example.com'), 'key-gate-waiting', new Date(clock));
    await store.create(waiting);
    const messages = [queuedMessageFor(ended, request('ended@example.com')), queuedMessageFor(waiting, request('waiting@example.com'))];
    const event = {
      Records: messages.map((m, i) => ({ messageId: `gate-m${i}`, body: JSON.stringify(m), eventSource: 'aws:sqs' })),
    } as unknown as SQSEvent;

    expect((await handler(event, lambdaContext('consumer-pressone', 30_000))).batchItemFailures).toEqual([]);
    // Only the waiting renewal is sent on (to the end of the pause), continuing its copy.
    expect(sent.map((s) => s.message.id)).toEqual([waiting.id]);
    expect(sent[0]?.message.hop).toBe(messages[1]?.copyId);
    // The same batch delivered again (its consumer died): the waiting copy is sent on again (it
    // is still the hop), and the copy of the ended renewal is dropped again.
    expect((await handler(event, lambdaContext('consumer-pressone', 30_000))).batchItemFailures).toEqual([]);
    expect(sent.map((s) => s.message.id)).toEqual([waiting.id, waiting.id]);
    expect((await store.get(waiting.id))?.hop).toBe(messages[1]?.copyId);
  });
});
