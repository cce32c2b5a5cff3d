/**
 * Scheduler: invoked by the EventBridge rule (locally by a timer or on demand). Queues the
 * renewals of every due schedule and stops taking new ones well before the function's timeout.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { addLambdaContext, type Logger } from '../../shared/logger';
import { requireEnv, type Env } from '../../shared/config';
import { ScheduleStore } from '../../shared/adapters/schedule-store';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { providerQueues } from '../../shared/adapters/queue';
import { acceptRenewal } from '../../shared/intake/accept';
import { runScheduler, type RunSummary, type SchedulerDeps } from '../../shared/scheduler/run';

/** Time kept back from the timeout: the schedules in hand finish, the rest wait for the next run. */
const STOP_MARGIN_MS = 60_000;

export const createSchedulerHandler = (deps: SchedulerDeps) =>
  async function scheduler(_event: unknown, context?: Context): Promise<RunSummary> {
    addLambdaContext(deps.logger, context);
    return runScheduler(deps, { shouldStop: () => (context ? context.getRemainingTimeInMillis() < STOP_MARGIN_MS : false) });
  };

export const loadSchedulerDeps = (env: Env, clients: { dynamo: DynamoDBClient; sqs: SQSClient }, logger: Logger): SchedulerDeps => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const store = new RenewalRecords(clients.dynamo, tableName);
  const queues = providerQueues(env, clients.sqs);
  return {
    schedules: new ScheduleStore(clients.dynamo, tableName),
    accept: (request, key) => acceptRenewal(request, key, { store, queues, logger }),
    logger,
  };
};
