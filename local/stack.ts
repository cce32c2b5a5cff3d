/**
 * The whole system on one machine, on real components: DynamoDB Local, the project's SQS endpoint,
 * provider sandboxes, the HTTP API, and a Lambda-style poller per consumer queue. Tables, queues,
 * functions and routes come from shared/system.ts, the description the CDK stack is built from.
 *
 * Used by `npm start` (local/main.ts) and by the end-to-end tests; `stop()` stops everything it
 * started, in reverse order, and is safe to call twice.
 */
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../shared/logger';
import { ENABLED_PROVIDERS, PROVIDER_CONFIG, functionDescription, system, type EnabledProvider, type ProviderConfigNames, type FunctionDescription, type FunctionId } from '../shared/system';
import { optionalInt, type Env } from '../shared/config';
import { createIntakeHandler, loadIntakeDeps } from '../functions/intake/app';
import { createStatusHandler, loadStatusDeps } from '../functions/status/app';
import { createSchedulesHandler, loadSchedulesDeps } from '../functions/schedules/app';
import { createOperatorHandler, loadOperatorDeps } from '../functions/operator/app';
import { createSchedulerTick, loadSchedulerDeps, type TickSummary } from '../functions/scheduler/app';
import { createSweeperHandler, loadSweeperDeps } from '../functions/sweeper/app';
import type { SweepSummary } from '../shared/sweeper/sweep';
import { lambdaContext } from './lambda-context';
import { createBatchHandler } from '../shared/consumer/batch';
import { loadConsumerDeps } from '../shared/consumer/config';
import { loadCall } from '../shared/providers/load-call';
import { LOCAL_CREDENTIALS, localDynamoClient, startDynamoLocal, type DynamoLocal } from './dynamo';
import { startSqsServer, type SqsServer } from './sqs/server';
import { startPoller, type Poller } from './sqs/poller';
import type { Sandbox } from './sandboxes/framework';
import type { SandboxFactory, SandboxOf } from './sandboxes/registration';
import { startApiServer, type ApiServer, type HttpHandler } from './api-server';
import { LOCAL_DEFAULTS, localSecretDefault } from './defaults';
import { createDeliveryQueue, createQueues, createTable } from './resources';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { startStreamPoller } from './streams/poller';
import { createEventsHandler, loadDeliveryFanOut, loadEventLog } from '../functions/events/app';
import { createDeliveryHandler, loadDeliveryDeps } from '../functions/delivery/app';
import { ALLOW_HTTP_ENV } from '../functions/operator/endpoints';
import { LoggingPublisher } from '../shared/events/publish';

/** DynamoDB commands billed double per item in AWS. */
const TRANSACTIONS = new Set(['TransactWriteItemsCommand', 'TransactGetItemsCommand']);

export interface LocalStackOptions {
  /** Ports; 0 picks a free one. Defaults: the LOCAL_DEFAULTS ports. */
  readonly apiPort?: number;
  readonly dynamoPort?: number;
  readonly sqsPort?: number;
  /** First sandbox port; each provider's sandbox takes the next one (0: all free ports). */
  readonly sandboxPort?: number;
  /** Use a DynamoDB Local that is already running (tests share one) instead of starting one. */
  readonly dynamoEndpoint?: string;
  /** Configuration as in AWS (docs/architecture.md#configuration-names); unset names get local defaults. */
  readonly env?: Env;
  /** Prefix of the table and queue names, so several stacks can share one DynamoDB Local. */
  readonly namePrefix?: string;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Long-poll wait of the consumer pollers, in seconds. */
  readonly pollWaitSeconds?: number;
  /** How often the scheduler runs by itself, in ms; 0: only on demand. Default: the rule's rate. */
  readonly schedulerIntervalMs?: number;
  /** How often the sweeper runs by itself, in ms; 0: only on demand. Default: its rule's rate. */
  readonly sweeperIntervalMs?: number;
  /** Start the consumer pollers only when `startConsumers()` is called (the benchmark measures the scheduler alone). */
  readonly deferConsumers?: boolean;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly queues: Readonly<Record<EnabledProvider, { url: string; arn: string; dlqUrl: string; dlqArn: string }>>;
  /** The push delivery's queue (system.deliveryQueue). */
  readonly deliveryQueue: { readonly url: string; readonly arn: string; readonly dlqUrl: string; readonly dlqArn: string };
  /** Its slow lane (system.slowDeliveryQueue): endpoints that answered slowly lately. */
  readonly slowDeliveryQueue: { readonly url: string; readonly arn: string; readonly dlqUrl: string; readonly dlqArn: string };
  /** Each provider's sandbox (local/sandboxes/<provider>.ts), typed as its module registers it. */
  readonly sandboxes: { readonly [P in EnabledProvider]: SandboxOf<P> };
  /** The configuration the functions run with (secrets included: for the banner and tests). */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sqsServer: SqsServer;
  /** One scheduler run now (what the EventBridge rule triggers in AWS), its shards worked in-process. */
  runScheduler(): Promise<TickSummary>;
  /** One sweeper run now (its EventBridge rule in AWS): what it found and queued again. */
  runSweeper(): Promise<SweepSummary>;
  /** Starts the consumer pollers (done at start unless `deferConsumers`); idempotent. */
  startConsumers(): Promise<void>;
  /**
   * AWS requests made by the functions and pollers since start or the last reset, by command
   * (`<function> DynamoDB.PutItem`), and the conditional writes that failed their condition
   * (`<function> DynamoDB.PutItem ConditionalCheckFailed`; a transaction cancelled by a condition counts once).
   */
  requestCounts(): Record<string, number>;
  /**
   * Wall-clock milliseconds the HTTP and consumer handlers ran, by function, since start or the
   * last reset (what Lambda would bill, here with DynamoDB Local, the local SQS endpoint and this
   * machine's load in it: an upper bound for the bench, not a measurement of Lambda).
   */
  handlerTimings(): Record<string, { invocations: number; ms: number }>;
  resetRequestCounts(): void;
  stop(): Promise<void>;
}

/** The factory a provider's sandbox module exports (local/sandboxes/registration.ts). */
const loadSandbox = async (provider: EnabledProvider): Promise<SandboxFactory> => {
  const module: unknown = await import(`./sandboxes/${provider}.ts`);
  const factory = typeof module === 'object' && module !== null ? (module as { sandbox?: unknown }).sandbox : undefined;
  if (typeof factory !== 'function') throw new Error(`provider ${provider}: local/sandboxes/${provider}.ts does not export \`sandbox\``);
  return factory as SandboxFactory;
};

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const stoppers: Array<() => Promise<void>> = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      for (const s of stoppers.reverse()) {
        try {
          await s();
        } catch {
          // keep stopping the rest
        }
      }
    })());

  try {
    const prefix = options.namePrefix ?? 'local';
    const logLevel = options.logLevel ?? 'INFO';
    const logger = (service: string) => createLogger(service, logLevel);

    let dynamoEndpoint = options.dynamoEndpoint;
    if (!dynamoEndpoint) {
      const dynamoLocal: DynamoLocal = await startDynamoLocal({ port: options.dynamoPort ?? LOCAL_DEFAULTS.LOCAL_DYNAMODB_PORT });
      stoppers.push(() => dynamoLocal.stop());
      dynamoEndpoint = dynamoLocal.endpoint;
    }
    const sqsServer = await startSqsServer({ port: options.sqsPort ?? LOCAL_DEFAULTS.LOCAL_SQS_PORT });
    stoppers.push(() => sqsServer.stop());

    // As in AWS, each function has its own clients. Every request they send (retries included) is
    // counted as `<function> <Service>.<Command>`, which is what the benchmark reports per renewal.
    const counts = new Map<string, number>();
    const timings = new Map<string, { invocations: number; ms: number }>();
    const timed =
      <E, C, R>(label: string, handler: (event: E, context: C) => Promise<R>) =>
      async (event: E, context: C): Promise<R> => {
        const started = performance.now();
        try {
          return await handler(event, context);
        } finally {
          const t = timings.get(label) ?? { invocations: 0, ms: 0 };
          timings.set(label, { invocations: t.invocations + 1, ms: t.ms + (performance.now() - started) });
        }
      };
    const bump = (label: string, service: string, command = 'Unknown') => {
      const key = `${label} ${service}.${command.replace(/Command$/, '')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    };
    const clientsFor = (label: string) => {
      const dynamo = localDynamoClient(dynamoEndpoint);
      const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
      dynamo.middlewareStack.add((next, context) => (args) => (bump(label, 'DynamoDB', context.commandName), next(args)), {
        step: 'finalizeRequest',
        name: 'countRequests',
      });
      sqs.middlewareStack.add((next, context) => (args) => (bump(label, 'SQS', context.commandName), next(args)), {
        step: 'finalizeRequest',
        name: 'countRequests',
      });
      // Capacity units, as DynamoDB bills them (indexes included): asked of every call, summed.
      dynamo.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { ReturnConsumedCapacity?: string };
          const asked = input.ReturnConsumedCapacity !== undefined;
          if (!asked && context.commandName !== 'DescribeTableCommand' && context.commandName !== 'CreateTableCommand') input.ReturnConsumedCapacity = 'TOTAL';
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
          const reported = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
          // A transaction's items cost two units each in AWS (prepare and commit); DynamoDB Local
          // reports one (checked: a two-item TransactWriteItems reports 2), so they are doubled here.
          const units = TRANSACTIONS.has(context.commandName ?? '') ? 2 * reported : reported;
          if (units > 0) {
            const kind = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(context.commandName ?? '') ? 'WriteUnits' : 'ReadUnits';
            const key = `${label} DynamoDB.${kind}`;
            counts.set(key, (counts.get(key) ?? 0) + units);
          }
          return result;
        },
        { step: 'initialize', name: 'countCapacity' },
      );
      // Receives that brought nothing (long polls of an idle queue: the idle cost, not a renewal's).
      sqs.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName === 'ReceiveMessageCommand' && !(result.output as { Messages?: unknown[] }).Messages?.length) bump(label, 'SQS', 'ReceiveMessage (empty)');
          return result;
        },
        { step: 'initialize', name: 'countEmptyReceives' },
      );
      // Failed conditions, seen once per call (after the SDK's own retries).
      dynamo.middlewareStack.add(
        (next, context) => async (args) => {
          try {
            return await next(args);
          } catch (error) {
            const name = error instanceof Error ? error.name : '';
            const cancelledByCondition =
              name === 'TransactionCanceledException' &&
              ((error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');
            if (name === 'ConditionalCheckFailedException' || cancelledByCondition) bump(label, 'DynamoDB', `${context.commandName ?? 'Unknown'} ConditionalCheckFailed`);
            throw error;
          }
        },
        { step: 'initialize', name: 'countConditionFailures' },
      );
      stoppers.push(async () => {
        dynamo.destroy();
        sqs.destroy();
      });
      return { dynamo, sqs };
    };
    const { dynamo, sqs } = clientsFor('local');

    const tableName = `${prefix}-renewals`;
    const streamArn = await createTable(dynamo, tableName);
    const queues = await createQueues(sqs, prefix);
    const deliveryQueue = await createDeliveryQueue(sqs, prefix);
    const slowDeliveryQueue = await createDeliveryQueue(sqs, prefix, system.slowDeliveryQueue);

    const given = options.env ?? {};
    const pick = (name: string, fallback: string): string => given[name]?.trim() || fallback;
    // One sandbox per processed provider, on consecutive ports, holding the configured key.
    const providerEnv: Record<string, string> = {};
    const sandboxBase = options.sandboxPort ?? LOCAL_DEFAULTS.LOCAL_SANDBOX_PORT;
    const sandboxes = {} as { [P in EnabledProvider]: SandboxOf<P> };
    for (const [i, provider] of ENABLED_PROVIDERS.entries()) {
      const names: ProviderConfigNames = PROVIDER_CONFIG[provider];
      const secrets = Object.fromEntries(names.secretEnvs.map((n) => [n, pick(n, localSecretDefault(n))]));
      const settings = Object.fromEntries([...names.settingEnvs, names.rateLimitEnv].flatMap((n) => (given[n]?.trim() ? [[n, given[n]?.trim()]] : [])));
      const sandbox = (await loadSandbox(provider))({ ...secrets, ...settings });
      await sandbox.start({ port: sandboxBase === 0 ? 0 : sandboxBase + i });
      stoppers.push(() => sandbox.stop());
      // Each entry is its own provider's sandbox class; the loop only sees their common base.
      (sandboxes as Record<EnabledProvider, Sandbox>)[provider] = sandbox;
      Object.assign(providerEnv, secrets);
      providerEnv[names.baseUrlEnv] = pick(names.baseUrlEnv, sandbox.url);
    }

    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => typeof e[1] === 'string')),
      TABLE_NAME: tableName,
      RENEWALS_WEBHOOK_SECRETS: pick('RENEWALS_WEBHOOK_SECRETS', LOCAL_DEFAULTS.RENEWALS_WEBHOOK_SECRETS),
      RENEWALS_READ_TOKENS: pick('RENEWALS_READ_TOKENS', LOCAL_DEFAULTS.RENEWALS_READ_TOKENS),
      RENEWALS_OPERATOR_TOKENS: pick('RENEWALS_OPERATOR_TOKENS', LOCAL_DEFAULTS.RENEWALS_OPERATOR_TOKENS),
      // Receivers on this machine listen on plain http (npm run ops -- listen).
      [ALLOW_HTTP_ENV]: pick(ALLOW_HTTP_ENV, 'true'),
      [system.deliveryQueue.urlEnv]: deliveryQueue.url,
      [system.slowDeliveryQueue.urlEnv]: slowDeliveryQueue.url,
      // The status function's `files` sit beside its bundle in Lambda; here, in the repository.
      OPENAPI_DOCUMENT: pick('OPENAPI_DOCUMENT', fileURLToPath(new URL('../openapi.json', import.meta.url))),
      ...providerEnv,
      ...Object.fromEntries(system.queues.map((q) => [q.urlEnv, queues[q.provider].url])),
      ...Object.fromEntries(
        system.queues.flatMap((q) => [
          [q.dlqUrlEnv, queues[q.provider].dlqUrl],
          [q.dlqArnEnv, queues[q.provider].dlqArn],
          [q.arnEnv, queues[q.provider].arn],
        ]),
      ),
    };

    const concurrencyFor = (provider: EnabledProvider, fallback: number): number =>
      optionalInt(given, PROVIDER_CONFIG[provider].maxConcurrencyEnv, fallback, 1);
    const pollers: Poller[] = [];
    let consumersStarted: Promise<void> | undefined;
    const startConsumers = (): Promise<void> =>
      (consumersStarted ??= (async () => {
        for (const fn of system.functions as readonly FunctionDescription[]) {
          if (!fn.consumes) continue;
          const provider = fn.id.replace('consumer-', '') as EnabledProvider;
          const batchHandler = createBatchHandler(await loadConsumerDeps(provider, env, clientsFor(fn.id), logger(fn.id)), () => loadCall(provider));
          const timedBatch = timed(fn.id, batchHandler);
          const handler: typeof batchHandler = (event, context) => (bump(fn.id, 'Lambda', 'Invoke'), timedBatch(event, context));
          const poller = startPoller({
            // The event source mapping's own requests (receive, delete) are Lambda's, counted apart.
            client: clientsFor(`${fn.id}-event-source`).sqs,
            queueUrl: queues[provider].url,
            queueArn: queues[provider].arn,
            handler,
            batchSize: fn.consumes.batchSize,
            maximumConcurrency: concurrencyFor(provider, fn.consumes.maximumConcurrency),
            functionName: fn.id,
            timeoutMs: fn.timeoutSeconds * 1000,
            waitTimeSeconds: options.pollWaitSeconds ?? 1,
            onError: (error: unknown) => logger(fn.id).error('poller error', { error: String(error) }),
          });
          pollers.push(poller);
        }
      })());
    stoppers.push(async () => {
      await consumersStarted?.catch(() => undefined);
      await Promise.all(pollers.map((p) => p.stop()));
    });
    if (!options.deferConsumers) await startConsumers();

    // The table stream's consumer, fed as the event source mapping feeds it in AWS. No EventBridge
    // locally: the events are logged instead (README, local differences).
    for (const fn of system.functions as readonly FunctionDescription[]) {
      const stream = fn.readsTableStream;
      if (!stream) continue;
      if (!streamArn) throw new Error(`function ${fn.id} reads the table stream, but the table has none`);
      const streamsClient = new DynamoDBStreamsClient({ endpoint: dynamoEndpoint, region: 'local', credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
      const eventClients = clientsFor(fn.id);
      const deliveries = loadDeliveryFanOut(env, eventClients);
      const events = createEventsHandler({
        log: loadEventLog(env, eventClients.dynamo),
        publisher: new LoggingPublisher(logger(fn.id)),
        logger: logger(fn.id),
        ...(deliveries ? { deliveries } : {}),
      });
      const sortKeys: readonly string[] = stream.sortKeys;
      const poller = startStreamPoller({
        client: streamsClient,
        streamArn,
        handler: events,
        batchSize: stream.batchSize,
        filter: (record) => sortKeys.includes(record.dynamodb?.Keys?.[system.table.sortKey]?.S ?? ''),
        functionName: fn.id,
        timeoutMs: fn.timeoutSeconds * 1000,
        onError: (error: unknown) => logger(fn.id).error('stream poller error', { error: String(error) }),
      });
      stoppers.push(async () => {
        await poller.stop();
        streamsClient.destroy();
      });
    }

    // The push delivery's queue and its slow lane, each polled as its event source mapping does in
    // AWS, by the one function. Its retry waits (DELIVERY_RETRY_SCHEDULE_SECONDS), rate limit
    // (DELIVERY_RATE_LIMIT) and slow threshold (DELIVERY_SLOW_CALL_MS) come from the env.
    for (const fn of system.functions as readonly FunctionDescription[]) {
      const delivers = fn.deliversEvents;
      if (!delivers) continue;
      const deliveryHandler = createDeliveryHandler(loadDeliveryDeps(env, clientsFor(fn.id), logger(fn.id), new LoggingPublisher(logger(fn.id))));
      const lanes = [
        { queue: deliveryQueue, maximumConcurrency: delivers.maximumConcurrency },
        { queue: slowDeliveryQueue, maximumConcurrency: delivers.slowMaximumConcurrency },
      ];
      for (const { queue, maximumConcurrency } of lanes) {
        pollers.push(
          startPoller({
            client: clientsFor(`${fn.id}-event-source`).sqs,
            queueUrl: queue.url,
            queueArn: queue.arn,
            handler: (event, context) => (bump(fn.id, 'Lambda', 'Invoke'), deliveryHandler(event, context)),
            batchSize: delivers.batchSize,
            maximumConcurrency,
            functionName: fn.id,
            timeoutMs: fn.timeoutSeconds * 1000,
            waitTimeSeconds: options.pollWaitSeconds ?? 1,
            onError: (error: unknown) => logger(fn.id).error('poller error', { error: String(error) }),
          }),
        );
      }
    }

    const countInvocations =
      (id: string, handler: HttpHandler): HttpHandler => {
        const timedHandler = timed(id, handler);
        return (event, context) => (bump(id, 'Lambda', 'Invoke'), timedHandler(event, context));
      };
    const httpFunctions: Partial<Record<FunctionId, { handler: HttpHandler; timeoutMs: number }>> = {
      intake: {
        handler: countInvocations('intake', createIntakeHandler(await loadIntakeDeps(env, clientsFor('intake'), logger('intake'))) as HttpHandler),
        timeoutMs: functionDescription('intake').timeoutSeconds * 1000,
      },
      status: {
        handler: createStatusHandler(await loadStatusDeps(env, clientsFor('status'), logger('status'))) as HttpHandler,
        timeoutMs: functionDescription('status').timeoutSeconds * 1000,
      },
      schedules: {
        handler: createSchedulesHandler(await loadSchedulesDeps(env, clientsFor('schedules'), logger('schedules'))) as HttpHandler,
        timeoutMs: functionDescription('schedules').timeoutSeconds * 1000,
      },
      operator: {
        handler: createOperatorHandler(await loadOperatorDeps(env, clientsFor('operator'), logger('operator'))) as HttpHandler,
        timeoutMs: functionDescription('operator').timeoutSeconds * 1000,
      },
    };

    // The scheduler: on a timer at the rule's rate (as EventBridge would), and on demand.
    const schedulerFn = functionDescription('scheduler');
    // No scheduler queue locally: the tick works the due shards in-process, each under its lease
    // and `SCHEDULER.workers` at a time, as the queue's invocations would in AWS.
    const scheduler = createSchedulerTick(loadSchedulerDeps({ ...env, [system.scheduler.queueUrlEnv]: '' }, clientsFor('scheduler'), logger('scheduler')));
    let running: Promise<TickSummary> | undefined;
    // Runs never overlap in one process; overlapping runs (as EventBridge may start) are tested apart.
    // Counted as AWS would invoke it: the tick, and one invocation per shard worked.
    const runSchedulerNow = (): Promise<TickSummary> =>
      (running ??= scheduler(lambdaContext('scheduler', schedulerFn.timeoutSeconds * 1000))
        .then((summary) => {
          for (let i = 0; i <= summary.shards + summary.shardsBusy; i++) bump('scheduler', 'Lambda', 'Invoke');
          return summary;
        })
        .finally(() => (running = undefined)));
    const intervalMs = options.schedulerIntervalMs ?? (schedulerFn.runsEvery?.seconds ?? 60) * 1000;
    if (intervalMs > 0) {
      const timer = setInterval(() => {
        runSchedulerNow().catch((error: unknown) => logger('scheduler').error('scheduler run failed', { error: String(error) }));
      }, intervalMs);
      timer.unref();
      stoppers.push(async () => {
        clearInterval(timer);
        await running?.catch(() => undefined);
      });
    }
    // The sweeper: its own timer (its rule in AWS), and on demand.
    const sweeperFn = functionDescription('sweeper');
    const sweeper = createSweeperHandler(loadSweeperDeps(env, clientsFor('sweeper'), logger('sweeper')));
    let sweeping: Promise<SweepSummary> | undefined;
    const runSweeperNow = (): Promise<SweepSummary> =>
      (sweeping ??= sweeper({}, lambdaContext('sweeper', sweeperFn.timeoutSeconds * 1000)).finally(() => (sweeping = undefined)));
    const sweepEveryMs = options.sweeperIntervalMs ?? (sweeperFn.runsEvery?.seconds ?? 300) * 1000;
    if (sweepEveryMs > 0) {
      const timer = setInterval(() => {
        runSweeperNow().catch((error: unknown) => logger('sweeper').error('sweeper run failed', { error: String(error) }));
      }, sweepEveryMs);
      timer.unref();
      stoppers.push(async () => {
        clearInterval(timer);
        await sweeping?.catch(() => undefined);
      });
    }
    const api: ApiServer = await startApiServer({
      port: options.apiPort ?? LOCAL_DEFAULTS.PORT,
      routes: system.routes,
      handlers: httpFunctions,
      localRoutes: { 'POST /_local/scheduler/run': runSchedulerNow, 'POST /_local/sweeper/run': runSweeperNow },
      onError: (error: unknown) => logger('api').error('local API error', { error: String(error) }),
    });
    stoppers.push(() => api.stop());

    return {
      apiUrl: api.url,
      dynamoEndpoint,
      sqsEndpoint: sqsServer.endpoint,
      tableName,
      queues,
      deliveryQueue,
      slowDeliveryQueue,
      sandboxes,
      env,
      dynamo,
      sqs,
      sqsServer,
      runScheduler: runSchedulerNow,
      runSweeper: runSweeperNow,
      startConsumers,
      requestCounts: () => Object.fromEntries([...counts].sort()),
      handlerTimings: () => Object.fromEntries([...timings].sort()),
      resetRequestCounts: () => (counts.clear(), timings.clear()),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
