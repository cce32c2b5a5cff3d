/**
 * A sliding-window rate limit for provider sandboxes (Pelcro: 120 calls per minute per account;
 * Digital River: 100 requests per second per key).
 *
 * A call is accepted when fewer than `limit` calls were accepted in `(now - windowMs, now]`;
 * otherwise it is refused (the sandbox answers 429) and has no effect. Refused calls do not use up
 * the window (Laravel's throttle and most API gateways count only what they let through), so a
 * client that backs off as told gets in as soon as the oldest accepted call leaves the window.
 *
 * The limiter also keeps a journal of accepted call times and computes, from it and separately
 * from the admission check, the most calls accepted in any window: a test can then assert that
 * the sandbox never let more than `limit` through, and see how close a client came.
 *
 * Times come from the sandbox's clock (`now` option), so tests can drive it; the clock must not go
 * backwards.
 */
import * as z from 'zod';

export const rateLimitSchema = z.strictObject({
  limit: z.number().int().positive(),
  windowMs: z.number().int().positive(),
});
export type RateLimit = z.output<typeof rateLimitSchema>;

export type RateDecision =
  | { readonly allowed: true; readonly limit: number; readonly remaining: number }
  | {
      readonly allowed: false;
      readonly limit: number;
      /** Whole seconds until a slot frees (at least 1): what `Retry-After` says. */
      readonly retryAfterSeconds: number;
      /** Epoch ms at which the oldest call in the window leaves it. */
      readonly resetAtMs: number;
    };

/** What `GET /_sandbox/rate` reports. */
export interface RateReport {
  readonly limit: number;
  readonly windowMs: number;
  readonly rateLimited: number;
  readonly maxInWindow: number;
}

/** The journal is trimmed past this many entries (the local stack can run for days). */
const JOURNAL_TRIM_AT = 100_000;

export class SlidingWindowRateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  /** Accepted call times still inside the window, oldest first: the admission check. */
  private inWindow: number[] = [];
  /** Accepted call times, oldest first: what `maxCallsInAnyWindow` is computed from. */
  private accepted: number[] = [];
  /** The most seen in any window among journal entries already trimmed away. */
  private trimmedMax = 0;
  private refused = 0;

  constructor(
    config: RateLimit,
    private readonly now: () => Date,
  ) {
    const parsed = rateLimitSchema.parse(config);
    this.limit = parsed.limit;
    this.windowMs = parsed.windowMs;
  }

  /** Admits or refuses one call at the current time; an admitted call is recorded. */
  take(): RateDecision {
    const at = this.now().getTime();
    while (this.inWindow.length > 0 && (this.inWindow[0] ?? at) <= at - this.windowMs) this.inWindow.shift();
    if (this.inWindow.length >= this.limit) {
      this.refused += 1;
      // The oldest call in the window is what must leave before another fits.
      const resetAtMs = (this.inWindow[0] ?? at) + this.windowMs;
      return { allowed: false, limit: this.limit, retryAfterSeconds: Math.max(1, Math.ceil((resetAtMs - at) / 1000)), resetAtMs };
    }
    this.inWindow.push(at);
    this.record(at);
    return { allowed: true, limit: this.limit, remaining: this.limit - this.inWindow.length };
  }

  /** Calls refused with 429 since construction or the last reset. */
  rateLimitedCount(): number {
    return this.refused;
  }

  /** The most accepted calls in any window of `windowMs` (windows are `(t - windowMs, t]`). */
  maxCallsInAnyWindow(): number {
    return Math.max(this.trimmedMax, maxInAnyWindow(this.accepted, this.windowMs));
  }

  report(): RateReport {
    return { limit: this.limit, windowMs: this.windowMs, rateLimited: this.refused, maxInWindow: this.maxCallsInAnyWindow() };
  }

  reset(): void {
    this.inWindow = [];
    this.accepted = [];
    this.trimmedMax = 0;
    this.refused = 0;
  }

  private record(at: number): void {
    this.accepted.push(at);
    if (this.accepted.length < JOURNAL_TRIM_AT) return;
    // Keep every entry a future window can still reach (those after `at - windowMs`), having
    // first folded the windows that only the dropped entries could form into `trimmedMax`.
    this.trimmedMax = this.maxCallsInAnyWindow();
    this.accepted = this.accepted.filter((time) => time > at - this.windowMs);
  }
}

/** Two-pointer sweep over sorted times: for each call, how many fall in the window ending at it. */
const maxInAnyWindow = (times: readonly number[], windowMs: number): number => {
  let max = 0;
  let start = 0;
  for (let end = 0; end < times.length; end += 1) {
    const endTime = times[end] ?? 0;
    while ((times[start] ?? endTime) <= endTime - windowMs) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
};
