/**
 * What the simulation runs by default, and the violations it is known to find in today's code.
 *
 * KNOWN_VIOLATIONS lists `<invariant>/<cause>` (see invariants.ts) that the code still breaks,
 * each with the issue it belongs to. The test (simulation.test.ts) fails on any violation not
 * listed here, AND on any listed one it no longer finds: when a fix lands, its entry must be
 * removed in the same change, so the list only ever shrinks to empty. Never add an entry to make a
 * new failure pass: fix it, or say in the entry why it stays.
 */

/** Scenarios each `npm test` runs (seeds FIRST_SEED … FIRST_SEED + TEST_SCENARIOS − 1). */
export const TEST_SCENARIOS = 10_000;
export const FIRST_SEED = 1;

export interface KnownViolation {
  /** `<invariant>/<cause>`. */
  readonly id: string;
  readonly issue: string;
  /** What goes wrong, as the traces show it. */
  readonly why: string;
}

export const KNOWN_VIOLATIONS: readonly KnownViolation[] = [];
