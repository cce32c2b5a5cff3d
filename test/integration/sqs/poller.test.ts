/**
 * The Lambda-style poller against the local SQS endpoint: event shape, ReportBatchItemFailures
 * semantics, redelivery through the visibility timeout, DLQ after maxReceiveCount, stop().
 * Queues use VisibilityTimeout 1 s so redeliveries happen within the test budget.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { freePort } from '../../../local/ports';
import { startSqsServer, type SqsServer } from '../../../local/sqs/server';
import { startPoller, type Poller, type PollerOptions } from '../../../local/sqs/poller';
import { createQueue, eventually, queueCounts, sqsClient, uniqueName } from './helpers';

let server: SqsServer;
let client: SQSClient;
let pollers: Poller[] = [];

beforeAll(async () => {
  server = await startSqsServer({ port: await freePort() });
  client = sqsClient(server.endpoint);
});

afterEach(async () => {
  // Stop every poller even when the test failed, so none keeps polling into the next test.
  await Promise.all(pollers.map((p) => p.stop()));
  pollers = [];
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

interface Invocation {
  readonly records: SQSRecord[];
  readonly context: Context;
}

function poll(options: Omit<PollerOptions, 'client'>): Poller {
  const poller = startPoller({ client, waitTimeSeconds: 1, ...options });
  pollers.push(poller);
  return poller;
}

async function sendBodies(url: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: `m${i + j}`, MessageBody: body })),
      }),
    );
  }
}

const emptyQueue = { visible: 0, inFlight: 0, delayed: 0 };
const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

describe('poller', () => {
  it('builds Lambda-shaped events and deletes the whole batch when the handler succeeds', async () => {
    const queue = await createQueue(client, uniqueName('ok'), { VisibilityTimeout: '1' });
    await client.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: 'with-attributes',
        MessageAttributes: {
          provider: { DataType: 'String', StringValue: 'punchh' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
        },
      }),
    );
    await sendBodies(queue.url, Array.from({ length: 14 }, (_, i) => `body-${i}`));

    const invocations: Invocation[] = [];
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'consumer-punchh',
      timeoutMs: 5000,
      handler: async (event, context) => {
        invocations.push({ records: event.Records, context });
      },
    });

    await eventually(() => expect(invocations.flatMap((i) => i.records)).toHaveLength(15));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
    expect(invocations.every((i) => i.records.length >= 1 && i.records.length <= 10)).toBe(true);

    const record = invocations.flatMap((i) => i.records).find((r) => r.body === 'with-attributes');
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      md5OfBody: md5('with-attributes'),
      attributes: { ApproximateReceiveCount: '1', SenderId: 'x' },
      messageAttributes: {
        provider: { stringValue: 'punchh', stringListValues: [], binaryListValues: [], dataType: 'String' },
        raw: { binaryValue: Buffer.from([1, 2, 3]).toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
    });
    expect(record?.messageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record?.receiptHandle).toBeTruthy();
    expect(record?.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(record?.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(
      Number(record?.attributes.SentTimestamp),
    );

    const context = invocations[0]?.context;
    expect(context).toMatchObject({
      functionName: 'consumer-punchh',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer-punchh',
      logGroupName: '/aws/lambda/consumer-punchh',
    });
    expect(context?.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(invocations.map((i) => i.context.awsRequestId)).size).toBe(invocations.length);
    const remaining = context?.getRemainingTimeInMillis() ?? -1;
    expect(remaining).toBeGreaterThanOrEqual(0);
    expect(remaining).toBeLessThanOrEqual(5000);
  });

  it('deletes all but the reported failures, which come back after the visibility timeout', async () => {
    const queue = await createQueue(client, uniqueName('partial'), { VisibilityTimeout: '1' });
    await sendBodies(queue.url, ['ok-1', 'fail-1', 'ok-2', 'fail-2']);

    const deliveries: Array<{ body: string; count: string; at: number }> = [];
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      maximumConcurrency: 1,
      handler: async (event): Promise<SQSBatchResponse> => {
        const failures = [];
        for (const record of event.Records) {
          const count = record.attributes.ApproximateReceiveCount;
          deliveries.push({ body: record.body, count, at: Date.now() });
          if (record.body.startsWith('fail') && count === '1') failures.push({ itemIdentifier: record.messageId });
        }
        return { batchItemFailures: failures };
      },
    });

    await eventually(() => expect(deliveries).toHaveLength(6));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
    const byBody = (body: string) => deliveries.filter((d) => d.body === body);
    expect(byBody('ok-1').map((d) => d.count)).toEqual(['1']);
    expect(byBody('ok-2').map((d) => d.count)).toEqual(['1']);
    for (const body of ['fail-1', 'fail-2']) {
      const [first, second] = byBody(body);
      expect([first?.count, second?.count]).toEqual(['1', '2']);
      // Redelivered by the visibility timeout (1 s), not straight away.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
    }
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = await createQueue(client, uniqueName('throws'), { VisibilityTimeout: '1' });
    await sendBodies(queue.url, ['a', 'b', 'c']);
    const deliveries: Array<{ body: string; count: string }> = [];
    const errors: unknown[] = [];
    let calls = 0;
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      maximumConcurrency: 1,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        calls++;
        for (const r of event.Records) deliveries.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
        if (calls === 1) throw new Error('provider down');
      },
    });
    await eventually(() => expect(deliveries).toHaveLength(6));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
    for (const body of ['a', 'b', 'c']) {
      expect(deliveries.filter((d) => d.body === body).map((d) => d.count)).toEqual(['1', '2']);
    }
    expect(errors).toEqual([expect.objectContaining({ message: 'provider down' })]);
  });

  it('fails the whole batch for an itemIdentifier that is not in the batch', async () => {
    const queue = await createQueue(client, uniqueName('badid'), { VisibilityTimeout: '1' });
    await sendBodies(queue.url, ['x', 'y']);
    const counts: string[] = [];
    const errors: unknown[] = [];
    let calls = 0;
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      maximumConcurrency: 1,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        calls++;
        counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        return calls === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-message-in-this-batch' }] } : undefined;
      },
    });
    await eventually(() => expect(counts).toEqual(['1', '1', '2', '2']));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
    expect(String(errors[0])).toMatch(/invalid itemIdentifier/);
  });

  it('treats a handler running past timeoutMs as failed', async () => {
    const queue = await createQueue(client, uniqueName('timeout'), { VisibilityTimeout: '1' });
    await sendBodies(queue.url, ['slow']);
    const counts: string[] = [];
    const errors: unknown[] = [];
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      timeoutMs: 200,
      onError: (error) => errors.push(error),
      handler: async (event) => {
        const count = event.Records[0]?.attributes.ApproximateReceiveCount ?? '';
        counts.push(count);
        if (count === '1') await new Promise((resolve) => setTimeout(resolve, 600));
      },
    });
    await eventually(() => expect(counts).toEqual(['1', '2']));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
    expect(String(errors[0])).toMatch(/Task timed out after 0\.20 seconds/);
  });

  it('moves messages that keep failing to the DLQ after maxReceiveCount receives', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const queue = await createQueue(client, uniqueName('poison'), {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await sendBodies(queue.url, ['poison', 'fine']);
    const deliveries: Array<{ body: string; count: string }> = [];
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: async (event) => ({
        batchItemFailures: event.Records.filter((r) => {
          deliveries.push({ body: r.body, count: r.attributes.ApproximateReceiveCount });
          return r.body === 'poison';
        }).map((r) => ({ itemIdentifier: r.messageId })),
      }),
    });
    await eventually(async () => expect(await queueCounts(client, dlq.url)).toMatchObject({ visible: 1 }), 8000);
    expect(await queueCounts(client, queue.url)).toEqual(emptyQueue);
    expect(deliveries.filter((d) => d.body === 'poison').map((d) => d.count)).toEqual(['1', '2']);
    expect(deliveries.filter((d) => d.body === 'fine').map((d) => d.count)).toEqual(['1']);
  });

  it('keeps other slots busy while one batch is slow', async () => {
    const queue = await createQueue(client, uniqueName('slots'), { VisibilityTimeout: '30' });
    let releaseSlow: () => void = () => undefined;
    const slowGate = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const handled: string[] = [];
    poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 1,
      maximumConcurrency: 2,
      handler: async (event) => {
        const body = event.Records[0]?.body ?? '';
        if (body === 'slow') await slowGate;
        handled.push(body);
      },
    });
    await sendBodies(queue.url, ['slow']);
    await eventually(async () => expect((await queueCounts(client, queue.url)).inFlight).toBe(1));
    await sendBodies(queue.url, ['fast-1', 'fast-2', 'fast-3']);
    await eventually(() => expect(handled).toEqual(['fast-1', 'fast-2', 'fast-3']));
    releaseSlow();
    await eventually(() => expect(handled).toContain('slow'));
    await eventually(async () => expect(await queueCounts(client, queue.url)).toEqual(emptyQueue));
  });

  it('stop() waits for the in-flight invocation, then deletes its messages', async () => {
    const queue = await createQueue(client, uniqueName('stop'), { VisibilityTimeout: '30' });
    await sendBodies(queue.url, ['in-flight']);
    let started = false;
    let finished = false;
    const poller = poll({
      queueUrl: queue.url,
      queueArn: queue.arn,
      handler: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 400));
        finished = true;
      },
    });
    await eventually(() => expect(started).toBe(true));
    await poller.stop();
    expect(finished).toBe(true);
    // The batch succeeded before stop() resolved, so it was deleted rather than left in flight.
    expect(await queueCounts(client, queue.url)).toEqual(emptyQueue);
  });

  it('stop() returns promptly while a long poll is pending', async () => {
    const queue = await createQueue(client, uniqueName('idle'));
    const poller = poll({ queueUrl: queue.url, queueArn: queue.arn, waitTimeSeconds: 20, handler: async () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = Date.now();
    await poller.stop();
    // Far below the 20 s long poll, with room for a busy machine.
    expect(Date.now() - before).toBeLessThan(2_000);
    // The aborted long poll did not swallow a message sent afterwards.
    await sendBodies(queue.url, ['after-stop']);
    expect((await queueCounts(client, queue.url)).visible).toBe(1);
  });

  it('rejects options Lambda would not accept', () => {
    const base = { client, queueUrl: 'http://127.0.0.1:1/000000000000/q', queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', handler: async () => undefined };
    expect(() => startPoller({ ...base, batchSize: 11 })).toThrow(RangeError);
    expect(() => startPoller({ ...base, maximumConcurrency: 0 })).toThrow(RangeError);
    expect(() => startPoller({ ...base, waitTimeSeconds: 21 })).toThrow(RangeError);
  });

  it('backs off and keeps going when receives fail', async () => {
    const errors: unknown[] = [];
    const poller = poll({
      queueUrl: `${server.endpoint}/000000000000/${uniqueName('missing')}`,
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:missing',
      onError: (error) => errors.push(error),
      handler: async (_event: SQSEvent) => undefined,
    });
    await eventually(() => expect(errors.length).toBeGreaterThanOrEqual(2));
    await poller.stop();
    expect((errors[0] as Error).name).toBe('QueueDoesNotExist');
    // Backoff, not a hot loop: a handful of attempts in this time, not hundreds.
    expect(errors.length).toBeLessThan(20);
  });
});
