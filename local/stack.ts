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
import { Logger } from '@aws-lambda-powertools/logger';
import { functionDescription, system, type EnabledProvider, type FunctionDescription, type FunctionId } from '../shared/system';
import type { Env } from '../shared/config';
import { createIntakeHandler, loadIntakeDeps } from '../functions/intake/app';
import { createStatusHandler, loadStatusDeps } from '../functions/status/app';
import { createBatchHandler } from '../shared/consumer/batch';
import { loadConsumerDeps } from '../shared/consumer/config';
import { localDynamoClient, startDynamoLocal, type DynamoLocal } from './dynamo';
import { startSqsServer, type SqsServer } from './sqs/server';
import { startPoller, type Poller } from './sqs/poller';
import { PressOneSandbox } from './sandboxes/pressone';
import type { Sandbox } from './sandboxes/framework';
import { startApiServer, type ApiServer, type HttpHandler } from './api-server';
import { LOCAL_DEFAULTS } from './defaults';
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
  /** Configuration as in AWS (DESIGN §4.5); unset names get local defaults. */
  readonly env?: Env;
  /** Prefix of the table and queue names, so several stacks can share one DynamoDB Local. */
  readonly namePrefix?: string;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Long-poll wait of the consumer pollers, in seconds. */
  readonly pollWaitSeconds?: number;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly queues: Readonly<Record<EnabledProvider, { url: string; arn: string; dlqUrl: string }>>;
  readonly sandboxes: { readonly pressone: PressOneSandbox };
  /** The configuration the functions run with (secrets included: for the banner and tests). */
  readonly env: Readonly<Record<string, string>>;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sqsServer: SqsServer;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

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
    const logger = (service: string) => new Logger({ serviceName: service, logLevel });

    let dynamoEndpoint = options.dynamoEndpoint;
    if (!dynamoEndpoint) {
      const dynamoLocal: DynamoLocal = await startDynamoLocal({ port: options.dynamoPort ?? LOCAL_DEFAULTS.LOCAL_DYNAMODB_PORT });
      stoppers.push(() => dynamoLocal.stop());
      dynamoEndpoint = dynamoLocal.endpoint;
    }
    const dynamo = localDynamoClient(dynamoEndpoint);
    stoppers.push(async () => dynamo.destroy());

    const sqsServer = await startSqsServer({ port: options.sqsPort ?? LOCAL_DEFAULTS.LOCAL_SQS_PORT });
    stoppers.push(() => sqsServer.stop());
    const sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    stoppers.push(async () => sqs.destroy());

    const tableName = `${prefix}-renewals`;
    await createTable(dynamo, tableName);
    const queues = await createQueues(sqs, prefix);

    const given = options.env ?? {};
    const pick = (name: string, fallback: string): string => given[name]?.trim() || fallback;
    const pressoneKey = pick('PRESSONE_API_KEY', LOCAL_DEFAULTS.PRESSONE_API_KEY);
    const pressoneSandbox = new PressOneSandbox({ apiKey: pressoneKey });
    const sandboxBase = options.sandboxPort ?? LOCAL_DEFAULTS.LOCAL_SANDBOX_PORT;
    const sandboxes: Sandbox[] = [pressoneSandbox];
    for (const [i, sandbox] of sandboxes.entries()) {
      await sandbox.start({ port: sandboxBase === 0 ? 0 : sandboxBase + i });
      stoppers.push(() => sandbox.stop());
    }

    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(given).filter((e): e is [string, string] => typeof e[1] === 'string')),
      TABLE_NAME: tableName,
      RENEWALS_WEBHOOK_SECRETS: pick('RENEWALS_WEBHOOK_SECRETS', LOCAL_DEFAULTS.RENEWALS_WEBHOOK_SECRETS),
      RENEWALS_READ_TOKENS: pick('RENEWALS_READ_TOKENS', LOCAL_DEFAULTS.RENEWALS_READ_TOKENS),
      PRESSONE_BASE_URL: pick('PRESSONE_BASE_URL', pressoneSandbox.url),
      PRESSONE_API_KEY: pressoneKey,
      ...Object.fromEntries(system.queues.map((q) => [q.urlEnv, queues[q.provider].url])),
    };
    const clients = { dynamo, sqs };

    const pollers: Poller[] = [];
    for (const fn of system.functions as readonly FunctionDescription[]) {
      if (!fn.consumes) continue;
      const provider = fn.id.replace('consumer-', '') as EnabledProvider;
      const handler = createBatchHandler(await loadConsumerDeps(provider, env, clients, logger(fn.id)));
      const poller = startPoller({
        client: sqs,
        queueUrl: queues[provider].url,
        queueArn: queues[provider].arn,
        handler,
        batchSize: fn.consumes.batchSize,
        maximumConcurrency: fn.consumes.maximumConcurrency,
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
        handler: createIntakeHandler(await loadIntakeDeps(env, clients, logger('intake'))) as HttpHandler,
        timeoutMs: functionDescription('intake').timeoutSeconds * 1000,
      },
      status: {
        handler: createStatusHandler(await loadStatusDeps(env, clients, logger('status'))) as HttpHandler,
        timeoutMs: functionDescription('status').timeoutSeconds * 1000,
      },
    };
    const api: ApiServer = await startApiServer({
      port: options.apiPort ?? LOCAL_DEFAULTS.PORT,
      routes: system.routes,
      handlers: httpFunctions,
      onError: (error: unknown) => logger('api').error('local API error', { error: String(error) }),
    });
    stoppers.push(() => api.stop());

    return {
      apiUrl: api.url,
      dynamoEndpoint,
      sqsEndpoint: sqsServer.endpoint,
      tableName,
      queues,
      sandboxes: { pressone: pressoneSandbox },
      env,
      dynamo,
      sqs,
      sqsServer,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
};
