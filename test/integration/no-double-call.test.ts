/**
 * The no-double-call guarantee (docs/architecture.md#no-double-renewal) with real components:
 * DynamoDB Local as the lock, the project's SQS endpoint for deferred copies, and the PressOne
 * sandbox over HTTP counting calls.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateQueueCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { PressOneSandbox } from '../../local/sandboxes/pressone';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { SqsRenewalQueue } from '../../shared/adapters/queue';
import { fetchCall } from '../../shared/adapters/http-call';
import { call as pressone } from '../../shared/providers/pressone/call';
import { processRenewal, type ConsumerDeps } from '../../shared/consumer/engine';
import { newRenewalRecord, queuedMessageFor, type QueuedRenewal } from '../../shared/domain/renewal';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let sqsServer: SqsServer;
let sqs: SQSClient;
let queueUrl: string;
let sandbox: PressOneSandbox;
let deps: ConsumerDeps;
let n = 0;
/** PressOne's settle window, shortened: List User's "not renewed" counts only this long after a call. */
const SETTLE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const t = await createRenewalTable('nodouble');
  dynamo = t.dynamo;
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'pressone' }))).QueueUrl ?? '';
  sandbox = new PressOneSandbox({ apiKey: 'key-1' });
  await sandbox.start({ port: 0 });
  deps = {
    store: new RenewalStore(dynamo, t.tableName),
    queue: new SqsRenewalQueue(sqs, queueUrl),
    provider: pressone,
    config: { baseUrl: sandbox.url, secrets: { PRESSONE_API_KEY: 'key-1' }, settings: {} },
    call: fetchCall,
    callTimeoutMs: 2_000,
    leaseMs: 35_000,
    retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    logger: new Logger({ logLevel: 'SILENT' }),
    settleMs: SETTLE_MS,
  };
});

afterAll(async () => {
  await sandbox?.stop();
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});

beforeEach(async () => {
  sandbox.reset();
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
});

/** A renewal as intake leaves it: a record in the table and the message that was queued. */
const accepted = async (): Promise<QueuedRenewal> => {
  const email = `user${++n}@example.com`;
  const req = { provider: 'pressone', operation: 'renew', subscription: email, params: {} } as const;
  const record = newRenewalRecord(req, `key-${n}-${Date.now()}`, new Date());
  await deps.store.create(record);
  return queuedMessageFor(record, req);
};

const renewCalls = () => sandbox.calls().filter((c) => c.path.startsWith('/api/third-party/partner/renew-number/'));

describe('no second call for one idempotency key', () => {
  it('under redelivery of a finished message', async () => {
    const message = await accepted();
    expect(await processRenewal(message, 'w1', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(await processRenewal(message, 'w2', deps)).toEqual({ kind: 'skipped', why: 'already succeeded' });
    expect(renewCalls()).toHaveLength(1);
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
  });

  it('under concurrent delivery of the same message', async () => {
    const message = await accepted();
    // Slow the provider down so every copy arrives while the first call is in flight.
    sandbox.injectFaults({ kind: 'latency', ms: 300 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => processRenewal(message, `w${i}`, deps)));
    expect(results.filter((r) => r.kind === 'completed')).toHaveLength(1);
    // The others found it leased (deferred) or, on a slow machine, already finished.
    expect(results.filter((r) => r.kind !== 'completed').every((r) => r.kind === 'deferred' || (r.kind === 'skipped' && r.why === 'already succeeded'))).toBe(true);
    expect(renewCalls()).toHaveLength(1);
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
    // The deferred copies, once delivered, find the renewal finished and stop there.
    expect(await processRenewal(message, 'late', deps)).toEqual({ kind: 'skipped', why: 'already succeeded' });
    expect(renewCalls()).toHaveLength(1);
  });

  it('when a consumer dies after claiming: nobody calls while its lease runs; after it, List User shows no renewal, so one call is made', async () => {
    const message = await accepted();
    // The dead consumer: claimed with a short lease, then never completed.
    const dead = await deps.store.claim(message.id, 'dead-worker', new Date(), 400);
    expect(dead.claimed).toBe(true);

    const during = await processRenewal(message, 'w-during', deps);
    expect(during.kind).toBe('deferred');
    expect(renewCalls()).toHaveLength(0);

    await sleep(500);
    // Its lease is over, but it may have called just before it ended: "not renewed" is no
    // evidence until the settle window has passed, so nothing is called yet.
    expect(await processRenewal(message, 'w-after', deps)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    expect(renewCalls()).toHaveLength(0);
    await sleep(SETTLE_MS + 300);
    expect(await processRenewal(message, 'w-settled', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(renewCalls()).toHaveLength(1);
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
    const record = await deps.store.get(message.id);
    expect(record?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([
      ['interrupted', 'not-renewed'],
      ['success', undefined],
    ]);
  });

  it('when a consumer dies after the provider renewed but before recording it: List User shows the renewal, no second call', async () => {
    const message = await accepted();
    const claim = await deps.store.claim(message.id, 'dies-after-call', new Date(), 300);
    expect(claim.claimed).toBe(true);
    // It called PressOne, which renewed, and then the process died.
    const call = await fetchCall(pressone.buildRequest(message, deps.config), 2_000);
    expect(call.kind === 'response' && call.status).toBe(200);
    await new Promise((r) => setTimeout(r, 400));
    // Redelivery after the visibility timeout: confirmed, not renewed again.
    expect(await processRenewal(message, 'redelivered', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
    expect(renewCalls()).toHaveLength(1);
    const record = await deps.store.get(message.id);
    expect(record?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([['interrupted', 'renewed']]);
  });

  it('without a read API, an interrupted attempt stops at needs_attention and nothing is called', async () => {
    const message = await accepted();
    const blind = { ...deps, provider: { ...pressone, confirmation: undefined } };
    await deps.store.claim(message.id, 'dead-worker', new Date(), 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await processRenewal(message, 'w', blind)).toEqual({ kind: 'completed', status: 'needs_attention' });
    expect(renewCalls()).toHaveLength(0);
  });

  it('an answer lost after PressOne renewed (reset after effect) is confirmed as renewed, never repeated', async () => {
    const message = await accepted();
    sandbox.injectFaults({ kind: 'reset-after-effect', path: 'renew-number' });
    expect(await processRenewal(message, 'w1', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
    expect(renewCalls()).toHaveLength(1);
    const record = await deps.store.get(message.id);
    expect(record?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([['ambiguous', 'renewed']]);
  });

  it('a connection reset before PressOne acted is confirmed as not renewed, retried, and renewed once', async () => {
    const message = await accepted();
    sandbox.injectFaults({ kind: 'reset', path: 'renew-number' });
    expect(await processRenewal(message, 'w1', deps)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await processRenewal(message, 'w2', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
    const record = await deps.store.get(message.id);
    expect(record?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([
      ['ambiguous', 'not-renewed'],
      ['success', undefined],
    ]);
  });

  describe('a slow provider (it applies the call after our timeout)', () => {
    /** PressOne answers, and renews, 3 s after the call; the consumer gives up after 2 s. */
    const slowRenewal = async (settleMs: number) => {
      const message = await accepted();
      const slow = { ...deps, settleMs };
      sandbox.injectFaults({ kind: 'latency', ms: 3_000, count: 1, path: 'renew-number' });
      // Timed out; List User, asked at once, says "not renewed": PressOne is still working on it.
      expect(await processRenewal(message, 'w1', slow)).toEqual({ kind: 'completed', status: 'retry_scheduled' });
      const record = await deps.store.get(message.id);
      expect(record?.attempts.map((a) => [a.errorClass, a.confirmation])).toEqual([['ambiguous', 'not-renewed']]);
      // Redelivered when the retry is due: it asks List User again before any second call.
      const due = Date.parse(record?.nextAttemptAt ?? '');
      await sleep(Math.max(0, due - Date.now()) + 50);
      const second = await processRenewal(message, 'w2', slow);
      await sleep(Math.max(0, 3_200 - (Date.now() - Date.parse(record?.attempts[0]?.startedAt ?? ''))));
      return { message, second };
    };

    it('is renewed once: "not renewed" right after a timeout is not believed until the settle window has passed', async () => {
      const { message, second } = await slowRenewal(2_000);
      expect(second).toEqual({ kind: 'completed', status: 'succeeded' });
      expect(sandbox.renewalsFor(message.subscription)).toBe(1);
      expect(renewCalls()).toHaveLength(1);
      const record = await deps.store.get(message.id);
      expect(record?.status).toBe('succeeded');
      expect(record?.statusReason).toMatch(/read API shows the earlier attempt renewed/);
    });
  });

  it('an ambiguous answer that List User cannot settle ends needs_attention', async () => {
    const message = await accepted();
    sandbox.injectFaults([
      { kind: 'status', status: 502, path: 'renew-number' },
      { kind: 'status', status: 500, path: '/partner/user/' },
    ]);
    expect(await processRenewal(message, 'w1', deps)).toEqual({ kind: 'completed', status: 'needs_attention' });
    expect(renewCalls()).toHaveLength(1);
    const record = await deps.store.get(message.id);
    expect(record?.attempts.map((a) => [a.errorClass, a.httpStatus, a.confirmation])).toEqual([['ambiguous', 502, 'unknown']]);
  });

  it('retries a 503 only after recording it, with one call per attempt', async () => {
    const message = await accepted();
    sandbox.injectFaults({ kind: 'status', status: 503, retryAfterSeconds: 1 });
    const first = await processRenewal(message, 'w1', deps);
    expect(first).toEqual({ kind: 'completed', status: 'retry_scheduled' });
    // A duplicate arriving before the retry is due does not call.
    const early = await processRenewal(message, 'dup', deps);
    expect(early.kind).toBe('deferred');
    expect(renewCalls()).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 1_400));
    expect(await processRenewal(message, 'w2', deps)).toEqual({ kind: 'completed', status: 'succeeded' });
    expect(renewCalls()).toHaveLength(2);
    expect(sandbox.renewalsFor(message.subscription)).toBe(1);
  });
});
