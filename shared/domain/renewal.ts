/**
 * The renewal: statuses (docs/architecture.md#renewal-lifecycle), the record kept in DynamoDB,
 * the message queued in SQS, and how ids and request fingerprints are derived.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { PROVIDERS } from '../system';
import { OPERATIONS, withoutSecrets, type CanonicalRequest } from './canonical';
import type { ErrorClass } from '../providers/types';

export const STATUSES = ['queued', 'in_progress', 'retry_scheduled', 'succeeded', 'accepted', 'failed', 'needs_attention'] as const;
export type RenewalStatus = (typeof STATUSES)[number];

export const TERMINAL_STATUSES = ['succeeded', 'accepted', 'failed', 'needs_attention'] as const satisfies readonly RenewalStatus[];
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
  readonly status: RenewalStatus;
  readonly statusReason?: string;
  /** Set when another renewal of the same subscription and period did (or does) the work. */
  readonly duplicateOf?: string;
  readonly attempts: readonly Attempt[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nextAttemptAt?: string;
  readonly leaseOwner?: string;
  /** Epoch ms; while in the future, the holder of the lease is the only one who may call. */
  readonly leaseExpiresAt?: number;
}

/** The SQS message: everything the consumer needs, secrets included (queues are encrypted). */
export const queuedRenewalSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  idempotencyKey: z.string().min(1),
  provider: z.enum(PROVIDERS),
  operation: z.enum(OPERATIONS),
  subscription: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  notBefore: z.string().optional(),
});
export type QueuedRenewal = z.output<typeof queuedRenewalSchema>;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const base32 = (bytes: Uint8Array): string => {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    // Mutation testing: `bits > 5` survives as an equivalent mutant: it only holds a character back
    // until the next byte, and renewalIdFor keeps the first 26 of the 51 characters.
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

/** JSON with sorted keys, so equal requests hash equally whatever the key order. */
export const stableStringify = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      // Mutation testing: `a <= b`, `a >= b` and `a > b` replaced by true or false survive as
      // equivalent mutants: the keys of one object are distinct, and V8's sort only asks whether
      // the comparison is negative.
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
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
  status: 'queued',
  attempts: [],
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
});

export const queuedMessageFor = (record: RenewalRecord, request: CanonicalRequest): QueuedRenewal => ({
  v: 1,
  id: record.id,
  idempotencyKey: record.idempotencyKey,
  provider: request.provider,
  operation: request.operation,
  subscription: request.subscription,
  params: { ...request.params },
  ...(request.notBefore ? { notBefore: request.notBefore } : {}),
});

/** What the status API returns: the record without internals (lease, hash). */
export const toResource = (r: RenewalRecord) => ({
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
  ...(r.nextAttemptAt ? { nextAttemptAt: r.nextAttemptAt } : {}),
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  attemptCount: r.attempts.length,
  attempts: r.attempts,
  outcome: r.attempts.length > 0 && isTerminal(r.status) ? r.attempts[r.attempts.length - 1] : null,
});
