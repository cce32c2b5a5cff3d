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

export const KNOWN_VIOLATIONS: readonly KnownViolation[] = [
  {
    id: 'provider-effect-at-most-once/called-again-after-a-read-showed-the-renewal',
    issue: 'issue 9 #1, not fully fixed by the settle window — found by the simulation (seeds 1409, 2108, 2621)',
    why:
      'A chain of interrupted attempts. PressOne renewed (seed 1409: call at +801.7 s), the completion failed, and the ' +
      'next holders died after List User showed the renewal (+983 s) without recording it. Each claim overwrites ' +
      'updatedAt, so the interrupted attempt a later claim records starts at the PREVIOUS claim (+1163.7 s), not at the ' +
      'first unresolved call: "renewed since +1163.7 s?" is "no", and once that window has settled (+1498 s) PressOne ' +
      'is renewed again (+1500 s). The window must start at the first call whose outcome is still unknown.',
  },
  {
    id: 'refused-logins-per-pause-window/more-than-one-probe',
    issue: 'issue 9 #3, not fully fixed by the credential gate — found by the simulation (seeds 790, 1066, 1282)',
    why:
      'The probe after an interrupted attempt is the confirmation READ (PressOne List User). When the read is refused ' +
      '(401), confirm() returns "unknown": the renewal ends needs_attention, but no answer reaches onAnswer and the ' +
      'provider is not paused, so the batch releases the probe and the next batch probes again seconds later ' +
      '(seed 790: refused logins at +0.4, +36.5 and +42.6 s). A refused read must pause like a refused call.',
  },
  {
    id: 'accepted-renewal-ends-or-stays-visible/stuck-retry_scheduled',
    issue: 'issue 9 (nothing accepted is lost) — found by the simulation (seeds 139, 261, 277)',
    why:
      'The SDK retries a completion (UpdateItem) whose answer was lost after it took effect; the retry fails its ' +
      'lease condition, so `complete` reports the attempt as fenced, and the engine, believing it lost the lease, ' +
      'does not send the delayed retry message. The renewal stays retry_scheduled with no message, forever (and the ' +
      'attempt is recorded twice).',
  },
  {
    id: 'scenario-settles/waits-forever-on-a-period-holder',
    issue: 'issue 9 (nothing is silently stuck) — found by the simulation (seeds 253, 515, 5665)',
    why:
      'A second Punchh renewal of the same term looks again every 30 s at the renewal holding the period. When that ' +
      'holder does not move (stuck as above, or its message parked in the DLQ after repeated crashes), it looks again ' +
      'every 30 s forever, and every SQS duplicate of its deferred copy becomes one more copy that does the same.',
  },
  {
    id: 'scenario-settles/message-copies-multiply',
    issue: 'issue 9 (nothing runs without end) — found by the simulation after the credential gate and retries over a day (seeds 112, 188, 631)',
    why:
      'A renewal that waits long is re-sent hop after hop: a retry a day away in 900 s hops (seed 631, Digital River), ' +
      'a credential pause of 10 min and a probe held elsewhere every 5 s (seeds 112, 188: credentials refused for hours, ' +
      'one renewal ends per pause window). A consumer that dies after re-sending a copy leaves the original to come back ' +
      'as well, so each crash adds a copy and nothing ever collapses them (copies of a renewal that already ended keep ' +
      'bouncing while the gate is closed, since the gate defers without reading the record). With the simulated crash ' +
      'rates a renewal reaches dozens of copies and the scenario exceeds its event budget.',
  },
];
