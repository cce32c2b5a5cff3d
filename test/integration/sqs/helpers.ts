import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

let counter = 0;

/** Unique per test so tests sharing one server never see each other's messages. */
export const uniqueName = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

export const sqsClient = (endpoint?: string): SQSClient =>
  new SQSClient({
    ...(endpoint ? { endpoint } : {}),
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    // Without an endpoint the SDK warns (via console) that it routes to the QueueUrl's host.
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });

export async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string> = {},
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  return { url: QueueUrl, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

export async function queueCounts(
  client: SQSClient,
  url: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
}

/** Polls until the check passes (returns its value) or fails with the last error after timeoutMs. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected the promise to reject, but it resolved');
}
