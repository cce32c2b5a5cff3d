/**
 * What a provider declares about itself in `shared/providers/<id>/index.ts`: the facts every part
 * of the gateway needs without running any of the provider's code (docs/adding-a-provider.md).
 *
 * Declarations are plain data (`as const satisfies ProviderDeclaration`), in every function's
 * bundle through the registry (`./registry.ts`), so they stay small: no code, no imports beyond
 * types. The
 * provider's code lives beside the declaration in three parts the gateway loads only when it
 * needs them (`./parts.ts`): `canonical.ts` (params and subscription-reference schemas),
 * `native.ts` (the provider's own routes) and `call.ts` (the outgoing call and its answers).
 */

/** A secret the provider's consumer sends (in AWS a Secrets Manager secret, see infra/settings.ts). */
export interface SecretDeclaration {
  /** Shown in the Secrets Manager console: tells the operator what to put there. */
  readonly description: string;
  /** The value the local stack uses unless the variable is set (a development value, never real). */
  readonly localDefault: string;
}

/**
 * An optional setting and the values it may take (case-insensitive; unset means the first).
 * Any other value fails the consumer's cold start, naming the variable but not echoing the value.
 */
export interface SettingDeclaration {
  readonly oneOf: readonly [string, ...string[]];
}

/** A provider-native write route, served by intake (docs/architecture.md#routes). */
export interface NativeRouteDeclaration {
  readonly method: 'POST';
  /** API Gateway path template, under `/v1/providers/<id>/`. */
  readonly path: string;
}

/**
 * Configuration names of the provider, read by its consumer and wired by CDK
 * (docs/architecture.md#configuration-names).
 */
export interface ProviderConfigDeclaration {
  /** Environment variable holding the provider's base URL. */
  readonly baseUrlEnv: string;
  /** Production base URL (locally the sandbox's URL is used unless the variable is set). */
  readonly defaultBaseUrl: string;
  /** Credentials the consumer sends, by configuration name. */
  readonly secrets: Readonly<Record<string, SecretDeclaration>>;
  /** Other settings the provider's code reads (optional variables; `-c <camelCase>=` in CDK). */
  readonly settings: Readonly<Record<string, SettingDeclaration>>;
  /** Request rate the gateway keeps to, e.g. `120/60s`; no default when the provider publishes none. */
  readonly rateLimitEnv: string;
  readonly defaultRateLimit?: string;
  /** Overrides the consumer's maximumConcurrency (concurrent batches, hence calls in flight). */
  readonly maxConcurrencyEnv: string;
  /** Concurrent batches of the consumer (its event source mapping's maximumConcurrency, at least 2). */
  readonly maxConcurrency: number;
  /**
   * Auth-class answers (by HTTP status) that concern the whole account, so one of them pauses the
   * provider's other renewals (docs/architecture.md#providers-are-protected).
   */
  readonly pauseOnAuthStatuses: readonly number[];
}

/** How schedules of this provider differ from the rule "period k starts at run k" (docs/architecture.md#schedule-lifecycle). */
export interface ScheduleDeclaration {
  /**
   * The provider renews terms that chain: a schedule must give the current `term`, and run k
   * renews the k-th term after it, sent in these params (Punchh: `startTime`, `endTime`).
   */
  readonly term?: { readonly startParam: string; readonly endParam: string };
  /** Params a scheduled renewal must have, with the reason shown when they differ (Pelcro: the Core call). */
  readonly requiredParams?: { readonly values: Readonly<Record<string, string>>; readonly reason: string };
  /**
   * How long after its run a scheduled renewal may still happen (its `deadline`), in hours;
   * unset: `DEFAULT_DEADLINE_GRACE_HOURS` (a day). Longer for a provider whose rate limit makes a
   * month-start backlog last longer (Pelcro: 72).
   */
  readonly deadlineGraceHours?: number;
}

export interface ProviderDeclaration {
  /** Lower-case name used in routes, queue messages, table items and function ids, e.g. `punchh`. */
  readonly id: string;
  /** As written in prose, e.g. `Digital River`; its letters and digits name the queue (`DigitalRiver`). */
  readonly name: string;
  /** The canonical operations (docs/architecture.md#canonical-request); `canonical.ts` has a params schema for each. */
  readonly operations: readonly [string, ...string[]];
  /** Native routes; `native.ts` has a normalizer for each path. */
  readonly routes: readonly NativeRouteDeclaration[];
  /** Params that are secrets: carried in the queue message only, never stored, hashed or returned. */
  readonly secretParams?: readonly string[];
  readonly config: ProviderConfigDeclaration;
  readonly schedule?: ScheduleDeclaration;
}

/**
 * A setting's value: one of the declared values (lower-cased), or the first when unset. Anything
 * else throws, naming the variable: the value is not echoed, as a misplaced credential in a
 * setting must not reach a log.
 */
export const settingValue = (name: string, setting: SettingDeclaration, raw: string | undefined): string => {
  const value = raw?.trim().toLowerCase();
  if (value === undefined || value === '') return setting.oneOf[0];
  if (!setting.oneOf.includes(value)) throw new Error(`${name} must be one of ${setting.oneOf.join(', ')} (or unset for ${setting.oneOf[0]})`);
  return value;
};
