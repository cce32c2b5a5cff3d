/**
 * Where events go besides the event log: the stage's EventBridge bus in AWS (source
 * `renewal-gateway`, detail-type the event type), so AWS consumers subscribe with rules. Locally
 * there is no EventBridge: the events are logged instead (README, "How the local stack differs").
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Logger } from '../logger';
import { EVENT_SOURCE, type GatewayEvent } from './event';

export interface EventPublisher {
  /** Publishes the events; returns those that could not be published (empty when all were). */
  publish(events: readonly GatewayEvent[]): Promise<readonly GatewayEvent[]>;
}

/** PutEvents takes at most 10 entries per call. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

export interface EventBridgePublisherOptions {
  /** Calls per chunk, the first included, before its failed entries are given up. Default 4. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export const entryFor = (busName: string, event: GatewayEvent): PutEventsRequestEntry => ({
  EventBusName: busName,
  Source: EVENT_SOURCE,
  DetailType: event.type,
  // Rules match on detail.type, detail.data.provider…; detail.id dedupes a redelivery.
  Detail: JSON.stringify(event),
  Time: new Date(event.createdAt),
});

/**
 * PutEvents in chunks of 10. PutEvents answers 200 even when some entries failed: each failed
 * entry has an ErrorCode, counted in FailedEntryCount. Only those entries are sent again, with
 * backoff; what still fails is returned so the caller fails its stream record and the stream
 * retries it (at least once: entries that did go through may be put again then).
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    private readonly logger: Logger,
    options: EventBridgePublisherOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async publish(events: readonly GatewayEvent[]): Promise<readonly GatewayEvent[]> {
    const failed: GatewayEvent[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_MAX_ENTRIES) {
      failed.push(...(await this.publishChunk(events.slice(i, i + PUT_EVENTS_MAX_ENTRIES))));
    }
    return failed;
  }

  private async publishChunk(chunk: readonly GatewayEvent[]): Promise<readonly GatewayEvent[]> {
    let pending = [...chunk];
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.client.send(new PutEventsCommand({ Entries: pending.map((e) => entryFor(this.busName, e)) }));
        const results = out.Entries ?? [];
        if ((out.FailedEntryCount ?? 0) === 0 && results.length === pending.length) return [];
        // Entries come back in request order; one without an EventId (or missing) did not go through.
        const stillFailed = pending.filter((_, k) => !results[k]?.EventId || results[k]?.ErrorCode);
        this.logger.warn('PutEvents: some entries failed', {
          attempt,
          failed: stillFailed.length,
          errors: [...new Set(results.flatMap((r) => (r.ErrorCode ? [r.ErrorCode] : [])))],
        });
        pending = stillFailed;
        if (pending.length === 0) return [];
      } catch (error) {
        this.logger.warn('PutEvents failed', { attempt, error: String(error) });
      }
      if (attempt >= this.maxAttempts) return pending;
      await this.sleep(Math.min(2000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}

/** Local stand-in for the bus: logs each event's id and type. */
export class LoggingPublisher implements EventPublisher {
  constructor(private readonly logger: Logger) {}

  publish(events: readonly GatewayEvent[]): Promise<readonly GatewayEvent[]> {
    for (const event of events) this.logger.info('event (EventBridge is not used locally)', { eventId: event.id, type: event.type, renewalId: event.data.id });
    return Promise.resolve([]);
  }
}
