/** Lambda entry: the scheduler, run by the EventBridge rule. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../shared/logger';
import { createSchedulerHandler, loadSchedulerDeps } from './app';

export const handler = createSchedulerHandler(loadSchedulerDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()));
