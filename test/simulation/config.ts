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
    id: 'provider-effect-at-most-once/read-while-provider-still-processing',
    issue: 'issue 9 #1 (a slow provider is renewed twice)',
    why:
      'A PressOne call times out (the provider is still processing it), List User right after it says "not renewed", ' +
      'the renewal is retried a second or two later and renewed again when the first call lands. Same after an ' +
      'interrupted attempt whose call was still being processed.',
  },
  {
    id: 'provider-effect-at-most-once/read-before-effect-visible',
    issue: 'issue 9 #1 (a read right after an ambiguous attempt is not evidence)',
    why:
      'PressOne applied the call but List User does not show it yet (a lagging read): "not renewed", renewed again. ' +
      'Also when a later attempt calls without looking again, because the attempt before it was a plain 503.',
  },
  {
    id: 'provider-effect-at-most-once/called-again-after-a-read-showed-the-renewal',
    issue: 'issue 9 #1 (the same question for interrupted attempts after a lease expires) — found by the simulation',
    why:
      'PressOne renewed, but the outcome never reached the record (the worker died, or its completion failed), so ' +
      'the message comes back every visibility timeout (180 s). Each new claim asks List User "renewed since the ' +
      'previous claim, less 5 minutes?" — the previous claim, not the call. After two or three such rounds the window ' +
      'starts after the real renewal, List User’s true answer reads as "not renewed", and PressOne is renewed again.',
  },
  {
    id: 'refused-logins-per-pause-window/more-than-one-probe',
    issue: 'issue 9 #3 (the auth pause does not stop a burst)',
    why:
      'The pause is read once per batch and a batch calls in parallel: with refused credentials a full batch sends ' +
      'up to 10 logins at once (Punchh locks the gateway out), and when the pause ends every deferred renewal comes ' +
      'back together and each fails a login again.',
  },
  {
    id: 'accepted-renewal-ends-or-stays-visible/record-deleted',
    issue: 'issue 9 #7 (intake withdraw races a repeat)',
    why:
      'Two deliveries of one key at once (a sender retrying, overlapping scheduler runs): the second is told 200 for ' +
      'the renewal the first created, then the first one’s SendMessage fails and it deletes the record. The sender ' +
      '(or the schedule, advanced by the second run) believes it accepted; nothing is left to renew.',
  },
  {
    id: 'accepted-renewal-ends-or-stays-visible/stuck-queued',
    issue: 'issue 9 #7 (no path may forget an accepted renewal) — found by the simulation',
    why:
      'A record is stored but its message never sent: intake died between PutItem and SendMessage (or after a failed ' +
      'send, before withdrawing), or the SDK retried a PutItem whose answer was lost and got "already exists" back. A ' +
      'repeat within RESEND_AFTER_MS (30 s; a webhook sender’s first retry is 5 s) or that retried create is answered ' +
      '200 without sending, so someone is told "accepted" and the renewal stays queued with no message, forever.',
  },
  {
    id: 'accepted-renewal-ends-or-stays-visible/stuck-retry_scheduled',
    issue: 'issue 9 (nothing accepted is lost) — found by the simulation',
    why:
      'The SDK retries a completion (UpdateItem) whose answer was lost after it took effect; the retry fails its ' +
      'lease condition, so `complete` reports the attempt as fenced, and the engine, believing it lost the lease, ' +
      'does not send the delayed retry message. The renewal stays retry_scheduled with no message, forever (and the ' +
      'attempt is recorded twice).',
  },
  {
    id: 'scenario-settles/waits-forever-on-a-period-holder',
    issue: 'issue 9 (nothing is silently stuck) — found by the simulation',
    why:
      'A second Punchh renewal of the same term looks again every 30 s at the renewal holding the period. When that ' +
      'holder does not move (stuck as above, or its message parked in the DLQ after repeated crashes), it looks again ' +
      'every 30 s forever, and every SQS duplicate of its deferred copy becomes one more copy that does the same.',
  },
];
