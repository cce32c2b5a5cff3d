/** Lambda entry: the sweeper, run by its EventBridge rule. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createLogger } from '../../shared/logger';
import { METRICS_NAMESPACE } from '../../shared/system';
import { createSweeperHandler, loadSweeperDeps } from './app';

export const handler = createSweeperHandler(
  loadSweeperDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger(), new Metrics({ namespace: METRICS_NAMESPACE })),
);
