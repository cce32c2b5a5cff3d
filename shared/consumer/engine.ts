/**
 * Performs one queued renewal, at most one provider call per claim (DESIGN §5.2, §5.3).
 *
 *  1. not yet due (notBefore)          → re-queue with a delay, acknowledge this copy
 *  2. claim the record (conditional write with a lease)
 *       lost: already finished         → acknowledge (duplicate delivery or redrive)
 *             leased by another worker → re-queue for when the lease ends
 *             retry not due yet        → re-queue for its time
 *             no record                → acknowledge: intake undid it and answered 5xx
 *  3. claimed over an expired lease: the earlier holder died mid-attempt. For a call that is not
 *     safe to repeat, the provider may already have renewed, so stop at needs_attention.
 *  4. call, classify, decide; record the attempt and the status (releases the lease)
 *  5. retry_scheduled → re-queue with the backoff delay
 *
 * Re-queueing sends a fresh delayed copy and acknowledges the current one, so waiting never
 * counts toward the queue's maxReceiveCount; only crashes and timeouts move a message to the DLQ.
 */
import type { Logger } from '../logger';
import { isTerminal, type Attempt, type QueuedRenewal } from '../domain/renewal';
import { decide, type RetryPolicy } from '../domain/retry';
import { sanitizeText, maskEmail } from '../domain/sanitize';
import { SECRET_PARAMS } from '../domain/canonical';
import type { RenewalQueue } from '../adapters/queue';
import type { RenewalStore } from '../adapters/renewal-store';
import type { HttpCaller } from '../adapters/http-call';
import type { ProviderConfig, ProviderModule } from '../providers/types';

export interface ConsumerDeps {
  readonly store: RenewalStore;
  /** The provider's own queue, for deferred copies. */
  readonly queue: RenewalQueue;
  readonly provider: ProviderModule;
  readonly config: ProviderConfig;
  readonly call: HttpCaller;
  readonly callTimeoutMs: number;
  /** Longer than the function can run, so a live holder never loses its lease. */
  readonly leaseMs: number;
  readonly retry: RetryPolicy;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
}

export type RenewalResult =
  | { readonly kind: 'completed'; readonly status: string }
  | { readonly kind: 'deferred'; readonly delaySeconds: number; readonly why: string }
  | { readonly kind: 'skipped'; readonly why: string };

const secondsUntil = (atMs: number, now: Date): number => Math.max(1, Math.ceil((atMs - now.getTime()) / 1000));

export const processRenewal = async (message: QueuedRenewal, owner: string, deps: ConsumerDeps): Promise<RenewalResult> => {
  const now = deps.now?.() ?? new Date();
  const log = deps.logger;
  const defer = async (delaySeconds: number, why: string): Promise<RenewalResult> => {
    await deps.queue.send(message, delaySeconds);
    log.debug('renewal deferred', { renewalId: message.id, delaySeconds, why });
    return { kind: 'deferred', delaySeconds, why };
  };

  if (message.notBefore && Date.parse(message.notBefore) > now.getTime()) {
    return defer(secondsUntil(Date.parse(message.notBefore), now), 'notBefore in the future');
  }

  const claim = await deps.store.claim(message.id, owner, now, deps.leaseMs);
  if (!claim.claimed) {
    const current = claim.current;
    if (!current) {
      log.warn('queued renewal has no record; intake withdrew it', { renewalId: message.id });
      return { kind: 'skipped', why: 'no record' };
    }
    if (isTerminal(current.status)) return { kind: 'skipped', why: `already ${current.status}` };
    if (current.status === 'in_progress' && current.leaseExpiresAt !== undefined) {
      return defer(secondsUntil(current.leaseExpiresAt, now) + 1, 'leased by another worker');
    }
    if (current.nextAttemptAt) return defer(secondsUntil(Date.parse(current.nextAttemptAt), now), 'retry not due yet');
    throw new Error(`renewal ${message.id} could not be claimed in status ${current.status}`);
  }

  let attemptNumber = claim.previous.attempts.length + 1;
  const extraAttempts: Attempt[] = [];
  if (claim.interrupted) {
    const interrupted: Attempt = {
      number: attemptNumber,
      startedAt: claim.previous.updatedAt,
      latencyMs: 0,
      errorClass: 'interrupted',
      message: 'the worker holding this renewal stopped (crash or timeout) before recording an outcome',
    };
    if (!deps.provider.idempotentCall) {
      await deps.store.complete(message.id, owner, now, {
        status: 'needs_attention',
        reason: 'an earlier attempt was interrupted after it may have reached the provider; confirm at the provider before renewing again',
        attempt: interrupted,
      });
      log.error('interrupted attempt on a call that is not safe to repeat', { renewalId: message.id });
      return { kind: 'completed', status: 'needs_attention' };
    }
    extraAttempts.push(interrupted);
    attemptNumber += 1;
  }

  const request = deps.provider.buildRequest(message, deps.config);
  const startedAt = new Date();
  const result = await deps.call(request, deps.callTimeoutMs);
  const classification = deps.provider.classify(result);
  const decision = decide(classification, attemptNumber, deps.provider.idempotentCall, deps.retry, deps.random);
  // Whatever the provider echoes back, our credential and the customer's token never get stored.
  const secrets = [...Object.values(deps.config.secrets), ...SECRET_PARAMS.map((k) => message.params[k]).filter((v): v is string => typeof v === 'string')];
  const attempt: Attempt = {
    number: attemptNumber,
    startedAt: startedAt.toISOString(),
    latencyMs: result.latencyMs,
    errorClass: classification.class,
    message: sanitizeText(classification.message, secrets),
    ...(classification.httpStatus !== undefined ? { httpStatus: classification.httpStatus } : {}),
    ...(classification.retryAfterSeconds !== undefined ? { retryAfterSeconds: classification.retryAfterSeconds } : {}),
  };
  const finishedAt = deps.now?.() ?? new Date();
  const nextAttemptAt = decision.status === 'retry_scheduled' ? new Date(finishedAt.getTime() + decision.delayMs).toISOString() : undefined;
  const { fenced } = await deps.store.complete(
    message.id,
    owner,
    finishedAt,
    { status: decision.status, reason: sanitizeText(decision.reason, secrets), attempt, ...(nextAttemptAt ? { nextAttemptAt } : {}) },
    extraAttempts,
  );
  log.info('renewal attempt recorded', {
    renewalId: message.id,
    provider: message.provider,
    subscription: maskEmail(message.subscription),
    attempt: attemptNumber,
    httpStatus: classification.httpStatus,
    errorClass: classification.class,
    status: decision.status,
    latencyMs: result.latencyMs,
    fenced,
  });
  if (fenced) return { kind: 'completed', status: 'lease lost' };
  if (decision.status === 'retry_scheduled') {
    await deps.queue.send(message, Math.max(1, Math.ceil(decision.delayMs / 1000)));
  }
  return { kind: 'completed', status: decision.status };
};
