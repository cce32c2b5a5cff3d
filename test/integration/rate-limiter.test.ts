import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRateLimiter, parseRateLimit, slotSpacingMs } from '../../shared/adapters/rate-limiter';
import { createRenewalTable } from '../support/tables';

let dynamo: DynamoDBClient;
let tableName: string;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('ratelimit'));
});
afterAll(() => dynamo.destroy());

/** Most slots inside any half-open window of `windowMs`, as a provider counting calls would see. */
const maxInAnyWindow = (slots: readonly number[], windowMs: number): number => {
  const sorted = [...slots].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= windowMs) i++;
    max = Math.max(max, j - i + 1);
  }
  return max;
};

describe('rate limit settings', () => {
  it('parses calls per window and refuses nonsense, naming the variable', () => {
    expect(parseRateLimit('120/60s')).toEqual({ limit: 120, windowMs: 60_000 });
    expect(parseRateLimit('100/1s')).toEqual({ limit: 100, windowMs: 1_000 });
    expect(parseRateLimit('10/500ms')).toEqual({ limit: 10, windowMs: 500 });
    expect(parseRateLimit(' 6000 / 1h ')).toEqual({ limit: 6000, windowMs: 3_600_000 });
    expect(() => parseRateLimit('fast', 'PELCRO_RATE_LIMIT')).toThrow(/PELCRO_RATE_LIMIT/);
    expect(() => parseRateLimit('0/1s')).toThrow();
  });
});

describe('DynamoRateLimiter against DynamoDB Local', () => {
  it('never puts more than the limit into any window, across concurrent instances', async () => {
    const rate = { limit: 20, windowMs: 1_000 };
    const limiters = Array.from({ length: 4 }, () => new DynamoRateLimiter(dynamo, tableName, 'shared-key', rate));
    const batches = await Promise.all(
      Array.from({ length: 12 }, (_, i) => limiters[i % limiters.length]!.reserve(10, 60_000)),
    );
    const slots = batches.flatMap((b) => b.slots);
    expect(slots).toHaveLength(120);
    expect(new Set(slots).size).toBe(120);
    expect(maxInAnyWindow(slots, rate.windowMs)).toBeLessThanOrEqual(rate.limit);
    const sorted = [...slots].sort((a, b) => a - b);
    const spacing = slotSpacingMs(rate);
    for (let i = 1; i < sorted.length; i++) expect((sorted[i] ?? 0) - (sorted[i - 1] ?? 0)).toBeGreaterThanOrEqual(spacing - 1e-6);
  });

  it('reserves only what fits in the wait allowed, and says when to come back', async () => {
    const limiter = new DynamoRateLimiter(dynamo, tableName, 'partial-key', { limit: 10, windowMs: 1_000 });
    const first = await limiter.reserve(10, 450);
    expect(first.slots.length).toBeGreaterThan(0);
    expect(first.slots.length).toBeLessThan(10);
    expect(first.retryInMs).toBeGreaterThan(0);
    // The queue is now further out than the wait allows: nothing reserved, nothing written.
    const second = await new DynamoRateLimiter(dynamo, tableName, 'partial-key', { limit: 10, windowMs: 1_000 }).reserve(5, 0);
    expect(second.slots).toEqual([]);
    expect(second.retryInMs).toBeGreaterThan(0);
  });
});
