/**
 * Creates the table and the queues of the system description in the local components, the same
 * shapes the CDK stack declares (keys, indexes, DLQs, visibility timeouts, redrive policies).
 */
import { CreateTableCommand, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { functionDescription, system, visibilityTimeoutFor, type DeliveryQueueDescription, type EnabledProvider, type TableDescription, type TableIndex } from '../shared/system';

/** Creates the table; returns its stream's ARN when the description has a stream. */
export const createTable = async (dynamo: DynamoDBClient, tableName: string): Promise<string | undefined> => {
  const t: TableDescription = system.table;
  const keys = new Set([t.partitionKey, t.sortKey, ...t.indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  const created = await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...keys].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: t.partitionKey, KeyType: 'HASH' },
        { AttributeName: t.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: (t.indexes as readonly TableIndex[]).map((i) => ({
        IndexName: i.name,
        KeySchema: [
          { AttributeName: i.partitionKey, KeyType: 'HASH' },
          { AttributeName: i.sortKey, KeyType: 'RANGE' },
        ],
        Projection: i.projection?.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projection.attributes] } : { ProjectionType: i.projection?.type ?? 'KEYS_ONLY' },
      })),
      // DynamoDB Local implements streams (DescribeStream, GetShardIterator, GetRecords).
      ...(t.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: t.stream } } : {}),
    }),
  );
  // DynamoDB Local records the setting but never deletes expired items; code reading them checks the time itself.
  if (t.timeToLiveAttribute) {
    await dynamo.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: t.timeToLiveAttribute, Enabled: true } }));
  }
  return created.TableDescription?.LatestStreamArn;
};

export const createQueues = async (sqs: SQSClient, prefix: string) => {
  const out: Partial<Record<EnabledProvider, { url: string; arn: string; dlqUrl: string; dlqArn: string }>> = {};
  for (const q of system.queues) {
    const consumer = functionDescription(`consumer-${q.provider}`);
    const dlq = await sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}-${q.id}-dlq`, Attributes: { MessageRetentionPeriod: String(q.dlqRetentionDays * 86_400) } }),
    );
    const dlqArn = await queueArn(sqs, dlq.QueueUrl);
    const main = await sqs.send(
      new CreateQueueCommand({
        QueueName: `${prefix}-${q.id}`,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutFor(consumer)),
          MessageRetentionPeriod: String(q.retentionDays * 86_400),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: q.maxReceiveCount }),
        },
      }),
    );
    out[q.provider] = { url: main.QueueUrl ?? '', arn: await queueArn(sqs, main.QueueUrl), dlqUrl: dlq.QueueUrl ?? '', dlqArn };
  }
  return out as Record<EnabledProvider, { url: string; arn: string; dlqUrl: string; dlqArn: string }>;
};

export const queueArn = async (sqs: SQSClient, url: string | undefined): Promise<string> => {
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
};


/** The push delivery's queue and its DLQ (system.deliveryQueue, or its slow lane system.slowDeliveryQueue), as the CDK stack declares them. */
export const createDeliveryQueue = async (
  sqs: SQSClient,
  prefix: string,
  q: DeliveryQueueDescription = system.deliveryQueue,
): Promise<{ url: string; arn: string; dlqUrl: string; dlqArn: string }> => {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${q.id}-dlq`, Attributes: { MessageRetentionPeriod: String(q.dlqRetentionDays * 86_400) } }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl);
  const main = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}-${q.id}`,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutFor(functionDescription('delivery'))),
        MessageRetentionPeriod: String(q.retentionDays * 86_400),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: q.maxReceiveCount }),
      },
    }),
  );
  return { url: main.QueueUrl ?? '', arn: await queueArn(sqs, main.QueueUrl), dlqUrl: dlq.QueueUrl ?? '', dlqArn };
};
