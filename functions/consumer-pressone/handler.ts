/** Lambda entry: the PressOne consumer (SQS → PressOne → DynamoDB), configured at cold start. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../shared/logger';
import { createBatchHandler } from '../../shared/consumer/batch';
import { loadConsumerDeps } from '../../shared/consumer/config';

export const handler = createBatchHandler(
  await loadConsumerDeps('pressone', process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()),
);
