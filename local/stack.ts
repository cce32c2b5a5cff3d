/**
 * The whole system on one machine, on real components: DynamoDB Local, the project's SQS endpoint,
 * provider sandboxes, the HTTP API, and a Lambda-style poller per consumer queue. Tables, queues,
 * functions and routes come from shared/system.ts, the description the CDK stack is built from.
 *
 * Used by `npm start` (local/main.ts) and by the end-to-end tests; `stop()` stops everything it
 * started, in reverse order, and is safe to call twice.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '../shared/logger';
import { ENABLED_PROVIDERS, PROVIDER_CONFIG, functionDescription, system, type EnabledProvider, type ProviderConfigNames, type FunctionDescription, type FunctionId } from '../shared/system';
import { optionalInt, type Env } from '../shared/config';
import { createIntakeHandler, loadIntakeDeps } from '../functions/intake/app';
import { createStatusHandler, loadStatusDeps } from '../functions/status/app';
import { createSchedulesHandler, loadSchedulesDeps } from '../functions/schedules/app';
import { createOperatorHandler, loadOperatorDeps } from '../functions/operator/app';
import { createSchedulerHandler, loadSchedulerDeps } from '../functions/scheduler/app';
import type { RunSummary } from '../shared/scheduler/run';
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
import { createQueues, createTable } from './resources';

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
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly queues: Readonly<Record<EnabledProvider, { url: string; arn: string; dlqUrl: string; dlqArn: string }>>;
  /** Each provider's sandbox (local/sandboxes/<provider>.ts), typed as its module registers it. */
  readonly sandboxes: { readonly [P in EnabledProvider]: SandboxOf<P> };
  /** The configuration the functions run with (secrets included: for the banner and tests). */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sqsServer: SqsServer;
  /** One scheduler run now (what the EventBridge rule triggers in AWS). */
  runScheduler(): Promise<RunSummary>;
  /** AWS requests made by the functions and pollers since start or the last reset, by command. */
  requestCounts(): Record<string, number>;
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
      stoppers.push(async () => {
        dynamo.destroy();
        sqs.destroy();
      });
      return { dynamo, sqs };
    };
    const { dynamo, sqs } = clientsFor('local');

    const tableName = `${prefix}-renewals`;
    await createTable(dynamo, tableName);
    const queues = await createQueues(sqs, prefix);

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
    for (const fn of system.functions as readonly FunctionDescription[]) {
      if (!fn.consumes) continue;
      const provider = fn.id.replace('consumer-', '') as EnabledProvider;
      const handler = createBatchHandler(await loadConsumerDeps(provider, env, clientsFor(fn.id), logger(fn.id)), () => loadCall(provider));
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
    stoppers.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });

    const httpFunctions: Partial<Record<FunctionId, { handler: HttpHandler; timeoutMs: number }>> = {
      intake: {
        handler: createIntakeHandler(await loadIntakeDeps(env, clientsFor('intake'), logger('intake'))) as HttpHandler,
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
    const scheduler = createSchedulerHandler(loadSchedulerDeps(env, clientsFor('scheduler'), logger('scheduler')));
    let running: Promise<RunSummary> | undefined;
    // Runs never overlap in one process; overlapping runs (as EventBridge may start) are tested apart.
    const runSchedulerNow = (): Promise<RunSummary> =>
      (running ??= scheduler({}, lambdaContext('scheduler', schedulerFn.timeoutSeconds * 1000)).finally(() => (running = undefined)));
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
    const api: ApiServer = await startApiServer({
      port: options.apiPort ?? LOCAL_DEFAULTS.PORT,
      routes: system.routes,
      handlers: httpFunctions,
      localRoutes: { 'POST /_local/scheduler/run': runSchedulerNow },
      onError: (error: unknown) => logger('api').error('local API error', { error: String(error) }),
    });
    stoppers.push(() => api.stop());

    return {
      apiUrl: api.url,
      dynamoEndpoint,
      sqsEndpoint: sqsServer.endpoint,
      tableName,
      queues,
      sandboxes,
      env,
      dynamo,
      sqs,
      sqsServer,
      runScheduler: runSchedulerNow,
      requestCounts: () => Object.fromEntries([...counts].sort()),
      resetRequestCounts: () => counts.clear(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
