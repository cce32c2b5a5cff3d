/**
 * Punchh locks the gateway's IP out after 10 refused logins in 10 minutes. With credentials that
 * are not known to work, every consumer instance together sends one call at a time (the probe),
 * so refused logins stay at one or two per pause window even when full batches arrive at the
 * deployed concurrency. Real batch handler, engine and Punchh module; DynamoDB Local holds the
 * gate; the Punchh sandbox over HTTP counts failed logins with its real lockout rule.
 */
import type { SQSEvent } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunchhSandbox } from '../../local/sandboxes/punchh';
import { lambdaContext } from '../../local/lambda-context';
import { createBatchHandler, type ConsumerConfig } from '../../shared/consumer/batch';
import { loadCall } from '../../shared/providers/load-call';
import { loadConsumerDeps } from '../../shared/consumer/config';
import { newRenewalRecord, queuedMessageFor, type QueuedRenewal } from '../../shared/domain/renewal';
import type { RenewalQueue } from '../../shared/adapters/queue';
import type { CanonicalRequest } from '../../shared/domain/canonical';
import { createLogger } from '../../shared/logger';
import { functionDescription } from '../../shared/system';
import { createRenewalTable } from '../support/tables';

const consumer = functionDescription('consumer-punchh');
const BATCH_SIZE = consumer.consumes?.batchSize ?? 10;
const CONCURRENCY = consumer.consumes?.maximumConcurrency ?? 2;
const PAUSE_SECONDS = 2;
const RIGHT_KEY = 'punchh-right-key';

let sandbox: PunchhSandbox;
let dynamo: DynamoDBClient;
let tableName: string;
let n = 0;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('authpause'));
  sandbox = new PunchhSandbox({ adminKey: RIGHT_KEY });
  await sandbox.start({ port: 0 });
});
afterAll(async () => {
  await sandbox?.stop();
  dynamo?.destroy();
});

/** The renewals each deferral put back on the queue (what SQS would deliver again). */
const recordingQueue = (): RenewalQueue & { sent: QueuedRenewal[] } => {
  const sent: QueuedRenewal[] = [];
  return { sent, send: (message: QueuedRenewal) => Promise.resolve(void sent.push(message)) };
};

const consumerDeps = async (adminKey: string, queue: RenewalQueue): Promise<ConsumerConfig> => ({
  ...(await loadConsumerDeps(
    'punchh',
    {
      TABLE_NAME: tableName,
      PUNCHH_BASE_URL: sandbox.url,
      PUNCHH_QUEUE_URL: 'http://127.0.0.1:9/000000000000/punchh',
      PUNCHH_ADMIN_KEY: adminKey,
      AUTH_FAILURE_PAUSE_SECONDS: String(PAUSE_SECONDS),
    },
    { dynamo, sqs: new SQSClient({ region: 'us-east-1' }) },
    createLogger('consumer-punchh', 'SILENT'),
  )),
  queue,
});

/** A full batch of accepted Punchh renewals, each for its own subscription and term. */
const fullBatch = async (deps: ConsumerConfig): Promise<SQSEvent> => {
  const records = [];
  for (let i = 0; i < BATCH_SIZE; i++) {
    const request: CanonicalRequest = {
      provider: 'punchh',
      operation: 'renew',
      subscription: String(1000 + ++n),
      params: { startTime: '2027-01-01T00:00:00Z', endTime: '2027-02-01T00:00:00Z', purchasePrice: 9.99 },
    };
    const record = newRenewalRecord(request, `authpause-${n}-${Date.now()}`, new Date());
    await deps.store.create(record);
    records.push({ messageId: `m-${n}`, body: JSON.stringify(queuedMessageFor(record, request)) });
  }
  return { Records: records } as unknown as SQSEvent;
};

/** Full batches at the deployed concurrency, round after round, until `ms` have passed. */
const hammer = async (handler: ReturnType<typeof createBatchHandler>, deps: ConsumerConfig, ms: number): Promise<void> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const batches = await Promise.all(Array.from({ length: CONCURRENCY }, () => fullBatch(deps)));
    await Promise.all(batches.map((batch) => handler(batch, lambdaContext('consumer-punchh', consumer.timeoutSeconds * 1000))));
  }
};

describe('refused credentials never reach Punchh’s lockout', () => {
  it('an admin key Punchh refuses: full batches at the deployed concurrency make at most 2 refused logins per pause window', async () => {
    sandbox.reset();
    const queue = recordingQueue();
    const deps = await consumerDeps('punchh-wrong-key', queue);
    const handler = createBatchHandler(deps, () => loadCall('punchh'));
    const started = Date.now();
    await hammer(handler, deps, PAUSE_SECONDS * 1000 * 3 + 500);
    const windows = Math.ceil((Date.now() - started) / (PAUSE_SECONDS * 1000));

    const refusals = sandbox.calls().filter((c) => c.status === 401);
    expect(refusals.length).toBeGreaterThanOrEqual(2); // a probe after each pause, not silence
    expect(refusals.length).toBeLessThanOrEqual(windows * 2);
    // Every window of the pause's length holds at most 2 refused logins.
    const times = refusals.map((c) => Date.parse(c.at));
    for (const t of times) expect(times.filter((u) => u >= t && u < t + PAUSE_SECONDS * 1000).length).toBeLessThanOrEqual(2);
    expect(sandbox.failedLogins()).toBeLessThan(10);
    // The renewals not called were put back, not failed: only the probes made attempts.
    expect(queue.sent.length).toBeGreaterThan(BATCH_SIZE * CONCURRENCY);
  });

  it('a key revoked while trusted: each instance’s first call is refused alone, the rest of its batch waits', async () => {
    sandbox.reset();
    const queue = recordingQueue();
    const deps = await consumerDeps(RIGHT_KEY, queue);
    const handler = createBatchHandler(deps, () => loadCall('punchh'));
    // Trusted: a round of full batches goes through.
    await hammer(handler, deps, 1);
    await hammer(handler, deps, 1);
    const okCalls = sandbox.calls().filter((c) => c.status === 200).length;
    expect(okCalls).toBeGreaterThan(BATCH_SIZE);

    // Now Punchh refuses the key (revoked at Punchh), and full batches arrive at once.
    sandbox.injectFaults({ kind: 'status', status: 401, body: { error: 'You need to sign in or sign up before continuing.' }, count: 1_000 });
    await hammer(handler, deps, 1);
    expect(sandbox.calls().filter((c) => c.status === 401).length).toBeLessThanOrEqual(CONCURRENCY);
  });
});
