/** Lambda entry: the delivery queue's consumer, pushing events to registered endpoints. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { requireEnv } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { EventBridgePublisher } from '../../shared/events/publish';
import { EVENT_BUS_NAME_ENV } from '../../shared/system';
import { createDeliveryHandler, loadDeliveryDeps } from './app';
import { createDeliveryMetrics } from './metrics';

const logger = createLogger();
const publisher = new EventBridgePublisher(new EventBridgeClient({}), requireEnv(process.env, EVENT_BUS_NAME_ENV), logger);
export const handler = createDeliveryHandler({
  ...loadDeliveryDeps(process.env, { dynamo: new DynamoDBClient({}), sqs: new SQSClient({}) }, logger, publisher),
  observer: createDeliveryMetrics(),
});
