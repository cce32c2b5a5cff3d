/** Sends renewals to their provider's queue. */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedRenewal } from '../domain/renewal';
import { QUEUES, type EnabledProvider } from '../system';
import { requireEnv } from '../config';

/** SQS caps DelaySeconds at 15 minutes; longer waits are re-deferred by the consumer. */
export const MAX_DELAY_SECONDS = 900;

/** SQS takes at most 10 messages per SendMessageBatch. */
export const MAX_BATCH = 10;

export interface QueuedEntry {
  readonly message: QueuedRenewal;
  readonly delaySeconds?: number;
}

export interface RenewalQueue {
  send(message: QueuedRenewal, delaySeconds?: number): Promise<void>;
  /**
   * Sends up to MAX_BATCH messages in one request (the scheduler: docs/architecture.md#from-a-schedule);
   * answers the positions of the entries SQS did not take. Absent: callers send one by one.
   */
  sendBatch?(entries: readonly QueuedEntry[]): Promise<{ readonly failed: readonly number[] }>;
}

const clampDelay = (delaySeconds: number): number => Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));

export class SqsRenewalQueue implements RenewalQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: QueuedRenewal, delaySeconds = 0): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: clampDelay(delaySeconds),
      }),
    );
  }

  async sendBatch(entries: readonly QueuedEntry[]): Promise<{ readonly failed: readonly number[] }> {
    if (entries.length === 0) return { failed: [] };
    if (entries.length > MAX_BATCH) throw new RangeError(`at most ${MAX_BATCH} messages per batch, got ${entries.length}`);
    const out = await this.client.send(
      new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: entries.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify(e.message), DelaySeconds: clampDelay(e.delaySeconds ?? 0) })),
      }),
    );
    return { failed: (out.Failed ?? []).map((f) => Number(f.Id)) };
  }
}

/** Every provider queue, by provider, from the `<PROVIDER>_QUEUE_URL` variables of the description. */
export const providerQueues = (env: Readonly<Record<string, string | undefined>>, sqs: SQSClient): Partial<Record<EnabledProvider, RenewalQueue>> => {
  const queues: Partial<Record<EnabledProvider, RenewalQueue>> = {};
  for (const q of QUEUES) queues[q.provider] = new SqsRenewalQueue(sqs, requireEnv(env, q.urlEnv));
  return queues;
};

/** Seconds until `at` (ISO), clamped to what one SQS delay can hold. */
export const delaySecondsUntil = (at: string | undefined, now: Date): number => {
  if (!at) return 0;
  const ms = Date.parse(at) - now.getTime();
  return ms <= 0 ? 0 : Math.min(MAX_DELAY_SECONDS, Math.ceil(ms / 1000));
};
