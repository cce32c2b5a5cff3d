/**
 * A provider's queues as operators see them: depth of the work queue and its dead-letter queue,
 * the dead letters themselves (looked at, not consumed), and moving them back (StartMessageMoveTask).
 */
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { requireEnv, type Env } from '../config';
import { QUEUES, type Provider } from '../system';

export interface ProviderQueueRefs {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** Each provider's work queue URL, DLQ URL and DLQ ARN, from the description's variables. */
export const providerQueueRefs = (env: Env): Record<Provider, ProviderQueueRefs> =>
  Object.fromEntries(QUEUES.map((q) => [q.provider, { url: requireEnv(env, q.urlEnv), arn: requireEnv(env, q.arnEnv), dlqUrl: requireEnv(env, q.dlqUrlEnv), dlqArn: requireEnv(env, q.dlqArnEnv) }])) as Record<
    Provider,
    ProviderQueueRefs
  >;

export interface QueueDepth {
  /** Ready to be received. */
  readonly visible: number;
  /** Received and being worked on (or waiting for their visibility timeout). */
  readonly inFlight: number;
  /** Waiting for their delay (deferred renewals, retries). */
  readonly delayed: number;
}

export const queueDepth = async (sqs: SQSClient, url: string): Promise<QueueDepth> => {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const a = out.Attributes ?? {};
  const n = (v: string | undefined): number => (v !== undefined && /^\d+$/.test(v) ? Number(v) : 0);
  return { visible: n(a.ApproximateNumberOfMessages), inFlight: n(a.ApproximateNumberOfMessagesNotVisible), delayed: n(a.ApproximateNumberOfMessagesDelayed) };
};

export interface DeadLetter {
  readonly messageId: string;
  /** The renewal the message is for, when its body is a queued renewal; never the body itself (it may hold a customer's JWT). */
  readonly renewalId: string | null;
  readonly operation: string | null;
  readonly receiveCount: number | null;
  readonly firstReceivedAt: string | null;
  readonly sentAt: string | null;
}

/** How long a looked-at message is hidden at most: long enough for the look, reset to 0 right after. */
const PEEK_VISIBILITY_SECONDS = 30;

/**
 * The messages in a dead-letter queue, without consuming them: each receive hides the messages it
 * returns for PEEK_VISIBILITY_SECONDS (so the next receive returns others), and once all are read
 * every one is made visible again at once (ChangeMessageVisibility to 0). Looking counts as a
 * receive: a message's receive count goes up by one (a DLQ has no redrive policy, so nothing moves).
 */
export const peekDeadLetters = async (sqs: SQSClient, dlqUrl: string, limit: number): Promise<DeadLetter[]> => {
  const seen: DeadLetter[] = [];
  const handles: Array<{ id: string; handle: string }> = [];
  try {
    while (seen.length < limit) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: Math.min(10, limit - seen.length),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'SentTimestamp'],
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) break;
      for (const m of messages) {
        if (m.ReceiptHandle) handles.push({ id: m.MessageId ?? String(handles.length), handle: m.ReceiptHandle });
        const attrs = m.Attributes ?? {};
        const ms = (v: string | undefined): string | null => (v && /^\d+$/.test(v) ? new Date(Number(v)).toISOString() : null);
        let body: unknown;
        try {
          body = JSON.parse(m.Body ?? '');
        } catch {
          body = undefined;
        }
        const field = (k: string): string | null =>
          body && typeof body === 'object' && k in body && typeof (body as Record<string, unknown>)[k] === 'string' ? String((body as Record<string, unknown>)[k]) : null;
        const id = field('id');
        seen.push({
          messageId: m.MessageId ?? '',
          renewalId: id && /^rnw_[a-z2-7]{26}$/.test(id) ? id : null,
          operation: field('operation'),
          receiveCount: attrs.ApproximateReceiveCount && /^\d+$/.test(attrs.ApproximateReceiveCount) ? Number(attrs.ApproximateReceiveCount) : null,
          firstReceivedAt: ms(attrs.ApproximateFirstReceiveTimestamp),
          sentAt: ms(attrs.SentTimestamp),
        });
      }
    }
  } finally {
    for (let i = 0; i < handles.length; i += 10) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: dlqUrl,
          Entries: handles.slice(i, i + 10).map((h, j) => ({ Id: `m${i + j}`, ReceiptHandle: h.handle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return seen;
};

export interface MoveTask {
  readonly taskHandle: string | null;
  readonly status: string | null;
  readonly sourceArn: string | null;
  readonly destinationArn: string | null;
  readonly approximateNumberOfMessagesMoved: number | null;
  readonly approximateNumberOfMessagesToMove: number | null;
  readonly startedAt: string | null;
  readonly failureReason: string | null;
}

/** The DLQ's recent move tasks (SQS keeps the last 10 per source queue for 14 days). */
export const listMoveTasks = async (sqs: SQSClient, dlqArn: string): Promise<MoveTask[]> => {
  const out = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));
  return (out.Results ?? []).map((t) => ({
    taskHandle: t.TaskHandle ?? null,
    status: t.Status ?? null,
    sourceArn: t.SourceArn ?? null,
    destinationArn: t.DestinationArn ?? null,
    approximateNumberOfMessagesMoved: t.ApproximateNumberOfMessagesMoved ?? null,
    approximateNumberOfMessagesToMove: t.ApproximateNumberOfMessagesToMove ?? null,
    startedAt: t.StartedTimestamp !== undefined ? new Date(t.StartedTimestamp).toISOString() : null,
    failureReason: t.FailureReason ?? null,
  }));
};

/**
 * Moves every message of the DLQ to the provider's work queue, named as the destination: each DLQ
 * serves one work queue, and a message that did not get there by dead-lettering (put there by
 * hand) has no source queue SQS could send it back to. Answers the task handle (to follow or
 * cancel the task).
 */
export const startRedrive = async (sqs: SQSClient, dlqArn: string, queueArn: string, maxPerSecond?: number): Promise<string> => {
  const out = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: queueArn, ...(maxPerSecond ? { MaxNumberOfMessagesPerSecond: maxPerSecond } : {}) }),
  );
  if (!out.TaskHandle) throw new Error('StartMessageMoveTask returned no task handle');
  return out.TaskHandle;
};
