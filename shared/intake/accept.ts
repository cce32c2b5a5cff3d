/**
 * Accepting a renewal request (docs/architecture.md#from-a-webhook,
 * docs/architecture.md#nothing-accepted-is-lost): after the HTTP checks, store the renewal under
 * its idempotency key (one conditional write) and queue it (one send). A 2xx is only returned once
 * the message is in SQS; if the send fails the record is withdrawn and the caller gets a 503, so a
 * retry of the webhook starts clean and nothing accepted is lost.
 */
import type { Logger } from '../logger';
import { conflict, notImplemented, serviceUnavailable } from '../http/problem';
import { newRenewalRecord, queuedMessageFor, type RenewalRecord } from '../domain/renewal';
import type { CanonicalRequest } from '../domain/canonical';
import { delaySecondsUntil, type RenewalQueue } from '../adapters/queue';
import type { RenewalRecords } from '../adapters/renewal-store';
import type { Provider } from '../system';

/** How old a never-attempted renewal must be before a repeat re-queues it. */
export const RESEND_AFTER_MS = 30_000;

export interface AcceptDeps {
  readonly store: RenewalRecords;
  readonly queues: Partial<Record<Provider, RenewalQueue>>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface Accepted {
  /** 202 for a new renewal, 200 for a repeat of a known key with the same request. */
  readonly httpStatus: 202 | 200;
  readonly renewal: Pick<RenewalRecord, 'id' | 'status' | 'idempotencyKey'>;
}

export const acceptRenewal = async (request: CanonicalRequest, idempotencyKey: string, deps: AcceptDeps): Promise<Accepted> => {
  const queue = deps.queues[request.provider];
  if (!queue) throw notImplemented(`Renewals for ${request.provider} are valid but not processed by this deployment yet.`);
  const now = deps.now?.() ?? new Date();
  const record = newRenewalRecord(request, idempotencyKey, now);
  const message = queuedMessageFor(record, request);
  const delay = delaySecondsUntil(request.notBefore, now);

  const created = await deps.store.create(record);
  if (!created.created) {
    const existing = created.existing;
    if (existing.requestHash !== record.requestHash) {
      throw conflict(`Idempotency key ${JSON.stringify(idempotencyKey)} was first used for a different request (renewal ${existing.id}).`);
    }
    // Still queued and never attempted a while after it was created: its send may have been lost
    // (a crash between storing and sending), so queue it again. A duplicate message is harmless —
    // the consumer's claim lets one through — but a repeat moments after the first (overlapping
    // scheduler runs, a fast webhook retry) is almost surely not a lost send, so it queues nothing.
    const age = now.getTime() - Date.parse(existing.createdAt);
    if (existing.status === 'queued' && existing.attempts.length === 0 && age > RESEND_AFTER_MS) await queue.send(message, delay);
    return { httpStatus: 200, renewal: { id: existing.id, status: existing.status, idempotencyKey } };
  }

  try {
    await queue.send(message, delay);
  } catch (error) {
    deps.logger.error('queueing failed; withdrawing the renewal', { renewalId: record.id, error: error instanceof Error ? error.name : 'unknown' });
    await deps.store.deleteUnqueued(record.id).catch((cleanupError: unknown) =>
      deps.logger.error('could not withdraw the renewal; it stays queued and a retry of the request re-queues it', {
        renewalId: record.id,
        error: cleanupError instanceof Error ? cleanupError.name : 'unknown',
      }),
    );
    throw serviceUnavailable('The renewal could not be queued; retry the request with the same idempotency key.');
  }
  deps.logger.info('renewal accepted', { renewalId: record.id, provider: record.provider, operation: record.operation });
  return { httpStatus: 202, renewal: { id: record.id, status: record.status, idempotencyKey } };
};
