/**
 * Accepting a renewal request (docs/architecture.md#from-a-webhook,
 * docs/architecture.md#nothing-accepted-is-lost): after the HTTP checks, store the renewal under
 * its idempotency key (one conditional write) and queue it (one send). A 2xx is only returned once
 * this acceptance knows a message is in SQS: its own send succeeded.
 *
 * A stored renewal is never deleted, because another actor may already have observed it (an
 * overlapping scheduler run that then advanced its schedule, a duplicate webhook answered 200). If
 * the send fails the record stays `queued`, marked with the failure, and the caller gets a 503;
 * any repeat of the request sends it again.
 */
import type { Logger } from '../logger';
import { conflict, notImplemented, serviceUnavailable } from '../http/problem';
import { newRenewalRecord, queuedMessageFor, type RenewalRecord } from '../domain/renewal';
import type { CanonicalRequest } from '../domain/canonical';
import { delaySecondsUntil, type RenewalQueue } from '../adapters/queue';
import type { RenewalRecords } from '../adapters/renewal-store';
import type { Provider } from '../system';

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

/**
 * Called once the renewal is stored (`created`: by this call) or found with the same request, and
 * before anything is sent or answered; throwing stops the acceptance there. Intake's folded
 * webhook-id binding uses it to look for a concurrent replay (shared/adapters/webhook-bindings.ts).
 */
export type BeforeSend = (created: boolean, id: string) => Promise<void>;

export const acceptRenewal = async (request: CanonicalRequest, idempotencyKey: string, deps: AcceptDeps, beforeSend?: BeforeSend): Promise<Accepted> => {
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
    await beforeSend?.(false, existing.id);
    // Still queued and never attempted: whether a message for it is in SQS is not known here. The
    // first acceptance's send may still be under way, may have failed (its caller got a 503), or
    // its process may have died before sending. So send it (again) before answering: a duplicate
    // is harmless (the consumer's claim lets one through); a missing one would leave the renewal
    // queued for good behind this 200, after the caller (a scheduler run that then advances its
    // schedule, an upstream) stopped asking.
    if (existing.status === 'queued' && existing.attempts.length === 0) {
      await sendOrKeep(existing.id, () => queue.send(message, delay), deps, now);
      if (existing.sendFailedAt) {
        await deps.store.clearSendFailure(existing.id).catch((error: unknown) =>
          deps.logger.warn('could not clear the failed-send mark; the renewal is queued', { renewalId: existing.id, error: error instanceof Error ? error.name : 'unknown' }),
        );
      }
    }
    return { httpStatus: 200, renewal: { id: existing.id, status: existing.status, idempotencyKey } };
  }

  await beforeSend?.(true, record.id);
  await sendOrKeep(record.id, () => queue.send(message, delay), deps, now);
  deps.logger.info('renewal accepted', { renewalId: record.id, provider: record.provider, operation: record.operation });
  return { httpStatus: 202, renewal: { id: record.id, status: record.status, idempotencyKey } };
};

/**
 * Sends, or keeps the renewal `queued` (marked, so the status API shows why it has not run) and
 * answers 503: a retry of the request with the same key sends it.
 */
const sendOrKeep = async (id: string, send: () => Promise<void>, deps: AcceptDeps, now: Date): Promise<void> => {
  try {
    await send();
  } catch (error) {
    deps.logger.error('queueing failed; the renewal stays queued until a repeat of the request sends it', {
      renewalId: id,
      error: error instanceof Error ? error.name : 'unknown',
    });
    await deps.store.markSendFailed(id, now).catch((markError: unknown) =>
      deps.logger.error('could not mark the failed send on the renewal', { renewalId: id, error: markError instanceof Error ? markError.name : 'unknown' }),
    );
    throw serviceUnavailable('The renewal is stored but could not be queued; retry the request with the same idempotency key.');
  }
};
