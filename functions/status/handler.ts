/** Lambda entry: configuration and clients once per cold start, then the status handler. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../../shared/logger';
import { createStatusHandler, loadStatusDeps } from './app';

export const handler = createStatusHandler(await loadStatusDeps(process.env, { dynamo: new DynamoDBClient({}) }, createLogger()));
