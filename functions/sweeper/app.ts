/**
 * Sweeper (docs/architecture.md#nothing-accepted-is-lost): run by its own EventBridge rule
 * (locally a timer and `POST /_local/sweeper/run`); queues again the renewals that stopped moving.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { addLambdaContext, type Logger } from '../../shared/logger';
import { optionalInt, requireEnv, type Env } from '../../shared/config';
import { RenewalSweep } from '../../shared/adapters/renewal-sweep';
import { providerQueues } from '../../shared/adapters/queue';
import { parseRateLimit } from '../../shared/adapters/rate-limiter';
import { DEFAULT_STALE_AFTER_SECONDS, STALE_AFTER_ENV, runSweeper, type SweepSummary, type SweeperDeps } from '../../shared/sweeper/sweep';
import { PROVIDER_CONFIG, QUEUES, functionDescription, type Provider } from '../../shared/system';

export const createSweeperHandler = (deps: SweeperDeps) =>
  async function sweeper(_event?: unknown, context?: Context): Promise<SweepSummary> {
    addLambdaContext(deps.logger, context);
    return runSweeper(deps);
  };

/**
 * How long a provider's queue needs to drain what it holds now: its messages at its rate limit,
 * or, without one, at one renewal per second per concurrent batch (a slow provider's pace).
 */
const backlogSeconds = (env: Env, sqs: SQSClient) => async (provider: Provider): Promise<number> => {
  const queue = QUEUES.find((q) => q.provider === provider);
  const url = queue ? env[queue.urlEnv] : undefined;
  if (!url) return 0;
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  const a = out.Attributes ?? {};
  const depth = Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
  if (depth === 0) return 0;
  const names = PROVIDER_CONFIG[provider];
  const setting = env[names.rateLimitEnv]?.trim() || names.defaultRateLimit;
  const rate = setting && setting !== 'off' ? parseRateLimit(setting, names.rateLimitEnv) : undefined;
  const perSecond = rate ? (rate.limit * 1000) / rate.windowMs : (functionDescription(`consumer-${provider}`).consumes?.maximumConcurrency ?? 1);
  return depth / perSecond;
};

export const loadSweeperDeps = (env: Env, clients: { dynamo: DynamoDBClient; sqs: SQSClient }, logger: Logger): SweeperDeps => ({
  sweep: new RenewalSweep(clients.dynamo, requireEnv(env, 'TABLE_NAME')),
  queues: providerQueues(env, clients.sqs),
  logger,
  staleAfterSeconds: optionalInt(env, STALE_AFTER_ENV, DEFAULT_STALE_AFTER_SECONDS, 1),
  backlogSeconds: backlogSeconds(env, clients.sqs),
});
