import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { QueueDescription } from '../../shared/system';

/** A message is retried at least this many times before it moves to the DLQ (docs/architecture.md#queues). */
export const MIN_MAX_RECEIVE_COUNT = 5;
/** SQS limits on message retention. */
const MIN_RETENTION_SECONDS = 60;
const MAX_RETENTION_DAYS = 14;
/** SQS limit on a queue's visibility timeout. */
const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 60 * 60;

export interface ProviderQueueProps {
  /** The queue as `shared/system.ts` describes it (receive count, retention, URL env var). */
  readonly description: QueueDescription;
  /**
   * Visibility timeout of the work queue. Pass `visibilityTimeoutFor(consumer)` (6x the consumer
   * timeout): Lambda keeps a batch invisible while it retries throttled invocations, and a timeout
   * equal to the function's lets a message be delivered twice while it is still being processed.
   */
  readonly visibilityTimeout: Duration;
}

/**
 * One provider's work queue and its dead-letter queue (a slow or failing provider never holds up
 * the others: docs/architecture.md#system-overview). Both are encrypted (SQS-managed SSE) and
 * refuse non-TLS requests. The DLQ keeps messages at least as long as the work queue so a renewal
 * that exhausted its receives can still be inspected and redriven days later
 * (docs/architecture.md#nothing-accepted-is-lost).
 */
export class ProviderQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  /** The description this queue was built from (its `urlEnv`, provider, receive count). */
  public readonly description: QueueDescription;
  /** The work queue's visibility timeout, so a consumer can check it against its own timeout. */
  public readonly visibilityTimeout: Duration;

  constructor(scope: Construct, id: string, props: ProviderQueueProps) {
    super(scope, id);
    const { description, visibilityTimeout } = props;
    validate(description, visibilityTimeout);
    this.description = description;
    this.visibilityTimeout = visibilityTimeout;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(description.dlqRetentionDays),
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(description.retentionDays),
      visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: description.maxReceiveCount },
    });

    // AwsSolutions-SQS3 recognises a queue that is some queue's DLQ; the Serverless pack does not.
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is the dead-letter queue of the provider work queue: the end of the line, where failed renewals wait for inspection and are redriven by an operator back to the work queue, never onward to another DLQ.',
    });
  }
}

function validate(d: QueueDescription, visibilityTimeout: Duration): void {
  const where = `ProviderQueue ${d.id}`;
  if (!Number.isInteger(d.maxReceiveCount) || d.maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
    throw new Error(`${where}: maxReceiveCount must be an integer >= ${MIN_MAX_RECEIVE_COUNT}, got ${d.maxReceiveCount}`);
  }
  for (const [name, days] of [
    ['retentionDays', d.retentionDays],
    ['dlqRetentionDays', d.dlqRetentionDays],
  ] as const) {
    if (days * 86_400 < MIN_RETENTION_SECONDS || days > MAX_RETENTION_DAYS) {
      throw new Error(`${where}: ${name} must be between 1 minute and ${MAX_RETENTION_DAYS} days, got ${days}`);
    }
  }
  // SQS keeps a message's original enqueue timestamp when it moves to the DLQ, so a DLQ whose
  // retention is shorter would delete failed renewals as soon as (or before) they arrive. Equal is
  // allowed for the 14-day maximum on both: a message reaches the DLQ after 5 receives, usually
  // soon after it was sent (deferrals are fresh copies), and the sweeper covers the rest.
  if (d.dlqRetentionDays < d.retentionDays) {
    throw new Error(`${where}: dlqRetentionDays (${d.dlqRetentionDays}) must be at least retentionDays (${d.retentionDays})`);
  }
  const seconds = visibilityTimeout.toSeconds();
  if (seconds <= 0 || seconds > MAX_VISIBILITY_TIMEOUT_SECONDS) {
    throw new Error(`${where}: visibility timeout must be between 1 s and 12 h, got ${seconds} s`);
  }
}
