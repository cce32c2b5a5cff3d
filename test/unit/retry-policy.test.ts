/**
 * The retry policy's decisions, beyond retry.test.ts: every class for a call that IS safe to
 * repeat (Digital River) as well as one that is not, the reasons a caller reads in `statusReason`,
 * the jitter added to `Retry-After`, and what any default policy must do. Written to be killed by
 * the mutants `npm run mutation` makes of shared/domain/retry.ts.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decide, retryDelayMs, type RetryPolicy } from '../../shared/domain/retry';
import type { Classification } from '../../shared/providers/types';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000 };
const c = (cls: Classification['class'], message = 'what the provider said', retryAfterSeconds?: number): Classification => ({
  class: cls,
  message,
  ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
});

describe('decide: the class alone decides, whether or not the call is safe to repeat', () => {
  it.each([true, false])('idempotentCall=%s: success, accepted, permanent and auth end the renewal the same way', (idempotentCall) => {
    expect(decide(c('success'), 1, idempotentCall, policy)).toEqual({ status: 'succeeded', reason: 'the provider confirmed the renewal' });
    expect(decide(c('accepted'), 1, idempotentCall, policy)).toEqual({
      status: 'accepted',
      reason: 'the provider accepted the change and applies it later',
    });
    expect(decide(c('permanent', 'No active number'), 1, idempotentCall, policy)).toEqual({
      status: 'failed',
      reason: 'the provider rejected the request: No active number',
    });
    // Never retried, not even for a call that is safe to repeat: refused logins lock accounts out.
    expect(decide(c('auth', 'Unauthenticated.'), 1, idempotentCall, policy)).toEqual({
      status: 'needs_attention',
      reason: 'authentication or configuration problem: Unauthenticated.',
    });
  });

  it('an auth answer on the last allowed attempt still needs a person, not "gave up"', () => {
    expect(decide(c('auth'), policy.maxAttempts, true, policy).status).toBe('needs_attention');
  });

  it('an ambiguous answer on a call that is not safe to repeat asks a person to confirm, naming what the provider said', () => {
    expect(decide(c('ambiguous', 'no answer (TIMEOUT)'), 1, false, policy)).toEqual({
      status: 'needs_attention',
      reason: 'outcome unknown and the call is not safe to repeat; confirm at the provider: no answer (TIMEOUT)',
    });
  });

  it('retryable and ambiguous-but-safe answers are retried after the backoff of their attempt, with the class and message in the reason', () => {
    // The backoff itself (its jitter) is retry.test.ts's; here: decide waits what it says for this attempt.
    expect(decide(c('retryable', 'busy'), 2, false, policy, () => 1)).toEqual({
      status: 'retry_scheduled',
      reason: 'attempt 2 retryable: busy',
      delayMs: retryDelayMs(2, policy, undefined, () => 1),
    });
    expect(decide(c('ambiguous', 'reset'), 3, true, policy, () => 0)).toEqual({
      status: 'retry_scheduled',
      reason: 'attempt 3 ambiguous: reset',
      delayMs: retryDelayMs(3, policy, undefined, () => 0),
    });
    expect(retryDelayMs(3, policy, undefined, () => 0)).toBeGreaterThan(retryDelayMs(1, policy, undefined, () => 1));
  });

  it('gives up one attempt before the limit is exceeded, not after', () => {
    expect(decide(c('retryable'), policy.maxAttempts - 1, true, policy).status).toBe('retry_scheduled');
    expect(decide(c('retryable', 'busy'), policy.maxAttempts, true, policy)).toEqual({ status: 'failed', reason: 'gave up after 4 attempts: busy' });
    expect(decide(c('ambiguous', 'reset'), policy.maxAttempts, true, policy)).toEqual({ status: 'failed', reason: 'gave up after 4 attempts: reset' });
  });

  it('passes Retry-After through to the delay', () => {
    const d = decide(c('retryable', 'slow down', 30), 1, false, policy, () => 0);
    expect(d).toEqual({ status: 'retry_scheduled', reason: 'attempt 1 retryable: slow down', delayMs: 30_000 });
  });
});

describe('Retry-After jitter: at most 20 % of the wait, and never more than one second', () => {
  it('adds up to 20 % to a short wait', () => {
    expect(retryDelayMs(1, policy, 1, () => 1)).toBe(1_200);
    expect(retryDelayMs(1, policy, 2, () => 0.5)).toBe(2_200);
  });

  it('adds at most one second to a long wait', () => {
    expect(retryDelayMs(1, policy, 30, () => 1)).toBe(31_000);
    expect(retryDelayMs(1, policy, 30, () => 0.5)).toBe(30_500);
  });

  it('a Retry-After of 0 means now, with no jitter', () => {
    expect(retryDelayMs(3, policy, 0, () => 1)).toBe(0);
  });
});

describe('the default policy', () => {
  it('retries, and waits at least a second before the first retry', () => {
    expect(Number.isInteger(DEFAULT_RETRY_POLICY.maxAttempts)).toBe(true);
    expect(DEFAULT_RETRY_POLICY.maxAttempts).toBeGreaterThan(1);
    for (const random of [() => 0, () => 1]) expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, undefined, random)).toBeGreaterThanOrEqual(1_000);
  });

  it('waits longer as attempts fail, up to a cap no shorter than the first wait', () => {
    expect(DEFAULT_RETRY_POLICY.maxDelayMs).toBeGreaterThanOrEqual(DEFAULT_RETRY_POLICY.baseDelayMs);
    const ceilings = Array.from({ length: DEFAULT_RETRY_POLICY.maxAttempts - 1 }, (_, i) => retryDelayMs(i + 1, DEFAULT_RETRY_POLICY, undefined, () => 1));
    for (let i = 1; i < ceilings.length; i++) expect(ceilings[i]).toBeGreaterThanOrEqual(ceilings[i - 1] ?? 0);
    expect(ceilings.at(-1)).toBeGreaterThan(ceilings[0] ?? Infinity);
    expect(Math.max(...ceilings)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
    // A provider's Retry-After is honoured up to the same cap.
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, 10 * 365 * 86_400, () => 0)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });
});
