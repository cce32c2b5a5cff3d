import { Duration, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../shared/system';
import type { GatewayFunction } from './gateway-function';

/** Lambda's bounds on an SQS event source's maximumConcurrency. */
const MIN_WORKERS = 2;
const MAX_WORKERS = 1000;

export interface SchedulerQueueProps {
  /** The scheduler: it sends one message per shard (its tick) and works each (this queue's trigger). */
  readonly function: GatewayFunction;
  /** Shards worked at once: the event source's maximumConcurrency (`SCHEDULER.workers`). */
  readonly workers: number;
  /** Environment variable through which the function gets the queue's URL (`SCHEDULER.queueUrlEnv`). */
  readonly urlEnv: string;
}

/**
 * The scheduler's fan-out (docs/architecture.md#from-a-schedule): the rule's tick puts one message
 * per shard with due work here, and the event source runs the scheduler once per message (batch
 * size 1), at most `workers` at a time; each works its shard under the shard's lease. A message
 * is only a hint: the due index holds the work, so one that waits an hour is dropped (the next
 * tick hands the shard out again), and one that keeps failing goes to the DLQ, which is alarmed.
 */
export class SchedulerQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: SchedulerQueueProps) {
    super(scope, id);
    const { function: fn, workers } = props;
    if (!Number.isInteger(workers) || workers < MIN_WORKERS || workers > MAX_WORKERS) {
      throw new Error(`SchedulerQueue: workers must be an integer in ${MIN_WORKERS}..${MAX_WORKERS}, got ${workers}`);
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.hours(1),
      visibilityTimeout: Duration.seconds(fn.description.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    fn.fn.addEnvironment(props.urlEnv, this.queue.queueUrl);
    this.queue.grantSendMessages(fn.fn);
    this.eventSource = new SqsEventSource(this.queue, { batchSize: 1, maxConcurrency: workers, reportBatchItemFailures: true });
    fn.fn.addEventSource(this.eventSource);

    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This queue is the dead-letter queue of the scheduler queue: shard messages that kept failing wait here for inspection; the due index still holds their work.',
    });
    Validations.of(fn.fn).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'SQS event source mappings do not support on-failure destinations; shard messages that keep failing go to the queue redrive-policy DLQ, which the stack alarms on.',
    });
  }
}
