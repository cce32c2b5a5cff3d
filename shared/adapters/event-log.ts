/**
 * The event log (docs/architecture.md#the-event-log-a-dense-sequence): every event once, in one
 * order that readers page through with a cursor that never skips or repeats an event.
 *
 * Items (one table, see system.table):
 *   pk = EVENTSEQ,       sk = EVENTSEQ      the last sequence number given out (n)
 *   pk = EVENTLOG,       sk = <seq, 15 digits>  the event, its seq, when it was logged; TTL expiresAt
 *   pk = EVENT#<id>,     sk = EVENT         the event id is taken (dedupe of a redelivered batch); TTL
 *
 * Appending is one transaction per chunk of events: the counter moves from n to n + k on condition
 * that it still is n, and the k events take n + 1 … n + k together with their id markers. So
 * - a sequence number is never given out without its event (one transaction), hence the sequence is
 *   dense: 1, 2, 3… with no holes but those TTL makes, 30+ days later;
 * - event n + 1 can only commit after event n did (its condition reads the counter n wrote), so
 *   the log only ever grows at its end: nothing appears behind a reader's cursor;
 * - an event id already in the log is refused by its marker's condition, so a batch the stream
 *   redelivers (or an SDK retry of a committed transaction) adds nothing.
 * Readers query the base table with strongly consistent reads and stop at a hole younger than
 * `HOLE_SETTLE_MS` (a commit not visible to this query yet), so even a read racing a commit
 * cannot step over an event. All events share one partition: 1,000 write units a second, two per
 * transactional item, so at most 500 events a second. That is above the gateway's steady rate of
 * status changes (a few per renewal), not above a month-start fan-out's: a million `queued` events
 * are logged over about 33 minutes, behind the renewals (the stream keeps records 24 h), and take
 * 2,000 of the table's write units a second meanwhile (bench/aws-model.ts, README#performance).
 */
import { TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { GatewayEvent } from '../events/event';

const COUNTER_KEY = { pk: 'EVENTSEQ', sk: 'EVENTSEQ' } as const;
const LOG_PK = 'EVENTLOG';
const markerKey = (id: string) => ({ pk: `EVENT#${id}`, sk: 'EVENT' });
const SEQ_DIGITS = 15;
const seqKey = (seq: number): string => String(seq).padStart(SEQ_DIGITS, '0');
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

/** Events stay readable at least this long (TTL deletes them later, within days). */
export const EVENT_RETENTION_DAYS = 35;
/** A hole in the sequence younger than this may be a commit not visible yet: readers wait for it. */
export const HOLE_SETTLE_MS = 60_000;
/** Events per transaction: counter + (marker + log item) per event ≤ 100 actions. */
const CHUNK = 49;

export interface LoggedEvent {
  readonly seq: number;
  readonly event: GatewayEvent;
}

export interface EventPage {
  readonly items: readonly LoggedEvent[];
  /** The position after the last event looked at: the next read starts there. */
  readonly position: number;
}

export interface EventLogOptions {
  /** Attempts at one chunk when other writers move the counter first. Default 40. */
  readonly maxAttempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class EventLog {
  private readonly doc: DynamoDBDocumentClient;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    options: EventLogOptions = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.maxAttempts = options.maxAttempts ?? 40;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * Appends the events in their order, each once: returns the ids this call added (the others were
   * in the log already). Throws when the counter stays contended; nothing of that chunk is written.
   */
  async append(events: readonly GatewayEvent[], now: Date): Promise<ReadonlySet<string>> {
    const added = new Set<string>();
    const seen = new Set<string>();
    const unique = events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
    for (let i = 0; i < unique.length; i += CHUNK) {
      for (const id of await this.appendChunk(unique.slice(i, i + CHUNK), now)) added.add(id);
    }
    return added;
  }

  private async appendChunk(chunk: readonly GatewayEvent[], now: Date): Promise<readonly string[]> {
    let pending = [...chunk];
    for (let attempt = 1; pending.length > 0; attempt++) {
      const counter = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: COUNTER_KEY, ConsistentRead: true }));
      const current = typeof counter.Item?.n === 'number' ? counter.Item.n : 0;
      const next = current + pending.length;
      if (next > MAX_SEQ) throw new Error('event log: sequence exhausted');
      const loggedAt = now.getTime();
      const expiresAt = Math.floor(loggedAt / 1000) + EVENT_RETENTION_DAYS * 86_400;
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.tableName,
                  Key: COUNTER_KEY,
                  UpdateExpression: 'SET n = :next',
                  ConditionExpression: current === 0 ? 'attribute_not_exists(n) OR n = :current' : 'n = :current',
                  ExpressionAttributeValues: { ':next': next, ':current': current },
                },
              },
              ...pending.map((event) => ({
                Put: {
                  TableName: this.tableName,
                  Item: { ...markerKey(event.id), loggedAt, expiresAt },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
              ...pending.map((event, k) => ({
                Put: {
                  TableName: this.tableName,
                  Item: { pk: LOG_PK, sk: seqKey(current + 1 + k), seq: current + 1 + k, loggedAt, expiresAt, event },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              })),
            ],
          }),
        );
        return pending.map((e) => e.id);
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        // Ids already logged (a redelivered batch, or our own commit whose answer was lost): drop them.
        const duplicates = new Set(pending.filter((_, k) => reasons[1 + k]?.Code === 'ConditionalCheckFailed').map((e) => e.id));
        if (duplicates.size > 0) {
          pending = pending.filter((e) => !duplicates.has(e.id));
          continue;
        }
        const retryable = reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
        if (!retryable || attempt >= this.maxAttempts) throw error;
        // Another writer took the next numbers first: read the counter again, after a jittered pause.
        await this.sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
      }
    }
    return [];
  }

  /**
   * The position to read from for the events logged at or after `since` (a replay): a binary
   * search over the dense sequence, one strongly consistent GetItem per step (about 20 for a
   * million events). An item TTL removed counts as older. Events are logged in order, so the
   * events after the returned position were all logged at or after `since`, give or take the
   * clock skew of the writers (readers filter on createdAt as well).
   */
  async positionAt(since: Date): Promise<number> {
    const counter = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: COUNTER_KEY, ConsistentRead: true }));
    let lo = 1;
    let hi = (typeof counter.Item?.n === 'number' ? counter.Item.n : 0) + 1;
    // Invariant: every seq < lo was logged before `since`; every seq >= hi at or after it.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: LOG_PK, sk: seqKey(mid) }, ConsistentRead: true }));
      const loggedAt = out.Item?.loggedAt;
      if (typeof loggedAt === 'number' && loggedAt >= since.getTime()) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  /**
   * Events after position `after` (0: from the oldest kept), in sequence order, at most `limit`
   * of them matching `type` (all when unset). Looks at no more than `scanLimit` events, so a rare
   * type cannot make one call read the whole log; `position` then says how far it looked.
   */
  async read(options: { after: number; limit: number; type?: string; scanLimit?: number }, now: Date): Promise<EventPage> {
    const items: LoggedEvent[] = [];
    let position = options.after;
    let scanned = 0;
    const scanLimit = options.scanLimit ?? 1000;
    for (;;) {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk > :after',
          ExpressionAttributeValues: { ':pk': LOG_PK, ':after': seqKey(position) },
          ConsistentRead: true,
          Limit: options.type ? Math.min(200, scanLimit - scanned) : options.limit - items.length,
        }),
      );
      for (const item of out.Items ?? []) {
        const seq = item.seq;
        const loggedAt = item.loggedAt;
        if (typeof seq !== 'number' || typeof loggedAt !== 'number') throw new Error(`event log item ${String(item.sk)} is malformed`);
        // A hole: either events TTL removed (old), or a commit this read does not see yet (recent).
        if (seq !== position + 1 && now.getTime() - loggedAt < HOLE_SETTLE_MS) return { items, position };
        position = seq;
        scanned++;
        const event = item.event as GatewayEvent;
        if (!options.type || event.type === options.type) items.push({ seq, event });
        if (items.length >= options.limit || scanned >= scanLimit) return { items, position };
      }
      if (!out.LastEvaluatedKey) return { items, position };
    }
  }
}
