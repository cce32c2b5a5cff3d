/**
 * Infra-only settings: what the CDK stack needs beyond `shared/system.ts` (which describes the
 * resources both stacks share). Nothing here is read by the local stack, so nothing here can
 * make the two drift apart: these are AWS wiring choices (which Secrets Manager secret a
 * function reads, retention periods, alarm thresholds).
 *
 * The `satisfies Record<...>` types make the compiler ask for an entry when `system.ts` gains a
 * function or an enabled provider, instead of the stack silently deploying it half-configured.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { PROVIDER_CONFIG, PROVIDER_SECRETS, type EnabledProvider, type FunctionDescription, type FunctionId, type ProviderSecretName } from '../shared/system';
import { AUTH_FAILURE_PAUSE_ENV, SECRETS_MAX_AGE_ENV, SECRET_PLACEHOLDER, authFailurePauseMs, secretsMaxAgeSeconds, type Env } from '../shared/config';
import { CALL_TIMEOUT_ENV, MAX_ATTEMPTS_ENV, RETRY_BASE_DELAY_ENV, RETRY_MAX_DELAY_ENV, consumerTuning, rateLimitSetting } from '../shared/consumer/tuning';
import { DELIVERY_RATE_LIMIT_ENV, DELIVERY_SLOW_CALL_ENV, DELIVERY_TIMEOUT_ENV, deliveryTuning } from '../shared/delivery/tuning';
import { RETRY_SCHEDULE_ENV } from '../shared/delivery/policy';
import { POWERTOOLS_LOG_LEVEL_ENV, logLevelOf } from '../shared/logger';

/** How a secret gets its first value when the stack creates it. */
export type SecretInitialValue =
  /** A random value Secrets Manager generates: usable as-is (e.g. a bearer token). */
  | 'generated'
  /** A marker value operators replace (credentials issued elsewhere, or a format we cannot generate). */
  | 'placeholder';

export interface SecretSetting {
  readonly initialValue: SecretInitialValue;
  /** Shown in the Secrets Manager console: tells the operator what to put there. */
  readonly description: string;
}

/**
 * Secret configuration names (docs/architecture.md#configuration-names). In AWS each one is a
 * Secrets Manager secret whose ARN reaches the function as `<NAME>_SECRET_ARN`; the value itself
 * never appears in the template. Providers declare theirs, with descriptions, in their folder.
 */
const GATEWAY_SECRET_SETTINGS = {
  RENEWALS_WEBHOOK_SECRETS: {
    // Standard Webhooks secrets are `whsec_<base64>` and must be shared with the upstream
    // senders, so an operator creates them; a generated string would not have that format.
    initialValue: 'placeholder',
    description:
      'Space-separated Standard Webhooks secrets (whsec_<base64>) that upstream systems sign renewal requests with; several allow rotation.',
  },
  RENEWALS_READ_TOKENS: {
    // Any random string is a valid bearer token, so a generated value is usable from day one.
    initialValue: 'generated',
    description: 'Space-separated bearer tokens accepted by the status and history routes.',
  },
  RENEWALS_OPERATOR_TOKENS: {
    // Generated: one bare token, which acts under the name `operator`; replace it with
    // space-separated name=token pairs so history entries tell operators apart.
    initialValue: 'generated',
    description:
      'Space-separated name=token pairs: bearer tokens of the operator routes (retry, resolve, cancel, resume, redrive); the name is recorded in each renewal history entry. A bare token acts as "operator".',
  },
} as const satisfies Record<string, SecretSetting>;

/** Every secret of the gateway: its own, and each provider's credentials (placeholders: issued by the provider). */
export const SECRET_SETTINGS: Readonly<Record<SecretName, SecretSetting>> = {
  ...GATEWAY_SECRET_SETTINGS,
  ...Object.fromEntries(PROVIDER_SECRETS.map(([name, { description }]) => [name, { initialValue: 'placeholder', description }])),
} as Readonly<Record<SecretName, SecretSetting>>;

export type SecretName = keyof typeof GATEWAY_SECRET_SETTINGS | ProviderSecretName;

/** Marker stored in `placeholder` secrets; handlers see it and fail closed until it is replaced. */
export { SECRET_PLACEHOLDER };

export type TableAccess = 'read' | 'readWrite';

export interface FunctionAccess {
  readonly table: TableAccess;
  /** Sends to every provider queue (receives each queue's URL env var and send permission). */
  readonly sendsToProviderQueues: boolean;
  readonly secrets: readonly SecretName[];
  /**
   * Looks at and moves dead letters, and reads queue depths: receives each provider DLQ's URL and
   * ARN, and may receive from it, change visibility, and start, list and cancel message move tasks.
   */
  readonly operatesDeadLetters?: boolean;
  /** Receives each provider's rate limit setting (to show it). */
  readonly readsRateLimits?: boolean;
}

/** Access of the functions that are not queue consumers (consumers are configured per provider). */
export const FUNCTION_ACCESS = {
  // Intake claims the idempotency record (conditional write) and queues the renewal.
  intake: { table: 'readWrite', sendsToProviderQueues: true, secrets: ['RENEWALS_WEBHOOK_SECRETS'] },
  // Status only reads renewals, their history and the inbox; operator tokens read too.
  status: { table: 'read', sendsToProviderQueues: false, secrets: ['RENEWALS_READ_TOKENS', 'RENEWALS_OPERATOR_TOKENS'] },
  // Schedules writes schedules (PUT, DELETE: signed like intake) and reads them (GET: read token);
  // it queues nothing, the scheduler does when a schedule falls due.
  schedules: {
    table: 'readWrite',
    sendsToProviderQueues: false,
    secrets: ['RENEWALS_WEBHOOK_SECRETS', 'RENEWALS_READ_TOKENS', 'RENEWALS_OPERATOR_TOKENS'],
  },
  // Operator actions write renewals and periods and queue retried renewals; provider routes read
  // queue depths, look at dead letters and redrive them. The only function that moves messages.
  operator: {
    table: 'readWrite',
    sendsToProviderQueues: true,
    secrets: ['RENEWALS_READ_TOKENS', 'RENEWALS_OPERATOR_TOKENS'],
    operatesDeadLetters: true,
    readsRateLimits: true,
  },
  // The scheduler finds due schedules on the due index, records each run in the table and queues
  // the renewal to its provider, like intake; no caller reaches it, so it checks no secret.
  scheduler: { table: 'readWrite', sendsToProviderQueues: true, secrets: [] },
  // The events function appends to the event log (in the table) and puts events on the bus
  // (EventPublishing grants that); it reads the table's stream through its event source mapping.
  events: { table: 'readWrite', sendsToProviderQueues: false, secrets: [] },
  // The sweeper reads the sweep index and renewals, queues stuck ones again (and reads each
  // provider queue's depth, which the send grant includes), and marks them; no caller reaches it.
  sweeper: { table: 'readWrite', sendsToProviderQueues: true, secrets: [] },
  // Push delivery reads endpoints (and their secrets), records attempts and dead letters, keeps each
  // endpoint's rate limit, appends endpoint.disabled to the event log; DeliveryQueue grants its queue.
  delivery: { table: 'readWrite', sendsToProviderQueues: false, secrets: [] },
} as const satisfies Record<Exclude<FunctionId, `consumer-${string}`>, FunctionAccess>;

export interface ProviderSettings {
  /** Environment variable the consumer reads the base URL from (docs/architecture.md#configuration-names). */
  readonly baseUrlEnv: string;
  /** Production base URL; a stage may point elsewhere with `-c <provider>BaseUrl=...`. */
  readonly defaultBaseUrl: string;
  /** Credentials the consumer reads; all consumers also read and write the table. */
  readonly secrets: readonly SecretName[];
}

/** Non-secret provider settings a stage may set, as `-c <camelCaseName>=value` (e.g. `-c pelcroRateLimit=60/60s`). */
export const providerSettingNames = (provider: EnabledProvider): readonly string[] => {
  const names = PROVIDER_CONFIG[provider];
  return [...names.settingEnvs, names.rateLimitEnv];
};

/** `DIGITALRIVER_AUTH_HEADER` → `digitalriverAuthHeader`: the context key of a setting. */
export const contextKeyOf = (envName: string): string =>
  envName.toLowerCase().replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase());

/** From the shared description, so the consumer and the stack agree on every name. */
export const providerSettings = (provider: EnabledProvider): ProviderSettings => {
  const names = PROVIDER_CONFIG[provider];
  return { baseUrlEnv: names.baseUrlEnv, defaultBaseUrl: names.defaultBaseUrl, secrets: names.secretEnvs as readonly ProviderSecretName[] };
};

/** Function logs: long enough to investigate a monthly billing cycle, short enough to stay cheap. */
export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * Delivery of a scheduled function's run by its EventBridge rule (retry policy and DLQ:
 * docs/architecture.md#functions). A run that cannot be delivered within `maxEventAgeSeconds` is
 * dropped to the DLQ: a stale run does nothing the next one (a rate period later) does not do,
 * since due work stays in the due index until a run takes it.
 */
export const SCHEDULE_SETTINGS = {
  /** EventBridge delivery retries (function throttled or unreachable), before the DLQ. */
  retryAttempts: 2,
  maxEventAgeSeconds: 60 * 60,
  /** Failed runs stay 14 days (the SQS maximum), long enough to be looked at after a weekend. */
  deadLetterRetentionDays: 14,
} as const;

export const ALARM_SETTINGS = {
  /**
   * A provider queue whose oldest message is older than this is not keeping up (provider down,
   * consumer failing or throttled). Deliberately deferred messages are re-sent as new messages,
   * so they do not age past this on their own.
   */
  oldestMessageAgeSeconds: 15 * 60,
} as const;

/**
 * HTTP API stage throttling defaults (`-c apiRateLimit=`, `-c apiBurstLimit=`), sized for webhook
 * bursts: an upstream that sends its month's renewals at once (5,000 requests in a second) is taken
 * whole by the burst bucket, and 1,000 a second sustained keeps the intake within its reserved
 * concurrency (INTAKE_RESERVED_CONCURRENCY: 1,000 rps × ~0.1 s ≈ 100 in flight). Still a ceiling:
 * the account's own limit is 10,000 rps, burst 5,000, shared by all its APIs.
 */
export const API_THROTTLE_DEFAULTS = { rateLimit: 1000, burstLimit: 5000 } as const;

/**
 * Concurrent executions reserved for (and capping) the intake function, `-c intakeReservedConcurrency=N`:
 * a webhook burst can use at most this much of the account's 1,000, so the consumers, the
 * scheduler and the sweeper always find room; requests beyond it are throttled (429, the upstream
 * retries) rather than starving the renewals already accepted. 0 turns the reservation off.
 */
export const INTAKE_RESERVED_CONCURRENCY = 200;

/**
 * X-Ray tracing of the functions, `-c tracing=active|off` (default off). Active tracing costs $5 per
 * million traces recorded beyond the free tier (sampling: the first request each second, then 5 %),
 * up to 1.1 traces per renewal: at low volume nearly every renewal is traced, which more than
 * doubles the cost of a renewal (README#cost). Logs carry the request ids to follow a renewal.
 */
export const TRACING_MODES = ['off', 'active'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];
export const DEFAULT_TRACING: TracingMode = 'off';

/** The table stream's event source mapping (infra/constructs/event-publishing.ts). */
export const EVENT_SETTINGS = {
  /**
   * Retries of a failing batch, bisected. Images that cannot be events are skipped by the function,
   * so what fails is the log or the bus being unavailable: retry until the record is as old as the
   * stream keeps records, then the batch's description goes to the failure queue (alarmed).
   */
  retryAttempts: 10_000,
  maxRecordAgeHours: 24,
  failureRetentionDays: 14,
  /** Share of finished renewals that failed (5 min) above which the failure-rate alarm fires. */
  failureRateThreshold: 0.2,
} as const;

/**
 * A tuning variable a stage may set with `-c <contextKeyOf(env)>=value` (`-c retryBaseDelayMs=60000`).
 * The value reaches only the functions that read it, and is checked at synth by the functions' own
 * reading of their environment (`check`), so `cdk synth` refuses what a cold start would refuse.
 * Unset, nothing is set: the function's documented default applies (README#deploying-to-aws).
 */
export interface TuningSetting {
  /** The variable's name (locally and in docs/architecture.md#configuration-names); the context key derives from it. */
  readonly env: string;
  /** The variable set on the functions when it is not `env`: `LOG_LEVEL` is Powertools' `POWERTOOLS_LOG_LEVEL`. */
  readonly functionEnv?: string;
  /** The functions that read it; no other function gets it. */
  readonly readBy: (fn: FunctionDescription) => boolean;
  /** How the value is written to the function's environment (trimmed unless said otherwise). */
  readonly normalize?: (value: string) => string;
  /** The function's own reading of its environment: throws on a value it would refuse. */
  readonly check: (env: Env, fn: FunctionDescription) => unknown;
}

const isConsumer = (fn: FunctionDescription): boolean => fn.consumes !== undefined;

/** What a consumer reads of its tuning, with the rate limit it will have (shared/consumer/config.ts does the same). */
const checkConsumer = (env: Env, fn: FunctionDescription): unknown => {
  const provider = fn.provider;
  if (!provider) throw new Error(`consumer ${fn.id} names no provider in shared/system.ts`);
  const rate = rateLimitSetting(PROVIDER_CONFIG[provider], env);
  return consumerTuning(env, { provider, functionTimeoutMs: fn.timeoutSeconds * 1000, rateLimited: !!rate && rate !== 'off' });
};

/** Functions that read secrets (createSecretReader): the consumers, and those FUNCTION_ACCESS gives a secret. */
const readsSecrets = (fn: FunctionDescription): boolean =>
  isConsumer(fn) || (Object.hasOwn(FUNCTION_ACCESS, fn.id) && FUNCTION_ACCESS[fn.id as keyof typeof FUNCTION_ACCESS].secrets.length > 0);

/**
 * Every tuning variable a stage may set in AWS (README#deploying-to-aws lists their keys and
 * defaults). Who reads what: the consumers build their call timeout and retry policy in
 * shared/consumer/tuning.ts; the consumers of providers that pause on refused credentials, and the
 * status and operator functions (which show the pause), read AUTH_FAILURE_PAUSE_SECONDS; delivery
 * reads shared/delivery/tuning.ts; every function that reads a secret reads SECRETS_MAX_AGE_SECONDS;
 * every function logs through Powertools. `SWEEPER_STALE_AFTER_SECONDS` has its own key
 * (`sweeperStaleAfterSeconds`, infra/gateway-app.ts).
 */
export const TUNING_SETTINGS: readonly TuningSetting[] = [
  ...[CALL_TIMEOUT_ENV, MAX_ATTEMPTS_ENV, RETRY_BASE_DELAY_ENV, RETRY_MAX_DELAY_ENV].map(
    (env): TuningSetting => ({ env, readBy: isConsumer, check: checkConsumer }),
  ),
  {
    env: AUTH_FAILURE_PAUSE_ENV,
    readBy: (fn) => fn.id === 'status' || fn.id === 'operator' || (fn.provider !== undefined && PROVIDER_CONFIG[fn.provider].pauseOnAuthStatuses.length > 0),
    check: authFailurePauseMs,
  },
  ...[DELIVERY_TIMEOUT_ENV, DELIVERY_SLOW_CALL_ENV, DELIVERY_RATE_LIMIT_ENV, RETRY_SCHEDULE_ENV].map(
    (env): TuningSetting => ({ env, readBy: (fn) => fn.deliversEvents !== undefined, check: deliveryTuning }),
  ),
  { env: SECRETS_MAX_AGE_ENV, readBy: readsSecrets, check: secretsMaxAgeSeconds },
  {
    env: 'LOG_LEVEL',
    functionEnv: POWERTOOLS_LOG_LEVEL_ENV,
    readBy: () => true,
    normalize: (value) => value.trim().toUpperCase(),
    check: (env) => logLevelOf(env[POWERTOOLS_LOG_LEVEL_ENV] ?? 'INFO', POWERTOOLS_LOG_LEVEL_ENV),
  },
];

/**
 * The tuning environment of one function, from a stage's values (by variable name, as
 * `TUNING_SETTINGS` names them): only the variables it reads, checked by its own reading of them.
 * `context` is the rest of what the function is given that its reading depends on (a consumer's
 * provider rate limit). A refused value throws, naming the context key(s) to fix.
 */
export const tuningEnvironmentOf = (
  fn: FunctionDescription,
  values: Readonly<Record<string, string>>,
  context: Env = {},
): Record<string, string> => {
  for (const name of Object.keys(values)) {
    if (!TUNING_SETTINGS.some((s) => s.env === name)) throw new Error(`${name} is not a tuning variable (TUNING_SETTINGS, infra/settings.ts)`);
  }
  const read = TUNING_SETTINGS.filter((s) => s.readBy(fn));
  const set = read.filter((s) => values[s.env] !== undefined);
  const environment = Object.fromEntries(
    set.map((s) => [s.functionEnv ?? s.env, (s.normalize ?? ((v: string) => v.trim()))(values[s.env] ?? '')]),
  );
  for (const check of new Set(set.map((s) => s.check))) {
    try {
      check({ ...context, ...environment }, fn);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const checked = set.filter((s) => s.check === check);
      const named = checked.filter((s) => [s.env, s.functionEnv].some((n) => n !== undefined && new RegExp(`\\b${n}\\b`).test(message)));
      const keys = (named.length > 0 ? named : checked).map((s) => `-c ${contextKeyOf(s.env)}=${values[s.env] ?? ''}`);
      throw new Error(`${keys.join(', ')} refused (function ${fn.id}): ${message}`);
    }
  }
  return environment;
};
