import { Duration, Validations } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RemovalPolicy } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { VISIBILITY_TIMEOUT_FACTOR, type FunctionDescription } from '../../shared/system';
import { GatewayFunction } from './gateway-function';
import type { ProviderQueue } from './provider-queue';

/** Lambda limits on an SQS event source mapping. */
const MIN_MAXIMUM_CONCURRENCY = 2;
const MAX_MAXIMUM_CONCURRENCY = 1000;
const MAX_BATCHING_WINDOW_SECONDS = 300;
const MAX_BATCH_SIZE = 10_000;
/** Above 10 messages per batch Lambda requires a batching window. */
const MAX_BATCH_SIZE_WITHOUT_WINDOW = 10;

export interface ProviderConsumerProps {
  /** The consumer as `shared/system.ts` describes it; `consumes` must name `queue`. */
  readonly description: FunctionDescription;
  /** The provider queue this function drains. */
  readonly queue: ProviderQueue;
  /**
   * Concurrent batches for this provider, replacing the description's `maximumConcurrency`.
   * @default the description's value
   */
  readonly maximumConcurrency?: number;
  /** Plain environment of the consumer, e.g. the provider base URL. */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default see GatewayFunctionProps.logRetention */
  readonly logRetention?: RetentionDays;
  /** @default see GatewayFunctionProps.logRemovalPolicy */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The per-provider consumer: a `GatewayFunction` fed by its provider queue. The event source
 * mapping reports partial batch failures (only failed messages return to the queue) and caps
 * concurrency per provider (docs/architecture.md#providers-are-protected), so a provider never
 * sees more parallel callers than the description allows and over-limit messages wait in the
 * queue instead of failing.
 *
 * The function also gets its own queue's URL and send permission: it re-sends deferred messages
 * (retry with backoff, rate pacing) to the queue it reads from.
 */
export class ProviderConsumer extends Construct {
  public readonly function: GatewayFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: ProviderConsumerProps) {
    super(scope, id);
    const { description, queue } = props;
    const consumes = description.consumes;
    const where = `ProviderConsumer ${description.id}`;
    if (!consumes) throw new Error(`${where}: the description has no "consumes" block`);
    if (consumes.queueId !== queue.description.id) {
      throw new Error(`${where}: consumes queue ${consumes.queueId} but was given queue ${queue.description.id}`);
    }
    const mapping = { ...consumes, maximumConcurrency: props.maximumConcurrency ?? consumes.maximumConcurrency };
    validateMapping(where, mapping);
    const minimumVisibility = description.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;
    if (queue.visibilityTimeout.toSeconds() < minimumVisibility) {
      throw new Error(
        `${where}: queue visibility timeout ${queue.visibilityTimeout.toSeconds()} s is under ${VISIBILITY_TIMEOUT_FACTOR}x the function timeout (${minimumVisibility} s)`,
      );
    }

    this.function = new GatewayFunction(this, 'Handler', {
      description,
      ...(props.environment ? { environment: props.environment } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
    });
    this.function.sendTo(queue);

    // Adds sqs:ReceiveMessage/DeleteMessage/ChangeMessageVisibility/GetQueueAttributes on this queue.
    this.eventSource = new SqsEventSource(queue.queue, {
      batchSize: consumes.batchSize,
      maxBatchingWindow: Duration.seconds(consumes.maxBatchingWindowSeconds),
      maxConcurrency: mapping.maximumConcurrency,
      reportBatchItemFailures: true,
    });
    this.function.fn.addEventSource(this.eventSource);

    // The function is only ever invoked by the event source mapping (synchronously), so the
    // Lambda-level failure routes these rules ask for would never be used.
    Validations.of(this.function.fn).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by the SQS event source mapping, never asynchronously: messages that keep failing move to the queue redrive-policy DLQ, so a function dead-letter queue would never receive anything.',
      },
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'SQS event source mappings do not support on-failure destinations; failed messages go to the queue redrive-policy DLQ after maxReceiveCount receives, which the stack alarms on.',
      },
    );
  }
}

function validateMapping(where: string, c: NonNullable<FunctionDescription['consumes']>): void {
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1 || c.batchSize > MAX_BATCH_SIZE) {
    throw new Error(`${where}: batchSize must be an integer in 1..${MAX_BATCH_SIZE}, got ${c.batchSize}`);
  }
  if (c.maxBatchingWindowSeconds < 0 || c.maxBatchingWindowSeconds > MAX_BATCHING_WINDOW_SECONDS) {
    throw new Error(`${where}: maxBatchingWindowSeconds must be in 0..${MAX_BATCHING_WINDOW_SECONDS}`);
  }
  if (c.batchSize > MAX_BATCH_SIZE_WITHOUT_WINDOW && c.maxBatchingWindowSeconds === 0) {
    throw new Error(`${where}: a batchSize above ${MAX_BATCH_SIZE_WITHOUT_WINDOW} needs a batching window`);
  }
  if (
    !Number.isInteger(c.maximumConcurrency) ||
    c.maximumConcurrency < MIN_MAXIMUM_CONCURRENCY ||
    c.maximumConcurrency > MAX_MAXIMUM_CONCURRENCY
  ) {
    throw new Error(
      `${where}: maximumConcurrency must be an integer in ${MIN_MAXIMUM_CONCURRENCY}..${MAX_MAXIMUM_CONCURRENCY}, got ${c.maximumConcurrency}`,
    );
  }
}
