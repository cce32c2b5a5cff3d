/**
 * `RenewalStore` in memory, with the conditions of shared/adapters/renewal-store.ts request for
 * request (docs/architecture.md#conditional-writes): each DynamoDB request of the real store is one
 * `io.request` here, evaluated and applied atomically, so the same interleavings are possible
 * (a claim with a period is still a consistent read followed by a two-item transaction, a fenced
 * completion still two writes). test/simulation/conformance.test.ts runs the same cases against
 * this store and the DynamoDB one, against DynamoDB Local.
 */
import { holdsCompletion, InvalidCursorError, SEND_FAILED_REASON, type ClaimResult, type Completion, type CreateResult, type HopResult, type Page } from '../../../shared/adapters/renewal-store';
import { isTerminal, type Attempt, type RenewalRecord, type RenewalStatus } from '../../../shared/domain/renewal';
import type { Provider } from '../../../shared/system';
import type { Io } from './io';
import type { RenewalStoreApi } from './ports';
import { SimValidationException, withoutLease, withoutNextAttempt, withoutUndefined, type MemoryTable, type PeriodLock } from './table';

/** Told about every claim that takes effect (the simulator checks whose lease it took). */
export interface ClaimObserver {
  claimed(previous: RenewalRecord, owner: string, at: Date): void;
}

const periodKey = (provider: Provider, period: string): string => `${provider}#${period}`;
const subscriptionKey = (provider: Provider, subscription: string) => `SUB#${provider}#${subscription}`;

/** CLAIMABLE in the real store. String and number comparisons as DynamoDB makes them. */
const claimable = (r: RenewalRecord | undefined, now: Date): r is RenewalRecord =>
  r !== undefined &&
  (((r.status === 'queued' || r.status === 'retry_scheduled') && (r.nextAttemptAt === undefined || r.nextAttemptAt <= now.toISOString())) ||
    (r.status === 'in_progress' && r.leaseExpiresAt !== undefined && r.leaseExpiresAt < now.getTime()));

/** `list_append(attempts, :attempts)`: DynamoDB refuses it when the item has no `attempts`. */
const appended = (r: RenewalRecord | undefined, attempts: readonly Attempt[]): readonly Attempt[] => {
  if (!r || !Array.isArray(r.attempts)) throw new SimValidationException('The provided expression refers to an attribute that does not exist in the item');
  return [...r.attempts, ...attempts];
};

type Transact =
  | { readonly ok: true }
  | { readonly ok: false; readonly renewalFailed: boolean; readonly current: RenewalRecord | undefined; readonly lock: PeriodLock | undefined };

export class MemoryRenewalStore implements RenewalStoreApi {
  constructor(
    private readonly table: MemoryTable,
    private readonly io: Io,
    private readonly observer?: ClaimObserver,
  ) {}

  create(record: RenewalRecord): Promise<CreateResult> {
    return this.io.request(`create ${record.id}`, () => {
      const existing = this.table.renewals.get(record.id);
      if (existing) return { created: false, existing };
      this.table.renewals.set(record.id, withoutUndefined(record));
      return { created: true };
    });
  }

  /** `#s = :queued AND size(attempts) = :zero`: a renewal still waiting for its first attempt. */
  async markSendFailed(id: string, now: Date): Promise<void> {
    await this.io.request(`mark send failed ${id}`, () => {
      const r = this.table.renewals.get(id);
      if (r?.status !== 'queued' || r.attempts.length !== 0) return;
      this.table.renewals.set(id, { ...r, sendFailedAt: now.toISOString(), statusReason: SEND_FAILED_REASON });
    });
  }

  /** `#s = :queued AND attribute_exists(sendFailedAt)`: REMOVE sendFailedAt, statusReason. */
  async clearSendFailure(id: string): Promise<void> {
    await this.io.request(`clear send failure ${id}`, () => {
      const r = this.table.renewals.get(id);
      if (r?.status !== 'queued' || r.sendFailedAt === undefined) return;
      const { sendFailedAt: _at, statusReason: _reason, ...rest } = r;
      this.table.renewals.set(id, rest);
    });
  }

  /** `#s = :queued AND size(attempts) = 0`: SET status cancelled, statusReason. */
  async withdraw(id: string, now: Date, reason: string): Promise<void> {
    await this.io.request(`withdraw ${id}`, () => {
      const r = this.table.renewals.get(id);
      if (r?.status !== 'queued' || r.attempts.length !== 0) return;
      this.table.renewals.set(id, { ...r, status: 'cancelled', statusReason: reason, updatedAt: now.toISOString() });
    });
  }

  get(id: string): Promise<RenewalRecord | undefined> {
    return this.io.request(`get ${id}`, () => this.table.renewals.get(id));
  }

  private takeLease(r: RenewalRecord, owner: string, now: Date, leaseMs: number, hop: string | undefined): void {
    this.observer?.claimed(r, owner, now);
    this.table.renewals.set(r.id, {
      ...withoutNextAttempt(r),
      status: 'in_progress',
      leaseOwner: owner,
      leaseExpiresAt: now.getTime() + leaseMs,
      updatedAt: now.toISOString(),
      claimedSince: r.claimedSince ?? now.toISOString(),
      ...(hop ? { hop } : {}),
    });
  }

  async claim(id: string, owner: string, now: Date, leaseMs: number, period?: { provider: Provider; period: string }, hop?: string): Promise<ClaimResult> {
    if (period) return this.claimWithPeriod(id, owner, now, leaseMs, period, hop);
    return this.io.request<ClaimResult>(`claim ${id} for ${owner}`, () => {
      const r = this.table.renewals.get(id);
      if (!claimable(r, now)) return { claimed: false, current: r };
      this.takeLease(r, owner, now, leaseMs, hop);
      return { claimed: true, interrupted: r.status === 'in_progress', previous: r };
    });
  }

  /** `attribute_exists(pk) AND NOT (#s IN (terminal…)) AND (hop = :self OR hop = :from | attribute_not_exists(hop))`. */
  advanceHop(id: string, from: string | undefined, self: string): Promise<HopResult> {
    return this.io.request<HopResult>(`advance hop of ${id} to ${self}`, () => {
      const r = this.table.renewals.get(id);
      if (!r || isTerminal(r.status) || (r.hop !== self && r.hop !== from)) return { advanced: false, current: r };
      this.table.renewals.set(id, { ...r, hop: self });
      return { advanced: true };
    });
  }

  private async claimWithPeriod(
    id: string,
    owner: string,
    now: Date,
    leaseMs: number,
    { provider, period }: { provider: Provider; period: string },
    hop: string | undefined,
  ): Promise<ClaimResult> {
    const key = periodKey(provider, period);
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = await this.get(id);
      if (!previous) return { claimed: false, current: undefined };
      const out = await this.io.request<Transact>(`claim ${id} for ${owner} with period ${period}`, () => {
        const current = this.table.renewals.get(id);
        const lock = this.table.periods.get(key);
        const renewalOk = claimable(current, now) && current.updatedAt === previous.updatedAt;
        const lockOk = lock === undefined || lock.renewalId === id || lock.released === true;
        if (!renewalOk || !lockOk || !current) return { ok: false, renewalFailed: !renewalOk, current, lock: lockOk ? undefined : lock };
        this.takeLease(current, owner, now, leaseMs, hop);
        // A Put: the whole lock item is replaced (a `released` flag goes with it).
        this.table.periods.set(key, { renewalId: id, takenAt: now.toISOString() });
        return { ok: true };
      });
      if (out.ok) return { claimed: true, interrupted: previous.status === 'in_progress', previous };
      if (out.renewalFailed) {
        if (out.current && out.current.updatedAt !== previous.updatedAt) continue;
        return { claimed: false, current: out.current };
      }
      if (out.lock) return { claimed: false, periodHeldBy: out.lock.renewalId };
    }
    throw new Error(`renewal ${id}: could not claim under contention`);
  }

  async release(id: string, owner: string, now: Date, status: 'queued' | 'retry_scheduled', attempts: readonly Attempt[]): Promise<void> {
    await this.io.request(`release ${id} by ${owner}`, () => {
      const r = this.table.renewals.get(id);
      if (r?.leaseOwner !== owner) return;
      this.table.renewals.set(id, { ...withoutLease(r), status, attempts: appended(r, attempts), updatedAt: now.toISOString() });
    });
  }

  async releasePeriod(id: string, provider: Provider, period: string): Promise<void> {
    await this.io.request(`release period of ${id}`, () => {
      const key = periodKey(provider, period);
      const lock = this.table.periods.get(key);
      if (lock?.renewalId === id) this.table.periods.set(key, { ...lock, released: true });
    });
  }

  completeWithoutCall(id: string, now: Date, status: RenewalStatus, reason: string, duplicateOf: string): Promise<boolean> {
    return this.io.request(`complete ${id} without call (${status})`, () => {
      const r = this.table.renewals.get(id);
      if (r?.status !== 'queued' && r?.status !== 'retry_scheduled') return false;
      this.table.renewals.set(id, { ...withoutNextAttempt(r), status, statusReason: reason, duplicateOf, updatedAt: now.toISOString() });
      return true;
    });
  }

  async complete(id: string, owner: string, now: Date, completion: Completion): Promise<{ fenced: boolean }> {
    const owned = await this.io.request(`complete ${id} by ${owner} (${completion.status})`, () => {
      const r = this.table.renewals.get(id);
      // As DynamoDB answers it: the condition fails, and the item it returns shows our own write.
      if (r?.leaseOwner !== owner) return r !== undefined && holdsCompletion(r, now, completion);
      this.table.renewals.set(
        id,
        withoutUndefined({
          ...withoutLease(r),
          status: completion.status,
          statusReason: completion.reason,
          attempts: appended(r, completion.attempts),
          updatedAt: now.toISOString(),
          ...(completion.nextAttemptAt ? { nextAttemptAt: completion.nextAttemptAt } : {}),
        }),
      );
      return true;
    });
    if (owned) return { fenced: false };
    await this.io.request(`complete ${id} fenced: attempts only`, () => {
      const r = this.table.renewals.get(id);
      const attempts = appended(r, completion.attempts);
      if (r) this.table.renewals.set(id, { ...r, attempts, updatedAt: now.toISOString() });
    });
    return { fenced: true };
  }

  async listBySubscription(provider: Provider, subscription: string, options: { limit: number; cursor?: string }): Promise<Page<RenewalRecord>> {
    const gsi1pk = subscriptionKey(provider, subscription);
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    if (after && after.gsi1pk !== gsi1pk) throw new SimValidationException('The provided starting key is invalid');
    return this.io.request(`list ${provider}/${subscription}`, () => {
      const sortKey = (r: RenewalRecord) => `${r.createdAt}#${r.id}`;
      const all = [...this.table.renewals.values()]
        .filter((r) => r.provider === provider && r.subscription === subscription)
        .sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
      const from = after ? all.filter((r) => sortKey(r) < after.gsi1sk) : all;
      const items = from.slice(0, options.limit);
      const last = items.at(-1);
      // DynamoDB hands back a LastEvaluatedKey whenever it stopped at the limit.
      const nextCursor =
        last && items.length === options.limit
          ? Buffer.from(JSON.stringify({ pk: `RENEWAL#${last.id}`, sk: 'RENEWAL', gsi1pk, gsi1sk: sortKey(last) })).toString('base64url')
          : undefined;
      return { items, ...(nextCursor ? { nextCursor } : {}) };
    });
  }
}

/** The real store's cursor check (a base64url JSON of the four key attributes, all strings). */
const decodeCursor = (cursor: string): { gsi1pk: string; gsi1sk: string } => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      Object.keys(parsed).sort().join(',') === 'gsi1pk,gsi1sk,pk,sk' &&
      Object.values(parsed).every((v) => typeof v === 'string')
    ) {
      return parsed as { gsi1pk: string; gsi1sk: string };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
};
