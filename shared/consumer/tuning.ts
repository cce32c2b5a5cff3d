/**
 * The consumer's tuning (docs/architecture.md#configuration-names): the provider call timeout and
 * the retry policy. Pure, so the CDK stack checks a stage's `-c` values with this same code at
 * synth (infra/settings.ts, TUNING_SETTINGS) and a value the consumer would refuse at cold start
 * fails `cdk synth` instead.
 */
import { ConfigError, optionalInt, type Env } from '../config';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../domain/retry';

export const CALL_TIMEOUT_ENV = 'PROVIDER_CALL_TIMEOUT_MS';
export const MAX_ATTEMPTS_ENV = 'RENEWAL_MAX_ATTEMPTS';
export const RETRY_BASE_DELAY_ENV = 'RETRY_BASE_DELAY_MS';
export const RETRY_MAX_DELAY_ENV = 'RETRY_MAX_DELAY_MS';
/** Per provider call, unless PROVIDER_CALL_TIMEOUT_MS says otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
/** Kept free at the end of an invocation, after the last call a rate-limit slot wait allows. */
const STOP_MARGIN_MS = 5_000;

export interface ConsumerTuning {
  readonly callTimeoutMs: number;
  /** How late a call may still get its rate-limit slot and finish before the function is stopped. */
  readonly maxSlotWaitMs: number;
  readonly retry: RetryPolicy;
}

export interface ConsumerLimits {
  readonly provider: string;
  /** The consumer function's timeout. */
  readonly functionTimeoutMs: number;
  /** Whether the provider has a rate limit (calls then wait for a slot). */
  readonly rateLimited: boolean;
}

/** A provider's rate limit setting as its consumer reads it: its variable, else the declared default; `off` or none: no limit. */
export const rateLimitSetting = (names: { readonly rateLimitEnv: string; readonly defaultRateLimit?: string }, env: Env): string | undefined =>
  env[names.rateLimitEnv]?.trim() || names.defaultRateLimit;

/** Reads PROVIDER_CALL_TIMEOUT_MS, RENEWAL_MAX_ATTEMPTS, RETRY_BASE_DELAY_MS and RETRY_MAX_DELAY_MS; unset: the defaults. */
export const consumerTuning = (env: Env, limits: ConsumerLimits): ConsumerTuning => {
  const { functionTimeoutMs } = limits;
  const callTimeoutMs = optionalInt(env, CALL_TIMEOUT_ENV, DEFAULT_CALL_TIMEOUT_MS, 100);
  if (callTimeoutMs >= functionTimeoutMs) {
    throw new ConfigError(`${CALL_TIMEOUT_ENV} (${callTimeoutMs}) must be below the function timeout (${functionTimeoutMs} ms)`);
  }
  // Each call must get its slot early enough to finish before the function is stopped.
  const maxSlotWaitMs = functionTimeoutMs - callTimeoutMs - STOP_MARGIN_MS;
  if (limits.rateLimited && maxSlotWaitMs <= 0) {
    throw new ConfigError(`${CALL_TIMEOUT_ENV} (${callTimeoutMs}) leaves no time to wait for ${limits.provider}'s rate limit`);
  }
  const retry: RetryPolicy = {
    maxAttempts: optionalInt(env, MAX_ATTEMPTS_ENV, DEFAULT_RETRY_POLICY.maxAttempts, 1),
    baseDelayMs: optionalInt(env, RETRY_BASE_DELAY_ENV, DEFAULT_RETRY_POLICY.baseDelayMs, 0),
    maxDelayMs: optionalInt(env, RETRY_MAX_DELAY_ENV, DEFAULT_RETRY_POLICY.maxDelayMs, 0),
  };
  // A base above the ceiling would make every wait the ceiling: surely not what was meant.
  if (retry.baseDelayMs > retry.maxDelayMs) {
    throw new ConfigError(`${RETRY_BASE_DELAY_ENV} (${retry.baseDelayMs}) must not exceed ${RETRY_MAX_DELAY_ENV} (${retry.maxDelayMs})`);
  }
  return { callTimeoutMs, maxSlotWaitMs: Math.max(0, maxSlotWaitMs), retry };
};
