/**
 * The renewal: statuses (docs/architecture.md#renewal-lifecycle), the record kept in DynamoDB,
 * the message queued in SQS, and how ids and request fingerprints are derived.
 */
import { createHash } from 'node:crypto';
import { withoutSecrets, type CanonicalRequest } from './canonical';
import type { ErrorClass } from '../providers/types';

export const STATUSES = ['queued', 'in_progress', 'retry_scheduled', 'succeeded', 'accepted', 'failed', 'needs_attention', 'cancelled'] as const;
export type RenewalStatus = (typeof STATUSES)[number];

/** `cancelled`: an operator stopped it (POST /v1/renewals/{id}/cancel); nothing calls the provider for it again. */
export const TERMINAL_STATUSES = ['succeeded', 'accepted', 'failed', 'needs_attention', 'cancelled'] as const satisfies readonly RenewalStatus[];
export const isTerminal = (s: RenewalStatus): boolean => (TERMINAL_STATUSES as readonly RenewalStatus[]).includes(s);

export interface Attempt {
  readonly number: number;
  readonly startedAt: string;
  readonly latencyMs: number;
  readonly httpStatus?: number;
  readonly errorClass: ErrorClass;
  /** Sanitized provider message or reason. */
  readonly message: string;
  readonly retryAfterSeconds?: number;
  /** What the provider's read API said about an outcome that was not known (PressOne List User). */
  readonly confirmation?: 'renewed' | 'not-renewed' | 'unknown';
}

/** What an operator did to a renewal, by whom, when and why (docs/architecture.md#operator-actions). */
export interface HistoryEntry {
  readonly action: 'retry' | 'resolve' | 'cancel';
  /** The operator token's name (`RENEWALS_OPERATOR_TOKENS` holds `name=token` pairs); never the token. */
  readonly by: string;
  readonly at: string;
  readonly note: string;
  readonly fromStatus: RenewalStatus;
  readonly toStatus: RenewalStatus;
  /** resolve: what the operator settled at the provider. */
  readonly outcome?: 'succeeded' | 'failed';
  /** retry: what the operator found at the provider when the last outcome was unknown. */
  readonly providerState?: 'not_renewed';
  /** How many attempts the renewal had when the action was taken. */
  readonly attemptCount: number;
  /** Set when the action was one of a bulk retry (POST /v1/renewals/retry). */
  readonly bulk?: true;
}

export interface RenewalRecord {
  readonly id: string;
  readonly idempotencyKey: string;
  /** sha256 of the canonical request without secrets: a repeat must match it. */
  readonly requestHash: string;
  readonly provider: CanonicalRequest['provider'];
  readonly operation: CanonicalRequest['operation'];
  readonly subscription: string;
  /** Params without secret fields. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly notBefore?: string;
  /** When it must have happened by: no retry is scheduled past it (docs/architecture.md#deadlines). */
  readonly deadline?: string;
  readonly status: RenewalStatus;
  readonly statusReason?: string;
  /** Set when another renewal of the same subscription and period did (or does) the work. */
  readonly duplicateOf?: string;
  readonly attempts: readonly Attempt[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt?: string;
  /** Set while a `queued` renewal's message could not be sent: a repeat of the request sends it. */
  readonly sendFailedAt?: string;
  readonly leaseOwner?: string;
  /** Epoch ms; while in the future, the holder of the lease is the only one who may call. */
  readonly leaseExpiresAt?: number;
  /**
   * While `in_progress`: when the first claim whose outcome is not recorded yet was taken. A holder
   * that died may have called the provider at any time since; later claims keep it.
   */
  readonly claimedSince?: string;
  /** Operator actions, oldest first (absent until the first one). */
  readonly history?: readonly HistoryEntry[];
  /**
   * The message copy that carries this renewal now: set by each claim and each wait
   * (docs/architecture.md#one-copy-per-renewal). A copy that neither is it nor continues it is a
   * stray (a crash left it behind, or SQS delivered it twice) and is dropped.
   */
  readonly hop?: string;
  /** Times the sweeper queued it again because it had stopped moving (docs/architecture.md#nothing-accepted-is-lost). */
  readonly sweeps?: number;
}

/**
 * How many of the renewal's attempts an operator settled: when they retried it saying the provider
 * did not renew it (`providerState: "not_renewed"`), the attempts it had then, whose outcome was
 * unknown, are settled, and the consumer calls again instead of stopping at needs_attention.
 */
export const attemptsSettledByOperator = (record: Pick<RenewalRecord, 'history'>): number => {
  const entry = [...(record.history ?? [])].reverse().find((h) => h.action === 'retry' && h.providerState === 'not_renewed');
  return entry?.attemptCount ?? 0;
};

/** Why a renewal that is due has not been called yet: its provider is paused, or at its rate limit. */
export interface WaitingFor {
  readonly reason: 'provider_paused' | 'rate_limit';
  /** When it may go ahead (ISO). */
  readonly until: string;
  readonly detail?: string;
}

/**
 * The SQS message: everything the consumer needs, secrets included (queues are encrypted).
 * Consumers check each one against `queuedRenewalSchema` (./queued-renewal.ts).
 */
export interface QueuedRenewal {
  readonly v: 1;
  readonly id: string;
  readonly idempotencyKey: string;
  readonly provider: CanonicalRequest['provider'];
  readonly operation: CanonicalRequest['operation'];
  readonly subscription: string;
  readonly params: Record<string, unknown>;
  readonly notBefore?: string;
  readonly deadline?: string;
  /**
   * A retry's due time (its record's `nextAttemptAt`), carried by the delayed copies the consumer
   * sends: SQS delays at most 15 minutes, so a longer wait is several copies, and one that arrives
   * early is sent on again without a claim or a rate-limit slot. The record stays authoritative.
   */
  readonly dueAt?: string;
  /** This copy's own id, unique per copy sent (kept by redeliveries and redrives of that copy). */
  readonly copyId?: string;
  /** The record's `hop` when this copy was sent: the copy it continues. None for intake's copies. */
  readonly hop?: string;
}

/**
 * A new copy id: unique (104 random bits), not secret. Math.random rather than crypto: the
 * simulator seeds Math.random, so a scenario replays the same ids.
 */
export const newCopyId = (): string => Array.from({ length: 4 }, () => Math.floor(Math.random() * 2 ** 26).toString(36).padStart(5, '0')).join('');

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const base32 = (bytes: Uint8Array): string => {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    // Stryker disable next-line EqualityOperator: `bits > 5` only holds a character back until the next byte (same characters, same order), and renewalIdFor keeps the first 26 of the 51
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
};

/**
 * The renewal id is derived from the idempotency key, so the renewal record itself is the
 * idempotency record: one conditional write at intake both claims the key and stores the renewal.
 */
export const renewalIdFor = (idempotencyKey: string): string =>
  `rnw_${base32(createHash('sha256').update(`idempotency-key:${idempotencyKey}`).digest()).slice(0, 26)}`;

/** Entries of one object in key order (its keys are distinct). */
const byKey = ([a]: readonly [string, unknown], [b]: readonly [string, unknown]): number => {
  // Stryker disable next-line EqualityOperator: the keys of one object are distinct, so `a <= b` is `a < b`
  if (a < b) return -1;
  // Stryker disable next-line EqualityOperator,ConditionalExpression: past the line above a > b (distinct keys), and V8's sort only asks whether the comparison is negative, so 1 and 0 sort alike
  return a > b ? 1 : 0;
};

/** JSON with sorted keys, so equal requests hash equally whatever the key order. */
export const stableStringify = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(byKey);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

export const requestHash = (request: CanonicalRequest): string =>
  createHash('sha256')
    .update(stableStringify({ ...request, params: withoutSecrets(request.params) }))
    .digest('hex');

export const newRenewalRecord = (request: CanonicalRequest, idempotencyKey: string, now: Date): RenewalRecord => ({
  id: renewalIdFor(idempotencyKey),
  idempotencyKey,
  requestHash: requestHash(request),
  provider: request.provider,
  operation: request.operation,
  subscription: request.subscription,
  params: withoutSecrets(request.params),
  ...(request.notBefore ? { notBefore: request.notBefore } : {}),
  ...(request.deadline ? { deadline: request.deadline } : {}),
  status: 'queued',
  attempts: [],
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
});

export const queuedMessageFor = (record: RenewalRecord, request: CanonicalRequest): QueuedRenewal => ({
  v: 1,
  copyId: newCopyId(),
  id: record.id,
  idempotencyKey: record.idempotencyKey,
  provider: request.provider,
  operation: request.operation,
  subscription: request.subscription,
  params: { ...request.params },
  ...(request.notBefore ? { notBefore: request.notBefore } : {}),
  ...(request.deadline ? { deadline: request.deadline } : {}),
});

/**
 * A new copy of a stored renewal, sent again (operator retry or resume, sweeper): the record's
 * request with its deadline, continuing its current hop (docs/architecture.md#one-copy-per-renewal).
 */
export const requeuedMessageFor = (r: RenewalRecord): QueuedRenewal => ({
  v: 1,
  copyId: newCopyId(),
  ...(r.hop ? { hop: r.hop } : {}),
  id: r.id,
  idempotencyKey: r.idempotencyKey,
  provider: r.provider,
  operation: r.operation,
  subscription: r.subscription,
  params: { ...r.params },
  ...(r.notBefore ? { notBefore: r.notBefore } : {}),
  ...(r.deadline ? { deadline: r.deadline } : {}),
});

/** What the status API returns: the record without internals (lease, hash). */
export const toResource = (r: RenewalRecord, waitingFor?: WaitingFor) => ({
  id: r.id,
  provider: r.provider,
  operation: r.operation,
  subscription: r.subscription,
  params: r.params,
  status: r.status,
  ...(r.statusReason ? { statusReason: r.statusReason } : {}),
  ...(r.duplicateOf ? { duplicateOf: r.duplicateOf } : {}),
  idempotencyKey: r.idempotencyKey,
  ...(r.notBefore ? { notBefore: r.notBefore } : {}),
  ...(r.deadline ? { deadline: r.deadline } : {}),
  ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt } : {}),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  attemptCount: r.attempts.length,
  attempts: r.attempts,
  outcome: r.attempts.length > 0 && isTerminal(r.status) ? r.attempts[r.attempts.length - 1] : null,
  history: r.history ?? [],
  ...(waitingFor ? { waitingFor } : {}),
});
