/** Lambda entry: configuration and clients once per cold start, then the operator handler. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../../shared/logger';
import { createOperatorHandler, loadOperatorDeps } from './app';

export const handler = createOperatorHandler(await loadOperatorDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, createLogger()));
