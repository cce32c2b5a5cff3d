import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  system,
  visibilityTimeoutFor,
  type EnabledProvider,
  type FunctionDescription,
  type FunctionId,
  type QueueDescription,
  type RouteDescription,
} from '../shared/system';
import { ConfigSecrets } from './constructs/config-secrets';
import { EventDelivery } from './constructs/event-delivery';
import { EventPublishing } from './constructs/event-publishing';
import { FunctionSchedule } from './constructs/function-schedule';
import { GatewayAlarms } from './constructs/gateway-alarms';
import { GatewayDashboard } from './constructs/gateway-dashboard';
import { GatewayFunction } from './constructs/gateway-function';
import { GatewayHttpApi, type GatewayRoute, type GatewayThrottle } from './constructs/gateway-http-api';
import { ProviderConsumer } from './constructs/provider-consumer';
import { ProviderQueue } from './constructs/provider-queue';
import { RenewalTable } from './constructs/renewal-table';
import { SchedulerQueue } from './constructs/scheduler-queue';
import { STALE_AFTER_ENV } from '../shared/sweeper/sweep';
import { pascal } from './naming';
import { FUNCTION_ACCESS, INTAKE_RESERVED_CONCURRENCY, providerSettingNames, providerSettings, tuningEnvironmentOf } from './settings';

export interface RenewalGatewayStackProps extends StackProps {
  /** Stage name (`dev`, `staging`, `prod`...). Several stages may share an account. */
  readonly stage: string;
  /**
   * Provider base URLs replacing the production defaults of `providerSettings()`, e.g. a
   * provider's sandbox for a test stage. Must be https.
   * @default the production URLs
   */
  readonly providerBaseUrls?: Partial<Record<EnabledProvider, string>>;
  /**
   * Non-secret provider settings by configuration name (e.g. `DIGITALRIVER_AUTH_HEADER`,
   * `PELCRO_RATE_LIMIT`); each reaches its provider's consumer only. Unset: the documented defaults.
   */
  readonly providerEnvironment?: Readonly<Record<string, string>>;
  /** Per-provider consumer concurrency replacing the description's. */
  readonly providerConcurrency?: Partial<Record<EnabledProvider, number>>;
  /**
   * Rate, in whole minutes, of a function that runs on a schedule (`runsEvery` in the
   * description), replacing the described rate; e.g. `{ scheduler: 5 }` for a quiet test stage.
   */
  readonly scheduleRateMinutes?: Partial<Record<FunctionId, number>>;
  /** @default API_THROTTLE_DEFAULTS */
  readonly apiThrottle?: GatewayThrottle;
  /**
   * Seconds a renewal may stay without moving (beyond its provider queue's backlog) before the
   * sweeper queues it again (`SWEEPER_STALE_AFTER_SECONDS`).
   * @default DEFAULT_STALE_AFTER_SECONDS (900), applied by the function
   */
  readonly sweeperStaleAfterSeconds?: number;
  /**
   * Write units a second the table and its indexes serve at once (DynamoDB warm throughput), for
   * the month-start fan-out: 4,000–40,000. Unset: DynamoDB's own (4,000 for a new table).
   */
  readonly tableWarmWritesPerSecond?: number;
  /**
   * Tuning variables by name (`RETRY_BASE_DELAY_MS`, `LOG_LEVEL`… : TUNING_SETTINGS in
   * infra/settings.ts), each given to the functions that read it, checked by their own reading.
   * @default none: the functions' defaults apply
   */
  readonly tuning?: Readonly<Record<string, string>>;
  /**
   * Concurrency reserved for (and capping) the intake function; 0: none.
   * @default INTAKE_RESERVED_CONCURRENCY (200)
   */
  readonly intakeReservedConcurrency?: number;
  /**
   * Keep stateful resources (table, secrets, logs) when the stack is deleted, and protect the
   * table against deletion. Turn off only for throwaway stages.
   * @default true
   */
  readonly retainData?: boolean;
}

type AccessFunctionId = keyof typeof FUNCTION_ACCESS;
const hasAccessSettings = (id: FunctionId): id is AccessFunctionId => Object.hasOwn(FUNCTION_ACCESS, id);

/**
 * The renewal gateway (docs/architecture.md#system-overview,
 * docs/architecture.md#aws-resources), built from `shared/system.ts`: every queue, function and
 * route there appears here by looping over the description, never by listing them again.
 */
/**
 * DynamoDB warm throughput for an on-demand table: at least what a new table has (4,000 write
 * units a second), at most the default per-table quota (40,000).
 */
const checkWarmWrites = (value: number): number => {
  if (!Number.isInteger(value) || value < 4_000 || value > 40_000) {
    throw new Error(`tableWarmWritesPerSecond must be a whole number from 4000 to 40000 (write units a second), got ${value}`);
  }
  return value;
};

export class RenewalGatewayStack extends Stack {
  public readonly table: RenewalTable;
  public readonly queues: ReadonlyMap<string, ProviderQueue>;
  public readonly functions: ReadonlyMap<FunctionId, GatewayFunction>;
  /** The EventBridge trigger of every function the description says `runsEvery`. */
  public readonly schedules: ReadonlyMap<FunctionId, FunctionSchedule>;
  /** The scheduler's fan-out queue: one message per shard to work. */
  public readonly schedulerQueue: SchedulerQueue;
  public readonly api: GatewayHttpApi;
  public readonly alarms: GatewayAlarms;
  public readonly secrets: ConfigSecrets;
  /** The event bus and the table stream's mapping onto the events function. */
  public readonly events: EventPublishing;
  /** Push delivery to registered endpoints: its queue, DLQ and the delivery function's mapping. */
  public readonly delivery: EventDelivery;
  public readonly dashboard: GatewayDashboard;
  /** Applied to every stateful resource: the table, secrets and log groups. */
  private readonly removalPolicy: RemovalPolicy;
  private readonly providerEnvironment: Readonly<Record<string, string>> | undefined;

  constructor(scope: Construct, id: string, props: RenewalGatewayStackProps) {
    const {
      stage,
      providerBaseUrls: _urls,
      providerEnvironment: _env,
      providerConcurrency: _concurrency,
      scheduleRateMinutes: _rates,
      apiThrottle: _throttle,
      sweeperStaleAfterSeconds: _stale,
      tableWarmWritesPerSecond: warmWrites,
      intakeReservedConcurrency: _reserved,
      tuning: _tuning,
      retainData: _retain,
      ...stackProps
    } = props;
    super(scope, id, {
      description: `Renewal gateway (${stage}): signed renewal requests and schedules, per-provider queues and consumers, renewal ledger`,
      ...stackProps,
    });
    const retain = props.retainData ?? true;
    const removalPolicy = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.removalPolicy = removalPolicy;
    this.providerEnvironment = props.providerEnvironment;
    const fnDescriptions = system.functions as readonly FunctionDescription[];
    // Checked before anything is built (and bundled), so a bad URL fails synth at once.
    for (const [provider, url] of Object.entries(props.providerBaseUrls ?? {})) checkBaseUrl(provider, url);
    for (const [fnId, minutes] of Object.entries(props.scheduleRateMinutes ?? {})) checkScheduleRate(fnDescriptions, fnId, minutes);
    // Likewise a tuning value a function would refuse at cold start. A consumer's reading depends on its rate limit.
    const tuning = new Map(
      fnDescriptions.map((d) => [d.id, tuningEnvironmentOf(d, props.tuning ?? {}, d.consumes ? props.providerEnvironment : {})] as const),
    );

    this.table = new RenewalTable(this, system.table.id, {
      description: system.table,
      removalPolicy,
      deletionProtection: retain,
      ...(warmWrites !== undefined ? { warmWritesPerSecond: checkWarmWrites(warmWrites) } : {}),
    });
    this.secrets = new ConfigSecrets(this, 'Secrets', { removalPolicy });
    this.alarms = new GatewayAlarms(this, 'Alarms', { keyRemovalPolicy: removalPolicy });

    const queues = new Map<string, ProviderQueue>();
    for (const description of system.queues as readonly QueueDescription[]) {
      const consumer = fnDescriptions.find((f) => f.consumes?.queueId === description.id);
      // A queue nobody drains would accept renewals and silently never perform them.
      if (!consumer) throw new Error(`queue ${description.id} has no consumer function in shared/system.ts`);
      const queue = new ProviderQueue(this, `${description.id}Queue`, {
        description,
        visibilityTimeout: Duration.seconds(visibilityTimeoutFor(consumer)),
      });
      queues.set(description.id, queue);
      this.alarms.watchQueue(queue);
    }
    this.queues = queues;

    const functions = new Map<FunctionId, GatewayFunction>();
    for (const description of fnDescriptions) {
      const fn = description.consumes
        ? this.consumer(description, description.consumes.queueId, props)
        : this.accessFunction(description);
      fn.useTable(this.table, description.consumes ? 'readWrite' : this.access(description.id).table);
      for (const [name, value] of Object.entries(tuning.get(description.id) ?? {})) fn.fn.addEnvironment(name, value);
      functions.set(description.id, fn);
      this.alarms.watchFunction(fn);
    }
    this.functions = functions;

    const eventsFn = fnDescriptions.find((f) => f.readsTableStream);
    const eventsFunction = eventsFn && functions.get(eventsFn.id);
    if (!eventsFunction) throw new Error('no function reads the table stream (readsTableStream in shared/system.ts): events would never be emitted');
    this.events = new EventPublishing(this, 'EventPublishing', { function: eventsFunction, table: this.table, stage });
    this.alarms.watchEvents(this.events);
    this.alarms.watchBacklogForecast();
    const deliveryFn = fnDescriptions.find((f) => f.deliversEvents);
    const deliveryFunction = deliveryFn && functions.get(deliveryFn.id);
    const operator = functions.get('operator');
    if (!deliveryFunction || !operator) throw new Error('no delivery function (deliversEvents in shared/system.ts) or no operator function: registered endpoints would get nothing');
    this.delivery = new EventDelivery(this, 'EventDelivery', {
      function: deliveryFunction,
      description: system.deliveryQueue,
      // The events function fans out each new event; the operator's replay sends logged ones again.
      senders: [eventsFunction, operator],
      // The events function sends a slow endpoint's new messages straight to the slow lane.
      slowDescription: system.slowDeliveryQueue,
      slowSenders: [eventsFunction],
      bus: this.events.bus,
    });
    this.alarms.watchDelivery(this.delivery);
    this.dashboard = new GatewayDashboard(this, 'Dashboard', { queues: [...queues.values()], events: this.events, delivery: this.delivery });

    const schedules = new Map<FunctionId, FunctionSchedule>();
    for (const description of fnDescriptions) {
      if (!description.runsEvery) continue;
      const fn = functions.get(description.id);
      if (!fn) throw new Error(`function ${description.id} runs on a schedule but was not built`);
      const minutes = props.scheduleRateMinutes?.[description.id];
      const schedule = new FunctionSchedule(this, `${pascal(description.id)}Schedule`, {
        function: fn,
        ...(minutes !== undefined ? { rate: Duration.minutes(minutes) } : {}),
      });
      schedules.set(description.id, schedule);
      this.alarms.watchSchedule(schedule);
    }
    this.schedules = schedules;

    // A webhook burst may use this much of the account's concurrency and no more, so the
    // consumers, scheduler and sweeper always find room (docs/architecture.md#functions).
    const reserved = props.intakeReservedConcurrency ?? INTAKE_RESERVED_CONCURRENCY;
    if (!Number.isInteger(reserved) || reserved < 0) throw new Error(`intakeReservedConcurrency must be a whole number, at least 0, got ${reserved}`);
    const intake = functions.get('intake');
    if (reserved > 0 && intake) {
      const cfn = intake.fn.node.defaultChild;
      if (cfn instanceof CfnFunction) cfn.reservedConcurrentExecutions = reserved;
    }

    if (props.sweeperStaleAfterSeconds !== undefined) {
      const stale = props.sweeperStaleAfterSeconds;
      if (!Number.isInteger(stale) || stale < 1) throw new Error(`sweeperStaleAfterSeconds must be a whole number of seconds, at least 1, got ${stale}`);
      functions.get('sweeper')?.fn.addEnvironment(STALE_AFTER_ENV, String(stale));
    }

    // The scheduler's fan-out: one message per shard, worked by the scheduler itself.
    const scheduler = functions.get('scheduler');
    if (!scheduler) throw new Error('the scheduler function was not built');
    this.schedulerQueue = new SchedulerQueue(this, 'SchedulerQueue', {
      function: scheduler,
      workers: system.scheduler.workers,
      urlEnv: system.scheduler.queueUrlEnv,
    });
    this.alarms.watchDeadLetterQueue(
      'SchedulerQueueDeadLetters',
      this.schedulerQueue.deadLetterQueue,
      'Shard messages of the scheduler failed 5 times: a shard could not be worked (its schedules stay due); see the scheduler logs.',
    );

    this.api = new GatewayHttpApi(this, 'HttpApi', {
      routes: (system.routes as readonly RouteDescription[]).map((route): GatewayRoute => {
        const fn = functions.get(route.functionId);
        if (!fn) throw new Error(`route ${route.method} ${route.path} names unknown function ${route.functionId}`);
        return { description: route, handler: fn.fn };
      }),
      ...(props.apiThrottle ? { throttle: props.apiThrottle } : {}),
      accessLogRemovalPolicy: removalPolicy,
    });

    // Dead letters are what an operator inspects or redrives (a renewal's poison message, a
    // delivery given up, stream records the events function gave up on): they stay with the data
    // (`retainData`), so `cdk destroy` does not delete them with their messages. Work queues go:
    // a redeployed stage's sweeper queues again whatever the retained table says is waiting.
    for (const construct of this.node.findAll()) {
      if (construct instanceof Queue && (construct.node.id === 'DeadLetterQueue' || construct.node.id === 'FailureQueue')) construct.applyRemovalPolicy(removalPolicy);
    }

    this.outputs();
  }

  private access(id: FunctionId): (typeof FUNCTION_ACCESS)[AccessFunctionId] {
    if (!hasAccessSettings(id)) {
      throw new Error(`function ${id} neither consumes a queue nor has an entry in FUNCTION_ACCESS (infra/settings.ts)`);
    }
    return FUNCTION_ACCESS[id];
  }

  /**
   * A function that consumes no queue (those behind the API, the scheduler): table, queues and
   * secrets as FUNCTION_ACCESS says.
   */
  private accessFunction(description: FunctionDescription): GatewayFunction {
    const access = this.access(description.id);
    const fn = new GatewayFunction(this, pascal(description.id), { description, logRemovalPolicy: this.removalPolicy });
    if (access.sendsToProviderQueues) for (const queue of this.queues.values()) fn.sendTo(queue);
    if ('operatesDeadLetters' in access && access.operatesDeadLetters) for (const queue of this.queues.values()) fn.operateDeadLetters(queue);
    if ('readsRateLimits' in access && access.readsRateLimits) {
      for (const queue of this.queues.values()) {
        const name = providerSettingNames(queue.description.provider).find((n) => n.endsWith('_RATE_LIMIT'));
        const value = name ? this.providerEnvironment?.[name] : undefined;
        if (name && value !== undefined) fn.fn.addEnvironment(name, value);
      }
    }
    for (const name of access.secrets) fn.readSecret(name, this.secrets.secret(name));
    return fn;
  }

  /** A provider consumer: its queue, its provider's base URL and credentials. */
  private consumer(description: FunctionDescription, queueId: string, props: RenewalGatewayStackProps): GatewayFunction {
    const queue = this.queues.get(queueId);
    if (!queue) throw new Error(`function ${description.id} consumes unknown queue ${queueId}`);
    const provider = queue.description.provider;
    const settings = providerSettings(provider);
    const baseUrl = props.providerBaseUrls?.[provider] ?? settings.defaultBaseUrl;
    const maximumConcurrency = props.providerConcurrency?.[provider];
    const consumer = new ProviderConsumer(this, pascal(description.id), {
      description,
      queue,
      ...(maximumConcurrency !== undefined ? { maximumConcurrency } : {}),
      environment: {
        [settings.baseUrlEnv]: baseUrl,
        ...Object.fromEntries(
          providerSettingNames(provider).flatMap((name) => {
            const value = props.providerEnvironment?.[name];
            return value === undefined ? [] : [[name, value]];
          }),
        ),
      },
      logRemovalPolicy: this.removalPolicy,
    });
    for (const name of settings.secrets) consumer.function.readSecret(name, this.secrets.secret(name));
    return consumer.function;
  }

  private outputs(): void {
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the renewal gateway HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'Renewal ledger table' });
    for (const [id, queue] of this.queues) {
      new CfnOutput(this, `${id}QueueUrl`, { value: queue.queue.queueUrl, description: `${queue.description.provider} work queue` });
      new CfnOutput(this, `${id}DeadLetterQueueUrl`, {
        value: queue.deadLetterQueue.queueUrl,
        description: `${queue.description.provider} dead-letter queue (redrive from here)`,
      });
    }
    for (const [name, secret] of this.secrets.all()) {
      new CfnOutput(this, `${pascal(name.toLowerCase())}SecretArn`, {
        value: secret.secretArn,
        description: `Secret behind ${name}: set its value with aws secretsmanager put-secret-value`,
      });
    }
    for (const [fnId, schedule] of this.schedules) {
      new CfnOutput(this, `${pascal(fnId)}DeadLetterQueueUrl`, {
        value: schedule.deadLetterQueue.queueUrl,
        description: `Failed ${fnId} runs: not delivered by its EventBridge rule, or failed by the function`,
      });
    }
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName, description: 'Outcome events (source renewal-gateway): subscribe with EventBridge rules' });
    new CfnOutput(this, 'EventFailureQueueUrl', {
      value: this.events.failureQueue.queueUrl,
      description: 'Table stream batches the events function gave up on (shard and sequence range)',
    });
    new CfnOutput(this, 'EventDeliveryDeadLetterQueueUrl', {
      value: this.delivery.deadLetterQueue.queueUrl,
      description: 'Event delivery messages the delivery function failed on 5 times (endpoint failures end in dead-letter records instead)',
    });
    new CfnOutput(this, 'EventDeliverySlowDeadLetterQueueUrl', {
      value: this.delivery.slowDeadLetterQueue.queueUrl,
      description: "Event delivery messages of the slow lane the delivery function failed on 5 times (endpoint failures end in dead-letter records instead)",
    });
    new CfnOutput(this, 'SchedulerQueueDeadLetterQueueUrl', {
      value: this.schedulerQueue.deadLetterQueue.queueUrl,
      description: 'Scheduler shard messages that failed 5 times (their schedules stay due)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarms.topic.topicArn, description: 'Subscribe operators here' });
  }
}

function checkScheduleRate(functions: readonly FunctionDescription[], fnId: string, minutes: number | undefined): void {
  if (minutes === undefined) return;
  // A rate for a function that is not scheduled is a typo that would otherwise be ignored.
  if (!functions.some((f) => f.id === fnId && f.runsEvery)) {
    throw new Error(`schedule rate given for ${fnId}, which does not run on a schedule (no runsEvery in shared/system.ts)`);
  }
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(`schedule rate of ${fnId} must be a whole number of minutes, at least 1 (EventBridge), got ${minutes}`);
  }
}

function checkBaseUrl(provider: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`base URL for ${provider} is not a URL: ${value}`);
  }
  // Provider credentials travel with every call: never over plain HTTP.
  if (url.protocol !== 'https:') throw new Error(`base URL for ${provider} must be https, got ${value}`);
}
