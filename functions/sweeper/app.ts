/**
 * Sweeper (docs/architecture.md#nothing-accepted-is-lost): run by its own EventBridge rule
 * (locally a timer and `POST /_local/sweeper/run`); queues again the renewals that stopped moving.
 * Each run first forecasts each provider's backlog against its rate limit and the earliest
 * deadline waiting (shared/operator/forecast.ts) and, in AWS, emits it as metrics (Powertools
 * Metrics, embedded metric format in the log: no API call):
 * - `BacklogForecastLateSeconds` (dimensions service, provider): drainsBy − earliest deadline;
 * - `ProvidersForecastLate` (dimension service): how many providers' forecasts pass their earliest
 *   deadline, 0 included, which the `BacklogForecastLate` alarm watches.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { addLambdaContext, type Logger } from '../../shared/logger';
import { optionalInt, requireEnv, type Env } from '../../shared/config';
import { RenewalSweep } from '../../shared/adapters/renewal-sweep';
import { InboxReader } from '../../shared/adapters/renewal-store';
import { providerQueues } from '../../shared/adapters/queue';
import { DEFAULT_STALE_AFTER_SECONDS, STALE_AFTER_ENV, runSweeper, type SweepSummary, type SweeperDeps } from '../../shared/sweeper/sweep';
import { forecastProvider } from '../../shared/operator/forecast';
import type { BacklogForecast } from '../../shared/domain/forecast';
import { PROVIDER_CONFIG, QUEUES, type Provider } from '../../shared/system';

export interface SweeperAppDeps extends SweeperDeps {
  /** A provider's backlog forecast now; throws when its queue cannot be read. */
  readonly forecast: (provider: Provider, now: Date) => Promise<BacklogForecast>;
  /** Where the forecast metrics go (AWS); none locally. */
  readonly metrics?: Metrics;
}

export type SweeperRun = SweepSummary & { readonly forecasts: Partial<Record<Provider, BacklogForecast>> };

export const createSweeperHandler = (deps: SweeperAppDeps) =>
  async function sweeper(_event?: unknown, context?: Context): Promise<SweeperRun> {
    addLambdaContext(deps.logger, context);
    const now = new Date();
    const forecasts: Partial<Record<Provider, BacklogForecast>> = {};
    for (const provider of Object.keys(deps.queues) as Provider[]) {
      try {
        forecasts[provider] = await deps.forecast(provider, now);
      } catch (error) {
        deps.logger.warn('sweeper: backlog forecast unknown', { provider, error: error instanceof Error ? error.name : 'unknown' });
      }
    }
    const late = Object.entries(forecasts).filter(([, f]) => f.late);
    for (const [provider, f] of late) deps.logger.warn('backlog forecast passes the earliest deadline waiting', { provider, ...f });
    if (deps.metrics) {
      for (const [provider, f] of Object.entries(forecasts)) {
        if (f.lateBySeconds === null) continue;
        const single = deps.metrics.singleMetric();
        single.addDimension('provider', provider);
        single.addMetric('BacklogForecastLateSeconds', 'Seconds', f.lateBySeconds);
      }
      deps.metrics.addMetric('ProvidersForecastLate', 'Count', late.length);
      deps.metrics.publishStoredMetrics();
    }
    // The sweep reuses the depths just read: a renewal waiting behind its queue's backlog is moving.
    const summary = await runSweeper(
      {
        ...deps,
        backlogSeconds: (provider) => {
          const f = forecasts[provider];
          return f ? Promise.resolve(f.backlog / f.perSecond) : deps.backlogSeconds(provider);
        },
      },
      now,
    );
    return { ...summary, forecasts };
  };

/** The messages a provider's queue holds now (visible, in flight, delayed). */
const queueDepth = (env: Env, sqs: SQSClient) => async (provider: Provider): Promise<number> => {
  const queue = QUEUES.find((q) => q.provider === provider);
  const url = queue ? env[queue.urlEnv] : undefined;
  if (!url) return 0;
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
};

/** The rate limit as the provider's consumers apply it (`PELCRO_RATE_LIMIT`, else the provider's default). */
const rateLimitOf = (env: Env, provider: Provider): string | undefined => {
  const names = PROVIDER_CONFIG[provider];
  return env[names.rateLimitEnv]?.trim() || names.defaultRateLimit;
};

export const loadSweeperDeps = (env: Env, clients: { dynamo: DynamoDBClient; sqs: SQSClient }, logger: Logger, metrics?: Metrics): SweeperAppDeps => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const inbox = new InboxReader(clients.dynamo, tableName);
  const depth = queueDepth(env, clients.sqs);
  const forecast = async (provider: Provider, now: Date) => forecastProvider(provider, await depth(provider), rateLimitOf(env, provider), inbox, now);
  return {
    sweep: new RenewalSweep(clients.dynamo, tableName),
    queues: providerQueues(env, clients.sqs),
    logger,
    staleAfterSeconds: optionalInt(env, STALE_AFTER_ENV, DEFAULT_STALE_AFTER_SECONDS, 1),
    /**
     * How long a provider's queue needs to drain what it holds now: its messages at its rate
     * limit, or, without one, at one renewal per second per concurrent batch (a slow provider's pace).
     */
    backlogSeconds: async (provider) => {
      const f = await forecast(provider, new Date());
      return f.backlog / f.perSecond;
    },
    forecast,
    ...(metrics ? { metrics } : {}),
  };
};
