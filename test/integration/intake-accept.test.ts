/**
 * Nothing accepted is lost (docs/architecture.md#nothing-accepted-is-lost), against DynamoDB Local
 * and the project's SQS endpoint: nothing deletes a stored renewal; a send that fails leaves it
 * `queued` and visible and answers 503; every repeat that finds it queued and never attempted
 * sends it, so no 2xx is ever answered without a message known to be in SQS.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { RenewalStore, SEND_FAILED_REASON } from '../../shared/adapters/renewal-store';
import { SqsRenewalQueue, type RenewalQueue } from '../../shared/adapters/queue';
import { acceptRenewal } from '../../shared/intake/accept';
import { newRenewalRecord, toResource } from '../../shared/domain/renewal';
import { HttpError } from '../../shared/http/problem';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let store: RenewalStore;
let sqsServer: SqsServer;
let sqs: SQSClient;
let queueUrl: string;
const logger = new Logger({ logLevel: 'SILENT' });

beforeAll(async () => {
  const t = await createRenewalTable('accept');
  dynamo = t.dynamo;
  store = new RenewalStore(dynamo, t.tableName);
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'accept' }))).QueueUrl ?? '';
});
afterAll(async () => {
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});
beforeEach(async () => {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
});

const depth = async () =>
  Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);
const request = (email: string) => ({ provider: 'pressone', operation: 'renew', subscription: email, params: {} }) as const;
const statusOf = (error: unknown) => (error instanceof HttpError ? error.status : error);
const working = () => new SqsRenewalQueue(sqs, queueUrl);
const broken = () => new SqsRenewalQueue(sqs, `${sqsServer.endpoint}/000000000000/no-such-queue`);

describe('accepting a renewal', () => {
  it('answers 503 and keeps the renewal queued and visible when its message cannot be queued; a retry with the same key queues it', async () => {
    const error = await acceptRenewal(request('lost@example.com'), 'key-broken', { store, queues: { pressone: broken() }, logger }).catch((e: unknown) => e);
    expect(statusOf(error)).toBe(503);
    const id = newRenewalRecord(request('lost@example.com'), 'key-broken', new Date()).id;
    const kept = await store.get(id);
    expect(kept).toMatchObject({ status: 'queued', statusReason: SEND_FAILED_REASON, sendFailedAt: expect.any(String) });
    // Visible where an operator (and a later sweeper) looks: the subscription's list and the resource.
    expect((await store.listBySubscription('pressone', 'lost@example.com', { limit: 10 })).items.map((r) => r.id)).toEqual([id]);
    expect(toResource(kept!)).toMatchObject({ status: 'queued', statusReason: SEND_FAILED_REASON });
    expect(await depth()).toBe(0);

    // The upstream's retry with the same key, moments later, queues it and clears the mark.
    const retry = await acceptRenewal(request('lost@example.com'), 'key-broken', { store, queues: { pressone: working() }, logger });
    expect(retry).toMatchObject({ httpStatus: 200, renewal: { id, status: 'queued' } });
    expect(await depth()).toBe(1);
    const after = await store.get(id);
    expect(after?.sendFailedAt).toBeUndefined();
    expect(after?.statusReason).toBeUndefined();
  });

  it('two overlapping acceptances: the first’s send fails after the second observed the record — the renewal is not lost', async () => {
    // Run A (a scheduler run, say) creates the renewal; its SendMessage hangs, then fails.
    let failA!: () => void;
    let sendStarted!: () => void;
    const started = new Promise<void>((r) => (sendStarted = r));
    const stalled: RenewalQueue = {
      send: () => {
        sendStarted();
        return new Promise((_, reject) => (failA = () => reject(new Error('SQS unavailable'))));
      },
    };
    const a = acceptRenewal(request('race@example.com'), 'schedule:pressone:race@example.com:2026-12-01', { store, queues: { pressone: stalled }, logger }).catch((e: unknown) => e);
    await started;
    // Run B sees it queued (moments old) and answers 200 — the scheduler would now advance the schedule.
    const b = await acceptRenewal(request('race@example.com'), 'schedule:pressone:race@example.com:2026-12-01', { store, queues: { pressone: working() }, logger });
    expect(b.httpStatus).toBe(200);
    // Then A's send fails.
    failA();
    expect(statusOf(await a)).toBe(503);

    // The record is still there, queued, and a message for it is in SQS (B's): nobody needs to repeat.
    expect(await store.get(b.renewal.id)).toMatchObject({ status: 'queued', attempts: [] });
    expect(await depth()).toBe(1);
  });

  it('a repeat that cannot queue the renewal either answers 503, not 200', async () => {
    await acceptRenewal(request('twice@example.com'), 'key-twice', { store, queues: { pressone: broken() }, logger }).catch(() => undefined);
    const repeat = await acceptRenewal(request('twice@example.com'), 'key-twice', { store, queues: { pressone: broken() }, logger }).catch((e: unknown) => e);
    expect(statusOf(repeat)).toBe(503);
    expect((await store.get(newRenewalRecord(request('twice@example.com'), 'key-twice', new Date()).id))?.status).toBe('queued');
  });

  it('queues again a stored renewal whose send was lost (a crash between storing and sending), on the next repeat', async () => {
    const created = new Date();
    await store.create(newRenewalRecord(request('crash@example.com'), 'key-crash', created));
    const soon = await acceptRenewal(request('crash@example.com'), 'key-crash', { store, queues: { pressone: working() }, logger, now: () => new Date(created.getTime() + 1_000) });
    expect(soon).toMatchObject({ httpStatus: 200, renewal: { status: 'queued' } });
    expect(await depth()).toBe(1);
  });

  it('does not queue a renewal again once a consumer has attempted it', async () => {
    const record = newRenewalRecord(request('done@example.com'), 'key-done', new Date());
    await store.create(record);
    await store.claim(record.id, 'w', new Date(), 60_000);
    await store.complete(record.id, 'w', new Date(), { status: 'succeeded', reason: 'ok', attempts: [{ number: 1, startedAt: new Date().toISOString(), latencyMs: 1, errorClass: 'success', message: 'ok' }] });
    const repeat = await acceptRenewal(request('done@example.com'), 'key-done', { store, queues: { pressone: working() }, logger });
    expect(repeat).toMatchObject({ httpStatus: 200, renewal: { status: 'succeeded' } });
    expect(await depth()).toBe(0);
  });
});
