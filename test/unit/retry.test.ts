import { describe, expect, it } from 'vitest';
import { decide, DEFAULT_RETRY_POLICY, retryDelayMs, retrySpanMs, withinDeadline, type RetryPolicy } from '../../shared/domain/retry';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000 };

describe('retry policy', () => {
  it('backs off exponentially with jitter inside [ceiling × 0.8, ceiling]', () => {
    expect(retryDelayMs(1, policy, undefined, () => 1)).toBe(800);
    expect(retryDelayMs(1, policy, undefined, () => 0)).toBe(1_000);
    expect(retryDelayMs(3, policy, undefined, () => 0)).toBe(4_000);
    expect(retryDelayMs(3, policy, undefined, () => 0.5)).toBe(3_600);
    expect(retryDelayMs(20, policy, undefined, () => 0)).toBe(60_000);
  });

  it('by default keeps retrying for at least 24 hours, even at its shortest jitter (Svix ~32 h, Kill Bill ~21 h)', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 15, baseDelayMs: 30_000, maxDelayMs: 6 * 3_600_000 });
    const span = retrySpanMs(DEFAULT_RETRY_POLICY);
    expect(span.min).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(span.min / 3_600_000).toBeCloseTo(26.02, 2);
    expect(span.max / 3_600_000).toBeCloseTo(32.525, 3);
    // Walk it as the consumer does: 14 waits between 15 attempts, the jitter at its largest.
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      const d = decide({ class: 'retryable', message: 'busy' }, attempt, false, DEFAULT_RETRY_POLICY, () => 1);
      if (d.status !== 'retry_scheduled') {
        expect(d.status).toBe('failed');
        expect(attempt).toBe(15);
        break;
      }
      waited += d.delayMs;
    }
    expect(waited).toBe(span.min);
    // The first retries come quickly (a blip), the last ones hours apart.
    expect(retryDelayMs(1, DEFAULT_RETRY_POLICY, undefined, () => 0)).toBe(30_000);
    expect(retryDelayMs(14, DEFAULT_RETRY_POLICY, undefined, () => 0)).toBe(6 * 3_600_000);
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

describe('deadlines', () => {
  const at = new Date('2026-12-01T00:00:00.000Z');
  const retry = { status: 'retry_scheduled', reason: 'attempt 1 retryable: 503', delayMs: 60_000 } as const;
  it('keeps a retry that comes before the deadline, and any decision without one', () => {
    expect(withinDeadline(retry, at, '2026-12-01T00:01:00.000Z')).toBe(retry);
    expect(withinDeadline(retry, at, undefined)).toBe(retry);
    const done = { status: 'succeeded', reason: 'ok' } as const;
    expect(withinDeadline(done, at, '2026-11-01T00:00:00.000Z')).toBe(done);
  });
  it('ends needs_attention, with the reason, instead of scheduling a retry past the deadline', () => {
    const d = withinDeadline(retry, at, '2026-12-01T00:00:59.999Z');
    expect(d.status).toBe('needs_attention');
    expect(d.reason).toContain('attempt 1 retryable: 503');
    expect(d.reason).toContain("after the renewal's deadline (2026-12-01T00:00:59.999Z)");
  });
});
