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

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 15 * 60_000 };

/** Exponential backoff with full jitter, at least `Retry-After` when the provider gave one. */
export const retryDelayMs = (
  attemptNumber: number,
  policy: RetryPolicy,
  retryAfterSeconds: number | undefined,
  random: () => number = Math.random,
): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attemptNumber - 1));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (retryAfterSeconds === undefined) return jittered;
  // The provider said when: honour it, plus a little jitter so a burst does not return at once.
  const asked = Math.min(policy.maxDelayMs, retryAfterSeconds * 1_000);
  return Math.round(asked + random() * Math.min(1_000, asked * 0.2));
};

export type Decision =
  | { readonly status: 'succeeded' | 'accepted' | 'failed' | 'needs_attention'; readonly reason: string }
  | { readonly status: 'retry_scheduled'; readonly reason: string; readonly delayMs: number };

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

