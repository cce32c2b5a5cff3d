/**
 * Push delivery of events to registered endpoints (docs/architecture.md#push-delivery-to-endpoints):
 * the pure decisions, with no I/O, so each is unit-tested on its own.
 *
 * - the retry schedule (Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — 27.6 h in all, so a
 *   receiver down for a day still gets its events), replaceable for tests;
 * - `Retry-After` (seconds or an HTTP date) lengthens a wait, never shortens it;
 * - 410 Gone stops retrying that delivery (Standard Webhooks: the receiver does not want it);
 * - an endpoint failing for 5 days straight (no success since its first failure) is disabled;
 * - which secrets sign (the current one, and a rotated one during its overlap); the signing itself
 *   is shared/delivery/sign.ts, apart, so the events and operator functions do not load it.
 */
import { randomBytes } from 'node:crypto';

/** Seconds to wait before attempt 2, 3, … (the first attempt goes at once). */
export const DEFAULT_RETRY_SCHEDULE_SECONDS: readonly number[] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/** Environment variable replacing the schedule: comma-separated seconds (`1,1,2` in tests). */
export const RETRY_SCHEDULE_ENV = 'DELIVERY_RETRY_SCHEDULE_SECONDS';
/** An endpoint failing this long without one success in between is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;
/** The old secret keeps signing this long after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
/** A Retry-After longer than this is capped (a receiver cannot park a delivery for a week). */
export const MAX_RETRY_AFTER_SECONDS = 24 * 3600;

/**
 * Parses `DELIVERY_RETRY_SCHEDULE_SECONDS`; unset or blank: the default. Each wait is at least a
 * second: a 0 would send a failing endpoint its retry at once, in the same breath as the failure.
 */
export const parseRetrySchedule = (value: string | undefined): readonly number[] => {
  if (!value?.trim()) return DEFAULT_RETRY_SCHEDULE_SECONDS;
  const parts = value.split(',').map((p) => p.trim());
  const seconds = parts.map(Number);
  if (seconds.length === 0 || seconds.some((s, i) => !/^\d+$/.test(parts[i] ?? '') || !Number.isSafeInteger(s) || s < 1)) {
    throw new Error(`${RETRY_SCHEDULE_ENV} must be comma-separated whole seconds, each at least 1, e.g. 5,300,1800; got ${JSON.stringify(value)}`);
  }
  return seconds;
};

/**
 * Seconds until the next attempt after attempt `attempt` (1-based) failed, or null when the
 * schedule is exhausted (the delivery is dead-lettered). `Retry-After` lengthens the wait.
 */
export const nextDelaySeconds = (schedule: readonly number[], attempt: number, retryAfterSeconds?: number): number | null => {
  const scheduled = schedule[attempt - 1];
  if (scheduled === undefined) return null;
  return Math.max(scheduled, Math.min(MAX_RETRY_AFTER_SECONDS, retryAfterSeconds ?? 0));
};

/** `Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` → seconds from `now` (≥ 0); undefined when absent or unreadable. */
export const parseRetryAfter = (value: string | null | undefined, now: Date): number | undefined => {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
};

export type AttemptResult =
  | { readonly kind: 'response'; readonly status: number; readonly retryAfter?: string | null }
  /** No HTTP answer: connection refused, DNS, TLS, timeout. */
  | { readonly kind: 'error'; readonly error: string };

export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  /** Try again after `delaySeconds`. */
  | { readonly kind: 'retry'; readonly delaySeconds: number }
  /** No more attempts: `gone` (410) or `exhausted` (the schedule ran out). */
  | { readonly kind: 'dead'; readonly reason: 'gone' | 'exhausted' };

/** What follows attempt `attempt` (1-based) given what the endpoint answered. */
export const decideOutcome = (result: AttemptResult, attempt: number, schedule: readonly number[], now: Date): AttemptOutcome => {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { kind: 'delivered' };
  if (result.kind === 'response' && result.status === 410) return { kind: 'dead', reason: 'gone' };
  const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, now) : undefined;
  const delay = nextDelaySeconds(schedule, attempt, retryAfter);
  return delay === null ? { kind: 'dead', reason: 'exhausted' } : { kind: 'retry', delaySeconds: delay };
};

/** Whether an endpoint that has been failing since `failingSince` (no success since) is to be disabled now. */
/** How long one slow call keeps its endpoint on the slow lane. */
export const SLOW_FOR_MS = 10 * 60 * 1000;

/** True while the endpoint is on the slow lane (its `slowUntil` is after `at`). */
export const isSlow = (endpoint: { readonly slowUntil?: string | undefined }, at: Date): boolean =>
  endpoint.slowUntil !== undefined && Date.parse(endpoint.slowUntil) > at.getTime();

/** Until when a call of `latencyMs` puts its endpoint on the slow lane; undefined: it was not slow. */
export const slowUntilAfter = (latencyMs: number, slowCallMs: number, after: Date): Date | undefined =>
  latencyMs > slowCallMs ? new Date(after.getTime() + SLOW_FOR_MS) : undefined;

export const shouldDisable = (failingSince: string | undefined, now: Date): boolean =>
  failingSince !== undefined && now.getTime() - Date.parse(failingSince) >= DISABLE_AFTER_MS;

/** A new endpoint secret in the Standard Webhooks format: `whsec_` + base64 of 24 random bytes. */
export const generateSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** `whsec_abc…xyz` → `whsec_abc…` : what a GET shows of a secret (enough to tell two apart, not to sign). */
export const maskSecret = (secret: string): string => `${secret.slice(0, 10)}…`;

export interface EndpointSecret {
  readonly secret: string;
  readonly createdAt: string;
  /** Set on the previous secret by a rotation: it stops signing then. */
  readonly expiresAt?: string;
}

/** The secrets that sign at `now`: the current one, and a rotated one during its overlap. */
export const signingSecrets = (secrets: readonly EndpointSecret[], now: Date): readonly string[] =>
  secrets.filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime()).map((s) => s.secret);

/** After a rotation: the new secret first, the previous current one until now + 24 h; long-expired ones dropped. */
export const rotateSecrets = (secrets: readonly EndpointSecret[], fresh: string, now: Date): EndpointSecret[] => {
  const until = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
  const kept = secrets
    .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime())
    .map((s) => (s.expiresAt === undefined ? { ...s, expiresAt: until } : s));
  return [{ secret: fresh, createdAt: now.toISOString() }, ...kept];
};

/** Whether an endpoint subscribed to `type` (no list: every type). */
export const wantsType = (types: readonly string[] | undefined, type: string): boolean => !types || types.length === 0 || types.includes(type);
