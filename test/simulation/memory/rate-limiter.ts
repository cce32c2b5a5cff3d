/**
 * `DynamoRateLimiter` in memory: the same GCRA reservation (shared/adapters/rate-limiter.ts), with
 * the same optimistic write: the TAT item is written only if it still holds the value this instance
 * last saw, and a failed write continues from the value it found. `seen` is the instance's cache
 * of the TAT (a warm Lambda container keeps it between invocations), so pass the same object to
 * the limiters of one container.
 */
import { slotSpacingMs, slotToleranceMs, type Limiter, type RateLimit, type Reservation } from '../../../shared/adapters/rate-limiter';
import type { Io } from './io';
import type { MemoryTable } from './table';

export interface TatCache {
  knownTat: number | undefined;
}

type Write = { readonly ok: true } | { readonly ok: false; readonly tat: number | undefined };

export class MemoryRateLimiter implements Limiter {
  readonly toleranceMs: number;
  private readonly spacing: number;

  constructor(
    private readonly table: MemoryTable,
    private readonly io: Io,
    private readonly key: string,
    rate: RateLimit,
    private readonly now: () => number,
    private readonly seen: TatCache = { knownTat: undefined },
  ) {
    this.spacing = slotSpacingMs(rate);
    this.toleranceMs = slotToleranceMs(rate);
  }

  async reserve(count: number, maxWaitMs: number): Promise<Reservation> {
    if (count <= 0) return { slots: [], retryInMs: 0 };
    for (let attempt = 0; attempt < 20; attempt++) {
      const now = this.now();
      const known = this.seen.knownTat;
      const start = Math.max(known ?? 0, now);
      const fit = Math.min(count, Math.floor((now + maxWaitMs - start) / this.spacing) + 1);
      if (fit <= 0) return { slots: [], retryInMs: Math.ceil(start - now - maxWaitMs) + 1 };
      const next = start + fit * this.spacing;
      const out = await this.io.request<Write>('reserve rate-limit slots', () => {
        const tat = this.table.rates.get(this.key);
        // `attribute_not_exists(tat)` or `tat = :seen`
        if (known === undefined ? tat !== undefined : tat !== known) return { ok: false, tat };
        this.table.rates.set(this.key, next);
        return { ok: true };
      });
      if (out.ok) {
        this.seen.knownTat = next;
        const slots = Array.from({ length: fit }, (_, i) => start + i * this.spacing);
        const after = start + fit * this.spacing;
        return { slots, retryInMs: fit < count ? Math.max(1, Math.ceil(after - now)) : 0 };
      }
      this.seen.knownTat = out.tat;
    }
    throw new Error(`rate limiter ${this.key}: too much contention`);
  }
}
