/** Lambda entry: configuration and clients once per cold start, then the schedules handler. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLogger } from '../../shared/logger';
import { createSchedulesHandler, loadSchedulesDeps } from './app';

export const handler = createSchedulesHandler(await loadSchedulesDeps(process.env, { dynamo: new DynamoDBClient({}) }, createLogger()));
