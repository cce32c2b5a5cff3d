/**
 * Delivery: sends events to registered endpoints (docs/architecture.md#push-delivery-to-endpoints).
 * Fed by the delivery queue, one message per (endpoint, event), so one endpoint's slow or failing
 * receiver never holds up another's: the messages of a batch are worked at once, each call has a
 * timeout, and a wait (a retry, the rate limit) goes back to the queue instead of holding the batch.
 *
 * Each attempt is signed the Standard Webhooks way (webhook-id = the event id, so receivers dedupe)
 * with every secret of the endpoint still signing (a rotated one for 24 h), recorded (status, latency,
 * error), and followed by: nothing (2xx), a retry on the schedule (shared/delivery/policy.ts,
 * at least `Retry-After`), or a dead-letter record (410, or the schedule ran out). An endpoint
 * failing for 5 days straight is disabled and an `endpoint.disabled` event says so. In AWS the
 * endpoint's host must resolve to public addresses only, and the call goes to a checked one
 * (post.ts): anything else is a failed attempt like a refused connection.
 *
 * At least once: a message is deleted only after its outcome is recorded and its retry sent; an
 * error before that leaves it to come back (the queue's redrive policy ends in the alarmed DLQ).
 *
 * Two lanes (with DELIVERY_SLOW_QUEUE_URL set): a call that took longer than DELIVERY_SLOW_CALL_MS
 * marks its endpoint slow for 10 minutes (`slowUntil`, in the endpoint write that follows every
 * attempt anyway). A main-lane message for a slow endpoint is forwarded to the slow queue (sent
 * there, then deleted here; a failed send brings it back) instead of being called, and retries go
 * to the lane the endpoint is on. A slow-lane message is delivered where it is.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { requireEnv, type Env } from '../../shared/config';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { EventLog } from '../../shared/adapters/event-log';
import { DynamoRateLimiter } from '../../shared/adapters/rate-limiter';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as MessageModule from '../../shared/delivery/message';
import type * as SignModule from '../../shared/delivery/sign';
import { addLambdaContext, type Logger } from '../../shared/logger';
import type { DeliveryAttempt, EndpointRecord } from '../../shared/adapters/event-endpoints';
import type { EventPublisher } from '../../shared/events/publish';
import type { EndpointEvent, GatewayEvent } from '../../shared/events/event';
import type { Limiter } from '../../shared/adapters/rate-limiter';
import { MAX_DELAY_SECONDS } from '../../shared/adapters/queue';
import {
  DELIVERY_QUEUE_URL_ENV,
  DELIVERY_SLOW_QUEUE_URL_ENV,
  SqsDeliveryQueue,
  fanOut,
  onLane,
  sendByLane,
  type DeliveryEntry,
  type DeliveryLanes,
  type DeliveryMessage,
  type DeliveryQueue,
} from '../../shared/delivery/queue';
import { decideOutcome, isSlow, shouldDisable, signingSecrets, slowUntilAfter } from '../../shared/delivery/policy';
import { DEFAULT_DELIVERY_SLOW_CALL_MS, deliveryTuning } from '../../shared/delivery/tuning';
import { publicHostsOnly } from '../../shared/http/public-address';
import { createHttpPost, type Post } from './post';

// The message check (zod) and the signing (standardwebhooks) are loaded by the first batch, not at
// module load: the cold start measured by `npm run bench -- bundles` does not evaluate them.
let parts: Promise<[typeof MessageModule, typeof SignModule]> | undefined;
const loadParts = () =>
  (parts ??= Promise.all([import('../../shared/delivery/message'), import('../../shared/delivery/sign')]).catch((error: unknown) => {
    parts = undefined;
    throw error;
  }));

/** What the delivery function needs of the endpoint store. */
export interface DeliveryStore {
  get(id: string): Promise<EndpointRecord | undefined>;
  list(): Promise<readonly EndpointRecord[]>;
  recordAttempt(endpointId: string, attempt: DeliveryAttempt): Promise<void>;
  recordSuccess(id: string, at: Date, slowUntil?: Date): Promise<void>;
  recordFailure(id: string, at: Date, slowUntil?: Date): Promise<string | undefined>;
  disable(id: string, failingSince: string, reason: string, at: Date): Promise<boolean>;
  recordDeadLetter(endpointId: string, event: GatewayEvent, reason: 'gone' | 'exhausted', attempts: number, at: Date): Promise<void>;
}

export type { Post };

/** What the function reports per endpoint (Powertools Metrics in AWS). */
export interface DeliveryObserver {
  attempted(endpointId: string, outcome: 'delivered' | 'failed' | 'dead'): void;
  /** A main-lane message moved to the slow lane (its endpoint answered slowly lately). */
  movedToSlowLane?(endpointId: string): void;
  flush(): void;
}

export interface DeliveryDeps {
  readonly store: DeliveryStore;
  readonly queue: DeliveryQueue;
  /** The slow lane (DELIVERY_SLOW_QUEUE_URL); absent: one lane, nothing is forwarded. */
  readonly slowQueue?: DeliveryQueue;
  /** A call that took longer marks its endpoint slow (DELIVERY_SLOW_CALL_MS; default 2000). */
  readonly slowCallMs?: number;
  readonly post: Post;
  /** The rate limit of an endpoint's deliveries (one limiter per endpoint); none: unlimited. */
  readonly limiterFor?: (endpointId: string) => Limiter;
  /** Where `endpoint.disabled` events go: the event log, and the bus (AWS) or the log (locally). */
  readonly log: Pick<EventLog, 'append'>;
  readonly publisher: EventPublisher;
  /** Seconds before attempt 2, 3, … (DELIVERY_RETRY_SCHEDULE_SECONDS). */
  readonly schedule: readonly number[];
  /** Per call (DELIVERY_TIMEOUT_MS). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly observer?: DeliveryObserver;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Waits at most this long for a rate-limit slot in the function; longer goes back to the queue. */
const MAX_SLOT_WAIT_MS = 2000;

/** What became of one message: taken (false: the rest of the endpoint's batch waits), and the endpoint's lane when it was read. */
interface Delivered {
  readonly taken: boolean;
  readonly slow?: boolean;
}

/** The event saying an endpoint was disabled: its id is the same however often it is derived. */
export const endpointDisabledEvent = (endpoint: Pick<EndpointRecord, 'id' | 'url'>, failingSince: string, reason: string, at: Date): EndpointEvent => ({
  id: `evt_${createHash('sha256').update(`endpoint-event:${endpoint.id}|disabled|${failingSince}`).digest('hex').slice(0, 32)}`,
  type: 'endpoint.disabled',
  createdAt: at.toISOString(),
  data: { id: endpoint.id, url: endpoint.url, reason, failingSince },
});

export const createDeliveryHandler = (deps: DeliveryDeps) => {
  const now = () => deps.now?.() ?? new Date();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const slowCallMs = deps.slowCallMs ?? DEFAULT_DELIVERY_SLOW_CALL_MS;
  const lanes: DeliveryLanes = { main: deps.queue, slow: deps.slowQueue };
  /** Sends the entry on the slow lane (when there is one) or the main one. */
  const send = (entry: DeliveryEntry, slow: boolean): Promise<void> => sendByLane(lanes, [onLane(entry, slow)]);

  /**
   * Sends the message back to wait `seconds` (hops of at most 15 minutes until `notBefore`), on
   * the slow lane or the main one (unknown: the lane it came on).
   */
  const later = ({ notBefore: _done, ...message }: DeliveryMessage, seconds: number, at: Date, slow = message.lane === 'slow'): Promise<void> =>
    send(
      {
        message: { ...message, ...(seconds > MAX_DELAY_SECONDS ? { notBefore: new Date(at.getTime() + seconds * 1000).toISOString() } : {}) },
        delaySeconds: Math.min(MAX_DELAY_SECONDS, seconds),
      },
      slow,
    );

  const disable = async (endpoint: EndpointRecord, failingSince: string, at: Date): Promise<void> => {
    const reason = 'failing for 5 days without a successful delivery';
    const event = endpointDisabledEvent(endpoint, failingSince, reason, at);
    // Logged before the endpoint is disabled: a crash in between leaves it enabled, and its next
    // failure does this again (the event's id makes the second append a no-op).
    await deps.log.append([event], at);
    const unpublished = await deps.publisher.publish([event]);
    if (unpublished.length > 0) throw new Error('endpoint.disabled could not be published');
    if (await deps.store.disable(endpoint.id, failingSince, reason, at)) {
      deps.logger.warn('endpoint disabled', { endpointId: endpoint.id, failingSince });
      const others = (await deps.store.list()).filter((e) => e.id !== endpoint.id);
      const entries = fanOut([event], others, at);
      if (entries.length > 0) await sendByLane(lanes, entries);
    }
  };

  /** One delivery; not taken when the endpoint did not take it (the rest of its batch then waits). */
  const deliver = async (message: DeliveryMessage): Promise<Delivered> => {
    const start = now();
    if (message.notBefore && Date.parse(message.notBefore) > start.getTime()) {
      await later(message, Math.ceil((Date.parse(message.notBefore) - start.getTime()) / 1000), start);
      return { taken: true };
    }
    const endpoint = await deps.store.get(message.endpointId);
    if (!endpoint || !endpoint.enabled) {
      deps.logger.info('delivery dropped: the endpoint is gone or disabled', { endpointId: message.endpointId, eventId: message.event.id });
      return { taken: true };
    }
    const slow = deps.slowQueue !== undefined && isSlow(endpoint, start);
    if (slow && message.lane !== 'slow') {
      // A slow endpoint's message on the main lane moves to the slow lane, not called here; the
      // send throwing brings this message back (nothing is deleted before it is on the slow queue).
      await send({ message }, true);
      deps.logger.debug('delivery moved to the slow lane', { endpointId: endpoint.id, eventId: message.event.id, slowUntil: endpoint.slowUntil });
      deps.observer?.movedToSlowLane?.(endpoint.id);
      return { taken: true, slow };
    }
    const limiter = deps.limiterFor?.(endpoint.id);
    if (limiter) {
      const { slots, retryInMs } = await limiter.reserve(1, MAX_SLOT_WAIT_MS);
      const slot = slots[0];
      if (slot === undefined) {
        // Over the endpoint's rate: back to the queue, the same attempt, without holding the batch.
        await send({ message, delaySeconds: Math.max(1, Math.ceil(retryInMs / 1000)) }, slow);
        return { taken: false, slow };
      }
      if (slot > Date.now()) await sleep(slot - Date.now());
    }

    const at = now();
    const payload = JSON.stringify(message.event);
    const { signedHeaders } = (await loadParts())[1];
    const headers = signedHeaders(message.event.id, payload, signingSecrets(endpoint.secrets, at), at);
    const began = performance.now();
    const result = await deps.post(endpoint.url, headers, payload, deps.timeoutMs);
    const latencyMs = Math.round(performance.now() - began);
    const after = now();
    const outcome = decideOutcome(result, message.attempt, deps.schedule, after);
    // Slow (answered or not): recorded with the endpoint write below, and this endpoint's next
    // messages (its retries included) take the slow lane.
    const slowUntil = slowUntilAfter(latencyMs, slowCallMs, after);
    const slowAfter = deps.slowQueue !== undefined && (slowUntil !== undefined || isSlow(endpoint, after));

    await deps.store.recordAttempt(endpoint.id, {
      eventId: message.event.id,
      eventType: message.event.type,
      attempt: message.attempt,
      attemptedAt: at.toISOString(),
      statusCode: result.kind === 'response' ? result.status : null,
      latencyMs,
      error: result.kind === 'error' ? result.error : outcome.kind === 'delivered' ? null : `HTTP ${result.status}`,
      outcome: outcome.kind,
      ...(outcome.kind === 'retry' ? { nextAttemptAt: new Date(after.getTime() + outcome.delaySeconds * 1000).toISOString() } : {}),
      ...(message.replay ? { replay: true } : {}),
    });
    deps.observer?.attempted(endpoint.id, outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'dead' ? 'dead' : 'failed');
    const log = {
      endpointId: endpoint.id,
      eventId: message.event.id,
      attempt: message.attempt,
      statusCode: result.kind === 'response' ? result.status : null,
      latencyMs,
      ...(slowUntil ? { slowUntil: slowUntil.toISOString() } : {}),
    };

    if (outcome.kind === 'delivered') {
      await deps.store.recordSuccess(endpoint.id, after, slowUntil);
      deps.logger.debug('event delivered', log);
      return { taken: true, slow: slowAfter };
    }
    if (outcome.kind === 'retry') await later({ ...message, attempt: message.attempt + 1 }, outcome.delaySeconds, after, slowAfter);
    else await deps.store.recordDeadLetter(endpoint.id, message.event, outcome.reason, message.attempt, after);
    deps.logger.info(outcome.kind === 'retry' ? 'delivery failed; retrying' : 'delivery given up (dead letter)', { ...log, outcome });
    // 410 says the receiver wants no more of this event; it is not the receiver failing.
    if (outcome.kind === 'dead' && outcome.reason === 'gone') return { taken: true, slow: slowAfter };
    const failingSince = await deps.store.recordFailure(endpoint.id, after, slowUntil);
    if (shouldDisable(failingSince, after) && failingSince) await disable(endpoint, failingSince, after);
    return { taken: false, slow: slowAfter };
  };

  return async function delivery(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
    addLambdaContext(deps.logger, context);
    const failures: Array<{ itemIdentifier: string }> = [];
    const [{ deliveryMessage }] = await loadParts();
    // Grouped by endpoint: endpoints are worked at once (one never waits for another), each
    // endpoint's messages one after another in event order, so a receiver gets a renewal's events
    // in the order they happened whenever they share a batch.
    const byEndpoint = new Map<string, Array<{ record: SQSRecord; message: DeliveryMessage }>>();
    for (const record of event.Records) {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = deliveryMessage.safeParse(body);
      if (!parsed.success) {
        // Not a message this code wrote: retrying cannot change it.
        deps.logger.error('delivery message not understood; dropped', { messageId: record.messageId, problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
        continue;
      }
      // The event is passed on as this code logged it (its envelope is checked above; its data is
      // the receivers' to read), so it is not checked field by field here.
      const message: DeliveryMessage = { ...parsed.data, event: parsed.data.event as unknown as GatewayEvent };
      const group = byEndpoint.get(message.endpointId) ?? [];
      group.push({ record, message });
      byEndpoint.set(message.endpointId, group);
    }
    await Promise.all(
      [...byEndpoint.values()].map(async (group) => {
        group.sort((a, b) => a.message.event.createdAt.localeCompare(b.message.event.createdAt));
        let refused = false;
        // The endpoint's lane as last seen in this batch (unknown: each message's own).
        let slow: boolean | undefined;
        for (const { record, message } of group) {
          try {
            // After the endpoint failed one, the rest of its batch waits the first retry delay
            // (not an attempt): a receiver that is down costs one timeout per batch, not ten.
            if (refused) {
              const at = now();
              const due = message.notBefore ? Math.ceil((Date.parse(message.notBefore) - at.getTime()) / 1000) : 0;
              await later(message, Math.max(deps.schedule[0] ?? 5, due), at, slow);
            } else {
              const done = await deliver(message);
              refused = !done.taken;
              if (done.slow !== undefined) slow = done.slow;
            }
          } catch (error) {
            deps.logger.error('delivery failed; the message comes back', { messageId: record.messageId, endpointId: message.endpointId, eventId: message.event.id, error: String(error) });
            failures.push({ itemIdentifier: record.messageId });
          }
        }
      }),
    );
    deps.observer?.flush();
    return { batchItemFailures: failures };
  };
};

/** Configuration (README "Pushing events to endpoints"): DELIVERY_TIMEOUT_MS, DELIVERY_SLOW_CALL_MS, DELIVERY_RATE_LIMIT and the retry schedule, read by deliveryTuning; DELIVERY_SLOW_QUEUE_URL (optional) is the slow lane. */
export const loadDeliveryDeps = (
  env: Env,
  clients: { dynamo: DynamoDBClient; sqs: SQSClient },
  logger: Logger,
  publisher: EventPublisher,
): DeliveryDeps => {
  const tableName = requireEnv(env, 'TABLE_NAME');
  const store = new EndpointStore(clients.dynamo, tableName);
  const { rate, schedule, timeoutMs, slowCallMs } = deliveryTuning(env);
  const limiters = new Map<string, Limiter>();
  const slowUrl = env[DELIVERY_SLOW_QUEUE_URL_ENV]?.trim();
  return {
    store,
    queue: new SqsDeliveryQueue(clients.sqs, requireEnv(env, DELIVERY_QUEUE_URL_ENV)),
    ...(slowUrl ? { slowQueue: new SqsDeliveryQueue(clients.sqs, slowUrl) } : {}),
    slowCallMs,
    // In AWS every delivery checks the addresses its endpoint's host resolves to (post.ts); on the
    // local stack (EVENT_ENDPOINTS_ALLOW_HTTP=true, as for the operator) receivers are local.
    post: createHttpPost({ publicOnly: publicHostsOnly(env) }),
    ...(rate
      ? {
          limiterFor: (id: string) => {
            let limiter = limiters.get(id);
            if (!limiter) limiters.set(id, (limiter = new DynamoRateLimiter(clients.dynamo, tableName, `ENDPOINT#${id}`, rate)));
            return limiter;
          },
        }
      : {}),
    log: new EventLog(clients.dynamo, tableName),
    publisher,
    schedule,
    timeoutMs,
    logger,
  };
};
