/** Lambda entry: the table stream's consumer, putting events on the stage's bus (EVENT_BUS_NAME). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { requireEnv } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { EventBridgePublisher } from '../../shared/events/publish';
import { EVENT_BUS_NAME_ENV } from '../../shared/system';
import { createEventsHandler, loadEventLog } from './app';
import { createEventMetrics } from './metrics';

const logger = createLogger();
export const handler = createEventsHandler({
  log: loadEventLog(process.env, new DynamoDBClient({})),
  publisher: new EventBridgePublisher(new EventBridgeClient({}), requireEnv(process.env, EVENT_BUS_NAME_ENV), logger),
  logger,
  observer: createEventMetrics(),
});
