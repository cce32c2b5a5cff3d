/** The Lambda entry of a provider consumer: configuration and clients once per cold start. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConfigError } from '../config';
import { createLogger } from '../logger';
import { CONSUMER_PROVIDER, PROVIDERS, type EnabledProvider } from '../system';
import type { ProviderModule } from '../providers/types';
import { createBatchHandler } from './batch';
import { loadConsumerDeps } from './config';

/** The consumer of `provider` (a registered provider's id), calling it through `loadProvider`'s module. */
export const consumerHandler = async (provider: string | undefined, loadProvider: () => Promise<ProviderModule>) => {
  if (!(PROVIDERS as readonly (string | undefined)[]).includes(provider)) {
    throw new ConfigError(`${CONSUMER_PROVIDER} must name a registered provider (${PROVIDERS.join(', ')}), got ${JSON.stringify(provider)}`);
  }
  const deps = await loadConsumerDeps(provider as EnabledProvider, process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger());
  return createBatchHandler(deps, loadProvider);
};
