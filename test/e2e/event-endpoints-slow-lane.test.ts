/**
 * The slow delivery lane on the local stack (local/stack.ts runs a poller for each lane): with
 * DELIVERY_SLOW_CALL_MS lowered to 300 ms, a receiver answering 2xx after 1 s is marked slow after
 * its first call, and both it and a fast receiver get every event of later renewals; a message put
 * on the slow queue itself is delivered by the slow lane's poller. No timing is asserted: states
 * are waited for with generous limits. (Which queue each message travels on is checked in
 * test/integration/event-endpoints-slow-lane.test.ts, where the test is the event source mapping.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { startTestStack } from '../support/stack';
import { signedHeaders } from '../../local/webhook-client';
import { startDynamoLocal, type DynamoLocal } from '../../local/dynamo';
import { freePort } from '../../local/ports';
import { startListener, type Listener } from '../../local/listen';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { SqsDeliveryQueue } from '../../shared/delivery/queue';
import type { GatewayEvent } from '../../shared/events/event';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

let stack: LocalStack;
let dynamo: DynamoLocal | undefined;
let fast: Listener | undefined;
let slowServer: Server | undefined;
/** The slow receiver's requests: webhook-id and body. */
const slowGot: Array<{ id: string; body: string }> = [];

beforeAll(async () => {
  dynamo = await startDynamoLocal({ port: await freePort() });
  stack = await startTestStack('e2e-slow-lane', {
    pollWaitSeconds: 1,
    dynamoEndpoint: dynamo.endpoint,
    env: { RETRY_BASE_DELAY_MS: '200', DELIVERY_RETRY_SCHEDULE_SECONDS: '1,1,1,2,2,2,2,2,2,2,2,2', DELIVERY_SLOW_CALL_MS: '300' },
  });
}, 180_000);
afterAll(async () => {
  await fast?.stop().catch(() => undefined);
  slowServer?.closeAllConnections();
  slowServer?.close();
  await stack?.stop();
  await dynamo?.stop();
});

const operatorToken = () => (stack.env.RENEWALS_OPERATOR_TOKENS ?? '').split('=')[1] ?? '';
const register = async (url: string): Promise<{ id: string; secret: string }> => {
  const res = await fetch(`${stack.apiUrl}/v1/event-endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, description: 'e2e slow lane' }),
  });
  const json = (await res.json()) as { id: string; secret: string };
  expect(res.status).toBe(201);
  return json;
};
const renew = async (email: string): Promise<string> => {
  const body = JSON.stringify({ email });
  const res = await fetch(`${stack.apiUrl}/v1/providers/pressone/renew-number`, { method: 'POST', headers: signedHeaders(stack.env.RENEWALS_WEBHOOK_SECRETS ?? '', body), body });
  expect(res.status).toBe(202);
  return String(((await res.json()) as { id: string }).id);
};
const until = async (what: string, done: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const slowTypes = (renewalId: string) => slowGot.map((d) => JSON.parse(d.body) as { type: string; data: { id: string } }).filter((e) => e.data.id === renewalId).map((e) => e.type);
const fastTypes = (renewalId: string) => (fast?.events ?? []).filter((e) => e.data.id === renewalId).map((e) => e.type);

describe('the slow lane on the local stack', () => {
  it('a receiver answering after 1 s is marked slow; it and a fast one get every event; the slow lane poller delivers', async () => {
    slowServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        slowGot.push({ id: String(req.headers['webhook-id']), body: Buffer.concat(chunks).toString('utf8') });
        setTimeout(() => res.writeHead(204).end(), 1000);
      });
    });
    await new Promise<void>((resolve) => slowServer?.listen(0, '127.0.0.1', resolve));
    const slow = await register(`http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/hook`);
    fast = await startListener({ port: 0, secrets: [] });
    fast.setSecrets([(await register(fast.url)).secret]);

    const first = await renew(`slow-lane-1.${Date.now()}@example.com`);
    await until('both receivers got the first renewal succeeded', () => slowTypes(first).includes('renewal.succeeded') && fastTypes(first).includes('renewal.succeeded'));
    const store = new EndpointStore(stack.dynamo, stack.tableName);
    await until('the slow endpoint is marked slow', async () => Date.parse((await store.get(slow.id))?.slowUntil ?? '') > Date.now());
    // Operators see it: the endpoint's view says until when it is on the slow lane.
    const view = (await (await fetch(`${stack.apiUrl}/v1/event-endpoints/${slow.id}`, { headers: { authorization: `Bearer ${operatorToken()}` } })).json()) as { slowUntil: string | null };
    expect(Date.parse(view.slowUntil ?? '')).toBeGreaterThan(Date.now());

    const second = await renew(`slow-lane-2.${Date.now()}@example.com`);
    await until('both receivers got the second renewal succeeded', () => slowTypes(second).includes('renewal.succeeded') && fastTypes(second).includes('renewal.succeeded'));
    for (const id of [first, second]) {
      expect(new Set(slowTypes(id)), id).toEqual(new Set(['renewal.queued', 'renewal.succeeded']));
      expect(new Set(fastTypes(id)), id).toEqual(new Set(['renewal.queued', 'renewal.succeeded']));
    }

    // A message on the slow queue itself is delivered by the slow lane's own poller.
    const replayed = JSON.parse(slowGot.find((d) => d.body.includes(first))?.body ?? '{}') as GatewayEvent;
    const before = slowGot.length;
    await new SqsDeliveryQueue(stack.sqs, stack.slowDeliveryQueue.url).send([{ message: { endpointId: slow.id, event: replayed, attempt: 1, replay: true, lane: 'slow' } }]);
    await until('the slow lane delivered the message put on it', () => slowGot.slice(before).some((d) => d.id === replayed.id));
  }, 300_000);
});
