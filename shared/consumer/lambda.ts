/** The Lambda entry of a provider consumer: configuration and clients once per cold start. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../logger';
import type { EnabledProvider } from '../system';
import { createBatchHandler } from './batch';
import { loadConsumerDeps } from './config';

export const consumerHandler = async (provider: EnabledProvider) =>
  createBatchHandler(await loadConsumerDeps(provider, process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()));
