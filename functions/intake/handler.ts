/** Lambda entry: configuration and clients once per cold start, then the intake handler. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../shared/logger';
import { createIntakeHandler, loadIntakeDeps } from './app';

export const handler = createIntakeHandler(
  await loadIntakeDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()),
);
