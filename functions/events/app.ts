/**
 * Events: fed by the table's stream (DynamoDB Streams, NEW_AND_OLD_IMAGES; locally by
 * local/streams/poller.ts). For each renewal whose status changed it derives the event, appends it
 * to the event log (once, in order) and puts it on the stage's EventBridge bus.
 * docs/architecture.md#events-the-table-stream-is-the-outbox.
 *
 * Failures: a record whose event could not be logged or published is reported as the batch item
 * failure (its sequence number); Lambda retries the stream from that record (bisecting on errors)
 * and the log's id markers make the records before it that were already logged harmless. Records
 * are handled in order, so one renewal's events reach the log in the order they were written.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { addLambdaContext, type Logger } from '../../shared/logger';
import { requireEnv, type Env } from '../../shared/config';
import { EventLog } from '../../shared/adapters/event-log';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { DELIVERY_QUEUE_URL_ENV, DELIVERY_SLOW_QUEUE_URL_ENV, SqsDeliveryQueue, sendByLane } from '../../shared/delivery/queue';
import { deriveEvent, type DerivedEvent } from '../../shared/events/event';
import type { EventPublisher } from '../../shared/events/publish';
import type { EndpointRecord } from '../../shared/adapters/event-endpoints';
import { fanOut, type DeliveryQueue } from '../../shared/delivery/queue';

/** Push delivery: the registered endpoints, and the queue of one message per (endpoint, event). */
export interface DeliveryFanOut {
  readonly endpoints: () => Promise<readonly EndpointRecord[]>;
  readonly queue: DeliveryQueue;
  /** The slow lane: messages for endpoints slow now (slowUntil) go there; absent: all on `queue`. */
  readonly slowQueue?: DeliveryQueue;
}

/** What the function reports about events it logged for the first time (metrics; none locally by default). */
export interface EventObserver {
  /** Called once per event that this invocation added to the log, never for a redelivered one. */
  observe(derived: readonly DerivedEvent[]): void;
  /** Flushes what was observed (Powertools Metrics writes its EMF lines here). */
  flush(): void;
}

export interface EventsDeps {
  readonly log: EventLog;
  readonly publisher: EventPublisher;
  readonly logger: Logger;
  readonly observer?: EventObserver;
  /** Absent: no push delivery (tests of the log alone). */
  readonly deliveries?: DeliveryFanOut;
  readonly now?: () => Date;
}

const failureAt = (record: DynamoDBRecord): DynamoDBBatchResponse => ({
  batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }],
});

export const createEventsHandler = (deps: EventsDeps) =>
  async function events(event: DynamoDBStreamEvent, context?: Context): Promise<DynamoDBBatchResponse> {
    addLambdaContext(deps.logger, context);
    const now = deps.now ?? (() => new Date());
    const derived: Array<{ record: DynamoDBRecord; derived: DerivedEvent }> = [];
    for (const record of event.Records) {
      const result = deriveEvent(record);
      if (result.kind === 'event') derived.push({ record, derived: result });
      // Not an item this code wrote: retrying would not change it, and holding the shard would
      // hold every later event. It is logged (paths and messages only, never the image) and skipped.
      else if (result.kind === 'invalid') deps.logger.error('stream record is not a renewal this code understands; no event', { eventID: record.eventID, sequenceNumber: record.dynamodb?.SequenceNumber, problems: result.problems });
    }
    const first = derived[0];
    if (!first) return { batchItemFailures: [] };

    let added: ReadonlySet<string>;
    try {
      added = await deps.log.append(
        derived.map((d) => d.derived.event),
        now(),
      );
    } catch (error) {
      deps.logger.error('event log append failed; the stream retries from the first event', { error: String(error), eventId: first.derived.event.id });
      return failureAt(first.record);
    }
    if (deps.observer) {
      deps.observer.observe(derived.filter((d) => added.has(d.derived.event.id)).map((d) => d.derived));
      deps.observer.flush();
    }

    const failed = new Set((await deps.publisher.publish(derived.map((d) => d.derived.event))).map((e) => e.id));
    const firstFailed = derived.find((d) => failed.has(d.derived.event.id));
    if (firstFailed) {
      deps.logger.error('events not published; the stream retries from the first of them', { failed: failed.size, eventId: firstFailed.derived.event.id });
      return failureAt(firstFailed.record);
    }
    // Every event of the batch, not only those new to the log: a batch the stream retries after a
    // failed fan-out sends them again (at least once; receivers dedupe by webhook-id).
    if (deps.deliveries) {
      try {
        // The endpoint list is read anyway: a slow endpoint's messages go straight to the slow lane.
        const entries = fanOut(
          derived.map((d) => d.derived.event),
          await deps.deliveries.endpoints(),
          now(),
        );
        if (entries.length > 0) await sendByLane({ main: deps.deliveries.queue, slow: deps.deliveries.slowQueue }, entries);
      } catch (error) {
        deps.logger.error('delivery fan-out failed; the stream retries the batch', { error: String(error), eventId: first.derived.event.id });
        return failureAt(first.record);
      }
    }
    deps.logger.debug('events handled', { records: event.Records.length, events: derived.length, new: added.size });
    return { batchItemFailures: [] };
  };

export const loadEventLog = (env: Env, dynamo: DynamoDBClient): EventLog => new EventLog(dynamo, requireEnv(env, 'TABLE_NAME'));

/** The fan-out onto the delivery queue (DELIVERY_QUEUE_URL) and its slow lane (DELIVERY_SLOW_QUEUE_URL, optional); none when the first is unset. */
export const loadDeliveryFanOut = (env: Env, clients: { dynamo: DynamoDBClient; sqs: SQSClient }): DeliveryFanOut | undefined => {
  const url = env[DELIVERY_QUEUE_URL_ENV]?.trim();
  if (!url) return undefined;
  const slowUrl = env[DELIVERY_SLOW_QUEUE_URL_ENV]?.trim();
  const store = new EndpointStore(clients.dynamo, requireEnv(env, 'TABLE_NAME'));
  return { endpoints: () => store.list(), queue: new SqsDeliveryQueue(clients.sqs, url), ...(slowUrl ? { slowQueue: new SqsDeliveryQueue(clients.sqs, slowUrl) } : {}) };
};
