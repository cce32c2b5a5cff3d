/**
 * Operator actions on one renewal (docs/architecture.md#operator-actions): retry, resolve, cancel.
 * Each reads the renewal, decides whether the action applies to it as it is (409 saying why
 * otherwise), and writes the change with the operator's history entry in one conditional write
 * (OperatorStore.apply): of a consumer and an operator, or two operators, acting at once, one wins
 * and the other gets a 409 and changes nothing.
 */
import type { Logger } from '../logger';
import { actionConflict, notFound, serviceUnavailable, type FieldError } from '../http/problem';
import { attemptsSettledByOperator, requeuedMessageFor, type HistoryEntry, type QueuedRenewal, type RenewalRecord, type RenewalStatus } from '../domain/renewal';
import { delaySecondsUntil, type RenewalQueue } from '../adapters/queue';
import type { ApplyResult, OperatorChange, OperatorStore } from '../adapters/operator-store';
import type { Provider } from '../system';
import type { CancelBody, ResolveBody, RetryBody } from '../http/schemas/renewals';
import type { InboxReader } from '../adapters/renewal-store';

export interface ActionDeps {
  readonly store: OperatorStore;
  readonly queues: Partial<Record<Provider, RenewalQueue>>;
  readonly logger: Logger;
  /** The period a renewal locks (Punchh: its term), from its provider's `periodOf`; undefined when none. */
  readonly periodOf: (message: QueuedRenewal) => Promise<string | undefined>;
  /**
   * Why this renewal cannot be queued again from what the record keeps (a secret param, such as a
   * Pelcro customer's JWT, is never stored), or undefined when it can.
   */
  readonly cannotRequeue: (record: RenewalRecord) => Promise<string | undefined>;
  readonly now?: () => Date;
}

export interface ActionResult {
  readonly record: RenewalRecord;
}

/**
 * The queue message a renewal is (re)sent as, from its record (secret params are not stored): a
 * new copy that continues the record's hop (docs/architecture.md#one-copy-per-renewal), so it may
 * wait and claim like any copy of the renewal, and of it and any copy still in flight continuing
 * the same hop only one goes on.
 */
export const messageOf = requeuedMessageFor;

const lastAttemptUnknown = (r: RenewalRecord): boolean => {
  const last = r.attempts.at(-1);
  return (last?.errorClass === 'ambiguous' || last?.errorClass === 'interrupted') && r.attempts.length > attemptsSettledByOperator(r);
};

/** Whether an operator already settled this failed renewal (resolved or cancelled it): it left the inbox. */
const settled = (r: RenewalRecord): boolean => {
  const last = r.history?.at(-1);
  return last !== undefined && last.action !== 'retry' && last.toStatus === r.status;
};

/** A renewal `in_progress` whose worker stopped (its lease ran out) is the operator's to end. */
const abandoned = (r: RenewalRecord, now: Date): boolean => r.status === 'in_progress' && (r.leaseExpiresAt ?? Infinity) < now.getTime();

const load = async (id: string, deps: ActionDeps): Promise<RenewalRecord> => {
  const record = await deps.store.get(id);
  if (!record) throw notFound(`No renewal ${JSON.stringify(id)}.`);
  return record;
};

const changedMeanwhile = (r: RenewalRecord): never => {
  throw actionConflict(`Renewal ${r.id} changed while the action was applied (a consumer or another operator wrote it first); nothing was done. Read it again and decide.`);
};

const outcomeOf = (r: ApplyResult, seen: RenewalRecord): RenewalRecord => {
  if (r.applied) return r.record;
  if ('periodHeldBy' in r) {
    throw actionConflict(
      `Renewal ${r.periodHeldBy} holds this subscription's period, so this one cannot be marked as having renewed it; resolve or cancel that one first.`,
    );
  }
  return changedMeanwhile(seen);
};

const entryFor = (
  action: HistoryEntry['action'],
  by: string,
  note: string,
  from: RenewalRecord,
  toStatus: RenewalStatus,
  now: Date,
  extra: Partial<Pick<HistoryEntry, 'outcome' | 'providerState' | 'bulk'>> = {},
): HistoryEntry => ({ action, by, at: now.toISOString(), note, fromStatus: from.status, toStatus, attemptCount: from.attempts.length, ...extra });

const notApplicable = (r: RenewalRecord, action: string, applies: string): never => {
  throw actionConflict(`${action} applies to a renewal that is ${applies}; renewal ${r.id} is ${r.status}${r.statusReason ? ` (${r.statusReason})` : ''}.`);
};

/** What the retry reason says, and the problem answered when the renewal stays queued but unsent. */
const SEND_FAILED = 'retried by an operator and queued, but its message could not be sent: retry it again to send it';

/**
 * Back to `queued` and sent to the provider's queue at once. From `failed`, `needs_attention`, or
 * a `queued` renewal whose message could not be sent. When the last attempt's outcome is unknown
 * the operator must say what the provider shows: `providerState: "not_renewed"`.
 */
export const retryRenewal = async (id: string, body: RetryBody, by: string, deps: ActionDeps, options: { bulk?: boolean } = {}): Promise<ActionResult> => {
  const now = deps.now?.() ?? new Date();
  const seen = await load(id, deps);
  const unsent = seen.status === 'queued' && seen.sendFailedAt !== undefined;
  if (seen.status !== 'failed' && seen.status !== 'needs_attention' && !unsent) {
    notApplicable(seen, 'Retry', 'failed, needs_attention, or queued but not sent');
  }
  if (seen.status === 'failed' && settled(seen)) notApplicable(seen, 'Retry', 'failed and not yet resolved or cancelled');
  if (lastAttemptUnknown(seen) && body.providerState !== 'not_renewed') {
    const errors: FieldError[] = [{ path: 'providerState', message: 'is required: the last attempt’s outcome is unknown; check at the provider, then send "not_renewed"' }];
    throw actionConflict(
      `The last attempt of renewal ${seen.id} may have renewed it at the provider (its outcome is ${seen.attempts.at(-1)?.errorClass}); calling again could renew it twice. Check at the provider: if it did not renew, retry with "providerState": "not_renewed"; if it did, resolve it with "outcome": "succeeded".`,
      errors,
    );
  }
  const why = await deps.cannotRequeue(seen);
  if (why) throw actionConflict(`Renewal ${seen.id} cannot be queued again: ${why}`);
  const queue = deps.queues[seen.provider];
  if (!queue) throw actionConflict(`Renewals for ${seen.provider} are not processed by this deployment.`);

  const change: OperatorChange = {
    status: 'queued',
    reason: `queued again by ${by}: ${body.note}`,
    inInbox: true,
    entry: entryFor('retry', by, body.note, seen, 'queued', now, {
      ...(lastAttemptUnknown(seen) && body.providerState ? { providerState: body.providerState } : {}),
      ...(options.bulk ? { bulk: true as const } : {}),
    }),
  };
  const record = outcomeOf(await deps.store.apply(seen, change, now), seen);
  try {
    await queue.send(messageOf(record), delaySecondsUntil(record.notBefore, now));
  } catch (error) {
    deps.logger.error('retried renewal could not be queued; it stays queued and marked', { renewalId: id, error: error instanceof Error ? error.name : 'unknown' });
    await deps.store.markSendFailed(record, now, SEND_FAILED).catch(() => undefined);
    throw serviceUnavailable(`The retry of renewal ${id} is recorded and the renewal is queued, but its message could not be sent; retry it again to send it.`);
  }
  deps.logger.info('renewal retried by an operator', { renewalId: id, by, bulk: options.bulk === true });
  return { record };
};

const PERIOD_STATUSES_RESOLVE: readonly RenewalStatus[] = ['queued', 'retry_scheduled', 'needs_attention', 'failed'];

/** The period lock change an action makes, if the renewal has a period. */
const periodChange = async (seen: RenewalRecord, action: 'release' | 'hold', deps: ActionDeps): Promise<OperatorChange['period']> => {
  const period = await deps.periodOf(messageOf(seen));
  if (!period) return undefined;
  if (action === 'release') {
    const holder = await deps.store.periodHolder(seen.provider, period);
    // Only a lock this renewal holds is released; one it never took (or let go) is left alone.
    if (holder?.renewalId !== seen.id || holder.released) return undefined;
  }
  return { provider: seen.provider, period, action };
};

/**
 * The operator settled it at the provider: `succeeded` (the period stays locked by this renewal, so
 * another renewal of it ends as a duplicate) or `failed` (the period is released). From
 * `needs_attention`, `failed` (not yet resolved), `queued`, `retry_scheduled`, or an `in_progress`
 * renewal whose worker stopped.
 */
export const resolveRenewal = async (id: string, body: ResolveBody, by: string, deps: ActionDeps): Promise<ActionResult> => {
  const now = deps.now?.() ?? new Date();
  const seen = await load(id, deps);
  if (!PERIOD_STATUSES_RESOLVE.includes(seen.status) && !abandoned(seen, now)) {
    notApplicable(seen, 'Resolve', 'needs_attention, failed, queued, retry_scheduled, or in_progress with its worker gone');
  }
  if (seen.status === 'failed' && settled(seen)) notApplicable(seen, 'Resolve', 'failed and not yet resolved or cancelled');
  const status = body.outcome;
  const change: OperatorChange = {
    status,
    reason: `resolved as ${body.outcome} by ${by}: ${body.note}`,
    inInbox: false,
    entry: entryFor('resolve', by, body.note, seen, status, now, { outcome: body.outcome }),
  };
  const period = await periodChange(seen, body.outcome === 'succeeded' ? 'hold' : 'release', deps);
  const record = outcomeOf(await deps.store.apply(seen, period ? { ...change, period } : change, now), seen);
  deps.logger.info('renewal resolved by an operator', { renewalId: id, by, outcome: body.outcome });
  return { record };
};

/**
 * `cancelled`: nothing calls the provider for it again, and its period is released (another
 * renewal of it may go ahead). From `queued`, `retry_scheduled`, `needs_attention`, `failed` (not
 * yet resolved), or an `in_progress` renewal whose worker stopped.
 */
export const cancelRenewal = async (id: string, body: CancelBody, by: string, deps: ActionDeps): Promise<ActionResult> => {
  const now = deps.now?.() ?? new Date();
  const seen = await load(id, deps);
  if (!PERIOD_STATUSES_RESOLVE.includes(seen.status) && !abandoned(seen, now)) {
    notApplicable(seen, 'Cancel', 'queued, retry_scheduled, needs_attention, failed, or in_progress with its worker gone');
  }
  if (seen.status === 'failed' && settled(seen)) notApplicable(seen, 'Cancel', 'failed and not yet resolved or cancelled');
  const change: OperatorChange = {
    status: 'cancelled',
    reason: `cancelled by ${by}: ${body.note}`,
    inInbox: false,
    entry: entryFor('cancel', by, body.note, seen, 'cancelled', now),
  };
  const period = await periodChange(seen, 'release', deps);
  const record = outcomeOf(await deps.store.apply(seen, period ? { ...change, period } : change, now), seen);
  deps.logger.info('renewal cancelled by an operator', { renewalId: id, by });
  return { record };
};

/** How many held renewals one resume sends again at most, and for how long (the rest go at the pause's end). */
export const RESUME_REQUEUE_MAX = 2_000;
const RESUME_REQUEUE_BUDGET_MS = 15_000;

/**
 * After a resume: every renewal of the provider that is waiting (`queued`, `retry_scheduled`, from
 * the inbox) is sent to its queue again at once, so the ones the pause held go ahead now rather
 * than when their delayed copies come back at the pause's end (a copy too many is harmless: the
 * claim lets one through; one not due yet is sent on to its time). Renewals whose message needs a
 * secret the record does not keep are left to their own copies.
 */
export const requeueHeld = async (
  provider: Provider,
  deps: ActionDeps & { readonly inbox: { page: InboxReader['page'] } },
): Promise<{ readonly count: number; readonly complete: boolean }> => {
  const queue = deps.queues[provider];
  if (!queue) return { count: 0, complete: true };
  const started = Date.now();
  let cursor: string | undefined;
  let count = 0;
  do {
    if (count >= RESUME_REQUEUE_MAX || Date.now() - started > RESUME_REQUEUE_BUDGET_MS) return { count, complete: false };
    const page = await deps.inbox.page({ statuses: ['queued', 'retry_scheduled'], providers: [provider] }, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (let i = 0; i < page.items.length; i += 10) {
      await Promise.all(
        page.items.slice(i, i + 10).map(async (r) => {
          if (await deps.cannotRequeue(r)) return;
          const now = deps.now?.() ?? new Date();
          const dueAt = r.status === 'retry_scheduled' ? r.nextAttemptAt : undefined;
          await queue.send({ ...messageOf(r), ...(dueAt ? { dueAt } : {}) }, delaySecondsUntil(dueAt ?? r.notBefore, now));
          count++;
        }),
      );
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { count, complete: true };
};
