/**
 * Performs one queued renewal, at most one provider call per claim
 * (docs/architecture.md#no-double-renewal, docs/architecture.md#response-classification-and-retries).
 *
 *  1. not yet due (notBefore, or a retry's dueAt) → re-queue with a delay (at most SQS's 900 s:
 *     a longer wait takes several copies), acknowledge this copy; no claim, no attempt
 *  2. claim the record (conditional write with a lease; with the period lock when the renewal
 *     covers a known period)
 *       lost: already finished         → acknowledge (duplicate delivery or redrive)
 *             leased by another worker → re-queue for when the lease ends
 *             retry not due yet        → re-queue for its time
 *             period held by another   → end pointing at it, or wait for it to finish
 *             no record                → acknowledge (nothing deletes a renewal: not expected)
 *  3. the previous attempt may have taken effect (it was interrupted, or its answer was
 *     ambiguous) and the call is not safe to repeat: ask the provider's read API first; without
 *     one, stop at needs_attention
 *  4. wait for the rate-limit slot, call, classify (confirming an ambiguous answer where the
 *     provider can), decide; record the attempt and the status (releases the lease)
 *  5. retry_scheduled → re-queue with the backoff delay, the copy carrying its due time
 *
 * Re-queueing sends a fresh delayed copy and acknowledges the current one, so waiting never
 * counts toward the queue's maxReceiveCount; only crashes and timeouts move a message to the DLQ.
 */
import type { Logger } from '../logger';
import { isTerminal, lastAttemptSettledByOperator, type Attempt, type QueuedRenewal, type RenewalRecord } from '../domain/renewal';
import { decide, type Decision, type RetryPolicy } from '../domain/retry';
import { sanitizeText, maskEmail } from '../domain/sanitize';
import { SECRET_PARAMS } from '../domain/canonical';
import type { RenewalQueue } from '../adapters/queue';
import type { RenewalStore } from '../adapters/renewal-store';
import { credentialFingerprint, type ProviderPause } from '../adapters/provider-pause';
import type { HttpCaller } from '../adapters/http-call';
import type { Classification, Confirmation, ProviderConfig, ProviderModule } from '../providers/types';

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
  /** Set for providers whose auth refusals concern the whole account (see ProviderPause). */
  readonly pause?: ProviderPause;
  /** Which auth-class HTTP statuses pause the provider. */
  readonly pauseOnAuthStatuses?: readonly number[];
  /** Overrides the provider's `confirmation.settleMs` (CONFIRMATION_SETTLE_SECONDS). */
  readonly settleMs?: number;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** What a call told about the account's credentials: refused (and the provider paused), or not. */
export interface ProviderAnswer {
  readonly errorClass: Classification['class'];
  readonly paused: boolean;
}

export type RenewalResult =
  | { readonly kind: 'completed'; readonly status: string }
  | { readonly kind: 'deferred'; readonly delaySeconds: number; readonly why: string }
  | { readonly kind: 'skipped'; readonly why: string };

/** When this copy may be worked on: its notBefore or its retry's due time, whichever is later (0: now). */
export const dueAtMs = (message: QueuedRenewal): number =>
  Math.max(0, ...[message.notBefore, message.dueAt].map((t) => (t ? Date.parse(t) : 0)).filter((t) => !Number.isNaN(t)));

const secondsUntil = (atMs: number, now: Date): number => Math.max(1, Math.ceil((atMs - now.getTime()) / 1000));
const sleepUntil = (atMs: number): Promise<void> => {
  const ms = atMs - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
};

/** How long a renewal waits before looking again at the renewal that holds its period. */
const PERIOD_HOLDER_RECHECK_SECONDS = 30;

export const processRenewal = async (
  message: QueuedRenewal,
  owner: string,
  deps: ConsumerDeps,
  /** Rate-limit slot reserved for this renewal's call, if the provider is limited. */
  slot?: { readonly at: number; readonly toleranceMs: number },
  /** Told what the provider answered when this processing called it (the batch's probe and canary). */
  onAnswer?: (answer: ProviderAnswer) => void,
): Promise<RenewalResult> => {
  const clock = () => deps.now?.() ?? new Date();
  const now = clock();
  const log = deps.logger;
  const defer = async (delaySeconds: number, why: string, copy: QueuedRenewal = message): Promise<RenewalResult> => {
    await deps.queue.send(copy, delaySeconds);
    log.debug('renewal deferred', { renewalId: message.id, delaySeconds, why });
    return { kind: 'deferred', delaySeconds, why };
  };

  const due = dueAtMs(message);
  if (due > now.getTime()) return defer(secondsUntil(due, now), due === Date.parse(message.dueAt ?? '') ? 'retry not due yet' : 'notBefore in the future');

  const period = deps.provider.periodOf?.(message);
  const claim = await deps.store.claim(message.id, owner, now, deps.leaseMs, period ? { provider: message.provider, period } : undefined);
  if (!claim.claimed) {
    if ('periodHeldBy' in claim) return periodHeldElsewhere(message, claim.periodHeldBy, deps, defer);
    const current = claim.current;
    if (!current) {
      // Nothing deletes a renewal any more; a message without one is foreign or from before that.
      log.warn('queued renewal has no record', { renewalId: message.id });
      return { kind: 'skipped', why: 'no record' };
    }
    if (isTerminal(current.status)) return { kind: 'skipped', why: `already ${current.status}` };
    if (current.status === 'in_progress' && current.leaseExpiresAt !== undefined) {
      return defer(secondsUntil(current.leaseExpiresAt, now) + 1, 'leased by another worker');
    }
    // A copy without the due time (a duplicate, or sent before it was known): it gets it now.
    if (current.nextAttemptAt) return defer(secondsUntil(Date.parse(current.nextAttemptAt), now), 'retry not due yet', { ...message, dueAt: current.nextAttemptAt });
    throw new Error(`renewal ${message.id} could not be claimed in status ${current.status}`);
  }

  // From here on this worker holds the lease: every path ends in complete().
  const secrets = [
    ...Object.values(deps.config.secrets),
    ...SECRET_PARAMS.map((k) => message.params[k]).filter((v): v is string => typeof v === 'string'),
  ];
  const finish = async (decision: Decision, attempts: readonly Attempt[]): Promise<RenewalResult> => {
    const finishedAt = clock();
    const nextAttemptAt = decision.status === 'retry_scheduled' ? new Date(finishedAt.getTime() + decision.delayMs).toISOString() : undefined;
    const { fenced } = await deps.store.complete(message.id, owner, finishedAt, {
      status: decision.status,
      reason: sanitizeText(decision.reason, secrets),
      attempts,
      ...(nextAttemptAt ? { nextAttemptAt } : {}),
    });
    const attempt = attempts.at(-1);
    log.info('renewal attempt recorded', {
      renewalId: message.id,
      provider: message.provider,
      operation: message.operation,
      subscription: maskEmail(message.subscription),
      attempt: attempt?.number,
      httpStatus: attempt?.httpStatus,
      errorClass: attempt?.errorClass,
      confirmation: attempt?.confirmation,
      status: decision.status,
      latencyMs: attempt?.latencyMs,
      fenced,
    });
    if (fenced) return { kind: 'completed', status: 'lease lost' };
    // Failed for good: the period was not renewed, so a later renewal may take it.
    if (decision.status === 'failed' && period) await deps.store.releasePeriod(message.id, message.provider, period);
    if (decision.status === 'retry_scheduled' && nextAttemptAt) {
      await deps.queue.send({ ...message, dueAt: nextAttemptAt }, Math.max(1, Math.ceil(decision.delayMs / 1000)));
    }
    return { kind: 'completed', status: decision.status };
  };

  const previous = claim.previous;
  let attemptNumber = previous.attempts.length + 1;
  const earlier: Attempt[] = [];
  if (claim.interrupted) {
    // From the first claim not recorded (several holders may have died in a row) to the last lease.
    const since = previous.claimedSince ?? previous.updatedAt;
    earlier.push({
      number: attemptNumber++,
      startedAt: since,
      // Unknown; the holders could have been calling until the last lease ran out.
      latencyMs: Math.max(0, (previous.leaseExpiresAt ?? Date.parse(previous.updatedAt) + deps.leaseMs) - Date.parse(since)),
      errorClass: 'interrupted',
      message: 'the worker holding this renewal stopped (crash or timeout) before recording an outcome',
    });
  }
  // The last call may have taken effect: it was cut off (the holder died) or answered ambiguously.
  // Unless an operator found at the provider that it did not renew, and retried it (POST …/retry).
  const unknown = earlier.length === 0 && lastAttemptSettledByOperator(previous) ? undefined : outcomeUnknown(earlier.at(-1) ?? previous.attempts.at(-1), deps);

  if (unknown && !deps.provider.idempotentCall) {
    const confirmation = await confirm(message, unknown.since, deps, onAnswer);
    // An interrupted attempt carries what the read API said; after an ambiguous one the
    // confirmation is the reason for the status (that attempt is already recorded).
    const noted = earlier.map((a) => ({ ...a, confirmation }));
    if (confirmation === 'renewed') {
      return finish({ status: 'succeeded', reason: 'the provider’s read API shows the earlier attempt renewed' }, noted);
    }
    if (confirmation === 'unknown') {
      return finish(
        {
          status: 'needs_attention',
          reason: deps.provider.confirmation
            ? 'an earlier attempt may have reached the provider and its read API could not tell; confirm at the provider before renewing again'
            : 'an earlier attempt was interrupted after it may have reached the provider; confirm at the provider before renewing again',
        },
        noted,
      );
    }
    earlier.splice(0, earlier.length, ...noted);
    if (now.getTime() < unknown.settledAt) {
      // "Not renewed" is not evidence yet: the provider may still be applying that call.
      return finish(
        {
          status: 'retry_scheduled',
          reason: 'the outcome of an earlier attempt is not known yet; the provider’s read API is asked again once it has settled',
          delayMs: unknown.settledAt - now.getTime(),
        },
        earlier,
      );
    }
    if (attemptNumber > deps.retry.maxAttempts) {
      return finish({ status: 'failed', reason: `gave up after ${attemptNumber - 1} attempts; the provider’s read API shows the last did not renew` }, earlier);
    }
  }

  const request = deps.provider.buildRequest(message, deps.config);
  if (slot) {
    await sleepUntil(slot.at);
    if (Date.now() > slot.at + slot.toleranceMs) {
      // Too late for the slot (a busy process): calling now could crowd the provider's window.
      // Give the claim back and wait again; this is not an attempt.
      await deps.store.release(message.id, owner, clock(), previous.status === 'retry_scheduled' ? 'retry_scheduled' : 'queued', earlier);
      return defer(1, 'missed its rate-limit slot');
    }
  }
  const startedAt = clock();
  const result = await deps.call(request, deps.callTimeoutMs);
  const answered = deps.provider.classify(result);
  // A refused login is acted on before anything else is written: the provider is paused at once,
  // so a failure to record the attempt (or a crash) cannot hide the refusal from the others.
  const refused = answered.class === 'auth' && deps.pause !== undefined && (deps.pauseOnAuthStatuses?.includes(answered.httpStatus ?? 0) ?? false);
  // Told first, so the batch holds back its other calls even if the pause cannot be written.
  onAnswer?.({ errorClass: answered.class, paused: refused });
  if (refused && deps.pause) {
    await deps.pause.pause(clock(), `authentication or configuration problem: ${sanitizeText(answered.message, secrets)}`, credentialFingerprint(deps.config.secrets));
    log.warn('provider paused after refusing the account credentials', { provider: message.provider });
  }
  let classification: Classification = answered;
  let confirmation: Confirmation | undefined;
  let decision: Decision | undefined;
  if (classification.class === 'ambiguous' && !deps.provider.idempotentCall && deps.provider.confirmation) {
    confirmation = await confirm(message, startedAt, deps, onAnswer);
    if (confirmation === 'renewed') classification = { ...classification, class: 'success' };
    else if (confirmation === 'not-renewed') {
      // Not evidence yet: the provider may still be processing the call. Ask again once it has
      // settled, and call again only if the read API still says no (not an attempt: no call).
      const settledAt = startedAt.getTime() + result.latencyMs + settleMsOf(deps);
      decision = {
        status: 'retry_scheduled',
        reason: `attempt ${attemptNumber} ambiguous: ${classification.message}; the provider’s read API is asked again once it has settled`,
        delayMs: Math.max(1_000, settledAt - clock().getTime()),
      };
    }
  }
  decision ??= decide(classification, attemptNumber, deps.provider.idempotentCall, deps.retry, deps.random);
  const attempt: Attempt = {
    number: attemptNumber,
    startedAt: startedAt.toISOString(),
    latencyMs: result.latencyMs,
    // The class the provider's answer had; a confirmation is recorded beside it.
    errorClass: answered.class,
    message: sanitizeText(classification.message, secrets),
    ...(classification.httpStatus !== undefined ? { httpStatus: classification.httpStatus } : {}),
    ...(classification.retryAfterSeconds !== undefined ? { retryAfterSeconds: classification.retryAfterSeconds } : {}),
    ...(confirmation ? { confirmation } : {}),
  };
  return finish(decision, [...earlier, attempt]);
};

const settleMsOf = (deps: ConsumerDeps): number => deps.settleMs ?? deps.provider.confirmation?.settleMs ?? 0;

/**
 * When the last attempt's outcome is unknown: since when the renewal may have happened, and from
 * when the read API's "not renewed" is evidence: the settle time after the call was last on the
 * wire (an ambiguous call until its answer or timeout; an interrupted one until its holder's
 * lease ran out, which is what its recorded latency holds).
 */
const outcomeUnknown = (last: Attempt | undefined, deps: ConsumerDeps): { since: Date; settledAt: number } | undefined => {
  if (last?.errorClass !== 'ambiguous' && last?.errorClass !== 'interrupted') return undefined;
  const since = Date.parse(last.startedAt);
  return { since: new Date(since), settledAt: since + last.latencyMs + settleMsOf(deps) };
};

/** Asks the provider's read API whether the renewal happened since `since`. */
const confirm = async (message: QueuedRenewal, since: Date, deps: ConsumerDeps, onAnswer?: (answer: ProviderAnswer) => void): Promise<Confirmation> => {
  const confirmation = deps.provider.confirmation;
  if (!confirmation) return 'unknown';
  const result = await deps.call(confirmation.buildRequest(message, deps.config), deps.callTimeoutMs);
  if (result.kind === 'response' && deps.pause && deps.pauseOnAuthStatuses?.includes(result.status)) {
    // The read logs in with the account's credentials too: a refusal counts toward the lockout
    // like a refused call, so it pauses the provider the same way.
    onAnswer?.({ errorClass: 'auth', paused: true });
    const now = deps.now?.() ?? new Date();
    await deps.pause.pause(now, `the provider refused the account credentials on its read API (HTTP ${result.status})`, credentialFingerprint(deps.config.secrets));
    deps.logger.warn('provider paused after refusing the account credentials', { provider: message.provider });
    return 'unknown';
  }
  // A read answered got past authentication: the credentials work.
  if (result.kind === 'response' && result.status < 400) onAnswer?.({ errorClass: 'success', paused: false });
  return confirmation.interpret(result, message, since);
};

/**
 * Another renewal of this subscription holds the period. If it renewed, this one points at it
 * and ends without a call; if it is still working, this one looks again later.
 */
const periodHeldElsewhere = async (
  message: QueuedRenewal,
  holderId: string,
  deps: ConsumerDeps,
  defer: (delaySeconds: number, why: string) => Promise<RenewalResult>,
): Promise<RenewalResult> => {
  const holder: RenewalRecord | undefined = await deps.store.get(holderId);
  const now = deps.now?.() ?? new Date();
  const end = async (status: 'succeeded' | 'needs_attention', reason: string): Promise<RenewalResult> => {
    const done = await deps.store.completeWithoutCall(message.id, now, status, reason, holderId);
    deps.logger.info('renewal covered by another renewal of the same period', { renewalId: message.id, duplicateOf: holderId, status });
    return done ? { kind: 'completed', status } : { kind: 'skipped', why: 'changed meanwhile' };
  };
  if (holder && (holder.status === 'succeeded' || holder.status === 'accepted')) {
    return end('succeeded', `renewal ${holderId} already renewed this subscription for this period`);
  }
  if (!holder || holder.status === 'needs_attention') {
    return end('needs_attention', `renewal ${holderId} holds this period and needs attention; resolve it first`);
  }
  return defer(PERIOD_HOLDER_RECHECK_SECONDS, `period held by ${holderId}`);
};
