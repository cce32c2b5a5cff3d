/**
 * The in-memory renewal table: the items of the DynamoDB table (docs/architecture.md#items), one
 * map per item kind. Items are immutable values: every write replaces the item, so a record handed
 * to a caller never changes under it (as a DynamoDB answer would not).
 */
import type { RenewalRecord } from '../../../shared/domain/renewal';
import type { ScheduleRecord } from '../../../shared/domain/schedule';

/** `PERIOD#<provider>#<period>`: which renewal holds a subscription's period. */
export interface PeriodLock {
  readonly renewalId: string;
  readonly takenAt: string;
  readonly released?: boolean;
}

/** `SCHEDULE#…`, with the sparse `due` index keys while active. */
export interface ScheduleItem {
  readonly record: ScheduleRecord;
  readonly due?: { readonly pk: string; readonly sk: string };
}

/** `PAUSE#<provider>`: the credential gate (shared/adapters/provider-pause.ts). */
export interface PauseItem {
  readonly until?: number;
  readonly pausedFor?: string;
  readonly reason?: string;
  readonly at?: string;
  readonly trusted?: string;
  readonly probeOwner?: string;
  readonly probeUntil?: number;
  readonly probeFor?: string;
}

export class MemoryTable {
  /** `RENEWAL#<id>` by id. */
  readonly renewals = new Map<string, RenewalRecord>();
  /** By `<provider>#<period>`. */
  readonly periods = new Map<string, PeriodLock>();
  /** By `<provider>#<subscription>`. */
  readonly schedules = new Map<string, ScheduleItem>();
  /** `RATE#<key>`: the limiter's theoretical arrival time. */
  readonly rates = new Map<string, number>();
  /** By provider. */
  readonly pauses = new Map<string, PauseItem>();
}

/** What the document client's `removeUndefinedValues` does to an item before it is written. */
export const withoutUndefined = <T extends object>(item: T): T => {
  for (const key in item) {
    if (item[key] === undefined) return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as T;
  }
  return item;
};

/** REMOVE leaseOwner, leaseExpiresAt. */
export const withoutLease = <T extends { leaseOwner?: unknown; leaseExpiresAt?: unknown; claimedSince?: unknown }>(
  item: T,
): Omit<T, 'leaseOwner' | 'leaseExpiresAt' | 'claimedSince'> => {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, claimedSince: _since, ...rest } = item;
  return rest;
};

/** REMOVE nextAttemptAt. */
export const withoutNextAttempt = <T extends { nextAttemptAt?: unknown }>(item: T): Omit<T, 'nextAttemptAt'> => {
  const { nextAttemptAt: _next, ...rest } = item;
  return rest;
};

/** DynamoDB's answer to an UpdateExpression that reads an attribute the item does not have. */
export class SimValidationException extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}
