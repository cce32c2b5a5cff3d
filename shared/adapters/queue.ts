/** Sends renewals to their provider's queue. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedRenewal } from '../domain/renewal';
import { QUEUES, type EnabledProvider } from '../system';
import { requireEnv } from '../config';

/** SQS caps DelaySeconds at 15 minutes; longer waits are re-deferred by the consumer. */
export const MAX_DELAY_SECONDS = 900;

export interface RenewalQueue {
  send(message: QueuedRenewal, delaySeconds?: number): Promise<void>;
}

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
        DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds))),
      }),
    );
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
