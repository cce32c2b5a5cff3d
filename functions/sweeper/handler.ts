/** Lambda entry: the sweeper, run by its EventBridge rule. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../shared/logger';
import { createSweeperHandler, loadSweeperDeps } from './app';

export const handler = createSweeperHandler(loadSweeperDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()));
