/**
 * Outcome events (docs/architecture.md#events-the-table-stream-is-the-outbox): every status a
 * renewal enters, except `in_progress`, is an event `{id, type, createdAt, data}` with type
 * `renewal.<status>`. Events are derived from the table's stream records (NEW_AND_OLD_IMAGES), so an
 * event exists exactly when its status was written, whoever wrote it and whatever happened after.
 *
 * Everything here is pure: the same stream record always yields the same event (same id, same
 * createdAt), so a batch the stream redelivers produces events receivers can dedupe by id.
 */
import { createHash } from 'node:crypto';
import type { AttributeValue as SdkAttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from '../zod';

/** EventBridge `source` of every event, and the prefix of every event type. */
export const EVENT_SOURCE = 'renewal-gateway';

/** The renewal as an event carries it: enough to act on without a second read. */
export interface RenewalSummary {
  readonly id: string;
  readonly provider: string;
  readonly operation: string;
  readonly subscription: string;
  readonly status: string;
  readonly attemptCount: number;
  /** Error class of the last attempt (`success`, `rate_limited`…), null before any attempt. */
  readonly lastErrorClass: string | null;
  /** Why the renewal is in this status (the record's statusReason), null when none. */
  readonly reason: string | null;
  /** Set when another renewal of the same subscription and period did the work. */
  readonly duplicateOf?: string;
}

export interface RenewalEvent {
  /** `evt_<32 hex>`, derived from the renewal id, the status and when it was written. */
  readonly id: string;
  /** `renewal.<status>`: `renewal.queued`, `renewal.succeeded`, `renewal.failed`… */
  readonly type: string;
  /** When the status was written (the record's updatedAt). */
  readonly createdAt: string;
  readonly data: RenewalSummary;
}

/**
 * An endpoint the push delivery disabled (it failed for 5 days straight, docs/architecture.md#push-delivery-to-endpoints).
 * `data.id` is the endpoint's id, as a renewal event's `data.id` is the renewal's.
 */
export interface EndpointEvent {
  /** `evt_<32 hex>`, derived from the endpoint id, the type and the start of its failures. */
  readonly id: string;
  readonly type: 'endpoint.disabled';
  readonly createdAt: string;
  readonly data: { readonly id: string; readonly url: string; readonly reason: string; readonly failingSince: string };
}

/** Everything the event log holds and the bus carries. */
export type GatewayEvent = RenewalEvent | EndpointEvent;

/** What the events function needs besides the event: the last attempt's latency, for metrics. */
export interface DerivedEvent {
  readonly kind: 'event';
  readonly event: RenewalEvent;
  readonly lastAttemptLatencyMs?: number;
  /** From when it was due (`notBefore`), or accepted when it had no due time, to this status write. */
  readonly sinceDueMs?: number;
}

export type Derivation =
  | DerivedEvent
  /** Not a status change worth an event: another item, a REMOVE, the same status, in_progress. */
  | { readonly kind: 'ignored'; readonly reason: 'not-a-renewal' | 'removed' | 'status-unchanged' | 'in-progress' }
  /** A renewal item whose image does not have the shape this code writes: logged, never an event. */
  | { readonly kind: 'invalid'; readonly problems: readonly string[] };

const STATUS = /^[a-z][a-z_]{0,39}$/;

/**
 * The fields of a renewal image the event uses. Statuses are checked by shape, not by list, so a
 * status added later (e.g. `cancelled`) becomes `renewal.cancelled` without a change here.
 */
const renewalImage = z.object({
  id: z.string().check(z.regex(/^rnw_[a-z2-7]{26}$/)),
  provider: z.string().check(z.minLength(1), z.maxLength(64)),
  operation: z.string().check(z.minLength(1), z.maxLength(64)),
  subscription: z.string().check(z.minLength(1), z.maxLength(2048)),
  status: z.string().check(z.regex(STATUS)),
  statusReason: z.optional(z.string().check(z.maxLength(4096))),
  duplicateOf: z.optional(z.string().check(z.maxLength(64))),
  // Absent only in DynamoDB Local's stream, which drops empty lists (local/streams/poller.ts).
  attempts: z._default(
    z.array(z.looseObject({ errorClass: z.string().check(z.minLength(1), z.maxLength(64)), latencyMs: z.optional(z.number().check(z.minimum(0))) })).check(z.maxLength(10_000)),
    [],
  ),
  updatedAt: z.iso.datetime(),
  // When it was accepted, and when it was due (a scheduled or deferred renewal): the time-to-done metric.
  createdAt: z.optional(z.string().check(z.maxLength(64))),
  notBefore: z.optional(z.string().check(z.maxLength(64))),
});

const statusOnly = z.object({ status: z.string().check(z.regex(STATUS)) });

/** Stream images arrive in Lambda's JSON form; the item carries no binary attribute, so it unmarshalls as is. */
const imageOf = (image: NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>): Record<string, unknown> =>
  unmarshall(image as Record<string, SdkAttributeValue>);

const stringKey = (keys: NonNullable<DynamoDBRecord['dynamodb']>['Keys'], name: string): string | undefined => keys?.[name]?.S;

/** Whether the stream record is about a renewal item (pk RENEWAL#…, sk RENEWAL). */
export const isRenewalRecord = (record: DynamoDBRecord): boolean => {
  const keys = record.dynamodb?.Keys;
  return stringKey(keys, 'sk') === 'RENEWAL' && (stringKey(keys, 'pk')?.startsWith('RENEWAL#') ?? false);
};

/** The event id: the same renewal, status and write time always give the same id. */
export const eventIdFor = (renewalId: string, status: string, writtenAt: string): string =>
  `evt_${createHash('sha256').update(`renewal-event:${renewalId}|${status}|${writtenAt}`).digest('hex').slice(0, 32)}`;

/** The event a stream record means, if any. */
export const deriveEvent = (record: DynamoDBRecord): Derivation => {
  if (!isRenewalRecord(record)) return { kind: 'ignored', reason: 'not-a-renewal' };
  if (record.eventName === 'REMOVE') return { kind: 'ignored', reason: 'removed' };
  const newImage = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return { kind: 'invalid', problems: [`eventName: ${String(record.eventName)}`] };
  if (!newImage) return { kind: 'invalid', problems: ['dynamodb.NewImage: missing (the stream must be NEW_AND_OLD_IMAGES)'] };
  let parsed: ReturnType<typeof renewalImage.safeParse>;
  try {
    parsed = renewalImage.safeParse(imageOf(newImage));
  } catch (error) {
    return { kind: 'invalid', problems: [`dynamodb.NewImage: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (!parsed.success) return { kind: 'invalid', problems: parsed.error.issues.map((i) => `dynamodb.NewImage.${i.path.join('.')}: ${i.message}`) };
  const renewal = parsed.data;

  if (record.eventName === 'MODIFY') {
    const oldImage = record.dynamodb?.OldImage;
    if (!oldImage) return { kind: 'invalid', problems: ['dynamodb.OldImage: missing on MODIFY (the stream must be NEW_AND_OLD_IMAGES)'] };
    let old: ReturnType<typeof statusOnly.safeParse>;
    try {
      old = statusOnly.safeParse(imageOf(oldImage));
    } catch {
      old = statusOnly.safeParse({});
    }
    if (!old.success) return { kind: 'invalid', problems: old.error.issues.map((i) => `dynamodb.OldImage.${i.path.join('.')}: ${i.message}`) };
    if (old.data.status === renewal.status) return { kind: 'ignored', reason: 'status-unchanged' };
  }
  if (renewal.status === 'in_progress') return { kind: 'ignored', reason: 'in-progress' };

  const last = renewal.attempts.at(-1);
  const event: RenewalEvent = {
    id: eventIdFor(renewal.id, renewal.status, renewal.updatedAt),
    type: `renewal.${renewal.status}`,
    createdAt: renewal.updatedAt,
    data: {
      id: renewal.id,
      provider: renewal.provider,
      operation: renewal.operation,
      subscription: renewal.subscription,
      status: renewal.status,
      attemptCount: renewal.attempts.length,
      lastErrorClass: last?.errorClass ?? null,
      reason: renewal.statusReason ?? null,
      ...(renewal.duplicateOf ? { duplicateOf: renewal.duplicateOf } : {}),
    },
  };
  const dueAt = Math.max(Date.parse(renewal.createdAt ?? ''), Date.parse(renewal.notBefore ?? '') || 0);
  const sinceDueMs = Number.isNaN(dueAt) ? undefined : Math.max(0, Date.parse(renewal.updatedAt) - dueAt);
  return {
    kind: 'event',
    event,
    ...(last?.latencyMs !== undefined ? { lastAttemptLatencyMs: last.latencyMs } : {}),
    ...(sinceDueMs !== undefined ? { sinceDueMs } : {}),
  };
};

export { EVENT_TYPE } from './types';
