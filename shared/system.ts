/**
 * The one description of the system: table, queues, functions and routes.
 *
 * Both the CDK stack (infra/) and the local stack (local/) are built from this object, so the
 * two cannot drift apart: a queue, an index or a route added here appears in both.
 * It holds no AWS or Node specifics beyond names and numbers.
 */

export const PROVIDERS = ['pressone', 'pelcro', 'punchh', 'digitalriver'] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Providers whose consumer (queue + DLQ + function) is deployed. Others are validated, not processed. */
export const ENABLED_PROVIDERS = ['pressone', 'pelcro', 'punchh', 'digitalriver'] as const satisfies readonly Provider[];
export type EnabledProvider = (typeof ENABLED_PROVIDERS)[number];


/**
 * Configuration names of each provider, read by its consumer and wired by CDK
 * (docs/architecture.md#configuration-names).
 */
export interface ProviderConfigNames {
  /** Environment variable holding the provider's base URL. */
  readonly baseUrlEnv: string;
  /** Production base URL (locally the sandbox's URL is used unless the variable is set). */
  readonly defaultBaseUrl: string;
  /** Credentials the consumer sends: secrets (Secrets Manager in AWS). */
  readonly secretEnvs: readonly string[];
  /** Other settings the provider module reads (optional variables). */
  readonly settingEnvs: readonly string[];
  /** Request rate the gateway keeps to, e.g. `120/60s`; none when the provider publishes none. */
  readonly rateLimitEnv: string;
  readonly defaultRateLimit?: string;
  /** Overrides the consumer's maximumConcurrency (concurrent batches, hence calls in flight). */
  readonly maxConcurrencyEnv: string;
  /**
   * Auth-class answers (by HTTP status) that concern the whole account, so one of them pauses the
   * provider's other renewals (Punchh: IP lockout after 10 failed logins). None for Pelcro, whose
   * SDK refusals concern one customer's token; only 401 for Digital River, whose 403 can concern
   * one subscription.
   */
  readonly pauseOnAuthStatuses: readonly number[];
}

export const PROVIDER_CONFIG = {
  pressone: {
    baseUrlEnv: 'PRESSONE_BASE_URL',
    defaultBaseUrl: 'https://api.pressone.co',
    secretEnvs: ['PRESSONE_API_KEY'],
    settingEnvs: [],
    rateLimitEnv: 'PRESSONE_RATE_LIMIT',
    maxConcurrencyEnv: 'PRESSONE_MAX_CONCURRENCY',
    pauseOnAuthStatuses: [401, 403],
  },
  pelcro: {
    baseUrlEnv: 'PELCRO_BASE_URL',
    defaultBaseUrl: 'https://www.pelcro.com',
    secretEnvs: ['PELCRO_API_KEY'],
    settingEnvs: [],
    rateLimitEnv: 'PELCRO_RATE_LIMIT',
    maxConcurrencyEnv: 'PELCRO_MAX_CONCURRENCY',
    // "120 calls per minute per account, all endpoints" (PROVIDERS.md).
    defaultRateLimit: '120/60s',
    pauseOnAuthStatuses: [],
  },
  punchh: {
    baseUrlEnv: 'PUNCHH_BASE_URL',
    // Punchh issues a host per brand; deployments set theirs (-c punchhBaseUrl=…).
    defaultBaseUrl: 'https://sandbox.punchh.com',
    secretEnvs: ['PUNCHH_ADMIN_KEY'],
    settingEnvs: [],
    rateLimitEnv: 'PUNCHH_RATE_LIMIT',
    maxConcurrencyEnv: 'PUNCHH_MAX_CONCURRENCY',
    // 401 bad key, 403 the IP lockout itself, 422 disabled_feature (brand configuration).
    pauseOnAuthStatuses: [401, 403, 422],
  },
  digitalriver: {
    baseUrlEnv: 'DIGITALRIVER_BASE_URL',
    defaultBaseUrl: 'https://api.digitalriver.com',
    secretEnvs: ['DIGITALRIVER_API_KEY', 'DIGITALRIVER_API_SECRET'],
    // Which header carries `Basic base64(key:secret)`: `authorization` (default) or `token`.
    settingEnvs: ['DIGITALRIVER_AUTH_HEADER'],
    rateLimitEnv: 'DIGITALRIVER_RATE_LIMIT',
    maxConcurrencyEnv: 'DIGITALRIVER_MAX_CONCURRENCY',
    // 100 requests/s per key in production (10/s in evaluation: set DIGITALRIVER_RATE_LIMIT=10/1s).
    defaultRateLimit: '100/1s',
    pauseOnAuthStatuses: [401],
  },
} as const satisfies Record<Provider, ProviderConfigNames>;

export interface TableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableDescription {
  /** Logical id; the physical name is generated per stage in AWS and prefixed locally. */
  readonly id: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly indexes: readonly TableIndex[];
  /** Number attribute (epoch seconds) after which DynamoDB deletes an item; only short-lived items carry it. */
  readonly timeToLiveAttribute?: string;
}

export interface QueueDescription {
  readonly id: string;
  readonly provider: EnabledProvider;
  /** Environment variable through which functions receive this queue's URL. */
  readonly urlEnv: string;
  /** Receives before a message moves to the DLQ (at least 5: docs/architecture.md#queues). */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
}

export type FunctionId = 'intake' | 'status' | 'schedules' | 'scheduler' | `consumer-${EnabledProvider}`;

export interface FunctionDescription {
  readonly id: FunctionId;
  /** Path of the handler module from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** For consumers: the queue it reads, with event source mapping settings. */
  /** For the scheduler: run on an EventBridge rule at this rate. */
  readonly runsEvery?: { readonly seconds: number };
  readonly consumes?: {
    readonly queueId: string;
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    /** Event source mapping maximumConcurrency (AWS minimum is 2). */
    readonly maximumConcurrency: number;
  };
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Scheduled renewals: how the due index is sharded and how often the scheduler looks. */
export interface SchedulerDescription {
  /** The sparse index holding only active schedules, keyed by shard and next run time. */
  readonly dueIndex: string;
  /** Shards of the due index: one Query per shard finds what is due, however many schedules exist. */
  readonly shards: number;
}

export interface RouteDescription {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/renewals/{id}`. */
  readonly path: string;
  readonly functionId: FunctionId;
  readonly auth: 'webhook-signature' | 'read-token';
}

/** Visibility timeout: at least 6x the consumer's timeout (AWS guidance, docs/architecture.md#queues). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

const CONSUMER_TIMEOUT_SECONDS = 30;

export const system = {
  table: {
    id: 'Renewals',
    partitionKey: 'pk',
    sortKey: 'sk',
    indexes: [
      { name: 'bySubscription', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
      // Sparse: only active schedules carry gsi2pk/gsi2sk (DUE#<shard>, <nextRunAt>#<schedule>).
      { name: 'due', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    ],
    // Webhook-id bindings only (shared/adapters/webhook-bindings.ts): renewals and schedules never expire.
    timeToLiveAttribute: 'expiresAt',
  } satisfies TableDescription,

  queues: [
    { id: 'PressOne', provider: 'pressone', urlEnv: 'PRESSONE_QUEUE_URL', maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 },
    { id: 'Pelcro', provider: 'pelcro', urlEnv: 'PELCRO_QUEUE_URL', maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 },
    { id: 'Punchh', provider: 'punchh', urlEnv: 'PUNCHH_QUEUE_URL', maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 },
    { id: 'DigitalRiver', provider: 'digitalriver', urlEnv: 'DIGITALRIVER_QUEUE_URL', maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 },
  ] satisfies readonly QueueDescription[],

  functions: [
    { id: 'intake', entry: 'functions/intake/handler.ts', timeoutSeconds: 10, memoryMb: 512 },
    { id: 'status', entry: 'functions/status/handler.ts', timeoutSeconds: 10, memoryMb: 256 },
    { id: 'schedules', entry: 'functions/schedules/handler.ts', timeoutSeconds: 10, memoryMb: 256 },
    // Stops taking new work well before its timeout; what is left is still due for the next run.
    { id: 'scheduler', entry: 'functions/scheduler/handler.ts', timeoutSeconds: 300, memoryMb: 512, runsEvery: { seconds: 60 } },
    // maximumConcurrency caps concurrent calls per provider (AWS minimum 2); the request rate is
    // the rate limiter's job (PROVIDER_CONFIG rateLimitEnv), which concurrency alone cannot bound.
    {
      id: 'consumer-pressone',
      entry: 'functions/consumer-pressone/handler.ts',
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      memoryMb: 256,
      consumes: { queueId: 'PressOne', batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: 5 },
    },
    {
      id: 'consumer-pelcro',
      entry: 'functions/consumer-pelcro/handler.ts',
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      memoryMb: 256,
      consumes: { queueId: 'Pelcro', batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: 3 },
    },
    {
      // Punchh locks an IP out after 10 failed logins in 10 minutes: few workers at once.
      id: 'consumer-punchh',
      entry: 'functions/consumer-punchh/handler.ts',
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      memoryMb: 256,
      consumes: { queueId: 'Punchh', batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: 2 },
    },
    {
      id: 'consumer-digitalriver',
      entry: 'functions/consumer-digitalriver/handler.ts',
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      memoryMb: 256,
      consumes: { queueId: 'DigitalRiver', batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: 5 },
    },
  ] satisfies readonly FunctionDescription[],

  routes: [
    { method: 'POST', path: '/v1/renewals', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/pressone/renew-number', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/pelcro/subscription/renew', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/pelcro/core/subscriptions/renew', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/punchh/subscriptions/renew', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-type', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-product', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-quantity', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'POST', path: '/v1/providers/digitalriver/subscriptions/{subId}/renewal-price', functionId: 'intake', auth: 'webhook-signature' },
    { method: 'GET', path: '/v1/renewals/{id}', functionId: 'status', auth: 'read-token' },
    {
      method: 'GET',
      path: '/v1/subscriptions/{provider}/{subscriptionRef}/renewals',
      functionId: 'status',
      auth: 'read-token',
    },
    { method: 'PUT', path: '/v1/subscriptions/{provider}/{subscriptionRef}/schedule', functionId: 'schedules', auth: 'webhook-signature' },
    { method: 'GET', path: '/v1/subscriptions/{provider}/{subscriptionRef}/schedule', functionId: 'schedules', auth: 'read-token' },
    { method: 'DELETE', path: '/v1/subscriptions/{provider}/{subscriptionRef}/schedule', functionId: 'schedules', auth: 'webhook-signature' },
  ] satisfies readonly RouteDescription[],

  scheduler: { dueIndex: 'due', shards: 16 } satisfies SchedulerDescription,
} as const;

export type SystemDescription = typeof system;

export const queueFor = (provider: EnabledProvider): QueueDescription => {
  const queue = system.queues.find((q) => q.provider === provider);
  if (!queue) throw new Error(`no queue described for provider ${provider}`);
  return queue;
};

export const functionDescription = (id: FunctionId): FunctionDescription => {
  const fn = (system.functions as readonly FunctionDescription[]).find((f) => f.id === id);
  if (!fn) throw new Error(`no function described with id ${id}`);
  return fn;
};

export const visibilityTimeoutFor = (fn: FunctionDescription): number =>
  fn.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;

/** The route key API Gateway (HTTP API, payload 2.0) puts in `event.routeKey`. */
export const routeKey = (r: Pick<RouteDescription, 'method' | 'path'>): string => `${r.method} ${r.path}`;
