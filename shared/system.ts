/**
 * The one description of the system: table, queues, functions and routes.
 *
 * Both the CDK stack (infra/) and the local stack (local/) are built from this object, so the
 * two cannot drift apart: a queue, an index or a route added here appears in both.
 * It holds no AWS or Node specifics beyond names and numbers. Everything per provider (its queue,
 * consumer, native routes and configuration names) is derived from the provider registry
 * (shared/providers/registry.ts), never listed here.
 *
 * Lambda bundles carry this module too, so each derived part is its own constant built by a
 * `@__PURE__` call: a function's bundle keeps the parts its code uses (a queue URL name, the
 * scheduler's shards) and the bundler drops the rest (routes, other functions).
 */

import type { SecretDeclaration } from './providers/declaration';
import { REGISTRY, type RegisteredProvider } from './providers/registry';

/** Every provider of the registry (shared/providers/registry.ts), in its order. */
export type Provider = RegisteredProvider['id'];
const idsOf = (registry: typeof REGISTRY): readonly [Provider, ...Provider[]] => [registry[0].id, ...registry.slice(1).map((p) => p.id)];
export const PROVIDERS = /* @__PURE__ */ idsOf(REGISTRY);

/** Providers whose consumer (queue + DLQ + function) is deployed: every registered one. */
export const ENABLED_PROVIDERS = PROVIDERS;
export type EnabledProvider = Provider;

/** The declaration of a provider (its folder's index.ts). */
export type DeclarationOf<P extends Provider> = Extract<RegisteredProvider, { readonly id: P }>;
export const declarationOf = <P extends Provider>(provider: P): DeclarationOf<P> => {
  const found = REGISTRY.find((p): p is DeclarationOf<P> => p.id === provider);
  if (!found) throw new Error(`provider ${provider} is not in the registry (shared/providers/registry.ts)`);
  return found;
};

/**
 * Configuration names of each provider, read by its consumer and wired by CDK
 * (docs/architecture.md#configuration-names), from its declaration.
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
  /** Auth-class answers (by HTTP status) that concern the whole account and pause the provider. */
  readonly pauseOnAuthStatuses: readonly number[];
}

export const PROVIDER_CONFIG = /* @__PURE__ */ Object.fromEntries(
  REGISTRY.map(({ id, config }): [Provider, ProviderConfigNames] => [
    id,
    {
      baseUrlEnv: config.baseUrlEnv,
      defaultBaseUrl: config.defaultBaseUrl,
      secretEnvs: Object.keys(config.secrets),
      settingEnvs: Object.keys(config.settings),
      rateLimitEnv: config.rateLimitEnv,
      ...('defaultRateLimit' in config ? { defaultRateLimit: config.defaultRateLimit } : {}),
      maxConcurrencyEnv: config.maxConcurrencyEnv,
      pauseOnAuthStatuses: config.pauseOnAuthStatuses,
    },
  ]),
) as Readonly<Record<Provider, ProviderConfigNames>>;

/** A secret a provider's consumer sends, by name: `PUNCHH_ADMIN_KEY`… */
export type ProviderSecretName = { [P in RegisteredProvider as P['id']]: keyof P['config']['secrets'] & string }[Provider];

/** Every provider secret with its description and local default, in registry order. */
export const PROVIDER_SECRETS: ReadonlyArray<readonly [ProviderSecretName, SecretDeclaration, Provider]> = /* @__PURE__ */ REGISTRY.flatMap((p) =>
  Object.entries(p.config.secrets as Readonly<Record<ProviderSecretName, SecretDeclaration>>).map(
    ([name, secret]) => [name as ProviderSecretName, secret, p.id] as const,
  ),
);

/** `Digital River` → `DigitalRiver`: the queue's id (CDK logical ids, outputs). */
const queueIdOf = (p: RegisteredProvider): string => p.name.replace(/[^A-Za-z0-9]/g, '');

export interface TableIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /**
   * What the index copies besides its keys (docs/architecture.md#indexes): only what its queries
   * read, since every write that changes a projected attribute writes the index too.
   * Default: keys only.
   */
  readonly projection?: { readonly type: 'KEYS_ONLY' } | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] } | { readonly type: 'ALL' };
}

export interface TableDescription {
  /** Logical id; the physical name is generated per stage in AWS and prefixed locally. */
  readonly id: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly indexes: readonly TableIndex[];
  /** Number attribute (epoch seconds) after which DynamoDB deletes an item; only short-lived items carry it. */
  readonly timeToLiveAttribute?: string;
  /** The table's change stream: the outbox of events (docs/architecture.md#events-the-table-stream-is-the-outbox). */
  readonly stream?: 'NEW_AND_OLD_IMAGES';
}

export interface QueueDescription {
  readonly id: string;
  readonly provider: EnabledProvider;
  /** Environment variable through which functions receive this queue's URL. */
  readonly urlEnv: string;
  /** Environment variables through which the operator function receives the DLQ's URL and ARN, and the queue's ARN. */
  readonly dlqUrlEnv: string;
  readonly dlqArnEnv: string;
  readonly arnEnv: string;
  /** Receives before a message moves to the DLQ (at least 5: docs/architecture.md#queues). */
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
}

export type FunctionId = 'intake' | 'status' | 'schedules' | 'scheduler' | 'sweeper' | 'events' | 'operator' | 'delivery' | `consumer-${EnabledProvider}`;

export interface FunctionDescription {
  readonly id: FunctionId;
  /** Path of the handler module from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** For consumers: the provider it calls (compiled into its bundle, see CONSUMER_PROVIDER). */
  readonly provider?: EnabledProvider;
  /**
   * Files of the repository copied beside the bundle (read at run time from `LAMBDA_TASK_ROOT`,
   * never parsed at cold start): the status function's `openapi.json`.
   */
  readonly files?: readonly string[];
  /** For the scheduler: run on an EventBridge rule at this rate. */
  readonly runsEvery?: { readonly seconds: number };
  /** For consumers: the queue it reads, with event source mapping settings. */
  readonly consumes?: {
    readonly queueId: string;
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    /** Event source mapping maximumConcurrency (AWS minimum is 2). */
    readonly maximumConcurrency: number;
  };
  /** For the events function: the table's stream, with event source mapping settings. */
  readonly readsTableStream?: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    /** Only items with one of these sort keys reach the function (the mapping's filter criteria). */
    readonly sortKeys: readonly string[];
  };
  /** For the delivery function: the delivery queue (DELIVERY_QUEUE), with event source mapping settings. */
  readonly deliversEvents?: {
    readonly batchSize: number;
    readonly maxBatchingWindowSeconds: number;
    readonly maximumConcurrency: number;
    /**
     * The slow lane's mapping (DELIVERY_SLOW_QUEUE, same batch settings): endpoints whose calls
     * took longer than DELIVERY_SLOW_CALL_MS are delivered there, holding at most this many invocations.
     */
    readonly slowMaximumConcurrency: number;
  };
}

/** The push delivery's queue (docs/architecture.md#push-delivery-to-endpoints): one message per (endpoint, event). */
export interface DeliveryQueueDescription {
  readonly id: string;
  /** Environment variable with its URL (events, operator and delivery functions). */
  readonly urlEnv: string;
  readonly maxReceiveCount: number;
  readonly retentionDays: number;
  readonly dlqRetentionDays: number;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Scheduled renewals: how the due index is sharded and how often the scheduler looks. */
export interface SchedulerDescription {
  /** The sparse index holding only active schedules, keyed by shard and next run time. */
  readonly dueIndex: string;
  /** Shards of the due index: one Query per shard finds what is due, however many schedules exist. */
  readonly shards: number;
  /** Shards worked at once: the scheduler queue's event source maximumConcurrency (AWS), the in-process pool (locally). */
  readonly workers: number;
  /** A shard's lease: longer than the scheduler's timeout, so the shard of a worker that died frees itself. */
  readonly leaseSeconds: number;
  /** Environment variable with the scheduler queue's URL (one message per shard to work); unset locally: worked in-process. */
  readonly queueUrlEnv: string;
}

export interface RouteDescription {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/renewals/{id}`. */
  readonly path: string;
  readonly functionId: FunctionId;
  /**
   * `read-token`: a read token or an operator token; `operator-token`: an operator token only
   * (a read token gets 403); `public`: no credential (the API description alone).
   */
  readonly auth: 'webhook-signature' | 'read-token' | 'operator-token' | 'public';
}

/** Visibility timeout: at least 6x the consumer's timeout (AWS guidance, docs/architecture.md#queues). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

const CONSUMER_TIMEOUT_SECONDS = 30;

/** Every provider's consumer is this one entry, parameterised by CONSUMER_PROVIDER. */
export const CONSUMER_ENTRY = 'functions/consumer/handler.ts';

/**
 * How a consumer bundle knows its provider: the entry reads `process.env.GATEWAY_PROVIDER`, which
 * the bundler replaces by the provider's id (esbuild `define`), so the entry's import of
 * `shared/providers/<id>/call.ts` names one folder and the bundle holds that provider alone.
 */
export const CONSUMER_PROVIDER = 'process.env.GATEWAY_PROVIDER';
export const consumerBundleDefine = (fn: FunctionDescription): Record<string, string> =>
  fn.provider ? { [CONSUMER_PROVIDER]: JSON.stringify(fn.provider) } : {};

export const TABLE = {
  id: 'Renewals',
  partitionKey: 'pk',
  sortKey: 'sk',
  // Keys only: each query reads the items it finds with one BatchGetItem, which costs less than
  // writing every claim and completion (or schedule advance) to the index as well.
  indexes: [
    { name: 'bySubscription', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { type: 'KEYS_ONLY' } },
    // Sparse: only active schedules carry gsi2pk/gsi2sk (DUE#<shard>, <nextRunAt>#<schedule>).
    { name: 'due', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: { type: 'KEYS_ONLY' } },
    // Sparse: only renewals not terminal carry gsi3pk/gsi3sk (SWEEP#<provider>#<n>, <since>#<id>).
    { name: 'sweep', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: { type: 'KEYS_ONLY' } },
    // Sparse: only renewals that are not finished or need a person carry gsi4pk (INBOX#<status>);
    // gsi4sk (<provider>#<createdAt>#<id>) is set once at creation. Keys only: a page of the inbox
    // reads its renewals with one consistent BatchGetItem (docs/architecture.md#indexes).
    { name: 'inbox', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projection: { type: 'KEYS_ONLY' } },
  ],
  // Webhook-id bindings (shared/adapters/webhook-bindings.ts) and the event log
  // (shared/adapters/event-log.ts) only: renewals and schedules never expire.
  timeToLiveAttribute: 'expiresAt',
  // Every status write appears on the stream, which the events function turns into events.
  stream: 'NEW_AND_OLD_IMAGES',
} as const satisfies TableDescription;

/**
 * One work queue (and its DLQ) per provider. Both keep messages 14 days, the SQS maximum: a
 * rate-limited provider's backlog on the first of the month may wait days (Pelcro at 120 a minute
 * needs 56 h for 400,000), and what SQS deletes unseen never reaches the DLQ; the sweeper queues
 * again anything that stopped moving all the same (docs/architecture.md#nothing-accepted-is-lost).
 */
const queuesOf = (registry: typeof REGISTRY): readonly QueueDescription[] =>
  registry.map((p) => ({
    id: queueIdOf(p),
    provider: p.id,
    urlEnv: `${p.id.toUpperCase()}_QUEUE_URL`,
    dlqUrlEnv: `${p.id.toUpperCase()}_DLQ_URL`,
    dlqArnEnv: `${p.id.toUpperCase()}_DLQ_ARN`,
    arnEnv: `${p.id.toUpperCase()}_QUEUE_ARN`,
    maxReceiveCount: 5,
    retentionDays: 14,
    dlqRetentionDays: 14,
  }));
export const QUEUES = /* @__PURE__ */ queuesOf(REGISTRY);

const functionsOf = (registry: typeof REGISTRY): readonly FunctionDescription[] => [
  { id: 'intake', entry: 'functions/intake/handler.ts', timeoutSeconds: 10, memoryMb: 512 },
  { id: 'status', entry: 'functions/status/handler.ts', timeoutSeconds: 10, memoryMb: 256, files: ['openapi.json'] },
  { id: 'schedules', entry: 'functions/schedules/handler.ts', timeoutSeconds: 10, memoryMb: 256 },
  // Operator actions, provider health and dead letters: the only function that may move messages.
  // A bulk retry stops taking work well before this timeout and says where to resume.
  { id: 'operator', entry: 'functions/operator/handler.ts', timeoutSeconds: 30, memoryMb: 256 },
  // The rule's tick dispatches shards; the scheduler queue's invocations work one shard each, and
  // stop taking new work well before the timeout (the shard is handed on; what is left stays due).
  { id: 'scheduler', entry: 'functions/scheduler/handler.ts', timeoutSeconds: 300, memoryMb: 1024, runsEvery: { seconds: 60 } },
  // Queues again the renewals that stopped moving (SWEEPER_STALE_AFTER_SECONDS, default 900).
  { id: 'sweeper', entry: 'functions/sweeper/handler.ts', timeoutSeconds: 300, memoryMb: 256, runsEvery: { seconds: 300 } },
  // One consumer per provider, all from one entry (the provider is compiled into each bundle,
  // see CONSUMER_PROVIDER). maximumConcurrency caps concurrent calls per provider (AWS minimum
  // 2); the request rate is the rate limiter's job (rateLimitEnv), which concurrency cannot bound.
  ...registry.map(
    (p): FunctionDescription => ({
      id: `consumer-${p.id}`,
      entry: CONSUMER_ENTRY,
      provider: p.id,
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      memoryMb: 256,
      consumes: { queueId: queueIdOf(p), batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: p.config.maxConcurrency },
    }),
  ),
  // The table stream's consumer: renewal status changes → event log + event bus.
  { id: 'events', entry: 'functions/events/handler.ts', timeoutSeconds: 60, memoryMb: 256, readsTableStream: { batchSize: 100, maxBatchingWindowSeconds: 1, sortKeys: ['RENEWAL'] } },
  // Push delivery: one message per (endpoint, event); a batch's endpoints are worked at once, each
  // call under DELIVERY_TIMEOUT_MS (10 s), so a slow endpoint cannot hold another's deliveries. The
  // timeout leaves room for one endpoint's 10 messages in a row (functions/delivery/app.ts). An
  // endpoint that answers slowly (over DELIVERY_SLOW_CALL_MS) is moved to the slow lane for 10
  // minutes, whose own mapping holds at most 2 invocations, so it cannot fill the main lane's 10.
  {
    id: 'delivery',
    entry: 'functions/delivery/handler.ts',
    timeoutSeconds: 120,
    memoryMb: 256,
    deliversEvents: { batchSize: 10, maxBatchingWindowSeconds: 1, maximumConcurrency: 10, slowMaximumConcurrency: 2 },
  },
];
export const FUNCTIONS = /* @__PURE__ */ functionsOf(REGISTRY);

const routesOf = (registry: typeof REGISTRY): readonly RouteDescription[] => [
  { method: 'POST', path: '/v1/renewals', functionId: 'intake', auth: 'webhook-signature' },
  // Each provider's native routes, served by intake.
  ...registry.flatMap((p) => p.routes.map((r): RouteDescription => ({ method: r.method, path: r.path, functionId: 'intake', auth: 'webhook-signature' }))),
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
  { method: 'GET', path: '/v1/events', functionId: 'status', auth: 'read-token' },
  // The API description (openapi.json, `npm run openapi`), for anyone: it holds no secret.
  { method: 'GET', path: '/openapi.json', functionId: 'status', auth: 'public' },
  // Operators (README "Operating it"): the inbox, actions with an audit trail, providers, dead letters.
  { method: 'GET', path: '/v1/renewals', functionId: 'status', auth: 'read-token' },
  { method: 'POST', path: '/v1/renewals/retry', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/renewals/{id}/retry', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/renewals/{id}/resolve', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/renewals/{id}/cancel', functionId: 'operator', auth: 'operator-token' },
  { method: 'GET', path: '/v1/providers', functionId: 'operator', auth: 'read-token' },
  { method: 'POST', path: '/v1/providers/{provider}/resume', functionId: 'operator', auth: 'operator-token' },
  { method: 'GET', path: '/v1/providers/{provider}/dead-letters', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/providers/{provider}/dead-letters/redrive', functionId: 'operator', auth: 'operator-token' },
  // Push delivery of events (README "Pushing events to endpoints"): operators only, since they hold secrets.
  { method: 'POST', path: '/v1/event-endpoints', functionId: 'operator', auth: 'operator-token' },
  { method: 'GET', path: '/v1/event-endpoints', functionId: 'operator', auth: 'operator-token' },
  { method: 'GET', path: '/v1/event-endpoints/{id}', functionId: 'operator', auth: 'operator-token' },
  { method: 'DELETE', path: '/v1/event-endpoints/{id}', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/event-endpoints/{id}/rotate-secret', functionId: 'operator', auth: 'operator-token' },
  { method: 'GET', path: '/v1/event-endpoints/{id}/deliveries', functionId: 'operator', auth: 'operator-token' },
  { method: 'POST', path: '/v1/event-endpoints/{id}/replay', functionId: 'operator', auth: 'operator-token' },
];
export const ROUTES = /* @__PURE__ */ routesOf(REGISTRY);

/** Messages stay 14 days (the SQS maximum): the retry schedule spans 27.6 h, a hop at most 15 min. */
export const DELIVERY_QUEUE = { id: 'EventDelivery', urlEnv: 'DELIVERY_QUEUE_URL', maxReceiveCount: 5, retentionDays: 14, dlqRetentionDays: 14 } as const satisfies DeliveryQueueDescription;
/**
 * The push delivery's slow lane: messages for endpoints that answered slowly lately (slowUntil on
 * the endpoint). Sent to by the events function (fan-out) and the delivery function (forwards,
 * retries); consumed by the delivery function with `deliversEvents.slowMaximumConcurrency`.
 */
export const DELIVERY_SLOW_QUEUE = { id: 'EventDeliverySlow', urlEnv: 'DELIVERY_SLOW_QUEUE_URL', maxReceiveCount: 5, retentionDays: 14, dlqRetentionDays: 14 } as const satisfies DeliveryQueueDescription;

/** Environment variable through which the events function receives its EventBridge bus name. */
export const EVENT_BUS_NAME_ENV = 'EVENT_BUS_NAME';
/** CloudWatch namespace of the outcome metrics (functions/events/metrics.ts). */
export const METRICS_NAMESPACE = 'RenewalGateway';

/** The lease outlives the scheduler's 300 s timeout by 30 s. */
export const SCHEDULER = { dueIndex: 'due', shards: 16, workers: 16, leaseSeconds: 330, queueUrlEnv: 'SCHEDULER_QUEUE_URL' } as const satisfies SchedulerDescription;

/** The whole description, as the CDK stack and the local stack loop over it. */
export const system = { table: TABLE, queues: QUEUES, functions: FUNCTIONS, routes: ROUTES, scheduler: SCHEDULER, deliveryQueue: DELIVERY_QUEUE, slowDeliveryQueue: DELIVERY_SLOW_QUEUE } as const;

export type SystemDescription = typeof system;

export const queueFor = (provider: EnabledProvider): QueueDescription => {
  const queue = QUEUES.find((q) => q.provider === provider);
  if (!queue) throw new Error(`no queue described for provider ${provider}`);
  return queue;
};

export const functionDescription = (id: FunctionId): FunctionDescription => {
  const fn = FUNCTIONS.find((f) => f.id === id);
  if (!fn) throw new Error(`no function described with id ${id}`);
  return fn;
};

export const visibilityTimeoutFor = (fn: FunctionDescription): number =>
  fn.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;

/** The route key API Gateway (HTTP API, payload 2.0) puts in `event.routeKey`. */
export const routeKey = (r: Pick<RouteDescription, 'method' | 'path'>): string => `${r.method} ${r.path}`;
