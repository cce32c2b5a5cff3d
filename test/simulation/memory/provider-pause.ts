/**
 * `DynamoProviderPause` in memory, request for request: one item per provider (PAUSE#<provider>),
 * read consistently by `gate`; the probe lease, trust and pause are the adapter's UpdateItems with
 * the same conditions (an UpdateItem creates a missing item; a failed condition writes nothing).
 */
import { gateOf, type CredentialGate, type ProviderPause } from '../../../shared/adapters/provider-pause';
import type { Io } from './io';
import type { MemoryTable, PauseItem } from './table';

export class MemoryProviderPause implements ProviderPause {
  constructor(
    private readonly table: MemoryTable,
    private readonly io: Io,
    private readonly provider: string,
    readonly pauseMs: number,
  ) {}

  private get item(): PauseItem {
    return this.table.pauses.get(this.provider) ?? {};
  }

  private set item(item: PauseItem) {
    this.table.pauses.set(this.provider, item);
  }

  gate(now: Date, fingerprint: string): Promise<CredentialGate> {
    return this.io.request<CredentialGate>('read credential gate', () => {
      return gateOf(this.item, now.getTime(), fingerprint, this.pauseMs);
    });
  }

  acquireProbe(now: Date, owner: string, fingerprint: string, leaseMs: number): Promise<boolean> {
    return this.io.request(`acquire probe for ${owner}`, () => {
      const item = this.item;
      const t = now.getTime();
      // `(attribute_not_exists(probeUntil) OR (probeUntil < :now AND (probeFor <> :fp OR probeUntil < :settled)))
      //  AND NOT (pausedFor = :fp AND #until > :now)`
      const free = item.probeUntil === undefined || (item.probeUntil < t && (item.probeFor !== fingerprint || item.probeUntil < t - this.pauseMs));
      const paused = item.pausedFor === fingerprint && item.until !== undefined && item.until > t;
      if (!free || paused) return false;
      this.item = { ...item, probeOwner: owner, probeUntil: t + leaseMs, probeFor: fingerprint };
      return true;
    });
  }

  async trust(fingerprint: string): Promise<void> {
    await this.io.request('trust credentials', () => {
      const { probeOwner: _owner, probeUntil: _until, probeFor: _for, ...rest } = this.item;
      this.item = { ...rest, trusted: fingerprint };
    });
  }

  async releaseProbe(owner: string): Promise<void> {
    await this.io.request(`release probe of ${owner}`, () => {
      const { probeOwner, probeUntil: _until, probeFor: _for, ...rest } = this.item;
      // `probeOwner = :owner`: someone else's probe (ours expired) is not ours to end.
      if (probeOwner !== owner) return;
      this.item = rest;
    });
  }

  async pause(now: Date, reason: string, fingerprint: string): Promise<void> {
    await this.io.request('write pause', () => {
      const { trusted: _trusted, probeOwner: _owner, probeUntil: _until, probeFor: _for, ...rest } = this.item;
      this.item = { ...rest, until: now.getTime() + this.pauseMs, pausedFor: fingerprint, reason, at: now.toISOString() };
    });
  }
}
