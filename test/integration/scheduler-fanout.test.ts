/**
 * The fan-out scheduler (docs/architecture.md#from-a-schedule): the rule's tick hands out one
 * message per shard with due work on the scheduler queue; each message's worker works its shard
 * under the shard's lease. Counted at the SDK clients, as the benchmark counts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import type { LocalStack } from '../../local/stack';
import { LOCAL_CREDENTIALS } from '../../local/dynamo';
import { lambdaContext } from '../../local/lambda-context';
import { startTestStack } from '../support/stack';
import { createSchedulerTick, createShardWorker, loadSchedulerDeps } from '../../functions/scheduler/app';
import { ScheduleStore, shardOf } from '../../shared/adapters/schedule-store';
import { ShardLeases } from '../../shared/adapters/shard-leases';
import { scheduleFromRequest } from '../../shared/domain/schedule';
import { workShard } from '../../shared/scheduler/run';
import { SCHEDULER } from '../../shared/system';

let stack: LocalStack;
let schedulerQueueUrl: string;

beforeAll(async () => {
  // No consumers: the provider queue keeps what the scheduler queued, to be counted.
  stack = await startTestStack('fanout', { schedulerIntervalMs: 0, deferConsumers: true });
  schedulerQueueUrl = (await stack.sqs.send(new CreateQueueCommand({ QueueName: `fanout-${Date.now()}-scheduler` }))).QueueUrl ?? '';
});
afterAll(async () => {
  await stack?.stop();
});

/** Clients of one "function", counting requests by command and failed conditions. */
const countingClients = () => {
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const dynamo = new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: stack.sqsEndpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      bump(`DynamoDB.${context.commandName?.replace(/Command$/, '')}`);
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') bump('ConditionalCheckFailed');
        throw error;
      }
    },
    { step: 'initialize', name: 'count' },
  );
  sqs.middlewareStack.add((next, context) => (args) => (bump(`SQS.${context.commandName?.replace(/Command$/, '')}`), next(args)), { step: 'initialize', name: 'count' });
  return { dynamo, sqs, counts, count: (key: string) => counts.get(key) ?? 0 };
};

const quiet = new Logger({ logLevel: 'SILENT' });
let n = 0;
const seed = async (count: number, label: string, nextRunAt = new Date(Date.now() - 60_000).toISOString()): Promise<string[]> => {
  const store = new ScheduleStore(stack.dynamo, stack.tableName);
  const refs = Array.from({ length: count }, () => `${label}${++n}-${Math.random().toString(36).slice(2, 8)}@example.com`);
  for (const ref of refs) {
    const s = await scheduleFromRequest('pressone', ref, { cadence: 'P1M', nextRunAt }, new Date());
    if (!s.ok) throw new Error(JSON.stringify(s.errors));
    await store.put(s.value);
  }
  return refs;
};
const visible = async (url: string): Promise<number> => {
  const attrs = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed'] }));
  return Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(attrs.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
};
const receiveAll = async (url: string): Promise<SQSEvent['Records']> => {
  const records: SQSEvent['Records'] = [];
  for (;;) {
    const out = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!out.Messages?.length) return records;
    for (const m of out.Messages) {
      records.push({
        messageId: m.MessageId ?? '',
        receiptHandle: m.ReceiptHandle ?? '',
        body: m.Body ?? '',
        attributes: {} as SQSEvent['Records'][number]['attributes'],
        messageAttributes: {},
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:scheduler',
        awsRegion: 'us-east-1',
      });
    }
  }
};

describe('fan-out scheduler', () => {
  it('the tick hands out each shard with due work once; one worker per shard queues every schedule once, within the request bounds and with no failed condition', async () => {
    await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.queues.pressone.url }));
    const refs = await seed(300, 'f');
    const clients = countingClients();
    const deps = loadSchedulerDeps({ ...stack.env, [SCHEDULER.queueUrlEnv]: schedulerQueueUrl }, clients, quiet);

    const tick = await createSchedulerTick(deps)(lambdaContext('scheduler', 300_000));
    const shards = new Set(refs.map((r) => shardOf('pressone', r)));
    expect(tick.dispatched).toBe(shards.size);
    const messages = await receiveAll(schedulerQueueUrl);
    expect(messages.map((m) => (JSON.parse(m.body) as { shard: number }).shard).sort((a, b) => a - b)).toEqual([...shards].sort((a, b) => a - b));

    clients.counts.clear();
    const worker = createShardWorker(deps);
    // Every shard's message delivered to its own invocation, all at once.
    const answers = await Promise.all(messages.map((m) => worker({ Records: [m] }, lambdaContext('scheduler', 300_000))));
    expect(answers.flatMap((a) => a.batchItemFailures)).toEqual([]);
    expect(await visible(stack.queues.pressone.url)).toBe(300);

    const store = new ScheduleStore(stack.dynamo, stack.tableName);
    for (const ref of refs) expect(Date.parse((await store.get('pressone', ref))?.nextRunAt ?? '')).toBeGreaterThan(Date.now());

    // Per schedule: one conditional create, one conditional advance, a tenth of an SQS request
    // (plus, per shard, the lease taken and given back and its last partial batch).
    const perShard = messages.length;
    expect(clients.count('DynamoDB.PutItem')).toBe(300);
    expect(clients.count('DynamoDB.UpdateItem')).toBe(300 + 2 * perShard);
    expect(clients.count('SQS.SendMessageBatch')).toBeLessThanOrEqual(30 + perShard);
    expect(clients.count('SQS.SendMessage')).toBe(0);
    expect(clients.count('ConditionalCheckFailed')).toBe(0);

    // Nothing due any more: the next tick hands out nothing and reads one key per shard.
    clients.counts.clear();
    expect((await createSchedulerTick(deps)()).dispatched).toBe(0);
    expect(clients.count('DynamoDB.Query')).toBe(SCHEDULER.shards);
    expect(clients.count('SQS.SendMessageBatch')).toBe(0);
    // 300 schedules seeded, queued and read back: a hang limit for a loaded machine, not a speed limit.
  }, 240_000);

  it('two workers given the same shard at once: one works it under the lease, the other leaves it', async () => {
    const refs = await seed(40, 'd');
    const shard = shardOf('pressone', refs[0] ?? '');
    const inShard = refs.filter((r) => shardOf('pressone', r) === shard).length;
    const deps = loadSchedulerDeps(stack.env, countingClients(), quiet);
    const [a, b] = await Promise.all([workShard(deps, shard, { owner: 'a' }), workShard(deps, shard, { owner: 'b' })]);
    expect([a.shards + b.shards, a.shardsBusy + b.shardsBusy]).toEqual([1, 1]);
    expect(a.queued + b.queued).toBe(inShard);
    expect(a.changedMeanwhile + b.changedMeanwhile + a.failed + b.failed).toBe(0);
  });

  it('a shard whose worker died is not handed out while its lease lasts, and is once it ended', async () => {
    const refs = await seed(5, 'x');
    const shard = shardOf('pressone', refs[0] ?? '');
    const leases = new ShardLeases(stack.dynamo, stack.tableName);
    const now = new Date();
    expect(await leases.take(shard, 'dead-worker', now, SCHEDULER.leaseSeconds * 1000)).toBe(true);
    const deps = loadSchedulerDeps({ ...stack.env, [SCHEDULER.queueUrlEnv]: schedulerQueueUrl }, countingClients(), quiet);
    await receiveAll(schedulerQueueUrl);
    await createSchedulerTick(deps)();
    const during = (await receiveAll(schedulerQueueUrl)).map((m) => (JSON.parse(m.body) as { shard: number }).shard);
    expect(during).not.toContain(shard);
    // A worker handed the shard anyway (a duplicate message) leaves it alone.
    expect((await workShard(deps, shard, { now, owner: 'other' })).shardsBusy).toBe(1);
    const later = new Date(now.getTime() + (SCHEDULER.leaseSeconds + 1) * 1000);
    const after = await workShard(deps, shard, { now: later, owner: 'next' });
    expect(after.shards).toBe(1);
    expect(after.queued).toBeGreaterThanOrEqual(refs.filter((r) => shardOf('pressone', r) === shard).length);
  });
});
