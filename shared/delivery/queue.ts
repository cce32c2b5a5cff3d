/**
 * The delivery queue (docs/architecture.md#push-delivery-to-endpoints): one message per
 * (endpoint, event), so one endpoint's slow or failing deliveries never hold another's. The events
 * function fans out each new event to the matching enabled endpoints; the operator's replay sends
 * logged events again; the delivery function re-sends a message to itself for a retry (with a
 * delay: SQS caps it at 15 minutes, so a longer wait hops, as the consumers' retries do).
 *
 * Two lanes: messages for an endpoint that answered slowly lately (`slowUntil` in the future) go
 * on the slow queue (DELIVERY_SLOW_QUEUE_URL), whose mapping holds few invocations, so a slow
 * receiver cannot fill the main lane's. Without a slow queue every message goes on the main one.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { GatewayEvent } from '../events/event';
import type { EndpointRecord } from '../adapters/event-endpoints';
import { isSlow, wantsType } from './policy';
import { MAX_BATCH, MAX_DELAY_SECONDS } from '../adapters/queue';
import { DELIVERY_QUEUE, DELIVERY_SLOW_QUEUE } from '../system';

/** Environment variable with the delivery queue's URL (events, operator and delivery functions). */
export const DELIVERY_QUEUE_URL_ENV = DELIVERY_QUEUE.urlEnv;
/** Environment variable with the slow lane's URL (events and delivery functions); unset: one lane. */
export const DELIVERY_SLOW_QUEUE_URL_ENV = DELIVERY_SLOW_QUEUE.urlEnv;

export interface DeliveryMessage {
  readonly endpointId: string;
  readonly event: GatewayEvent;
  /** The attempt this message makes (1: the first). */
  readonly attempt: number;
  /** Not before this time (ISO): a wait longer than SQS's 15-minute delay hops until then. */
  readonly notBefore?: string;
  /** Sent by `POST /v1/event-endpoints/{id}/replay`. */
  readonly replay?: boolean;
  /** On the slow lane (set by sendByLane): delivered there as it is, never sent back to the main lane. */
  readonly lane?: 'slow';
}

export interface DeliveryEntry {
  readonly message: DeliveryMessage;
  readonly delaySeconds?: number;
}

export interface DeliveryQueue {
  /** Sends the entries; throws when any could not be sent (the caller's batch is retried: at least once). */
  send(entries: readonly DeliveryEntry[]): Promise<void>;
}

export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(entries: readonly DeliveryEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += MAX_BATCH) {
      const chunk = entries.slice(i, i + MAX_BATCH);
      let pending = chunk.map((e, k) => ({ Id: String(k), MessageBody: JSON.stringify(e.message), DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(e.delaySeconds ?? 0))) }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((p) => failed.has(p.Id));
        if (pending.length > 0 && attempt >= 3) throw new Error(`delivery queue: ${pending.length} messages not sent (${(out.Failed ?? []).map((f) => f.Code).join(', ')})`);
      }
    }
  }
}

/**
 * One message per (enabled endpoint that wants the event's type, event). Given `at`, the messages
 * of endpoints slow at that time are marked for the slow lane (sendByLane puts them there).
 */
export const fanOut = (events: readonly GatewayEvent[], endpoints: readonly EndpointRecord[], at?: Date): DeliveryEntry[] =>
  events.flatMap((event) =>
    endpoints
      .filter((e) => e.enabled && wantsType(e.types, event.type))
      .map((e): DeliveryEntry => ({ message: { endpointId: e.id, event, attempt: 1, ...(at && isSlow(e, at) ? { lane: 'slow' as const } : {}) } })),
  );

/** The two lanes; without `slow`, everything goes on `main`. */
export interface DeliveryLanes {
  readonly main: DeliveryQueue;
  readonly slow?: DeliveryQueue | undefined;
}

/**
 * Sends entries marked `lane: 'slow'` on the slow queue and the others on the main one (the mark
 * dropped, as there is no slow queue to honour it). Throws when any could not be sent.
 */
export const sendByLane = async (lanes: DeliveryLanes, entries: readonly DeliveryEntry[]): Promise<void> => {
  const slow = lanes.slow ? entries.filter((e) => e.message.lane === 'slow') : [];
  const main = entries
    .filter((e) => !lanes.slow || e.message.lane !== 'slow')
    .map((e): DeliveryEntry => {
      if (e.message.lane === undefined) return e;
      const { lane: _lane, ...message } = e.message;
      return { ...e, message };
    });
  if (main.length > 0) await lanes.main.send(main);
  if (slow.length > 0) await lanes.slow?.send(slow);
};

/** The entry for the lane: marked `lane: 'slow'` or unmarked. */
export const onLane = (entry: DeliveryEntry, slow: boolean): DeliveryEntry => {
  const { lane: _lane, ...message } = entry.message;
  return { ...entry, message: slow ? { ...message, lane: 'slow' } : message };
};
