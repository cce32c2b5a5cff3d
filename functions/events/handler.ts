/** Lambda entry: the table stream's consumer, putting events on the stage's bus (EVENT_BUS_NAME). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { requireEnv } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { EventBridgePublisher } from '../../shared/events/publish';
import { EVENT_BUS_NAME_ENV } from '../../shared/system';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createEventsHandler, loadDeliveryFanOut, loadEventLog } from './app';
import { createEventMetrics } from './metrics';

const logger = createLogger();
const dynamo = new DynamoDBClient({});
const deliveries = loadDeliveryFanOut(process.env, { dynamo, sqs: new SQSClient({}) });
export const handler = createEventsHandler({
  log: loadEventLog(process.env, dynamo),
  ...(deliveries ? { deliveries } : {}),
  publisher: new EventBridgePublisher(new EventBridgeClient({}), requireEnv(process.env, EVENT_BUS_NAME_ENV), logger),
  logger,
  observer: createEventMetrics(),
});
