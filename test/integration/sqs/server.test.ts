/**
 * The local SQS endpoint against the real @aws-sdk/client-sqs: if the SDK accepts the responses
 * (JSON 1.0 framing, MD5 checks, error mapping) and the queue semantics match SQS, consumers
 * tested locally behave the same in AWS.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  InvalidAttributeValue,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSServiceException,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { freePort } from '../../../local/ports';
import { startSqsServer, type SqsServer } from '../../../local/sqs/server';
import { md5OfMessageAttributes } from '../../../local/sqs/message-attributes';
import { createQueue, queueCounts, rejection, sqsClient, uniqueName } from './helpers';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

let server: SqsServer;
let client: SQSClient;

beforeAll(async () => {
  server = await startSqsServer({ port: await freePort() });
  client = sqsClient(server.endpoint);
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

async function receive(url: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}) {
  const out = await client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'], ...extra }),
  );
  return out.Messages ?? [];
}

describe('queues', () => {
  it('creates idempotently, resolves URLs, lists by prefix, reads and sets attributes, deletes', async () => {
    const name = uniqueName('queues');
    const { url } = await createQueue(client, name, { VisibilityTimeout: '5', DelaySeconds: '0' });
    expect(url).toBe(`${server.endpoint}/000000000000/${name}`);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/000000000000\//);

    // Same attributes: same queue. Different value for an attribute: QueueNameExists.
    expect((await createQueue(client, name, { VisibilityTimeout: '5' })).url).toBe(url);
    expect(await rejection(createQueue(client, name, { VisibilityTimeout: '6' }))).toBeInstanceOf(QueueNameExists);

    expect((await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(url);

    const other = uniqueName('queues');
    await createQueue(client, other);
    const listed = await client.send(new ListQueuesCommand({ QueueNamePrefix: name.slice(0, -2) }));
    expect(listed.QueueUrls).toEqual(expect.arrayContaining([url]));
    expect((await client.send(new ListQueuesCommand({ QueueNamePrefix: name }))).QueueUrls).toEqual([url]);
    expect((await client.send(new ListQueuesCommand({ QueueNamePrefix: 'no-such-prefix' }))).QueueUrls).toBeUndefined();

    const all = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(all.Attributes).toMatchObject({
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
      VisibilityTimeout: '5',
      DelaySeconds: '0',
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '0',
    });
    const created = Number(all.Attributes?.CreatedTimestamp);
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(10);
    expect(all.Attributes?.LastModifiedTimestamp).toBeDefined();

    await client.send(
      new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '7', MessageRetentionPeriod: '120' } }),
    );
    const named = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout', 'MessageRetentionPeriod'] }),
    );
    expect(named.Attributes).toEqual({ VisibilityTimeout: '7', MessageRetentionPeriod: '120' });

    await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    expect(await rejection(client.send(new GetQueueUrlCommand({ QueueName: name })))).toBeInstanceOf(QueueDoesNotExist);
  });

  it('pages ListQueues with MaxResults and NextToken', async () => {
    const prefix = uniqueName('page');
    const urls = [];
    for (const suffix of ['a', 'b', 'c']) urls.push((await createQueue(client, `${prefix}-${suffix}`)).url);
    const first = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    expect(first.QueueUrls).toEqual(urls.slice(0, 2));
    expect(first.NextToken).toBeTruthy();
    const second = await client.send(
      new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: first.NextToken }),
    );
    expect(second.QueueUrls).toEqual(urls.slice(2));
    expect(second.NextToken).toBeUndefined();
  });

  it('validates queue attributes with the SDK exception classes', async () => {
    const error = await rejection(createQueue(client, uniqueName('bad'), { VisibilityTimeout: '43201' }));
    expect(error).toBeInstanceOf(InvalidAttributeValue);
    expect(await rejection(createQueue(client, uniqueName('bad'), { NoSuchAttribute: '1' }))).toBeInstanceOf(
      InvalidAttributeName,
    );
    // The DLQ has to exist first, as in SQS (and as CDK orders it).
    const redrive = await rejection(
      createQueue(client, uniqueName('bad'), {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:missing', maxReceiveCount: 5 }),
      }),
    );
    expect(redrive).toBeInstanceOf(SQSServiceException);
    expect(redrive.name).toBe('InvalidParameterValue');
  });

  it('stores a redrive policy and returns it as SQS does', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const { url } = await createQueue(client, uniqueName('src'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: '5' }),
      RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'allowAll' }),
    });
    const out = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy', 'RedriveAllowPolicy'] }),
    );
    expect(JSON.parse(out.Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 5 });
    expect(out.Attributes?.RedriveAllowPolicy).toBe('{"redrivePermission":"allowAll"}');
  });
});

describe('messages', () => {
  it('sends, receives (SDK verifies MD5OfMessageBody) and deletes', async () => {
    const { url } = await createQueue(client, uniqueName('roundtrip'));
    const body = JSON.stringify({ renewal: 'r-1', note: 'Grüße – 日本 🎉' });
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    expect(sent.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const before = Date.now();
    const [message, ...rest] = await receive(url);
    expect(rest).toHaveLength(0);
    expect(message).toMatchObject({ MessageId: sent.MessageId, Body: body, MD5OfBody: md5(body) });
    expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'x' });
    expect(Number(message?.Attributes?.SentTimestamp)).toBeLessThanOrEqual(before);
    expect(Number(message?.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(before - 5);
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    // Deleting again with the same handle is fine in SQS too.
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message?.ReceiptHandle }));
    expect(await receive(url)).toEqual([]);
  });

  it('round-trips String, Number and Binary message attributes with the documented MD5', async () => {
    const { url } = await createQueue(client, uniqueName('attrs'));
    const attributes = {
      provider: { DataType: 'String', StringValue: 'pelcro' },
      attempt: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 250]) },
      'trace.id': { DataType: 'String.custom', StringValue: 'abc' },
    };
    const sent = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: attributes }));
    const expected = md5OfMessageAttributes(
      new Map([
        ['provider', { DataType: 'String', StringValue: 'pelcro' }],
        ['attempt', { DataType: 'Number', StringValue: '3' }],
        ['blob', { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 250]) }],
        ['trace.id', { DataType: 'String.custom', StringValue: 'abc' }],
      ]),
    );
    expect(sent.MD5OfMessageAttributes).toBe(expected);

    const [all] = await receive(url, { MessageAttributeNames: ['All'], VisibilityTimeout: 0 });
    expect(all?.MD5OfMessageAttributes).toBe(expected);
    expect(all?.MessageAttributes?.provider).toEqual({ DataType: 'String', StringValue: 'pelcro' });
    expect(all?.MessageAttributes?.attempt).toEqual({ DataType: 'Number', StringValue: '3' });
    expect(Buffer.from(all?.MessageAttributes?.blob?.BinaryValue ?? new Uint8Array())).toEqual(Buffer.from([0, 1, 2, 250]));

    // Filtered receive: only the selected attributes, and the digest covers exactly those.
    const [some] = await receive(url, { MessageAttributeNames: ['provider', 'trace.*'] });
    expect(Object.keys(some?.MessageAttributes ?? {}).sort()).toEqual(['provider', 'trace.id']);
    expect(some?.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes(
        new Map([
          ['provider', { DataType: 'String', StringValue: 'pelcro' }],
          ['trace.id', { DataType: 'String.custom', StringValue: 'abc' }],
        ]),
      ),
    );

    const invalid = await rejection(
      client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: 'x',
          MessageAttributes: { n: { DataType: 'Number', StringValue: 'not a number' } },
        }),
      ),
    );
    expect(invalid.name).toBe('InvalidParameterValue');
  });

  it('matches known MD5OfMessageAttributes vectors', () => {
    expect(
      md5OfMessageAttributes(
        new Map([
          ['ordinal', { DataType: 'Number', StringValue: '1' }],
          ['category', { DataType: 'String', StringValue: 'test' }],
        ]),
      ),
    ).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfMessageAttributes(new Map([['SellerName', { DataType: 'String', StringValue: 'Example Store' }]]))).toBe(
      'cd28f3b68aeee4b2eac9c66f2f694b58',
    );
  });

  it('reports per-entry results for SendMessageBatch and rejects malformed batches', async () => {
    const { url } = await createQueue(client, uniqueName('batch'));
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'ok1', MessageBody: 'one' },
          { Id: 'empty', MessageBody: '' },
          { Id: 'ok2', MessageBody: 'two', DelaySeconds: 0 },
          { Id: 'baddelay', MessageBody: 'three', DelaySeconds: 901 },
        ],
      }),
    );
    expect(out.Successful?.map((e) => e.Id).sort()).toEqual(['ok1', 'ok2']);
    expect(out.Successful?.find((e) => e.Id === 'ok1')?.MD5OfMessageBody).toBe(md5('one'));
    expect(out.Failed?.map((e) => [e.Id, e.SenderFault, e.Code]).sort()).toEqual([
      ['baddelay', true, 'InvalidParameterValue'],
      ['empty', true, 'MissingParameter'],
    ]);
    expect((await queueCounts(client, url)).visible).toBe(2);

    expect(
      await rejection(
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: [
              { Id: 'same', MessageBody: 'a' },
              { Id: 'same', MessageBody: 'b' },
            ],
          }),
        ),
      ),
    ).toBeInstanceOf(BatchEntryIdsNotDistinct);
    expect(await rejection(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })))).toBeInstanceOf(
      EmptyBatchRequest,
    );
  });

  it('holds delayed messages back, and a long poll returns when one becomes visible', async () => {
    const { url } = await createQueue(client, uniqueName('delay'));
    const sentAt = Date.now();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
    expect(await receive(url)).toEqual([]);
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 1 });

    const [message] = await receive(url, { WaitTimeSeconds: 5 });
    const elapsed = Date.now() - sentAt;
    expect(message?.Body).toBe('later');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2500);
  });

  it('applies the queue DelaySeconds default', async () => {
    const { url } = await createQueue(client, uniqueName('qdelay'), { DelaySeconds: '1' });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    expect((await queueCounts(client, url)).delayed).toBe(1);
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now', DelaySeconds: 0 }));
    expect((await receive(url)).map((m) => m.Body)).toEqual(['now']);
  });

  it('redelivers after the visibility timeout with ApproximateReceiveCount incremented', async () => {
    const { url } = await createQueue(client, uniqueName('visibility'), { VisibilityTimeout: '1' });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'retry me' }));
    const [first] = await receive(url);
    expect(first?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await receive(url)).toEqual([]);

    const receivedAt = Date.now();
    const [second] = await receive(url, { WaitTimeSeconds: 5 });
    expect(Date.now() - receivedAt).toBeLessThan(2000);
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(second?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(first?.Attributes?.ApproximateFirstReceiveTimestamp);
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);

    // An earlier receipt handle still deletes the message, as in SQS.
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle }));
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('changes visibility: 0 makes a message visible at once; stale handles are refused', async () => {
    const { url } = await createQueue(client, uniqueName('change'), { VisibilityTimeout: '30' });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    const [first] = await receive(url);
    expect(await receive(url)).toEqual([]);

    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }));
    const [second] = await receive(url);
    expect(second?.Attributes?.ApproximateReceiveCount).toBe('2');

    const stale = await rejection(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 })),
    );
    expect(stale.name).toBe('InvalidParameterValue');

    // Extending works with the current handle.
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 60 }));
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
  });

  it('answers a long poll as soon as a message is sent mid-wait', async () => {
    const { url } = await createQueue(client, uniqueName('longpoll'));
    const started = Date.now();
    const pending = receive(url, { WaitTimeSeconds: 10 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'ping' }));
    const messages = await pending;
    expect(messages.map((m) => m.Body)).toEqual(['ping']);
    expect(Date.now() - started).toBeLessThan(2000);

    // With nothing arriving, the wait ends empty after WaitTimeSeconds.
    const emptyStart = Date.now();
    expect(await receive(url, { WaitTimeSeconds: 1 })).toEqual([]);
    expect(Date.now() - emptyStart).toBeGreaterThanOrEqual(950);
  });

  it('moves a message to the DLQ instead of a receive beyond maxReceiveCount', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await createQueue(client, uniqueName('source'), {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 3 }),
    });
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: 'poison',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'renewal' } },
      }),
    );
    for (let i = 1; i <= 3; i++) {
      const [message] = await receive(source.url, { VisibilityTimeout: 0 });
      expect(message?.Attributes?.ApproximateReceiveCount).toBe(String(i));
    }
    expect(await receive(source.url)).toEqual([]);
    expect(await queueCounts(client, source.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    const [dead] = await receive(dlq.url, { MessageAttributeNames: ['All'] });
    expect(dead).toMatchObject({ MessageId: sent.MessageId, Body: 'poison' });
    expect(dead?.MessageAttributes?.kind?.StringValue).toBe('renewal');
    expect(dead?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
  });

  it('purges every message of a queue', async () => {
    const { url } = await createQueue(client, uniqueName('purge'));
    for (const body of ['a', 'b', 'c']) await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'd', DelaySeconds: 5 }));
    await receive(url);
    await client.send(new PurgeQueueCommand({ QueueUrl: url }));
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await receive(url)).toEqual([]);
  });

  it('deletes in batches with per-entry failures for invalid handles', async () => {
    const { url } = await createQueue(client, uniqueName('delbatch'));
    await client.send(
      new SendMessageBatchCommand({ QueueUrl: url, Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) }),
    );
    const messages = await receive(url, { MaxNumberOfMessages: 10 });
    expect(messages).toHaveLength(3);
    const out = await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          ...messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: 'bogus', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(out.Successful?.map((e) => e.Id).sort()).toEqual(['d0', 'd1', 'd2']);
    expect(out.Failed).toEqual([expect.objectContaining({ Id: 'bogus', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('delivers each of many messages exactly once across concurrent consumers', async () => {
    const { url } = await createQueue(client, uniqueName('many'));
    const total = 2000;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i += 10) {
      const entries = Array.from({ length: 10 }, (_, j) => ({ Id: `e${j}`, MessageBody: String(i + j) }));
      sends.push(client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries })));
    }
    await Promise.all(sends);
    expect((await queueCounts(client, url)).visible).toBe(total);

    const seen = new Map<string, number>();
    const consumer = async (): Promise<void> => {
      for (;;) {
        const messages = await receive(url, { MaxNumberOfMessages: 10 });
        if (messages.length === 0) return;
        for (const m of messages) seen.set(m.Body ?? '', (seen.get(m.Body ?? '') ?? 0) + 1);
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    };
    await Promise.all([consumer(), consumer(), consumer(), consumer()]);
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('errors and validation', () => {
  it('maps errors to the SDK exception classes', async () => {
    expect(await rejection(client.send(new GetQueueUrlCommand({ QueueName: 'does-not-exist' })))).toBeInstanceOf(
      QueueDoesNotExist,
    );
    const gone = `${server.endpoint}/000000000000/does-not-exist`;
    const sendError = await rejection(client.send(new SendMessageCommand({ QueueUrl: gone, MessageBody: 'x' })));
    expect(sendError).toBeInstanceOf(QueueDoesNotExist);
    expect(sendError.message).toBe('The specified queue does not exist.');

    const { url } = await createQueue(client, uniqueName('errors'));
    const invalid = await rejection(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'garbage' })));
    expect(invalid).toBeInstanceOf(ReceiptHandleIsInvalid);

    // A real handle from another queue is not valid for this one.
    const other = await createQueue(client, uniqueName('errors'));
    await client.send(new SendMessageCommand({ QueueUrl: other.url, MessageBody: 'x' }));
    const [foreign] = await receive(other.url);
    expect(
      await rejection(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: foreign?.ReceiptHandle }))),
    ).toBeInstanceOf(ReceiptHandleIsInvalid);
  });

  it('rejects out-of-range and missing parameters', async () => {
    const { url } = await createQueue(client, uniqueName('validate'));
    // Thunks: each request starts only when awaited, so no rejection goes unobserved meanwhile.
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })), 'InvalidParameterValue'],
      [() => client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 0 })), 'InvalidParameterValue'],
      [() => client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43_201 })), 'InvalidParameterValue'],
      [() => client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })), 'InvalidParameterValue'],
      [() => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 })), 'InvalidParameterValue'],
      [() => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' })), 'MissingParameter'],
      [() => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(256 * 1024 + 1) })), 'InvalidParameterValue'],
      [() => client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad \u0000 char' })), 'InvalidMessageContents'],
      [() => client.send(new ReceiveMessageCommand({ QueueUrl: '' })), 'MissingParameter'],
    ];
    for (const [send, name] of cases) {
      const error = await rejection(send());
      expect(error).toBeInstanceOf(SQSServiceException);
      expect(error.name).toBe(name);
    }
    // Exactly 256 KiB is allowed.
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(256 * 1024) }));
  });
});

describe('server', () => {
  it('counts requests per operation', async () => {
    server.resetStats();
    const { url } = await createQueue(client, uniqueName('stats'));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'y' }));
    await receive(url);
    expect(server.stats()).toEqual({ CreateQueue: 1, SendMessage: 2, ReceiveMessage: 1 });
    server.resetStats();
    expect(server.stats()).toEqual({});
  });

  it('serves clients that route by QueueUrl (no endpoint configured)', async () => {
    const { url } = await createQueue(client, uniqueName('byurl'));
    const routed = sqsClient();
    try {
      await routed.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'via queue url' }));
      const out = await routed.send(new ReceiveMessageCommand({ QueueUrl: url }));
      expect(out.Messages?.[0]?.Body).toBe('via queue url');
    } finally {
      routed.destroy();
    }
  });

  it('expires messages after the retention period (injected clock)', async () => {
    let now = Date.now();
    const clocked = await startSqsServer({ port: await freePort(), now: () => now });
    const c = sqsClient(clocked.endpoint);
    try {
      const { url } = await createQueue(c, 'retention', { MessageRetentionPeriod: '60' });
      await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'old' }));
      now += 30_000;
      await c.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'young' }));
      now += 31_000;
      expect((await queueCounts(c, url)).visible).toBe(1);
      const out = await c.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      expect(out.Messages?.map((m) => m.Body)).toEqual(['young']);
    } finally {
      c.destroy();
      await clocked.stop();
    }
  });

  it('stop() ends pending long polls and closes promptly', async () => {
    const local = await startSqsServer({ port: await freePort() });
    const c = sqsClient(local.endpoint);
    try {
      const { url } = await createQueue(c, 'stopping');
      const pending = c.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 })).then(
        (out) => out.Messages ?? [],
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      await local.stop();
      expect(await pending).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1000);
      // Stopping twice is harmless.
      await local.stop();
    } finally {
      c.destroy();
      await local.stop();
    }
  });

  it('forgets a deleted queue; recreating it starts empty', async () => {
    const name = uniqueName('recreate');
    const { url } = await createQueue(client, name);
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
    await client.send(new DeleteQueueCommand({ QueueUrl: url }));
    expect(await rejection(client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })))).toBeInstanceOf(
      QueueDoesNotExist,
    );
    await client.send(new CreateQueueCommand({ QueueName: name }));
    expect(await queueCounts(client, url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
