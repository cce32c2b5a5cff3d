/**
 * Lambda-style SQS event source mapping for the local stack: what AWS Lambda does for a queue
 * trigger with `ReportBatchItemFailures` and `maximumConcurrency`, so consumer handlers run
 * locally exactly as they will in AWS (same event shape, same deletion rules, same retries
 * through the visibility timeout, same path to the DLQ).
 *
 * Rules copied from Lambda (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 * - Handler returns nothing, `null`, an object without `batchItemFailures`, or an empty list:
 *   the whole batch succeeded and every message is deleted.
 * - Handler returns `batchItemFailures`: every other message is deleted; the listed ones stay.
 *   An entry without a non-empty string `itemIdentifier`, or one naming a message that is not
 *   in the batch, makes the whole batch fail.
 * - Handler throws or runs past the function timeout: nothing is deleted.
 * The poller never changes visibility: failed messages come back when their visibility timeout
 * runs out, with ApproximateReceiveCount incremented, and the queue's redrive policy moves them
 * to the DLQ after maxReceiveCount receives.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sleep, withTimeout } from '../handler-timing';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export interface PollerOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsBatchHandler;
  /** Messages per invocation, 1–10 (one ReceiveMessage call per batch). Default 10. */
  batchSize?: number;
  /** Long-poll wait per receive. Default 1; pending receives are aborted on stop() anyway. */
  waitTimeSeconds?: number;
  /** Batches in flight at once (Lambda's maximumConcurrency for SQS). Default 2. */
  maximumConcurrency?: number;
  /** Lambda function name for the context. Default derived from the queue name. */
  functionName?: string;
  /** Function timeout: a handler still running after this is treated as failed. Default 30 000. */
  timeoutMs?: number;
  /** Receive/delete errors, handler errors and invalid handler responses. Default console.error. */
  onError?: (error: unknown) => void;
}

export interface Poller {
  /** Stops receiving (aborting pending long polls) and waits for in-flight invocations to settle. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 2000;

export function startPoller(options: PollerOptions): Poller {
  const { client, queueUrl, queueArn, handler } = options;
  const batchSize = options.batchSize ?? 10;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const concurrency = options.maximumConcurrency ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be an integer from 1 to 10, got ${batchSize}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`maximumConcurrency must be a positive integer, got ${concurrency}`);
  }
  // Caught here rather than as an endless stream of InvalidParameterValue receive errors.
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new RangeError(`waitTimeSeconds must be an integer from 0 to 20, got ${waitTimeSeconds}`);
  }
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  // arn:aws:sqs:<region>:<account>:<name>
  const [, partition = 'aws', , region = 'us-east-1', account = '000000000000', queueName = 'queue'] = queueArn.split(':');
  const functionName = options.functionName ?? `${queueName}-consumer`;
  const functionArn = `arn:${partition}:lambda:${region}:${account}:function:${functionName}`;
  const onError =
    options.onError ?? ((error: unknown) => console.error(`poller ${functionName} (${queueName}):`, error));

  const stopping = new AbortController();

  /**
   * One independent loop per concurrency slot, so a slow batch only holds its own slot (Lambda
   * likewise runs each batch in its own invocation while other pollers keep going).
   */
  async function slot(): Promise<void> {
    let consecutiveErrors = 0;
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        const output = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: waitTimeSeconds,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: stopping.signal },
        );
        messages = output.Messages ?? [];
        consecutiveErrors = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        onError(error);
        // Back off (e.g. endpoint restarting) without spinning, but stay responsive to stop().
        consecutiveErrors++;
        await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** consecutiveErrors), stopping.signal);
        continue;
      }
      // Messages that arrived even as stop() began are still handled: dropping them would leave
      // them invisible for a whole visibility timeout for no reason.
      if (messages.length > 0) await invoke(messages);
    }
  }

  async function invoke(messages: Message[]): Promise<void> {
    const records = messages.map(toRecord);
    // The handler gets its own array: whatever it does to event.Records, deletion uses ours.
    const event: SQSEvent = { Records: [...records] };
    const deadline = Date.now() + timeoutMs;
    let failed: ReadonlySet<string> | 'all';
    try {
      const response = await withTimeout(
        // Via then() so a handler that throws synchronously counts as a failed invocation.
        Promise.resolve().then(() => handler(event, lambdaContext(deadline))),
        timeoutMs,
      );
      failed = failedMessageIds(response, records);
    } catch (error) {
      onError(error);
      failed = 'all';
    }
    if (failed === 'all') return;
    const done = records.filter((record) => !failed.has(record.messageId));
    await deleteRecords(done);
  }

  /** Interprets a handler's response the way Lambda does with ReportBatchItemFailures. */
  function failedMessageIds(response: unknown, records: readonly SQSRecord[]): ReadonlySet<string> | 'all' {
    if (response === undefined || response === null) return new Set();
    if (typeof response !== 'object' || Array.isArray(response)) {
      onError(new Error(`${functionName}: invalid batch response ${JSON.stringify(response)}; the whole batch failed`));
      return 'all';
    }
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) {
      onError(new Error(`${functionName}: batchItemFailures is not a list; the whole batch failed`));
      return 'all';
    }
    const ids = new Set(records.map((record) => record.messageId));
    const failed = new Set<string>();
    for (const failure of failures as unknown[]) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || id === '' || !ids.has(id)) {
        onError(
          new Error(`${functionName}: invalid itemIdentifier ${JSON.stringify(id)} in batchItemFailures; the whole batch failed`),
        );
        return 'all';
      }
      failed.add(id);
    }
    return failed;
  }

  async function deleteRecords(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        const output = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
          }),
        );
        if (output.Failed && output.Failed.length > 0) {
          onError(new Error(`${functionName}: could not delete ${output.Failed.length} message(s): ${JSON.stringify(output.Failed)}`));
        }
      } catch (error) {
        // Not deleted means delivered again later: at-least-once, as with Lambda.
        onError(error);
      }
    }
  }

  function toRecord(message: Message): SQSRecord {
    const system = message.Attributes ?? {};
    const attributes: SQSRecordAttributes = {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? '',
      SenderId: system.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? '',
    };
    for (const name of ['AWSTraceHeader', 'SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'DeadLetterQueueSourceArn'] as const) {
      const value = system[name];
      if (value !== undefined) attributes[name] = value;
    }
    const record: SQSRecord = {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes,
      messageAttributes: toLambdaAttributes(message.MessageAttributes),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    };
    if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
    return record;
  }

  function lambdaContext(deadline: number): Context {
    const noop = (): void => undefined;
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn,
      memoryLimitInMB: '128',
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: noop,
      fail: noop,
      succeed: noop,
    };
  }

  const slots = Array.from({ length: concurrency }, () => slot());
  let stopped: Promise<void> | undefined;

  return {
    stop: () => {
      stopped ??= (async () => {
        stopping.abort();
        await Promise.all(slots);
      })();
      return stopped;
    },
  };
}

/** Lambda's shape: camelCase, binary as base64, and the (always empty) list fields present. */
function toLambdaAttributes(attributes: Record<string, MessageAttributeValue> | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
      dataType: value.DataType ?? 'String',
    };
  }
  return out;
}
