/**
 * Dead-letter queue redrive on the local SQS endpoint, through the real @aws-sdk/client-sqs:
 * StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask, their errors as the SDK's
 * exception classes, and the attributes an operator needs to look at dead letters without
 * consuming them.
 *
 * Nothing here depends on how fast the machine is: a task is held RUNNING by a DLQ message kept
 * in flight (a task waits for such a message to become visible), waits poll with generous
 * deadlines, and the pacing of MaxNumberOfMessagesPerSecond is checked on the engine with fake
 * timers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  ResourceNotFoundException,
  SendMessageCommand,
  SQSServiceException,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { freePort } from '../../../local/ports';
import { startSqsServer, type SqsServer } from '../../../local/sqs/server';
import { SqsEngine, type Json } from '../../../local/sqs/engine';
import { encodeTaskHandle } from '../../../local/sqs/move-tasks';
import { createQueue, eventually, queueCounts, rejection, sqsClient, uniqueName } from './helpers';

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

/** Waits of a loaded machine are long; nothing is asserted about how long anything took. */
const DEADLINE_MS = 20_000;

async function receive(url: string, extra: Partial<ConstructorParameters<typeof ReceiveMessageCommand>[0]> = {}): Promise<Message[]> {
  const out = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
      MaxNumberOfMessages: 10,
      ...extra,
    }),
  );
  return out.Messages ?? [];
}

/** A source queue whose messages go to `dlq` on their second receive (maxReceiveCount 1). */
async function sourceQueue(dlqArn: string, prefix = 'source'): Promise<{ url: string; arn: string }> {
  return createQueue(client, uniqueName(prefix), {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }),
  });
}

/** Sends `bodies` to `source` and dead-letters them: received once, then moved by the next receive. */
async function deadLetter(source: { url: string }, dlq: { url: string }, bodies: string[]): Promise<void> {
  for (const body of bodies) {
    await client.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: body,
        MessageAttributes: { origin: { DataType: 'String', StringValue: `attr-${body}` } },
      }),
    );
  }
  const inDlq = async (): Promise<number> => {
    const counts = await queueCounts(client, dlq.url);
    return counts.visible + counts.inFlight;
  };
  const before = await inDlq();
  // The first receive counts each message once; the next one moves them to the DLQ instead.
  await eventually(async () => {
    await receive(source.url, { VisibilityTimeout: 0 });
    expect(await inDlq()).toBe(before + bodies.length);
  }, DEADLINE_MS);
}

async function tasks(sourceArn: string, max = 1): Promise<ListMessageMoveTasksResultEntry[]> {
  return (await client.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: max }))).Results ?? [];
}

async function latestStatus(sourceArn: string, status: string): Promise<ListMessageMoveTasksResultEntry> {
  return eventually(async () => {
    const [latest] = await tasks(sourceArn);
    expect(latest?.Status).toBe(status);
    return latest as ListMessageMoveTasksResultEntry;
  }, DEADLINE_MS);
}

/** Receives one DLQ message and keeps it in flight: a task waits for it, so it stays RUNNING. */
async function holdOne(dlqUrl: string): Promise<Message> {
  const [held] = await receive(dlqUrl, { MaxNumberOfMessages: 1, VisibilityTimeout: 600 });
  if (!held) throw new Error('nothing to hold in the DLQ');
  return held;
}

const release = (dlqUrl: string, held: Message) =>
  client.send(new ChangeMessageVisibilityCommand({ QueueUrl: dlqUrl, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 0 }));

describe('dead letters', () => {
  it('lands a message in the DLQ after maxReceiveCount; an operator lists it without consuming it', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    await deadLetter(source, dlq, ['poison']);
    expect(await queueCounts(client, source.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });

    // Look with VisibilityTimeout 0: the message stays visible.
    const [seen] = await receive(dlq.url, { VisibilityTimeout: 0 });
    expect(seen?.Body).toBe('poison');
    expect(seen?.MessageAttributes?.origin?.StringValue).toBe('attr-poison');
    expect(seen?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
    expect(seen?.Attributes?.ApproximateReceiveCount).toBe('1');
    const sent = Number(seen?.Attributes?.SentTimestamp);
    const firstReceive = Number(seen?.Attributes?.ApproximateFirstReceiveTimestamp);
    expect(Math.abs(sent - Date.now())).toBeLessThan(60_000);
    expect(firstReceive).toBeGreaterThanOrEqual(sent);
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });

    // Or look with a short timeout and hand it back with ChangeMessageVisibility 0.
    const [again] = await receive(dlq.url, { VisibilityTimeout: 30 });
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again?.Attributes?.ApproximateFirstReceiveTimestamp).toBe(String(firstReceive));
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    await release(dlq.url, again as Message);
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('counts delayed messages in ApproximateNumberOfMessagesDelayed', async () => {
    const { url } = await createQueue(client, uniqueName('delayed'));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 600 }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'now' }));
    expect(await queueCounts(client, url)).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
  });
});

describe('StartMessageMoveTask', () => {
  it('without DestinationArn moves each message back to the queue that dead-lettered it', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const first = await sourceQueue(dlq.arn, 'first');
    const second = await sourceQueue(dlq.arn, 'second');
    await deadLetter(first, dlq, ['a1', 'a2']);
    await deadLetter(second, dlq, ['b1']);
    const [deadA1] = (await receive(dlq.url, { VisibilityTimeout: 0 })).filter((m) => m.Body === 'a1');

    const started = await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    expect(started.TaskHandle).toBeTruthy();
    const handle = JSON.parse(Buffer.from(started.TaskHandle as string, 'base64').toString('utf8')) as Record<string, unknown>;
    expect(handle.sourceArn).toBe(dlq.arn);

    const done = await latestStatus(dlq.arn, 'COMPLETED');
    expect(done).toEqual({
      Status: 'COMPLETED',
      SourceArn: dlq.arn,
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
      StartedTimestamp: expect.any(Number),
    });
    expect(Math.abs((done.StartedTimestamp as number) - Date.now())).toBeLessThan(60_000);
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    const backInFirst = await receive(first.url, { VisibilityTimeout: 60 });
    expect(backInFirst.map((m) => m.Body).sort()).toEqual(['a1', 'a2']);
    expect((await receive(second.url, { VisibilityTimeout: 60 })).map((m) => m.Body)).toEqual(['b1']);

    // A new message: new id, receive count starting again, no DLQ source, attributes kept.
    const a1 = backInFirst.find((m) => m.Body === 'a1');
    expect(a1?.MessageId).not.toBe(deadA1?.MessageId);
    expect(a1?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(a1?.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
    expect(a1?.MessageAttributes?.origin?.StringValue).toBe('attr-a1');
  });

  it('moves to a DestinationArn; RUNNING while a message is in flight, which moves once visible', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    const destination = await createQueue(client, uniqueName('destination'));
    await deadLetter(source, dlq, ['m1', 'm2', 'm3']);
    const held = await holdOne(dlq.url);

    const { TaskHandle } = await client.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: destination.arn, MaxNumberOfMessagesPerSecond: 50 }),
    );
    const running = await eventually(async () => {
      const [latest] = await tasks(dlq.arn);
      expect(latest?.ApproximateNumberOfMessagesMoved).toBe(2);
      return latest;
    }, DEADLINE_MS);
    expect(running).toEqual({
      TaskHandle,
      Status: 'RUNNING',
      SourceArn: dlq.arn,
      DestinationArn: destination.arn,
      MaxNumberOfMessagesPerSecond: 50,
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 3,
      StartedTimestamp: expect.any(Number),
    });
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 0, inFlight: 1, delayed: 0 });

    // One active task per source, as SQS answers it.
    const second = await rejection(client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn })));
    expect(second).toBeInstanceOf(SQSServiceException);
    expect(second.name).toBe('InvalidParameterValue');
    expect(second.message).toBe(
      'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
    );

    await release(dlq.url, held);
    const done = await latestStatus(dlq.arn, 'COMPLETED');
    expect(done.TaskHandle).toBeUndefined();
    expect(done.ApproximateNumberOfMessagesMoved).toBe(3);
    expect((await receive(destination.url)).map((m) => m.Body).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(await queueCounts(client, source.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });

    // Finished tasks stay listed, most recent first.
    await deadLetter(source, dlq, ['m4']);
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: destination.arn }));
    await latestStatus(dlq.arn, 'COMPLETED');
    const listed = await tasks(dlq.arn, 10);
    expect(listed.map((t) => t.ApproximateNumberOfMessagesToMove)).toEqual([1, 3]);
  });

  it('does not count a message deleted from the DLQ meanwhile, and completes without it', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    await deadLetter(source, dlq, ['kept', 'handled']);
    const taken = await receive(dlq.url, { VisibilityTimeout: 600 });
    const held = taken.find((m) => m.Body === 'handled');
    const kept = taken.find((m) => m.Body === 'kept');
    await release(dlq.url, kept as Message);
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    await eventually(async () => expect((await tasks(dlq.arn))[0]?.ApproximateNumberOfMessagesMoved).toBe(1), DEADLINE_MS);
    // The operator handled it by hand.
    await client.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: held?.ReceiptHandle }));
    const done = await latestStatus(dlq.arn, 'COMPLETED');
    expect(done.ApproximateNumberOfMessagesMoved).toBe(1);
    expect((await receive(source.url)).map((m) => m.Body)).toEqual(['kept']);
  });

  it('fails the task when its destination is deleted', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    const destination = await createQueue(client, uniqueName('destination'));
    await deadLetter(source, dlq, ['x', 'y']);
    const held = await holdOne(dlq.url);
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: destination.arn }));
    await eventually(async () => expect((await tasks(dlq.arn))[0]?.ApproximateNumberOfMessagesMoved).toBe(1), DEADLINE_MS);

    await client.send(new DeleteQueueCommand({ QueueUrl: destination.url }));
    await release(dlq.url, held);
    const failed = await latestStatus(dlq.arn, 'FAILED');
    expect(failed).toMatchObject({
      FailureReason: 'AWS.SimpleQueueService.NonExistentQueue',
      ApproximateNumberOfMessagesMoved: 1,
    });
    expect(failed.TaskHandle).toBeUndefined();
    // The message that could not move is still in the DLQ.
    expect((await receive(dlq.url)).map((m) => m.Body)).toEqual([held.Body]);
  });
});

describe('CancelMessageMoveTask', () => {
  it('cancels a running task, leaves the rest in the DLQ, and frees the source for a new task', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    await deadLetter(source, dlq, ['c1', 'c2']);
    const held = await holdOne(dlq.url);
    const { TaskHandle } = await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    await eventually(async () => expect((await tasks(dlq.arn))[0]?.ApproximateNumberOfMessagesMoved).toBe(1), DEADLINE_MS);

    const cancelled = await client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBe(1);
    const [latest] = await tasks(dlq.arn);
    expect(latest).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 2 });
    expect(latest?.TaskHandle).toBeUndefined();

    // The held message is not moved when it becomes visible: the task is over.
    await release(dlq.url, held);
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(await queueCounts(client, source.url)).toEqual({ visible: 1, inFlight: 0, delayed: 0 });

    // Only a RUNNING task can be cancelled.
    expect(await rejection(client.send(new CancelMessageMoveTaskCommand({ TaskHandle })))).toBeInstanceOf(
      ResourceNotFoundException,
    );

    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    await latestStatus(dlq.arn, 'COMPLETED');
    expect(await queueCounts(client, dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('errors', () => {
  const missingArn = 'arn:aws:sqs:us-east-1:000000000000:no-such-queue';

  it('answers ResourceNotFoundException for unknown queues and tasks', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    await sourceQueue(dlq.arn);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: missingArn })),
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      ],
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: missingArn })),
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      ],
      [
        // The right name in another region is another queue.
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn.replace('us-east-1', 'eu-west-1') })),
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      ],
      [
        () => client.send(new ListMessageMoveTasksCommand({ SourceArn: missingArn })),
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      ],
      [
        () => client.send(new CancelMessageMoveTaskCommand({ TaskHandle: encodeTaskHandle('10f57157-fc38-4da9-a113-4de7e12d05dd', missingArn) })),
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      ],
      [
        () => client.send(new CancelMessageMoveTaskCommand({ TaskHandle: encodeTaskHandle('10f57157-fc38-4da9-a113-4de7e12d05aa', dlq.arn) })),
        'Task does not exist.',
      ],
    ];
    for (const [send, message] of cases) {
      const error = await rejection(send());
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.message).toBe(message);
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    }
  });

  it('answers InvalidParameterValue for a source that is not a DLQ and for invalid parameters', async () => {
    const dlq = await createQueue(client, uniqueName('dlq'));
    const source = await sourceQueue(dlq.arn);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => client.send(new StartMessageMoveTaskCommand({ SourceArn: source.arn })), 'Source queue must be configured as a Dead Letter Queue.'],
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: 'not-an-arn' })),
        'You must use this format to specify the SourceArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>',
      ],
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: 'nope' })),
        'You must use this format to specify the DestinationArn: arn:<partition>:<service>:<region>:<account-id>:<resource-id>',
      ],
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 0 })),
        'Value 0 for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500, if provided.',
      ],
      [
        () => client.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 501 })),
        'Value 501 for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500, if provided.',
      ],
      [
        () => client.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 11 })),
        'Value 11 for parameter MaxResults is invalid. Reason: Must be between 1 and 10, if provided.',
      ],
      [() => client.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'foobared' })), 'Value for parameter TaskHandle is invalid.'],
    ];
    for (const [send, message] of cases) {
      const error = await rejection(send());
      expect(error).toBeInstanceOf(SQSServiceException);
      expect(error.name).toBe('InvalidParameterValue');
      expect(error.message).toBe(message);
    }
    // A DLQ with no task yet lists nothing.
    expect(await tasks(dlq.arn, 10)).toEqual([]);
  });
});

describe('move tasks on the engine (fake timers)', () => {
  const context = { signal: new AbortController().signal, senderId: 'AIDATEST' };
  afterEach(() => {
    vi.useRealTimers();
  });

  async function engineWithDeadLetters(count: number): Promise<{ engine: SqsEngine; dlqArn: string; sourceUrl: string }> {
    const engine = new SqsEngine({ origin: () => 'http://127.0.0.1:1', region: 'us-east-1', now: Date.now });
    const call = async (operation: string, input: Json): Promise<Json> => engine.handle(operation, input, context);
    const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:engine-dlq';
    const dlqUrl = (await call('CreateQueue', { QueueName: 'engine-dlq' })).QueueUrl as string;
    const sourceUrl = (
      await call('CreateQueue', {
        QueueName: 'engine-source',
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
      })
    ).QueueUrl as string;
    for (let i = 0; i < count; i++) await call('SendMessage', { QueueUrl: sourceUrl, MessageBody: `m${i}` });
    await call('ReceiveMessage', { QueueUrl: sourceUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    await call('ReceiveMessage', { QueueUrl: sourceUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
    const counts = (await call('GetQueueAttributes', { QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }))
      .Attributes as Record<string, string>;
    expect(counts.ApproximateNumberOfMessages).toBe(String(count));
    return { engine, dlqArn, sourceUrl };
  }

  /** The move-task operations answer at once (only a long poll returns a promise). */
  const sync = (engine: SqsEngine, operation: string, input: Json): Json => {
    const out = engine.handle(operation, input, context);
    if (out instanceof Promise) throw new Error(`${operation} did not answer synchronously`);
    return out;
  };

  const moved = (engine: SqsEngine, dlqArn: string): unknown =>
    (sync(engine, 'ListMessageMoveTasks', { SourceArn: dlqArn }).Results as Json[])[0]?.ApproximateNumberOfMessagesMoved;

  it('moves at most MaxNumberOfMessagesPerSecond a second', async () => {
    const { engine, dlqArn } = await engineWithDeadLetters(4);
    vi.useFakeTimers();
    sync(engine, 'StartMessageMoveTask', { SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 2 });
    expect(moved(engine, dlqArn)).toBe(0);
    vi.advanceTimersByTime(0);
    expect(moved(engine, dlqArn)).toBe(1);
    vi.advanceTimersByTime(499);
    expect(moved(engine, dlqArn)).toBe(1);
    vi.advanceTimersByTime(1);
    expect(moved(engine, dlqArn)).toBe(2);
    vi.advanceTimersByTime(1000);
    expect(moved(engine, dlqArn)).toBe(4);
    expect(vi.getTimerCount()).toBe(0);
    engine.shutdown();
  });

  it('stops its timers when the engine shuts down', async () => {
    const { engine, dlqArn } = await engineWithDeadLetters(3);
    vi.useFakeTimers();
    sync(engine, 'StartMessageMoveTask', { SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 });
    vi.advanceTimersByTime(0);
    expect(vi.getTimerCount()).toBe(1);
    engine.shutdown();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(moved(engine, dlqArn)).toBe(1);
  });
});
