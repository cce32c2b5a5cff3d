import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_BUS_NAME_ENV } from '../../shared/system';
import { EVENT_SETTINGS } from '../settings';
import type { GatewayFunction } from './gateway-function';
import type { RenewalTable } from './renewal-table';

export interface EventPublishingProps {
  /** The events function (its description has `readsTableStream`). */
  readonly function: GatewayFunction;
  /** The table whose stream it reads (the description must have `stream`). */
  readonly table: RenewalTable;
  /** Stage name, in the bus name: `renewal-gateway-<stage>`. */
  readonly stage: string;
}

/**
 * Events (docs/architecture.md#events-the-table-stream-is-the-outbox): the table's stream feeds
 * the events function through an event source mapping that reports partial batch failures, bisects
 * a failing batch, retries until a record is a day old (the stream's retention) and then sends the
 * batch's description to an on-failure SQS queue; filter criteria let only renewal items through.
 * The function puts every event on this stage's EventBridge bus.
 */
export class EventPublishing extends Construct {
  public readonly bus: EventBus;
  public readonly eventSource: DynamoEventSource;
  /** Where the mapping sends the description (shard, sequence range) of a batch it gave up on. */
  public readonly failureQueue: Queue;
  public readonly function: GatewayFunction;

  constructor(scope: Construct, id: string, props: EventPublishingProps) {
    super(scope, id);
    const { function: fn, table, stage } = props;
    this.function = fn;
    const stream = fn.description.readsTableStream;
    if (!stream) throw new Error(`EventPublishing: function ${fn.description.id} has no readsTableStream in shared/system.ts`);
    if (!table.table.tableStreamArn) throw new Error('EventPublishing: the table has no stream (system.table.stream)');

    this.bus = new EventBus(this, 'Bus', {
      // The stack name carries the stage, so several stages share an account.
      eventBusName: `${Stack.of(this).stackName}-events`,
      description: `Renewal gateway (${stage}) outcome events: source renewal-gateway, detail-type renewal.<status>`,
    });
    this.bus.grantPutEventsTo(fn.fn);
    fn.fn.addEnvironment(EVENT_BUS_NAME_ENV, this.bus.eventBusName);

    this.failureQueue = new Queue(this, 'FailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(EVENT_SETTINGS.failureRetentionDays),
    });

    this.eventSource = new DynamoEventSource(table.table, {
      // From the oldest record kept: an event written while the mapping was being created is not lost.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: stream.batchSize,
      maxBatchingWindow: Duration.seconds(stream.maxBatchingWindowSeconds),
      // One batch per shard at a time: a renewal's events reach the log in the order they were written.
      parallelizationFactor: 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: EVENT_SETTINGS.retryAttempts,
      maxRecordAge: Duration.hours(EVENT_SETTINGS.maxRecordAgeHours),
      onFailure: new SqsDlq(this.failureQueue),
      filters: [FilterCriteria.filter({ dynamodb: { Keys: { sk: { S: [...stream.sortKeys] } } } })],
    });
    fn.fn.addEventSource(this.eventSource);

    Validations.of(this.failureQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue: the on-failure destination of the table stream event source mapping. cdk-nag only recognises DLQs named in a redrive policy or a function DeadLetterConfig.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'The end of the line for stream batches the events function gave up on; operators inspect it (an alarm fires on any message), nothing consumes it.',
      },
    );
    // The mapping's grant (table.grantStreamRead) includes dynamodb:ListStreams, which DynamoDB
    // authorizes only on "*"; the stream reads themselves name the table's stream.
    Validations.of(fn.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams supports no resource-level permissions, so the stream event source grant gives it on "*"; DescribeStream, GetRecords and GetShardIterator name the table stream, and every other statement of this role names its resource.',
    });
    Validations.of(fn.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked synchronously by the DynamoDB stream event source mapping, never asynchronously: batches it gives up on go to the mapping on-failure destination (an SQS queue), so a function dead-letter queue would never receive anything.',
    });
  }
}
