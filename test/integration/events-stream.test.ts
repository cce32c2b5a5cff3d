/**
 * Events from the table stream, against DynamoDB Local: a writer that does nothing but its status
 * writes (as if it crashed right after each) still produces every event, through the local stream
 * poller and the events function; a failing publish is retried from the stream without duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LOCAL_CREDENTIALS, localDynamoClient } from '../../local/dynamo';
import { createTable } from '../../local/resources';
import { startStreamPoller, type StreamPoller } from '../../local/streams/poller';
import { createEventsHandler } from '../../functions/events/app';
import { EventLog } from '../../shared/adapters/event-log';
import { RenewalStore } from '../../shared/adapters/renewal-store';
import { newRenewalRecord, type Attempt } from '../../shared/domain/renewal';
import type { GatewayEvent } from '../../shared/events/event';
import type { EventPublisher } from '../../shared/events/publish';
import { createLogger } from '../../shared/logger';
import { uniquePrefix } from '../support/tables';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

let dynamo: DynamoDBClient;
let streams: DynamoDBStreamsClient;
const pollers: StreamPoller[] = [];

beforeAll(() => {
  dynamo = localDynamoClient(inject('dynamoEndpoint'));
  streams = new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  await Promise.all(pollers.map((p) => p.stop()));
  dynamo.destroy();
  streams.destroy();
});

const attempt = (n: number, errorClass: Attempt['errorClass']): Attempt => ({ number: n, startedAt: new Date().toISOString(), latencyMs: 5, httpStatus: errorClass === 'success' ? 200 : 503, errorClass, message: errorClass });

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 90_000): Promise<T> => {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** A writer that only writes: create, claim, retry, claim, succeed. Nothing runs after each write. */
const writeLifecycle = async (store: RenewalStore, key: string): Promise<string> => {
  const record = newRenewalRecord({ provider: 'pressone', operation: 'renew', subscription: `${key}@example.com`, params: {} }, key, new Date());
  await store.create(record);
  await store.claim(record.id, 'w1', new Date(), 30_000);
  await store.complete(record.id, 'w1', new Date(), { status: 'retry_scheduled', reason: 'provider busy', attempts: [attempt(1, 'retryable')], nextAttemptAt: new Date(Date.now() - 1).toISOString() });
  await store.claim(record.id, 'w2', new Date(), 30_000);
  await store.complete(record.id, 'w2', new Date(), { status: 'succeeded', reason: 'renewed', attempts: [attempt(2, 'success')] });
  return record.id;
};

const startEvents = (tableName: string, streamArn: string, publisher: EventPublisher): EventLog => {
  const log = new EventLog(dynamo, tableName);
  const poller = startStreamPoller({
    client: streams,
    streamArn,
    handler: createEventsHandler({ log, publisher, logger: createLogger('events', 'SILENT') }),
    filter: (r) => r.dynamodb?.Keys?.sk?.S === 'RENEWAL',
    idleMs: 50,
  });
  pollers.push(poller);
  return log;
};

describe('events from the table stream', () => {
  it('status writes whose writer did nothing else still become events, in order, exactly once', async () => {
    const tableName = `${uniquePrefix('events-crash')}-renewals`;
    const streamArn = await createTable(dynamo, tableName);
    expect(streamArn).toBeTruthy();
    const store = new RenewalStore(dynamo, tableName);
    // The writes happen before any events code runs (the events function was down, or the writer
    // died right after writing): the stream still holds them.
    const id = await writeLifecycle(store, 'crash-1');

    const published: GatewayEvent[] = [];
    const log = startEvents(tableName, String(streamArn), { publish: (events) => (published.push(...events), Promise.resolve([])) });
    const page = await waitFor('three events', async () => {
      const p = await log.read({ after: 0, limit: 10 }, new Date());
      return p.items.length >= 3 ? p : undefined;
    });
    expect(page.items.map((i) => i.event.type)).toEqual(['renewal.queued', 'renewal.retry_scheduled', 'renewal.succeeded']);
    expect(page.items.every((i) => i.event.data.id === id)).toBe(true);
    expect(page.items[2]?.event.data).toMatchObject({ status: 'succeeded', attemptCount: 2, lastErrorClass: 'success', reason: 'renewed' });
    expect(published.map((e) => e.id)).toEqual(page.items.map((i) => i.event.id));
  });

  it('a publish that fails is retried from the stream: the bus gets every event, the log holds each once', async () => {
    const tableName = `${uniquePrefix('events-retry')}-renewals`;
    const streamArn = await createTable(dynamo, tableName);
    const store = new RenewalStore(dynamo, tableName);
    let calls = 0;
    const published: GatewayEvent[] = [];
    const flaky: EventPublisher = {
      publish: (events) => {
        calls++;
        // The first call fails from its second event on: the stream retries from that record.
        if (calls === 1) {
          published.push(...events.slice(0, 1));
          return Promise.resolve(events.slice(1));
        }
        published.push(...events);
        return Promise.resolve([]);
      },
    };
    // Written first, so the first batch holds all three records.
    await writeLifecycle(store, 'retry-1');
    const log = startEvents(tableName, String(streamArn), flaky);
    const page = await waitFor('three events published', async () => {
      const p = await log.read({ after: 0, limit: 10 }, new Date());
      return p.items.length >= 3 && published.some((e) => e.type === 'renewal.succeeded') ? p : undefined;
    });
    expect(page.items.map((i) => i.event.type)).toEqual(['renewal.queued', 'renewal.retry_scheduled', 'renewal.succeeded']);
    expect(published.map((e) => e.id)).toEqual(page.items.map((i) => i.event.id));
    expect(calls).toBe(2);
  });

  it('a process killed (SIGKILL) right after writing a status loses no event', async () => {
    const tableName = `${uniquePrefix('events-kill')}-renewals`;
    const streamArn = await createTable(dynamo, tableName);
    const script = fileURLToPath(new URL('../fixtures/events/crash-after-write.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, inject('dynamoEndpoint'), tableName, 'killed-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    expect(signal, err).toBe('SIGKILL');
    const id = out.trim();
    expect(id).toMatch(/^rnw_/);

    const log = startEvents(tableName, String(streamArn), { publish: () => Promise.resolve([]) });
    const page = await waitFor('the failed event', async () => {
      const p = await log.read({ after: 0, limit: 10, type: 'renewal.failed' }, new Date());
      return p.items.length > 0 ? p : undefined;
    });
    expect(page.items.map((i) => i.event.data)).toEqual([
      { id, provider: 'pressone', operation: 'renew', subscription: 'killed-1@example.com', status: 'failed', attemptCount: 1, lastErrorClass: 'permanent', reason: 'refused for good' },
    ]);
  });
});
