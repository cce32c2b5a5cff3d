/**
 * The simulator itself: a seed replays exactly, and the invariants that today's code never breaks
 * can fail (a check that never fires proves nothing): a planted bug in the lock must trip them.
 * The others are shown failing by KNOWN_VIOLATIONS (simulation.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ClaimResult } from '../../shared/adapters/renewal-store';
import type { Provider } from '../../shared/system';
import { runScenario } from './run';
import { violationId, type Invariant } from './invariants';
import { MemoryRenewalStore } from './memory/renewal-store';
import type { RenewalStoreFactory } from './world/world';

/** A broken lock: leases of 1 ms instead of the function timeout + 5 s, so a worker's lease runs out while it works. */
class ShortLeaseStore extends MemoryRenewalStore {
  override claim(id: string, owner: string, now: Date, _leaseMs: number, period?: { provider: Provider; period: string }): Promise<ClaimResult> {
    return super.claim(id, owner, now, 1, period);
  }
}
const shortLeases: RenewalStoreFactory = (table, io, observer) => new ShortLeaseStore(table, io, observer);

/** Runs seeds from 1 until every invariant in `wanted` was violated, or `limit` seeds. */
const firstSeedsViolating = async (wanted: readonly Invariant[], renewalStore: RenewalStoreFactory, limit: number): Promise<Map<Invariant, number>> => {
  const found = new Map<Invariant, number>();
  for (let seed = 1; seed <= limit && found.size < wanted.length; seed++) {
    for (const v of (await runScenario(seed, { renewalStore })).violations) if (wanted.includes(v.invariant) && !found.has(v.invariant)) found.set(v.invariant, seed);
  }
  return found;
};

describe('the simulator', () => {
  it.each([14, 25, 52, 1294, 2152])('replays seed %i exactly: the same trace and the same violations twice', async (seed) => {
    const [a, b] = [await runScenario(seed, { trace: true }), await runScenario(seed, { trace: true })];
    expect(b.trace).toEqual(a.trace);
    expect(b.violations.map(violationId)).toEqual(a.violations.map(violationId));
    expect(a.trace?.length).toBeGreaterThan(10);
  });

  it('catches leases that run out while their holder works: leases taken from live holders, and double renewals', async () => {
    const wanted: Invariant[] = ['no-lease-taken-from-a-live-holder', 'provider-effect-at-most-once'];
    const found = await firstSeedsViolating(wanted, shortLeases, 3_000);
    expect([...found.keys()].sort()).toEqual([...wanted].sort());
  });
});
