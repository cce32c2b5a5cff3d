/**
 * The production configuration of a consumer, from the real loader (shared/consumer/config.ts) with
 * the defaults a deployment gets: call timeout, lease, retry policy, slot wait, which auth answers
 * pause the provider, the provider module itself. Only the adapters (store, queue, HTTP, limiter,
 * pause) are replaced by simulated ones, per invocation.
 *
 * Also the deployed shape of each function and queue, from shared/system.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadCall } from '../../../shared/providers/load-call';
import { loadMessageCheck } from '../../../shared/consumer/batch';
import { loadConsumerDeps } from '../../../shared/consumer/config';
import type { BatchDeps } from '../../../shared/consumer/batch';
import { parseRateLimit, type RateLimit } from '../../../shared/adapters/rate-limiter';
import {
  PROVIDER_CONFIG,
  functionDescription,
  queueFor,
  visibilityTimeoutFor,
  type EnabledProvider,
  type FunctionDescription,
  type ProviderConfigNames,
} from '../../../shared/system';

/** AUTH_FAILURE_PAUSE_SECONDS, given to the loader and to the simulated pause alike. */
export const AUTH_FAILURE_PAUSE_MS = 600_000;

/**
 * The code's log calls do nothing here. (A SILENT Powertools logger still builds every log item
 * before dropping it, which would be most of the simulation's time.)
 */
class NullLogger extends Logger {
  override addContext(): void {}
  override debug(): void {}
  override info(): void {}
  override warn(): void {}
  override error(): void {}
}

export const silentLogger: Logger = new NullLogger({ serviceName: 'renewal-gateway-simulation', logLevel: 'SILENT' });

const credentials = { accessKeyId: 'sim', secretAccessKey: 'sim' };

/** Everything an invocation needs that is not an adapter. */
export type ConsumerSettings = Pick<
  BatchDeps,
  'provider' | 'config' | 'callTimeoutMs' | 'leaseMs' | 'retry' | 'logger' | 'maxSlotWaitMs' | 'pauseOnAuthStatuses'
>;

export interface Deployment {
  readonly provider: EnabledProvider;
  readonly consumer: ConsumerSettings;
  /** The provider's request rate, when limited. */
  readonly rate: RateLimit | undefined;
  readonly pauses: boolean;
  readonly consumerFunction: FunctionDescription & { consumes: NonNullable<FunctionDescription['consumes']> };
  readonly intakeTimeoutMs: number;
  readonly schedulerTimeoutMs: number;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
}

const envFor = (provider: EnabledProvider): Record<string, string> => {
  const names: ProviderConfigNames = PROVIDER_CONFIG[provider];
  return {
    TABLE_NAME: 'simulated',
    [queueFor(provider).urlEnv]: `https://sqs.simulated/000000000000/${provider}`,
    [names.baseUrlEnv]: `https://${provider}.simulated`,
    ...Object.fromEntries(names.secretEnvs.map((n) => [n, `sim-${n.toLowerCase()}`])),
    AUTH_FAILURE_PAUSE_SECONDS: String(AUTH_FAILURE_PAUSE_MS / 1000),
  };
};

const loaded = new Map<EnabledProvider, Promise<Deployment>>();

const load = async (provider: EnabledProvider): Promise<Deployment> => {
  const clients = { dynamo: new DynamoDBClient({ region: 'us-east-1', credentials }), sqs: new SQSClient({ region: 'us-east-1', credentials }) };
  const deps = await loadConsumerDeps(provider, envFor(provider), clients, silentLogger);
  // Loaded here, once, so that inside a scenario every batch's loading is an already settled promise.
  await loadMessageCheck();
  clients.dynamo.destroy();
  clients.sqs.destroy();
  const names: ProviderConfigNames = PROVIDER_CONFIG[provider];
  const fn = functionDescription(`consumer-${provider}`);
  if (!fn.consumes) throw new Error(`consumer-${provider} consumes no queue`);
  return {
    provider,
    consumer: {
      provider: await loadCall(provider),
      config: deps.config,
      callTimeoutMs: deps.callTimeoutMs,
      leaseMs: deps.leaseMs,
      retry: deps.retry,
      logger: silentLogger,
      maxSlotWaitMs: deps.maxSlotWaitMs,
      ...(deps.pauseOnAuthStatuses ? { pauseOnAuthStatuses: deps.pauseOnAuthStatuses } : {}),
    },
    rate: deps.limiter && names.defaultRateLimit ? parseRateLimit(names.defaultRateLimit) : undefined,
    pauses: deps.pause !== undefined,
    consumerFunction: { ...fn, consumes: fn.consumes },
    intakeTimeoutMs: functionDescription('intake').timeoutSeconds * 1000,
    schedulerTimeoutMs: functionDescription('scheduler').timeoutSeconds * 1000,
    visibilityTimeoutMs: visibilityTimeoutFor(fn) * 1000,
    maxReceiveCount: queueFor(provider).maxReceiveCount,
  };
};

export const deploymentOf = (provider: EnabledProvider): Promise<Deployment> => {
  let d = loaded.get(provider);
  if (!d) loaded.set(provider, (d = load(provider)));
  return d;
};
