/**
 * Consumer configuration, shared by every provider's consumer (docs/architecture.md#configuration-names),
 * from the provider's declaration. The provider's code (its `call.ts`) is not loaded here: the
 * batch handler loads it on the first batch (createBatchHandler).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { authFailurePauseMs, createSecretReader, optionalInt, requireEnv, requireUrl, type Env } from '../config';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '../logger';
import { RenewalStore } from '../adapters/renewal-store';
import { SqsRenewalQueue } from '../adapters/queue';
import { fetchCall } from '../adapters/http-call';
import { PROVIDER_CONFIG, declarationOf, functionDescription, queueFor, type EnabledProvider, type ProviderConfigNames } from '../system';
import { settingValue, type ProviderDeclaration } from '../providers/declaration';
import type { ProviderConfig } from '../providers/types';
import type { ConsumerConfig } from './batch';
import { DynamoRateLimiter, parseRateLimit } from '../adapters/rate-limiter';
import { DynamoProviderPause } from '../adapters/provider-pause';
import { DynamoHealthRecorder } from '../adapters/provider-health';
import { consumerTuning, rateLimitSetting } from './tuning';

export const loadConsumerDeps = async (
  provider: EnabledProvider,
  env: Env,
  clients: { dynamo: DynamoDBClient; sqs: SQSClient; secrets?: SecretsManagerClient },
  logger: Logger,
): Promise<ConsumerConfig> => {
  const names: ProviderConfigNames = PROVIDER_CONFIG[provider];
  const fn = functionDescription(`consumer-${provider}`);
  const functionTimeoutMs = fn.timeoutSeconds * 1000;
  const tableName = requireEnv(env, 'TABLE_NAME');
  const rateSetting = rateLimitSetting(names, env);
  const rate = rateSetting && rateSetting !== 'off' ? parseRateLimit(rateSetting, names.rateLimitEnv) : undefined;
  const { callTimeoutMs, maxSlotWaitMs, retry } = consumerTuning(env, { provider, functionTimeoutMs, rateLimited: rate !== undefined });
  const declaration: ProviderDeclaration = declarationOf(provider);
  const baseUrl = requireUrl(env, names.baseUrlEnv);
  const settings = Object.fromEntries(names.settingEnvs.map((n) => [n, env[n]?.trim() || undefined]));
  const checkSettings = (): void => {
    for (const [name, setting] of Object.entries(declaration.config.settings)) settingValue(name, setting, settings[name]);
  };
  const readSecret = createSecretReader(env, clients);
  // Read at every batch (cached up to SECRETS_MAX_AGE_SECONDS): a rotated key is used without a cold start.
  const currentConfig = async (): Promise<ProviderConfig> => {
    const secrets = Object.fromEntries(await Promise.all(names.secretEnvs.map(async (n) => [n, await readSecret(n)] as const)));
    const config = { baseUrl, secrets, settings };
    checkSettings();
    return config;
  };
  const config = await currentConfig();
  return {
    currentConfig,
    store: new RenewalStore(clients.dynamo, tableName),
    health: new DynamoHealthRecorder(clients.dynamo, tableName, provider),
    ...(rate ? { limiter: new DynamoRateLimiter(clients.dynamo, tableName, provider, rate) } : {}),
    ...(names.pauseOnAuthStatuses.length > 0
      ? {
          pause: new DynamoProviderPause(clients.dynamo, tableName, provider, authFailurePauseMs(env)),
          pauseOnAuthStatuses: names.pauseOnAuthStatuses,
        }
      : {}),
    maxSlotWaitMs,
    queue: new SqsRenewalQueue(clients.sqs, requireEnv(env, queueFor(provider).urlEnv)),
    config,
    call: fetchCall,
    callTimeoutMs,
    ...(env.CONFIRMATION_SETTLE_SECONDS?.trim() ? { settleMs: optionalInt(env, 'CONFIRMATION_SETTLE_SECONDS', 0, 0, 900) * 1000 } : {}),
    // The lease outlives the function: while the holder can still be running, nobody else calls.
    leaseMs: functionTimeoutMs + 5_000,
    retry,
    logger,
  };
};
