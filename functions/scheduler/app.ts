/**
 * Scheduler (docs/architecture.md#from-a-schedule). One function, two triggers:
 * - the EventBridge rule (every minute): dispatch — one message per shard that has something due
 *   and a free lease, on the scheduler queue (locally, without a queue, the shards are worked in
 *   this invocation);
 * - the scheduler queue (batch size 1, `SCHEDULER.workers` at once): work that shard under its
 *   lease; a worker short of time hands the shard on with a fresh message.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { addLambdaContext, type Logger } from '../../shared/logger';
import { requireEnv, type Env } from '../../shared/config';
import { ScheduleStore, anyDue } from '../../shared/adapters/schedule-store';
import { ShardLeases } from '../../shared/adapters/shard-leases';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { providerQueues, MAX_BATCH } from '../../shared/adapters/queue';
import { acceptRenewal, type Accepted } from '../../shared/intake/accept';
import type { CanonicalRequest } from '../../shared/domain/canonical';
import { emptySummary, runScheduler, shardsToWork, workShard, type RunSummary, type SchedulerDeps } from '../../shared/scheduler/run';
import { SCHEDULER } from '../../shared/system';

/** Time kept back from the timeout: the page in hand finishes, the shard is handed on. */
const STOP_MARGIN_MS = 60_000;

export interface TickSummary extends RunSummary {
  /** Shards handed to workers on the scheduler queue (AWS); 0 when worked in this invocation. */
  dispatched: number;
}

const isSqsEvent = (event: unknown): event is SQSEvent =>
  typeof event === 'object' && event !== null && Array.isArray((event as { Records?: unknown }).Records);

const shardOfMessage = (body: string): number => {
  const parsed: unknown = JSON.parse(body);
  const shard = typeof parsed === 'object' && parsed !== null ? (parsed as { shard?: unknown }).shard : undefined;
  if (typeof shard !== 'number' || !Number.isInteger(shard) || shard < 0 || shard >= SCHEDULER.shards) throw new Error('not a shard message');
  return shard;
};

const stopper = (context: Context | undefined) => () => (context ? context.getRemainingTimeInMillis() < STOP_MARGIN_MS : false);

/** The rule's tick: hand out the shards with due work (or work them here when there is no queue). */
export const createSchedulerTick = (deps: SchedulerDeps) =>
  async function tick(context?: Context): Promise<TickSummary> {
    addLambdaContext(deps.logger, context);
    const owner = context?.awsRequestId ?? randomUUID();
    if (!deps.dispatch) return { ...(await runScheduler(deps, { shouldStop: stopper(context), owner })), dispatched: 0 };
    const shards = await shardsToWork(deps, new Date());
    await deps.dispatch(shards);
    deps.logger.info('scheduler dispatch', { dispatched: shards.length });
    return { ...emptySummary(), dispatched: shards.length };
  };

/** Work the shards named by scheduler queue messages (one per invocation with batch size 1). */
export const createShardWorker = (deps: SchedulerDeps) =>
  async function work(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    addLambdaContext(deps.logger, context);
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let shard: number;
      try {
        shard = shardOfMessage(record.body);
      } catch {
        deps.logger.error('scheduler message is not a shard; dropped', { messageId: record.messageId });
        continue;
      }
      try {
        const owner = `${context?.awsRequestId ?? randomUUID()}/${record.messageId}`;
        const summary = await workShard(deps, shard, { shouldStop: stopper(context), owner });
        deps.logger.info('scheduler shard worked', { shard, ...summary });
        // Out of time with work left: the next worker goes on at once, not at the next tick.
        if (summary.stoppedEarly && deps.dispatch) await deps.dispatch([shard]);
      } catch (error) {
        deps.logger.error('scheduler shard failed; it is dispatched again once its lease ends', { shard, error: error instanceof Error ? error.name : 'unknown' });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };

export const createSchedulerHandler = (deps: SchedulerDeps) => {
  const tick = createSchedulerTick(deps);
  const work = createShardWorker(deps);
  return async function scheduler(event: unknown, context?: Context): Promise<TickSummary | SQSBatchResponse> {
    return isSqsEvent(event) ? work(event, context) : tick(context);
  };
};

/** One message per shard on the scheduler queue, ten per request. */
const queueDispatch = (sqs: SQSClient, queueUrl: string) => async (shards: readonly number[]) => {
  for (let i = 0; i < shards.length; i += MAX_BATCH) {
    const entries = shards.slice(i, i + MAX_BATCH).map((shard) => ({ Id: String(shard), MessageBody: JSON.stringify({ shard }) }));
    const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    // A shard not handed out now is handed out at the next tick: it is still due.
    if (out.Failed?.length) throw new Error(`scheduler queue refused ${out.Failed.length} shard messages`);
  }
};

export interface SchedulerAppDeps extends SchedulerDeps {
  /** The single acceptance path (intake's), for tests that play a run that died half-way. */
  readonly accept: (request: CanonicalRequest, idempotencyKey: string) => Promise<Accepted>;
}

export const loadSchedulerDeps = (env: Env, clients: { dynamo: DynamoDBClient; sqs: SQSClient }, logger: Logger): SchedulerAppDeps => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const renewals = new RenewalRecords(clients.dynamo, tableName);
  const queues = providerQueues(env, clients.sqs);
  const schedulerQueueUrl = env[SCHEDULER.queueUrlEnv]?.trim();
  return {
    schedules: new ScheduleStore(clients.dynamo, tableName),
    renewals,
    queues,
    shards: { leases: new ShardLeases(clients.dynamo, tableName), anyDue: (shard, now) => anyDue(clients.dynamo, tableName, shard, now) },
    ...(schedulerQueueUrl ? { dispatch: queueDispatch(clients.sqs, schedulerQueueUrl) } : {}),
    accept: (request, key) => acceptRenewal(request, key, { store: renewals, queues, logger }),
    logger,
  };
};
