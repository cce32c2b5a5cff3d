/**
 * Retries that wait longer than SQS can delay a message (issue 9, #8), with DynamoDB Local as the
 * record and a simulated clock: a 6-hour wait is made of 15-minute delayed copies; a copy that
 * arrives before the retry is due is sent on without an attempt, a claim or a rate-limit slot;
 * the retry happens once it is due, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { MAX_DELAY_SECONDS, type RenewalQueue } from '../../shared/adapters/queue';
import { call as pressone } from '../../shared/providers/pressone/call';
import { processRenewal, type ConsumerDeps } from '../../shared/consumer/engine';
import { createBatchHandler } from '../../shared/consumer/batch';
import { DEFAULT_RETRY_POLICY } from '../../shared/domain/retry';
import { newRenewalRecord, queuedMessageFor, type QueuedRenewal } from '../../shared/domain/renewal';
import type { CallResult } from '../../shared/providers/types';
import { lambdaContext } from '../../local/lambda-context';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;
beforeAll(async () => {
  const t = await createRenewalTable('longretry');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
});
afterAll(() => dynamo?.destroy());

const HOUR = 3_600_000;

/** A queue that keeps what was sent, with the delay SQS would apply (capped at 15 minutes). */
const recordingQueue = () => {
  const sent: Array<{ message: QueuedRenewal; delaySeconds: number }> = [];
  const queue: RenewalQueue = {
    send: async (message, delaySeconds = 0) => {
      sent.push({ message, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)) });
    },
  };
  return { queue, sent };
};

const response = (status: number): CallResult => ({ kind: 'response', status, headers: {}, body: JSON.stringify({ success: status === 200, message: 'x', data: null }), latencyMs: 5 });

describe('a retry that waits longer than SQS can delay', () => {
  it('waits its whole delay in 15-minute copies, each sent on without an attempt, then retries once', async () => {
    let clock = Date.parse('2026-12-01T00:00:00Z');
    const { queue, sent } = recordingQueue();
    const calls: number[] = [];
    const answers = [503, 200];
    const deps: ConsumerDeps = {
      store,
      queue,
      provider: pressone,
      config: { baseUrl: 'https://pressone.invalid', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} },
      call: async () => {
        calls.push(clock);
        return response(answers.shift() ?? 500);
      },
      callTimeoutMs: 1_000,
      leaseMs: 35_000,
      // One retry, six hours later (the default schedule's longest wait), no jitter.
      retry: { maxAttempts: 3, baseDelayMs: 6 * HOUR, maxDelayMs: 6 * HOUR },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(clock),
      random: () => 0,
    };
    const req = { provider: 'pressone', operation: 'renew', subscription: 'long@example.com', params: {} } as const;
    const record = newRenewalRecord(req, 'key-long-retry', new Date(clock));
    await store.create(record);
    const first = queuedMessageFor(record, req);

    expect(await processRenewal(first, 'w1', deps)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    const scheduled = await store.get(record.id);
    expect(scheduled?.nextAttemptAt).toBe(new Date(clock + 6 * HOUR).toISOString());
    // SQS cannot hold it six hours: the copy is delayed the most SQS allows and carries its due
    // time; it continues the copy that claimed (docs/architecture.md#one-copy-per-renewal).
    expect(sent).toEqual([{ message: { ...first, dueAt: scheduled?.nextAttemptAt, hop: first.copyId, copyId: expect.any(String) }, delaySeconds: 900 }]);

    // Each time the copy comes back early, it is sent on for the rest of the wait: no call, and the
    // record is not touched (no claim).
    let copies = 0;
    for (;;) {
      const copy = sent.shift();
      if (!copy) throw new Error('the renewal has no message left');
      clock += copy.delaySeconds * 1000;
      const result = await processRenewal(copy.message, `w-copy-${copies}`, deps);
      if (result.kind === 'completed') {
        expect(result.status).toBe('succeeded');
        break;
      }
      copies++;
      expect(result).toMatchObject({ kind: 'deferred', why: 'retry not due yet' });
      expect(calls).toHaveLength(1);
      expect((await store.get(record.id))?.updatedAt).toBe(scheduled?.updatedAt);
    }
    expect(copies).toBe(23); // 24 × 15 minutes = 6 hours
    expect(calls).toEqual([Date.parse('2026-12-01T00:00:00Z'), Date.parse('2026-12-01T06:00:00Z')]);
    expect((await store.get(record.id))?.attempts.map((a) => a.httpStatus)).toEqual([503, 200]);
  });

  it('a copy without the due time (a duplicate) is re-delayed by its record without an attempt, and learns the due time', async () => {
    let clock = Date.parse('2026-12-02T00:00:00Z');
    const { queue, sent } = recordingQueue();
    let called = 0;
    const deps: ConsumerDeps = {
      store,
      queue,
      provider: pressone,
      config: { baseUrl: 'https://pressone.invalid', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} },
      call: async () => {
        called++;
        return response(503);
      },
      callTimeoutMs: 1_000,
      leaseMs: 35_000,
      retry: DEFAULT_RETRY_POLICY,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(clock),
      random: () => 0,
    };
    const req = { provider: 'pressone', operation: 'renew', subscription: 'dup@example.com', params: {} } as const;
    const record = newRenewalRecord(req, 'key-long-dup', new Date(clock));
    await store.create(record);
    const message = queuedMessageFor(record, req);
    await processRenewal(message, 'w1', deps);
    const due = (await store.get(record.id))?.nextAttemptAt;
    expect(due).toBe(new Date(clock + DEFAULT_RETRY_POLICY.baseDelayMs).toISOString());
    sent.length = 0;

    clock += 10_000;
    expect(await processRenewal(message, 'w-dup', deps)).toMatchObject({ kind: 'deferred', why: 'retry not due yet' });
    expect(called).toBe(1);
    expect(sent).toEqual([{ message: { ...message, dueAt: due, hop: message.copyId, copyId: expect.any(String) }, delaySeconds: 20 }]);
  });

  it('a batch reserves rate-limit slots only for the copies that are due', async () => {
    const clock = Date.parse('2026-12-03T00:00:00Z');
    const { queue, sent } = recordingQueue();
    const reserved: number[] = [];
    const handler = createBatchHandler({
      store,
      queue,
      config: { baseUrl: 'https://pressone.invalid', secrets: { PRESSONE_API_KEY: 'k' }, settings: {} },
      call: async () => response(200),
      callTimeoutMs: 1_000,
      leaseMs: 35_000,
      retry: DEFAULT_RETRY_POLICY,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(clock),
      limiter: {
        toleranceMs: 1_000,
        reserve: async (count) => {
          reserved.push(count);
          return { slots: Array.from({ length: count }, () => Date.now()), retryInMs: 0 };
        },
      },
      maxSlotWaitMs: 10_000,
    }, () => Promise.resolve(pressone));
    const req = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;
    const due = newRenewalRecord(req('due@example.com'), 'key-slot-due', new Date(clock));
    await store.create(due);
    const waitingRecord = newRenewalRecord(req('wait@example.com'), 'key-slot-wait', new Date(clock));
    await store.create(waitingRecord);
    const waiting = { ...queuedMessageFor(waitingRecord, req('wait@example.com')), dueAt: new Date(clock + 5 * HOUR).toISOString() };
    const event = {
      Records: [queuedMessageFor(due, req('due@example.com')), waiting].map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m), eventSource: 'aws:sqs' })),
    } as unknown as SQSEvent;
    const out = await handler(event, lambdaContext('consumer-pressone', 30_000));
    expect(out.batchItemFailures).toEqual([]);
    expect(reserved).toEqual([1]);
    expect(sent).toEqual([{ message: { ...waiting, hop: waiting.copyId, copyId: expect.any(String) }, delaySeconds: 900 }]);
    expect((await store.get(due.id))?.status).toBe('succeeded');
  });
});
