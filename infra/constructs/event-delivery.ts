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
  /** The slow lane's queue (DELIVERY_SLOW_QUEUE): same conventions, its own DLQ and mapping. */
  readonly slowDescription: DeliveryQueueDescription;
  /** Functions that put messages on the slow lane besides the delivery function: events (fan-out of slow endpoints). */
  readonly slowSenders: readonly GatewayFunction[];
  /** The stage's bus: the delivery function puts `endpoint.disabled` on it. */
  readonly bus: IEventBus;
}

/**
 * Push delivery (docs/architecture.md#push-delivery-to-endpoints): the delivery queue, one message
 * per (endpoint, event), its DLQ, and the delivery function's event source mapping. The function
 * re-sends a message to the queue for each retry (delay hops of at most 15 minutes), so a message
 * only reaches the DLQ when the function itself failed 5 times on it (alarmed); an endpoint's
 * failures end in its dead-letter records in the table instead.
 *
 * The slow lane is a second such queue (and DLQ) with its own mapping of few invocations
 * (`deliversEvents.slowMaximumConcurrency`): endpoints that answered slowly lately are delivered
 * there, so they share those invocations among themselves instead of filling the main lane's.
 */
export class EventDelivery extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly eventSource: SqsEventSource;
  public readonly slowQueue: Queue;
  public readonly slowDeadLetterQueue: Queue;
  public readonly slowEventSource: SqsEventSource;
  public readonly function: GatewayFunction;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    const { function: fn, description } = props;
    this.function = fn;
    const mapping = fn.description.deliversEvents;
    if (!mapping) throw new Error(`EventDelivery: function ${fn.description.id} has no deliversEvents in shared/system.ts`);
    const lane = (prefix: '' | 'Slow', queueDescription: DeliveryQueueDescription, senders: readonly GatewayFunction[], maxConcurrency: number) => {
      // The slow lane's queues sit in their own scope under the same ids (the stack keeps every
      // `DeadLetterQueue` with the data).
      const scope = prefix ? new Construct(this, prefix) : this;
      const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(queueDescription.dlqRetentionDays),
      });
      const queue = new Queue(scope, 'Queue', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(queueDescription.retentionDays),
        visibilityTimeout: Duration.seconds(visibilityTimeoutFor(fn.description)),
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: queueDescription.maxReceiveCount },
      });
      for (const sender of [fn, ...senders]) {
        sender.fn.addEnvironment(queueDescription.urlEnv, queue.queueUrl);
        queue.grantSendMessages(sender.fn);
      }
      const eventSource = new SqsEventSource(queue, {
        batchSize: mapping.batchSize,
        maxBatchingWindow: Duration.seconds(mapping.maxBatchingWindowSeconds),
        maxConcurrency,
        reportBatchItemFailures: true,
      });
      fn.fn.addEventSource(eventSource);
      Validations.of(deadLetterQueue).acknowledge({
        id: 'Serverless-SQSRedrivePolicy',
        reason: `This queue is the dead-letter queue of the delivery queue${prefix ? "'s slow lane" : ''}: messages the delivery function failed on 5 times wait here for inspection (alarmed); nothing consumes it.`,
      });
      return { queue, deadLetterQueue, eventSource };
    };
    const main = lane('', description, props.senders, mapping.maximumConcurrency);
    this.queue = main.queue;
    this.deadLetterQueue = main.deadLetterQueue;
    this.eventSource = main.eventSource;
    // The slow lane: the delivery function forwards and retries there, the events function fans out there.
    const slow = lane('Slow', props.slowDescription, props.slowSenders, mapping.slowMaximumConcurrency);
    this.slowQueue = slow.queue;
    this.slowDeadLetterQueue = slow.deadLetterQueue;
    this.slowEventSource = slow.eventSource;
    props.bus.grantPutEventsTo(fn.fn);
    fn.fn.addEnvironment(EVENT_BUS_NAME_ENV, props.bus.eventBusName);

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
