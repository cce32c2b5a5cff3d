/**
 * A provider's request rate, shared by every consumer instance
 * (docs/architecture.md#providers-are-protected): a GCRA limiter whose state — the theoretical
 * arrival time (TAT) of the next free slot — is one DynamoDB item updated with optimistic
 * concurrency. A batch reserves its slots in one conditional write, so the cost is one write per
 * batch, not per call.
 *
 * Slots are spaced `(window + jitter margin) / limit` apart, so that requests that leave a little
 * late (timers, network) still never put more than `limit` calls into any sliding window at the
 * provider. There is no burst allowance: providers count sliding windows.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConfigError } from '../config';

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** `120/60s`, `100/1s`, `10/500ms`, `6000/1h`. */
export const parseRateLimit = (value: string, name = 'rate limit'): RateLimit => {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(value);
  const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
  if (!m?.[1] || !m[2] || !m[3]) throw new ConfigError(`${name} must look like 120/60s (calls per window), got ${JSON.stringify(value)}`);
  const limit = Number(m[1]);
  const windowMs = Number(m[2]) * units[m[3] as keyof typeof units];
  if (limit < 1 || windowMs < 1) throw new ConfigError(`${name} needs at least 1 call per window, got ${JSON.stringify(value)}`);
  return { limit, windowMs };
};

/** Room for requests that leave late: 10% of the window, at most 250 ms. */
export const slotMarginMs = ({ windowMs }: RateLimit): number => Math.min(250, windowMs * 0.1);

export const slotSpacingMs = (rate: RateLimit): number => (rate.windowMs + slotMarginMs(rate)) / rate.limit;

/**
 * A call may leave at most this late for its slot. With the margin above, calls that leave within
 * it never put more than `limit` into a window; a later one must give its slot up and wait again.
 */
export const slotToleranceMs = (rate: RateLimit): number => slotMarginMs(rate) / 2;

export type Reservation =
  /** Slot times (epoch ms) for the first `slots.length` requests; the rest must wait `retryInMs`. */
  { readonly slots: readonly number[]; readonly retryInMs: number };

export interface Limiter {
  reserve(count: number, maxWaitMs: number): Promise<Reservation>;
  /** How late after its slot a call may still leave. */
  readonly toleranceMs: number;
}

export class DynamoRateLimiter implements Limiter {
  private readonly doc: DynamoDBDocumentClient;
  private readonly spacing: number;
  readonly toleranceMs: number;
  /** Last TAT this instance saw: usually right, so the first conditional write succeeds. */
  private knownTat: number | undefined;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly key: string,
    rate: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
    this.spacing = slotSpacingMs(rate);
    this.toleranceMs = slotToleranceMs(rate);
  }

  async reserve(count: number, maxWaitMs: number): Promise<Reservation> {
    if (count <= 0) return { slots: [], retryInMs: 0 };
    for (let attempt = 0; attempt < 20; attempt++) {
      const now = this.now();
      const start = Math.max(this.knownTat ?? 0, now);
      // Only slots the caller can still use before it must stop waiting.
      const fit = Math.min(count, Math.floor((now + maxWaitMs - start) / this.spacing) + 1);
      if (fit <= 0) return { slots: [], retryInMs: Math.ceil(start - now - maxWaitMs) + 1 };
      const next = start + fit * this.spacing;
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `RATE#${this.key}`, sk: 'RATE' },
            UpdateExpression: 'SET tat = :next',
            ConditionExpression: this.knownTat === undefined ? 'attribute_not_exists(tat)' : 'tat = :seen',
            ExpressionAttributeValues: { ':next': next, ...(this.knownTat === undefined ? {} : { ':seen': this.knownTat }) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        this.knownTat = next;
        const slots = Array.from({ length: fit }, (_, i) => start + i * this.spacing);
        const after = start + fit * this.spacing;
        return { slots, retryInMs: fit < count ? Math.max(1, Math.ceil(after - now)) : 0 };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another instance moved the TAT: continue from its value.
        const item = error.Item ? unmarshall(error.Item) : undefined;
        this.knownTat = typeof item?.tat === 'number' ? item.tat : undefined;
      }
    }
    throw new Error(`rate limiter ${this.key}: too much contention`);
  }
}
