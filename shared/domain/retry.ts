/**
 * What happens after an attempt: the next status, and when to try again
 * (docs/architecture.md#response-classification-and-retries).
 * Pure: the consumer supplies the classification, the attempt number and a random source.
 */
import type { Classification } from '../providers/types';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The default schedule (docs/architecture.md#response-classification-and-retries): the n-th retry
 * waits min(6 h, 30 s × 2^(n−1)) less up to 20 % jitter, 15 attempts in all. The 14 waits add up
 * to 26.0–32.5 h, so a provider outage of up to a day (anchors: Svix retries over ~32 h, Kill Bill
 * from 300 s doubling over 8 tries) does not fail renewals for good; the first retries come
 * within minutes for short blips. `RENEWAL_MAX_ATTEMPTS`, `RETRY_BASE_DELAY_MS` and
 * `RETRY_MAX_DELAY_MS` change it. Waits longer than SQS's 15-minute delay are made of several
 * delayed copies (see the consumer engine).
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 15, baseDelayMs: 30_000, maxDelayMs: 6 * 60 * 60_000 };

/** The share of a backoff delay taken off at random, so renewals that failed together do not all return together. */
export const JITTER = 0.2;

/** The backoff ceiling before the n-th retry (n = the attempt that just failed). */
export const backoffCeilingMs = (attemptNumber: number, policy: RetryPolicy): number =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptNumber - 1));

/** Exponential backoff with jitter (in [ceiling × 0.8, ceiling]), at least `Retry-After` when the provider gave one. */
export const retryDelayMs = (
  attemptNumber: number,
  policy: RetryPolicy,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number => {
  const ceiling = backoffCeilingMs(attemptNumber, policy);
  const jittered = Math.round(ceiling - random() * ceiling * JITTER);
  if (retryAfterSeconds === undefined) return jittered;
  // The provider said when: honour it, plus a little jitter so a burst does not return at once.
  const asked = Math.min(policy.maxDelayMs, retryAfterSeconds * 1_000);
  return Math.round(asked + random() * Math.min(1_000, asked * 0.2));
};

/**
 * How long the whole schedule waits between the first attempt and the last one, at its shortest
 * and longest jitter (without Retry-After): what the README states.
 */
export const retrySpanMs = (policy: RetryPolicy): { min: number; max: number } => {
  let max = 0;
  for (let n = 1; n < policy.maxAttempts; n++) max += backoffCeilingMs(n, policy);
  return { min: Math.round(max * (1 - JITTER)), max };
};

export type Decision =
  | { readonly status: 'succeeded' | 'accepted' | 'failed' | 'needs_attention'; readonly reason: string }
  | { readonly status: 'retry_scheduled'; readonly reason: string; readonly delayMs: number };

/**
 * A retry that would come after the renewal's deadline is not scheduled: the renewal ends
 * `needs_attention`, saying so, rather than `failed` late (docs/architecture.md#deadlines).
 */
export const withinDeadline = (decision: Decision, finishedAt: Date, deadline: string | undefined): Decision => {
  if (decision.status !== 'retry_scheduled' || !deadline) return decision;
  const next = finishedAt.getTime() + decision.delayMs;
  if (next <= Date.parse(deadline)) return decision;
  return {
    status: 'needs_attention',
    reason: `${decision.reason}; not retried: the next attempt (${new Date(next).toISOString()}) would come after the renewal's deadline (${deadline})`,
  };
};

export const decide = (
  c: Classification,
  attemptNumber: number,
  idempotentCall: boolean,
  policy: RetryPolicy,
  random: () => number = Math.random,
): Decision => {
  switch (c.class) {
    case 'success':
      return { status: 'succeeded', reason: 'the provider confirmed the renewal' };
    case 'accepted':
      return { status: 'accepted', reason: 'the provider accepted the change and applies it later' };
    case 'permanent':
      return { status: 'failed', reason: `the provider rejected the request: ${c.message}` };
    case 'auth':
      // Never retried in a loop: credentials or account configuration need a person (Punchh locks
      // out an IP after 10 failed logins in 10 minutes).
      return { status: 'needs_attention', reason: `authentication or configuration problem: ${c.message}` };
    case 'ambiguous':
      if (!idempotentCall) {
        return {
          status: 'needs_attention',
          reason: `outcome unknown and the call is not safe to repeat; confirm at the provider: ${c.message}`,
        };
      }
      return retryOrGiveUp(c, attemptNumber, policy, random);
    case 'retryable':
      return retryOrGiveUp(c, attemptNumber, policy, random);
  }
};

const retryOrGiveUp = (c: Classification, attemptNumber: number, policy: RetryPolicy, random: () => number): Decision => {
  if (attemptNumber >= policy.maxAttempts) {
    return { status: 'failed', reason: `gave up after ${attemptNumber} attempts: ${c.message}` };
  }
  return {
    status: 'retry_scheduled',
    reason: `attempt ${attemptNumber} ${c.class}: ${c.message}`,
    delayMs: retryDelayMs(attemptNumber, policy, c.retryAfterSeconds, random),
  };
};

