/**
 * The slow delivery lane over real HTTP, DynamoDB Local and the project's SQS endpoint: two
 * receivers, one answering 204 after a delay above DELIVERY_SLOW_CALL_MS (lowered to 300 ms here),
 * one at once. The events function fans out and the delivery function delivers; the test is the
 * event source mapping of both queues, so it sees on which queue each message travels. After the
 * slow receiver's first call, its messages travel on the slow queue (from the fan-out, and
 * forwarded by the main lane when one lands there), the fast receiver's stay on the main queue, and
 * both get every event. No timing is asserted: states are waited for with generous limits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { startSqsServer, type SqsServer } from '../../local/sqs/server';
import { createDeliveryQueue } from '../../local/resources';
import { createLogger } from '../../shared/logger';
import { createDeliveryHandler, loadDeliveryDeps } from '../../functions/delivery/app';
import { createEventsHandler, loadDeliveryFanOut } from '../../functions/events/app';
import { EventLog } from '../../shared/adapters/event-log';
import { EndpointStore } from '../../shared/adapters/event-endpoints';
import { LoggingPublisher } from '../../shared/events/publish';
import { SqsDeliveryQueue, type DeliveryMessage } from '../../shared/delivery/queue';
import { newRenewalRecord } from '../../shared/domain/renewal';
import { DELIVERY_QUEUE, DELIVERY_SLOW_QUEUE, system } from '../../shared/system';
import type { GatewayEvent } from '../../shared/events/event';
import { createRenewalTable } from '../support/tables';

const SLOW_ID = 'ep_slowslowslowslowslowslow';
const FAST_ID = 'ep_fastfastfastfastfastfast';

let dynamo: DynamoDBClient;
let tableName: string;
let sqsServer: SqsServer;
let sqs: SQSClient;
let lanes: { main: string; slow: string };
let store: EndpointStore;
const servers: Server[] = [];
/** webhook-ids each receiver answered, in arrival order. */
const received: Record<string, string[]> = { [SLOW_ID]: [], [FAST_ID]: [] };
/** Every message the "event source mapping" below handed to the function: its queue, endpoint and event. */
const travelled: Array<{ lane: 'main' | 'slow'; endpointId: string; eventId: string }> = [];

const receiver = async (endpointId: string, delayMs: number): Promise<string> => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received[endpointId]?.push(String(req.headers['webhook-id']));
      setTimeout(() => res.writeHead(204).end(), delayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
};

/** The events the events function put on the bus (here: kept), each once per batch. */
const published: GatewayEvent[] = [];
let delivery: ReturnType<typeof createDeliveryHandler>;
let events: ReturnType<typeof createEventsHandler>;

beforeAll(async () => {
  ({ dynamo, tableName } = await createRenewalTable('slowlane'));
  sqsServer = await startSqsServer({ port: 0 });
  sqs = new SQSClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const prefix = `slow${process.pid}`;
  lanes = { main: (await createDeliveryQueue(sqs, prefix)).url, slow: (await createDeliveryQueue(sqs, prefix, system.slowDeliveryQueue)).url };
  const env = {
    TABLE_NAME: tableName,
    [DELIVERY_QUEUE.urlEnv]: lanes.main,
    [DELIVERY_SLOW_QUEUE.urlEnv]: lanes.slow,
    EVENT_ENDPOINTS_ALLOW_HTTP: 'true',
    DELIVERY_SLOW_CALL_MS: '300',
    DELIVERY_TIMEOUT_MS: '10000',
    DELIVERY_RETRY_SCHEDULE_SECONDS: '1,1,1,1,1',
  };
  const logger = createLogger('delivery', 'SILENT');
  delivery = createDeliveryHandler(loadDeliveryDeps(env, { dynamo, sqs }, logger, new LoggingPublisher(logger)));
  const deliveries = loadDeliveryFanOut(env, { dynamo, sqs });
  events = createEventsHandler({ log: new EventLog(dynamo, tableName), publisher: { publish: (evs) => (published.push(...evs), Promise.resolve([])) }, logger: createLogger('events', 'SILENT'), ...(deliveries ? { deliveries } : {}) });
  store = new EndpointStore(dynamo, tableName);
  const secrets = [{ secret: 'whsec_' + Buffer.alloc(24, 3).toString('base64'), createdAt: new Date().toISOString() }];
  // The slow receiver answers after 1 s: well above the 300 ms threshold, far below the timeout.
  for (const [id, delayMs] of [
    [SLOW_ID, 1000],
    [FAST_ID, 0],
  ] as const) {
    await store.create({ id, url: await receiver(id, delayMs), secrets, enabled: true, createdAt: new Date().toISOString(), createdBy: 'test' });
  }
}, 60_000);
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  sqs?.destroy();
  await sqsServer?.stop();
  dynamo?.destroy();
});

/** One renewal finishing, as the table stream shows it to the events function (one event). */
let renewals = 0;
const finished = (): DynamoDBRecord => {
  const n = ++renewals;
  const renewal = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: `slow-lane-${n}@example.com`, params: {} }, `key-slow-${n}`, new Date());
  const item = { pk: `RENEWAL#${renewal.id}`, sk: 'RENEWAL', ...renewal };
  const image = (v: Record<string, unknown>) => marshall(v, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
  return {
    eventID: `e${n}`,
    eventName: 'MODIFY',
    dynamodb: {
      Keys: image({ pk: item.pk, sk: item.sk }),
      OldImage: image({ ...item, status: 'in_progress' }),
      NewImage: image({ ...item, status: 'succeeded', lastErrorClass: 'success', updatedAt: new Date().toISOString() }),
      SequenceNumber: String(n).padStart(10, '0'),
    },
  };
};
/** The events function on a batch of `count` renewals finishing; the ids of the events it logged. */
const emit = async (count: number): Promise<string[]> => {
  const records = Array.from({ length: count }, finished);
  expect(await events({ Records: records } as DynamoDBStreamEvent)).toEqual({ batchItemFailures: [] });
  const ids = [...new Set(published.filter((e) => records.some((r) => e.data.id === r.dynamodb?.NewImage?.id?.S)).map((e) => e.id))];
  expect(ids).toHaveLength(count);
  return ids;
};

/** What the event source mapping does, once per lane: receive a batch, invoke, delete what did not fail (the rest comes back at once). */
const pumpOnce = async (lane: 'main' | 'slow'): Promise<void> => {
  const url = lanes[lane];
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  const messages = out.Messages ?? [];
  if (messages.length === 0) return;
  for (const m of messages) {
    const body = JSON.parse(m.Body ?? '{}') as DeliveryMessage;
    travelled.push({ lane, endpointId: body.endpointId, eventId: body.event.id });
  }
  const result = await delivery({ Records: messages.map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body })) } as unknown as SQSEvent);
  const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) {
    if (failed.has(m.MessageId ?? '')) await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    else await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  }
};
/** Pumps both lanes until `done` (generous limit: a loaded machine), never asserting how long it took. */
const pumpUntil = async (what: string, done: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pumpOnce('main');
    await pumpOnce('slow');
    await new Promise((r) => setTimeout(r, 50));
  }
};
const got = (endpointId: string, ids: readonly string[]) => () => ids.every((id) => received[endpointId]?.includes(id));
const lanesOf = (endpointId: string, ids: readonly string[]) => [...new Set(travelled.filter((t) => t.endpointId === endpointId && ids.includes(t.eventId)).map((t) => t.lane))].sort();

describe('the slow lane over HTTP', () => {
  it('after its first slow call a receiver gets its events over the slow queue; the fast one stays on the main queue; both get every event', async () => {
    // Before anything is known, both endpoints are on the main lane.
    const first = await emit(1);
    await pumpUntil('both receivers got the first event', () => got(SLOW_ID, first)() && got(FAST_ID, first)());
    expect(lanesOf(SLOW_ID, first)).toEqual(['main']);
    // The slow call marked its endpoint (in the write after the attempt); the fast one is not marked.
    await pumpUntil('the slow endpoint is marked slow', async () => Date.parse((await store.get(SLOW_ID))?.slowUntil ?? '') > Date.now());
    expect((await store.get(FAST_ID))?.slowUntil).toBeUndefined();

    // New events: the fan-out puts the slow endpoint's on the slow queue at once.
    const next = await emit(3);
    await pumpUntil('both receivers got the next events', () => got(SLOW_ID, next)() && got(FAST_ID, next)());
    expect(lanesOf(SLOW_ID, next)).toEqual(['slow']);
    expect(lanesOf(FAST_ID, next)).toEqual(['main']);

    // A message for the slow endpoint that lands on the main lane (a replay does that) is forwarded
    // to the slow queue, not called from the main lane, and delivered there.
    const replayed = first[0] ?? '';
    const logged = published.find((e) => e.id === replayed);
    expect(logged).toBeDefined();
    const before = received[SLOW_ID]?.length ?? 0;
    await new SqsDeliveryQueue(sqs, lanes.main).send([{ message: { endpointId: SLOW_ID, event: logged as GatewayEvent, attempt: 1, replay: true } }]);
    await pumpUntil('the replayed event reached the slow receiver again', () => (received[SLOW_ID]?.slice(before) ?? []).includes(replayed));
    const replayTravel = travelled.filter((t) => t.endpointId === SLOW_ID && t.eventId === replayed).map((t) => t.lane);
    expect(replayTravel.slice(-2)).toEqual(['main', 'slow']);

    // Every event reached each receiver (at least once; webhook-id = event id for their dedupe).
    for (const id of [...first, ...next]) {
      expect(received[SLOW_ID], id).toContain(id);
      expect(received[FAST_ID], id).toContain(id);
    }
    // The fast receiver never travelled the slow lane.
    expect(travelled.filter((t) => t.endpointId === FAST_ID && t.lane === 'slow')).toEqual([]);
  }, 300_000);
});
