/**
 * The folded webhook-id binding (issue 12: a write unit less per renewal), against DynamoDB Local
 * and the project's SQS endpoint, through the intake handler: a renewal request without an
 * `Idempotency-Key` and without secret params writes no binding item (its renewal is the binding),
 * and issue 9's replay guarantee still holds: the same message with a key added, or sent to a
 * schedule route, answers 409, including when the two arrive at the same time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { signedHeaders } from '../../local/webhook-client';
import { RenewalRecords } from '../../shared/adapters/renewal-store';
import { SqsRenewalQueue } from '../../shared/adapters/queue';
import { bindingDigest, WebhookBindings } from '../../shared/adapters/webhook-bindings';
import { createWebhookVerifier } from '../../shared/http/auth';
import { HttpError } from '../../shared/http/problem';
import { renewalIdFor } from '../../shared/domain/renewal';
import { createIntakeHandler } from '../../functions/intake/app';
import { createRenewalTable } from '../support/tables';

const SECRET = `whsec_${Buffer.from('folded-binding-test-secret-0123456789').toString('base64')}`;
const ROUTE = 'POST /v1/providers/pressone/renew-number';
const logger = new Logger({ logLevel: 'SILENT' });

let dynamo: DynamoDBClient;
let tableName: string;
let store: RenewalRecords;
let sqsServer: SqsServer;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  const t = await createRenewalTable('folded');
  dynamo = t.dynamo;
  tableName = t.tableName;
  store = new RenewalRecords(dynamo, tableName);
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'folded' }))).QueueUrl ?? '';
});
afterAll(async () => {
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});

const verify = createWebhookVerifier([SECRET]);
const handlerWith = (bindings: WebhookBindings) =>
  createIntakeHandler({
    store,
    bindings,
    queues: { pressone: new SqsRenewalQueue(sqs, queueUrl) },
    verifyWebhook: (raw, headers) => Promise.resolve(verify(raw, headers)),
    logger,
  });

interface Captured {
  readonly headers: Record<string, string>;
  readonly body: string;
}
const capture = (email: string): Captured => {
  const body = JSON.stringify({ email });
  return { headers: signedHeaders(SECRET, body), body };
};
const eventOf = (c: Captured, extra: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: ROUTE,
    rawPath: '/v1/providers/pressone/renew-number',
    rawQueryString: '',
    headers: { ...c.headers, ...extra },
    body: c.body,
    isBase64Encoded: false,
    requestContext: { requestId: `req-${Math.random()}` },
  }) as unknown as APIGatewayProxyEventV2;
const statusOf = (r: APIGatewayProxyStructuredResultV2 | string): number => (typeof r === 'string' ? 0 : (r.statusCode ?? 0));
const bodyOf = (r: APIGatewayProxyStructuredResultV2 | string): Record<string, unknown> =>
  JSON.parse(typeof r === 'string' ? r : String(r.body ?? '{}')) as Record<string, unknown>;
const invoke = (handler: ReturnType<typeof handlerWith>, event: APIGatewayProxyEventV2) =>
  (handler as unknown as (e: APIGatewayProxyEventV2, c: unknown) => Promise<APIGatewayProxyStructuredResultV2>)(event, {});
const bindingItems = async () =>
  ((await dynamo.send(new ScanCommand({ TableName: tableName, FilterExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': 'WEBHOOK' } }))).Items ?? []).length;
const renewalsOf = async (email: string) =>
  (
    await dynamo.send(
      new QueryCommand({ TableName: tableName, IndexName: 'bySubscription', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': `SUB#pressone#${email}` } }),
    )
  ).Items ?? [];
const depth = async () =>
  Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);

describe('a renewal request without an Idempotency-Key (folded binding)', () => {
  it('writes no binding item; its exact repeat is 200; with a key added it answers 409 and renews nothing more', async () => {
    const handler = handlerWith(new WebhookBindings(dynamo, tableName));
    const bindingsBefore = await bindingItems();
    const c = capture('folded-1@example.com');
    const first = await invoke(handler, eventOf(c));
    expect(statusOf(first)).toBe(202);
    expect(bodyOf(first)).toMatchObject({ id: renewalIdFor(c.headers['webhook-id'] ?? ''), idempotencyKey: c.headers['webhook-id'] });
    expect(await bindingItems()).toBe(bindingsBefore);

    const repeat = await invoke(handler, eventOf(c));
    expect(statusOf(repeat)).toBe(200);
    for (const key of ['attacker-1', 'attacker-2']) {
      const replay = await invoke(handler, eventOf(c, { 'idempotency-key': key }));
      expect(statusOf(replay)).toBe(409);
      expect(bodyOf(replay)).toMatchObject({ errors: [{ path: 'headers.webhook-id' }] });
    }
    // The refused replays took their bindings back: the original's repeats still answer 200.
    expect(await bindingItems()).toBe(bindingsBefore);
    expect(statusOf(await invoke(handler, eventOf(c)))).toBe(200);
    expect(await renewalsOf('folded-1@example.com')).toHaveLength(1);
  });

  it('a keyed message replayed without its key answers 409 before anything is stored', async () => {
    const handler = handlerWith(new WebhookBindings(dynamo, tableName));
    const c = capture('folded-2@example.com');
    expect(statusOf(await invoke(handler, eventOf(c, { 'idempotency-key': 'order-2' })))).toBe(202);
    expect(statusOf(await invoke(handler, eventOf(c)))).toBe(409);
    expect(await renewalsOf('folded-2@example.com')).toHaveLength(1);
    expect(statusOf(await invoke(handler, eventOf(c, { 'idempotency-key': 'order-2' })))).toBe(200);
  });

  it('the same message with and without a key at the same time: one renewal goes ahead, the other is withdrawn unsent and answers 409', async () => {
    const c = capture('folded-3@example.com');
    const plain = new WebhookBindings(dynamo, tableName);
    const keyedHandler = handlerWith(plain);
    let keyed: APIGatewayProxyStructuredResultV2 | undefined;
    // The folded request reads the binding (none), then the keyed replay runs whole, then the
    // folded request creates its renewal and reads the binding again before sending.
    class Interleaved extends WebhookBindings {
      private calls = 0;
      override async boundTo(webhookId: string, now: Date): Promise<string | undefined> {
        const bound = await super.boundTo(webhookId, now);
        if (this.calls++ === 0) keyed = await invoke(keyedHandler, eventOf(c, { 'idempotency-key': 'attacker-3' }));
        return bound;
      }
    }
    const before = await depth();
    const folded = await invoke(handlerWith(new Interleaved(dynamo, tableName)), eventOf(c));
    expect(statusOf(keyed ?? '')).toBe(202);
    expect(statusOf(folded)).toBe(409);
    const slot = await store.get(renewalIdFor(c.headers['webhook-id'] ?? ''));
    expect(slot).toMatchObject({ status: 'cancelled', attempts: [] });
    expect(await depth()).toBe(before + 1);
    const live = (await renewalsOf('folded-3@example.com')).map((i) => String(i.pk));
    expect(live).toHaveLength(2);
    expect(live).toContain(`RENEWAL#${renewalIdFor('attacker-3')}`);
  });

  it('a request keyed on its webhook-id with secret params is bound as before; its own renewal is no conflict on a repeat', async () => {
    const bindings = new WebhookBindings(dynamo, tableName);
    const now = new Date();
    const digest = bindingDigest({ kind: 'renewal', idempotencyKey: 'msg_own', request: { provider: 'pelcro' } });
    expect(await bindings.bind('msg_own', digest, now, true)).toBe('first');
    await store.create({
      id: renewalIdFor('msg_own'),
      idempotencyKey: 'msg_own',
      requestHash: 'h',
      provider: 'pressone',
      operation: 'renew',
      subscription: 'own@example.com',
      params: {},
      status: 'queued',
      attempts: [],
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    expect(await bindings.bind('msg_own', digest, now, true)).toBe('repeat');
    // Any other signed write with this webhook-id (a schedule route) is refused.
    const other = await bindings.bind('msg_own', digest, now).catch((e: unknown) => (e instanceof HttpError ? e.status : e));
    expect(other).toBe(409);
  });
});
