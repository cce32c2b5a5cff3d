/**
 * The event-endpoint routes and the delivery function against DynamoDB Local and the project's SQS
 * endpoint: replay starts where the log's `since` is (binary search over the dense log) and queues
 * only the endpoint's types; secrets appear in no log line, at DEBUG, from registration through
 * delivery; a rotation two operators make at once lets one win.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSEvent } from 'aws-lambda';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { lambdaContext } from '../../local/lambda-context';
import { startListener, type Listener } from '../../local/listen';
import { createLogger } from '../../shared/logger';
import { createOperatorHandler, loadOperatorDeps } from '../../functions/operator/app';
import { createDeliveryHandler, loadDeliveryDeps } from '../../functions/delivery/app';
import { EventLog } from '../../shared/adapters/event-log';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { LoggingPublisher } from '../../shared/events/publish';
import type { RenewalEvent } from '../../shared/events/event';
import type { DeliveryMessage } from '../../shared/delivery/queue';
import { DELIVERY_QUEUE, ROUTES, routeKey, system } from '../../shared/system';
import { createQueues } from '../../local/resources';
import { createRenewalTable } from '../support/tables';

const OPERATOR = 'alice-operator-token-1234';
let dynamo: DynamoDBClient;
let tableName: string;
let sqsServer: SqsServer;
let sqs: SQSClient;
let queueUrl: string;
let env: Record<string, string>;
let operator: ReturnType<typeof createOperatorHandler>;
let listener: Listener | undefined;
let n = 0;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('endpoints'));
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `delivery-${process.pid}-${Date.now()}` }))).QueueUrl ?? '';
  const queues = await createQueues(sqs, `ep${process.pid}`);
  env = {
    ...Object.fromEntries(
      system.queues.flatMap((q) => [
        [q.urlEnv, queues[q.provider].url],
        [q.dlqUrlEnv, queues[q.provider].dlqUrl],
        [q.dlqArnEnv, queues[q.provider].dlqArn],
        [q.arnEnv, queues[q.provider].arn],
      ]),
    ),
    TABLE_NAME: tableName, RENEWALS_READ_TOKENS: 'read-token-for-tests', RENEWALS_OPERATOR_TOKENS: `alice=${OPERATOR}`, [DELIVERY_QUEUE.urlEnv]: queueUrl, EVENT_ENDPOINTS_ALLOW_HTTP: 'true',
  };
  operator = createOperatorHandler(await loadOperatorDeps(env, { dynamo, sqs }, createLogger('operator', 'DEBUG')));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await listener?.stop();
  listener = undefined;
});
afterAll(async () => {
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});

/** Everything printed to the console while `run` runs (the logger writes there in tests). */
const printed = async <T>(run: () => Promise<T>): Promise<{ result: T; text: string }> => {
  const chunks: string[] = [];
  for (const method of ['info', 'warn', 'error', 'debug', 'log'] as const) vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void chunks.push(args.map(String).join(' ')));
  try {
    return { result: await run(), text: chunks.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
};

const call = async (method: string, template: string, id?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
  const route = ROUTES.find((r) => r.method === method && r.path === template);
  if (!route) throw new Error(`no route ${method} ${template}`);
  const rawPath = template.replace('{id}', id ?? '');
  const event = {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath,
    rawQueryString: '',
    headers: { authorization: `Bearer ${OPERATOR}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(id ? { pathParameters: { id } } : {}),
    requestContext: { http: { method, path: rawPath }, requestId: `req-${++n}`, routeKey: routeKey(route) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const out = (await operator(event, lambdaContext('operator', 30_000))) as APIGatewayProxyStructuredResultV2;
  return { status: out.statusCode ?? 0, json: (out.body ? JSON.parse(String(out.body)) : {}) as Record<string, unknown> };
};

const renewalEvent = (k: number, type: string, createdAt: string): RenewalEvent => ({
  id: `evt_${String(k).padStart(32, '0')}`,
  type,
  createdAt,
  data: { id: `rnw_${'b'.repeat(26)}`, provider: 'pressone', operation: 'renew', subscription: 's', status: type.slice(8), attemptCount: 1, lastErrorClass: 'success', reason: null },
});
const drain = async (): Promise<DeliveryMessage[]> => {
  const out: DeliveryMessage[] = [];
  for (;;) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!r.Messages?.length) return out;
    out.push(...r.Messages.map((m) => JSON.parse(m.Body ?? '{}') as DeliveryMessage));
  }
};

describe('event endpoints against DynamoDB Local and SQS', () => {
  it('replay queues the events logged since `since`, of the endpoint types only, with replay set', async () => {
    const log = new EventLog(dynamo, tableName);
    const base = Date.now() - 3_600_000;
    // Six events, logged a minute apart, alternating types.
    for (let k = 1; k <= 6; k++) {
      const at = new Date(base + k * 60_000);
      await log.append([renewalEvent(k, k % 2 ? 'renewal.failed' : 'renewal.succeeded', at.toISOString())], at);
    }
    const created = await call('POST', '/v1/event-endpoints', undefined, { url: 'http://127.0.0.1:9/hook', types: ['renewal.failed'] });
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    await drain();
    expect(await log.positionAt(new Date(base + 3 * 60_000))).toBe(2);
    expect(await log.positionAt(new Date(base))).toBe(0);
    expect(await log.positionAt(new Date(base + 10 * 60_000))).toBe(6);

    const replay = await call('POST', '/v1/event-endpoints/{id}/replay', id, { since: new Date(base + 3 * 60_000).toISOString() });
    expect(replay.status).toBe(202);
    expect(replay.json).toMatchObject({ endpointId: id, queued: 2, truncated: false, lastCreatedAt: new Date(base + 5 * 60_000).toISOString() });
    const messages = await drain();
    expect(messages.map((m) => [m.event.id, m.endpointId, m.attempt, m.replay])).toEqual([
      [renewalEvent(3, 'x', '').id, id, 1, true],
      [renewalEvent(5, 'x', '').id, id, 1, true],
    ]);
    expect((await call('DELETE', '/v1/event-endpoints/{id}', id)).status).toBe(204);
  });

  it('secrets appear in no log line at DEBUG: registration, rotation, reads and deliveries', async () => {
    listener = await startListener({ secrets: [] });
    const { result: created, text: registering } = await printed(() => call('POST', '/v1/event-endpoints', undefined, { url: listener?.url, description: 'log check' }));
    const id = String(created.json.id);
    const first = String(created.json.secret);
    const { result: rotated, text: rotating } = await printed(() => call('POST', '/v1/event-endpoints/{id}/rotate-secret', id));
    const second = String(rotated.json.secret);
    listener.setSecrets([second]);
    const { text: reading } = await printed(async () => {
      await call('GET', '/v1/event-endpoints/{id}', id);
      await call('GET', '/v1/event-endpoints');
    });
    const delivery = createDeliveryHandler(loadDeliveryDeps(env, { dynamo, sqs }, createLogger('delivery', 'DEBUG'), new LoggingPublisher(createLogger('delivery', 'DEBUG'))));
    const message: DeliveryMessage = { endpointId: id, event: renewalEvent(99, 'renewal.succeeded', new Date().toISOString()), attempt: 1 };
    const { result, text: delivering } = await printed(() => delivery({ Records: [{ messageId: 'm1', body: JSON.stringify(message) }] } as unknown as SQSEvent));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(listener.events.map((e) => e.id)).toEqual([message.event.id]);
    expect(registering).toContain('event endpoint registered');
    expect(delivering).toContain('event delivered');
    for (const text of [registering, rotating, reading, delivering]) {
      for (const secret of [first, second]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(secret.slice(6));
      }
    }
    const attempts = await new EndpointStore(dynamo, tableName).attempts(id, 10);
    expect(attempts).toEqual([expect.objectContaining({ eventId: message.event.id, statusCode: 204, outcome: 'delivered' })]);
  });

  it('two rotations at once: one wins, the other is a 409 and changes nothing', async () => {
    const created = await call('POST', '/v1/event-endpoints', undefined, { url: 'https://example.com/hook' });
    const id = String(created.json.id);
    const answers = await Promise.all([call('POST', '/v1/event-endpoints/{id}/rotate-secret', id, {}), call('POST', '/v1/event-endpoints/{id}/rotate-secret', id, {})]);
    // Each rotation reads the secrets and writes on condition they did not change: two that read
    // the same secrets cannot both win (one gets 409); two that ran one after the other both do.
    expect(answers.every((a) => a.status === 200 || a.status === 409)).toBe(true);
    const winners = answers.filter((a) => a.status === 200).map((a) => String(a.json.secret));
    expect(winners.length).toBeGreaterThanOrEqual(1);
    const endpoint = await new EndpointStore(dynamo, tableName).get(id);
    // The original secret plus one per rotation that won, the newest first and a winner's.
    expect(endpoint?.secrets).toHaveLength(1 + winners.length);
    expect(winners).toContain(endpoint?.secrets[0]?.secret);
    expect(endpoint?.secrets.map((x) => x.secret)).toContain(String(created.json.secret));
  });
});
