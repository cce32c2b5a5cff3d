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
 * Only the copy that carries the renewal (its record's `hop`) is sent on; any other copy (a crash
 * left it behind, SQS delivered it twice, or the renewal has ended) is dropped, so copies never
 * multiply (`sendOn`, docs/architecture.md#one-copy-per-renewal).
 */
import type { Logger } from '../logger';
import { attemptsSettledByOperator, isTerminal, newCopyId, type Attempt, type QueuedRenewal, type RenewalRecord } from '../domain/renewal';
import { decide, withinDeadline, type Decision, type RetryPolicy } from '../domain/retry';
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

/** This copy's id. Intake and the consumer give every copy one; the batch gives an older message its SQS message id. */
export const copyIdOf = (message: QueuedRenewal): string => message.copyId ?? message.id;

/**
 * Sends this copy on to wait `delaySeconds` (changed by `changes`), if it is the one that carries
 * the renewal; otherwise drops it (docs/architecture.md#one-copy-per-renewal).
 *
 * The record names the carrying copy (`hop`). The copy first makes itself the hop (a conditional
 * write: it must continue the current hop, or be it already), then sends its successor, which
 * continues it; the caller then acknowledges the copy. Under SQS at-least-once delivery and a
 * crash at any await, at most one lineage survives each hop, and never none:
 *  - dies before the write, or after it and before the send: the copy comes back (visibility
 *    timeout), is the hop (or still continues it) and does it again;
 *  - dies after the send, before the acknowledgement: the copy comes back and sends a second
 *    successor; both continue the same hop, the first to wait or claim becomes the hop and the
 *    other is dropped at its next look;
 *  - two copies of one hop at once (a duplicate delivery, an intake repeat): one write wins, the
 *    other copy finds the hop taken and is dropped;
 *  - the renewal has ended: the write is refused, and every copy left of it is dropped on arrival.
 * A claim also makes the claiming copy the hop, so the copies a holder leaves behind are dropped
 * too, and its successor (a retry) continues it. The cost: one conditional write per wait.
 */
export const sendOn = async (
  message: QueuedRenewal,
  delaySeconds: number,
  deps: Pick<ConsumerDeps, 'store' | 'queue'>,
  changes: Partial<Pick<QueuedRenewal, 'dueAt'>> = {},
): Promise<{ readonly sent: true } | { readonly sent: false; readonly why: string }> => {
  const self = copyIdOf(message);
  const hop = await deps.store.advanceHop(message.id, message.hop, self);
  if (!hop.advanced) {
    const r = hop.current;
    return { sent: false, why: !r ? 'no record' : isTerminal(r.status) ? `already ${r.status}` : 'another copy carries this renewal' };
  }
  await deps.queue.send(successorOf(message, changes), delaySeconds);
  return { sent: true };
};

/**
 * The copy that continues `message` (which is the renewal's hop). Its id comes from Math.random,
 * not the injectable `random` of the retry jitter: a test that fixes the jitter must not make
 * every copy's id the same.
 */
const successorOf = (message: QueuedRenewal, changes: Partial<Pick<QueuedRenewal, 'dueAt'>> = {}): QueuedRenewal => ({
  ...message,
  ...changes,
  hop: copyIdOf(message),
  copyId: newCopyId(),
});

/** The shortest and longest a renewal waits before looking again at the renewal that holds its period. */
const PERIOD_HOLDER_RECHECK_SECONDS = 30;
const PERIOD_HOLDER_RECHECK_MAX_SECONDS = 900;
/**
 * How long a renewal waits for a holder of its period that does not move (due, but nobody works
 * on it: its message is in the dead-letter queue, or the credential gate has held it back for
 * hours) before it ends needs_attention naming the holder (docs/architecture.md#no-double-renewal).
 * Long enough for a backlog or a credential outage of a few hours; a holder that is working or
 * waiting for its own retry is waited for without this limit (its own retries are bounded).
 */
export const PERIOD_HOLDER_STUCK_MS = 6 * 3_600_000;

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
  const defer = async (delaySeconds: number, why: string, changes: Partial<Pick<QueuedRenewal, 'dueAt'>> = {}): Promise<RenewalResult> => {
    const out = await sendOn(message, delaySeconds, deps, changes);
    if (!out.sent) {
      log.debug('stray copy dropped', { renewalId: message.id, why: out.why });
      return { kind: 'skipped', why: out.why };
    }
    log.debug('renewal deferred', { renewalId: message.id, delaySeconds, why });
    return { kind: 'deferred', delaySeconds, why };
  };

  const due = dueAtMs(message);
  if (due > now.getTime()) return defer(secondsUntil(due, now), due === Date.parse(message.dueAt ?? '') ? 'retry not due yet' : 'notBefore in the future');

  const period = deps.provider.periodOf?.(message);
  // The claiming copy becomes the renewal's hop: copies left of it are dropped from now on.
  const claim = await deps.store.claim(message.id, owner, now, deps.leaseMs, period ? { provider: message.provider, period } : undefined, copyIdOf(message));
  if (!claim.claimed) {
    // Only a claim with a period can find it held.
    if ('periodHeldBy' in claim) return periodHeldElsewhere(message, claim.periodHeldBy, period ?? '', deps, defer);
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
    if (current.nextAttemptAt) return defer(secondsUntil(Date.parse(current.nextAttemptAt), now), 'retry not due yet', { dueAt: current.nextAttemptAt });
    throw new Error(`renewal ${message.id} could not be claimed in status ${current.status}`);
  }

  // From here on this worker holds the lease: every path ends in complete().
  const secrets = [
    ...Object.values(deps.config.secrets),
    ...SECRET_PARAMS.map((k) => message.params[k]).filter((v): v is string => typeof v === 'string'),
  ];
  const finish = async (decided: Decision, attempts: readonly Attempt[]): Promise<RenewalResult> => {
    const finishedAt = clock();
    const decision = withinDeadline(decided, finishedAt, message.deadline);
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
      // This copy is the hop (it claimed): its successor continues it.
      await deps.queue.send(successorOf(message, { dueAt: nextAttemptAt }), Math.max(1, Math.ceil(decision.delayMs / 1000)));
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
  // The last calls may have taken effect: cut off (a holder died) or answered ambiguously, and no
  // read since has settled them. All of them, not only the last: a holder that died after a read
  // showed an earlier ambiguous call renewed leaves an interrupted attempt after that call. Those an
  // operator settled (a retry after finding the provider did not renew) are left out.
  const unknown = outcomeUnknown([...previous.attempts.slice(attemptsSettledByOperator(previous)), ...earlier], deps);

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
      await deps.queue.send(successorOf(message), 1);
      return { kind: 'deferred', delaySeconds: 1, why: 'missed its rate-limit slot' };
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
 * When the outcome of the latest attempts is unknown: since when the renewal may have happened,
 * and from when the read API's "not renewed" is evidence (docs/architecture.md#no-double-renewal).
 *
 * The unresolved attempts are the trailing run of ambiguous or interrupted ones. An attempt with a
 * definite answer ends the run: the engine only calls after a read, made once every unknown
 * attempt before it had settled, said "not renewed". Inside the run, a "not renewed" recorded
 * before an attempt had settled is no evidence, and an interrupted attempt says nothing about the
 * ambiguous call before it (its holder may have died right after a read showed that call renewed),
 * so the window starts at the first attempt of the run, and is settled once the last has (an
 * ambiguous call until its answer or timeout; an interrupted one until its holder's lease ran out,
 * which is what its recorded latency holds). Starting too early can only attribute to this
 * renewal an effect of its own earlier calls; starting too late renews twice.
 */
const outcomeUnknown = (attempts: readonly Attempt[], deps: ConsumerDeps): { since: Date; settledAt: number } | undefined => {
  let since: number | undefined;
  let settledAt = 0;
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i];
    if (a?.errorClass !== 'ambiguous' && a?.errorClass !== 'interrupted') break;
    const start = Date.parse(a.startedAt);
    since = Math.min(since ?? start, start);
    settledAt = Math.max(settledAt, start + a.latencyMs + settleMsOf(deps));
  }
  return since === undefined ? undefined : { since: new Date(since), settledAt };
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
 * and ends without a call; if it is working, or waiting for its own retry, this one looks again
 * when it should have moved; if it has not moved for PERIOD_HOLDER_STUCK_MS, this one ends
 * needs_attention naming it, rather than looking again forever.
 */
const periodHeldElsewhere = async (
  message: QueuedRenewal,
  holderId: string,
  period: string,
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
  if (holder.status === 'failed') {
    // It failed for good and renewed nothing, but died before letting the period go: let it go.
    await deps.store.releasePeriod(holderId, message.provider, period);
    return defer(1, `period released by ${holderId}, which failed`);
  }
  const nowMs = now.getTime();
  const moves = holderMoves(holder, nowMs);
  if (moves.at > nowMs) return defer(clamp(secondsUntil(moves.at, now) + 1), `period held by ${holderId}`);
  const stuckForMs = nowMs - moves.at;
  if (stuckForMs >= PERIOD_HOLDER_STUCK_MS) {
    return end(
      'needs_attention',
      `renewal ${holderId} holds this period and has not moved for ${Math.floor(stuckForMs / 60_000)} minutes (its message may be in the dead-letter queue); resolve it first`,
    );
  }
  // Looks again soon after the holder should have moved, then less and less often.
  return defer(Math.min(clamp(Math.ceil(stuckForMs / 2_000)), Math.ceil((PERIOD_HOLDER_STUCK_MS - stuckForMs) / 1000)), `period held by ${holderId}`);
};

const clamp = (seconds: number): number => Math.min(PERIOD_HOLDER_RECHECK_MAX_SECONDS, Math.max(PERIOD_HOLDER_RECHECK_SECONDS, seconds));

/**
 * When a holder that has not ended moves next (`at` in the future: its lease runs out, its retry
 * or notBefore comes), or since when it should have (`at` in the past: due, and nobody works on it).
 */
const holderMoves = (holder: RenewalRecord, nowMs: number): { at: number } => {
  const next =
    holder.status === 'in_progress' ? holder.leaseExpiresAt : holder.status === 'retry_scheduled' ? parseTime(holder.nextAttemptAt) : parseTime(holder.notBefore);
  if (next !== undefined && next > nowMs) return { at: next };
  return { at: Math.max(next ?? 0, parseTime(holder.updatedAt) ?? 0) };
};

const parseTime = (iso: string | undefined): number | undefined => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};
