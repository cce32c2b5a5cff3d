import { describe, expect, it } from 'vitest';
import { decide, retryDelayMs, type RetryPolicy } from '../../shared/domain/retry';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000 };

describe('retry policy', () => {
  it('backs off exponentially with jitter inside [ceiling/2, ceiling]', () => {
    expect(retryDelayMs(1, policy, undefined, () => 0)).toBe(500);
    expect(retryDelayMs(1, policy, undefined, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, policy, undefined, () => 1)).toBe(4_000);
    expect(retryDelayMs(20, policy, undefined, () => 1)).toBe(60_000);
  });

  it('waits at least what Retry-After asks, bounded by the maximum', () => {
    expect(retryDelayMs(1, policy, 5, () => 0)).toBe(5_000);
    expect(retryDelayMs(1, policy, 5, () => 1)).toBe(6_000);
    expect(retryDelayMs(1, policy, 3_600, () => 0)).toBe(60_000);
  });

  it('maps each class to its status', () => {
    expect(decide({ class: 'success', message: '' }, 1, false, policy).status).toBe('succeeded');
    expect(decide({ class: 'accepted', message: '' }, 1, true, policy).status).toBe('accepted');
    expect(decide({ class: 'permanent', message: '' }, 1, false, policy).status).toBe('failed');
    expect(decide({ class: 'auth', message: '' }, 1, false, policy).status).toBe('needs_attention');
    expect(decide({ class: 'retryable', message: '' }, 1, false, policy).status).toBe('retry_scheduled');
  });

  it('never repeats an ambiguous call that is not safe to repeat, but retries one that is', () => {
    expect(decide({ class: 'ambiguous', message: '' }, 1, false, policy).status).toBe('needs_attention');
    expect(decide({ class: 'ambiguous', message: '' }, 1, true, policy).status).toBe('retry_scheduled');
  });

  it('gives up as failed after the maximum number of attempts', () => {
    const d = decide({ class: 'retryable', message: 'busy' }, 4, false, policy);
    expect(d).toEqual({ status: 'failed', reason: 'gave up after 4 attempts: busy' });
  });
});
