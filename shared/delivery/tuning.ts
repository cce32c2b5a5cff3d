/**
 * The delivery function's tuning (README "Pushing events to endpoints"): per-call timeout,
 * per-endpoint rate limit, retry schedule, and the call time past which an endpoint is slow. Pure, so the CDK stack checks a stage's `-c` values
 * with this same code at synth (infra/settings.ts, TUNING_SETTINGS).
 */
import { optionalInt, type Env } from '../config';
import { parseRateLimit, type RateLimit } from '../adapters/rate-limiter';
import { RETRY_SCHEDULE_ENV, parseRetrySchedule } from './policy';

export const DELIVERY_TIMEOUT_ENV = 'DELIVERY_TIMEOUT_MS';
export const DELIVERY_RATE_LIMIT_ENV = 'DELIVERY_RATE_LIMIT';
export const DELIVERY_SLOW_CALL_ENV = 'DELIVERY_SLOW_CALL_MS';
/** Per call, unless DELIVERY_TIMEOUT_MS says otherwise (100 ms to 60 s). */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
/** A call longer than this (answered or not) puts its endpoint on the slow lane, unless DELIVERY_SLOW_CALL_MS says otherwise (100 ms to 60 s). */
export const DEFAULT_DELIVERY_SLOW_CALL_MS = 2000;
/** Per endpoint: at most 20 deliveries a second unless DELIVERY_RATE_LIMIT says otherwise (`off`: none). */
export const DEFAULT_DELIVERY_RATE_LIMIT = '20/1s';

export interface DeliveryTuning {
  /** Seconds before attempt 2, 3, … (DELIVERY_RETRY_SCHEDULE_SECONDS). */
  readonly schedule: readonly number[];
  /** Per call (DELIVERY_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /** A call that took longer marks its endpoint slow (DELIVERY_SLOW_CALL_MS). */
  readonly slowCallMs: number;
  /** Per endpoint (DELIVERY_RATE_LIMIT); none: unlimited. */
  readonly rate?: RateLimit;
}

/** Reads DELIVERY_RETRY_SCHEDULE_SECONDS, DELIVERY_TIMEOUT_MS, DELIVERY_SLOW_CALL_MS and DELIVERY_RATE_LIMIT; unset: the defaults. */
export const deliveryTuning = (env: Env): DeliveryTuning => {
  const rateValue = env[DELIVERY_RATE_LIMIT_ENV]?.trim() || DEFAULT_DELIVERY_RATE_LIMIT;
  const rate = rateValue === 'off' ? undefined : parseRateLimit(rateValue, DELIVERY_RATE_LIMIT_ENV);
  return {
    schedule: parseRetrySchedule(env[RETRY_SCHEDULE_ENV]),
    timeoutMs: optionalInt(env, DELIVERY_TIMEOUT_ENV, DEFAULT_DELIVERY_TIMEOUT_MS, 100, 60_000),
    slowCallMs: optionalInt(env, DELIVERY_SLOW_CALL_ENV, DEFAULT_DELIVERY_SLOW_CALL_MS, 100, 60_000),
    ...(rate ? { rate } : {}),
  };
};
