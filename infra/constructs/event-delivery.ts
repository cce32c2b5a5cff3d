import { Duration, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_BUS_NAME_ENV, visibilityTimeoutFor, type DeliveryQueueDescription } from '../../shared/system';
import type { GatewayFunction } from './gateway-function';

export interface EventDeliveryProps {
  /** The delivery function (its description has `deliversEvents`). */
  readonly function: GatewayFunction;
  readonly description: DeliveryQueueDescription;
  /** Functions that put messages on the queue besides the delivery function: events (fan-out), operator (replay). */
  readonly senders: readonly GatewayFunction[];
  /** The stage's bus: the delivery function puts `endpoint.disabled` on it. */
  readonly bus: IEventBus;
}

/**
 * Push delivery (docs/architecture.md#push-delivery-to-endpoints): the delivery queue, one message
 * per (endpoint, event), its DLQ, and the delivery function's event source mapping. The function
 * re-sends a message to the queue for each retry (delay hops of at most 15 minutes), so a message
 * only reaches the DLQ when the function itself failed 5 times on it (alarmed); an endpoint's
 * failures end in its dead-letter records in the table instead.
 */
export class EventDelivery extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly eventSource: SqsEventSource;
  public readonly function: GatewayFunction;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    const { function: fn, description } = props;
    this.function = fn;
    const mapping = fn.description.deliversEvents;
    if (!mapping) throw new Error(`EventDelivery: function ${fn.description.id} has no deliversEvents in shared/system.ts`);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(description.dlqRetentionDays),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(description.retentionDays),
      visibilityTimeout: Duration.seconds(visibilityTimeoutFor(fn.description)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: description.maxReceiveCount },
    });
    for (const sender of [fn, ...props.senders]) {
      sender.fn.addEnvironment(description.urlEnv, this.queue.queueUrl);
      this.queue.grantSendMessages(sender.fn);
    }
    props.bus.grantPutEventsTo(fn.fn);
    fn.fn.addEnvironment(EVENT_BUS_NAME_ENV, props.bus.eventBusName);

    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: mapping.batchSize,
      maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
      maxConcurrency: mapping.maximumConcurrency,
      reportBatchItemFailures: true,
    });
    fn.fn.addEventSource(this.eventSource);

    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is the dead-letter queue of the delivery queue: messages the delivery function failed on 5 times wait here for inspection (alarmed); nothing consumes it.',
    });
    Validations.of(fn.fn).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by the SQS event source mapping, never asynchronously: messages that keep failing move to the queue redrive-policy DLQ, so a function dead-letter queue would never receive anything.',
      },
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason: 'SQS event source mappings do not support on-failure destinations; failed messages go to the queue redrive-policy DLQ after maxReceiveCount receives, which the stack alarms on.',
      },
    );
  }
}
