/**
 * What must hold after every scenario (issue 9, "Prove the lifecycle by deterministic simulation").
 * Each violation names its invariant and a cause, so a known failure (config.ts) never hides a new
 * way of breaking the same promise.
 */
import { isTerminal } from '../../shared/domain/renewal';
import { AUTH_FAILURE_PAUSE_MS } from './world/production';
import { elapsed } from './sim/clock';
import type { World } from './world/world';
import type { Effect } from './world/provider';

export const INVARIANTS = [
  /** At most one provider effect per renewal and per (provider, subscription, period). */
  'provider-effect-at-most-once',
  /** Every accepted renewal ends in a terminal status or stays visible (queue or DLQ). */
  'accepted-renewal-ends-or-stays-visible',
  /** No lease is taken from a holder that is still running. */
  'no-lease-taken-from-a-live-holder',
  /** At most this many refused logins per pause window, across all consumer instances. */
  'refused-logins-per-pause-window',
  /** The system comes to rest: no component keeps making work without end. */
  'scenario-settles',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** Punchh locks out after 10; the requirement is one probe, and at most 2 refusals, per pause window. */
export const MAX_REFUSED_LOGINS_PER_PAUSE_WINDOW = 2;

/** More messages than one renewal's legitimate copies (its own, a sender's repeat, an SQS duplicate, a retry). */
const MANY_COPIES = 8;

export interface Violation {
  readonly invariant: Invariant;
  readonly cause: string;
  readonly detail: string;
}

/** How a violation is named in KNOWN_VIOLATIONS and in the figures. */
export const violationId = (v: Pick<Violation, 'invariant' | 'cause'>): string => `${v.invariant}/${v.cause}`;

const effectsAtMostOnce = (world: World): Violation[] => {
  const byKey = new Map<string, Effect[]>();
  for (const e of world.provider.effects) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const out: Violation[] = [];
  for (const [key, effects] of byKey) {
    if (effects.length < 2) continue;
    // The repeat is the call that reached the provider second (a slow first call may land last).
    const byArrival = [...effects].sort((a, b) => a.arrivedAt - b.arrivedAt);
    out.push({
      invariant: 'provider-effect-at-most-once',
      cause: byArrival[1]?.causeIfRepeat ?? 'unexplained',
      detail:
        `${key} changed ${effects.length} times: ` +
        byArrival
          .map((x) => `call #${x.callId} by ${x.actor} reached it at ${elapsed(x.arrivedAt)}, applied at ${elapsed(x.appliedAt)}${x.late ? ' (after its caller gave up)' : ''}`)
          .join('; '),
    });
  }
  return out;
};

export type Ending = 'quiet' | 'horizon' | 'runaway';

const acceptedStayVisible = (world: World, ending: Ending): Violation[] => {
  const out: Violation[] = [];
  for (const [id, acceptance] of world.accepted) {
    const record = world.table.renewals.get(id);
    const told = `${acceptance.by} was told ${acceptance.httpStatus} at ${elapsed(acceptance.at)}`;
    if (!record) {
      out.push({ invariant: 'accepted-renewal-ends-or-stays-visible', cause: 'record-deleted', detail: `renewal ${id}: ${told}, but the record is gone` });
      continue;
    }
    if (isTerminal(record.status) || world.queue.holds(id)) continue;
    // A holder still working at the horizon is not stuck.
    if (ending !== 'quiet' && record.status === 'in_progress' && (record.leaseExpiresAt ?? 0) > world.kernel.now) continue;
    out.push({
      invariant: 'accepted-renewal-ends-or-stays-visible',
      cause: `stuck-${record.status}`,
      detail: `renewal ${id} (${told}) is ${record.status} with ${record.attempts.length} attempt(s) and no message in the queue or the DLQ`,
    });
  }
  return out;
};

const leases = (world: World): Violation[] =>
  world.leasesTakenFromLiveHolders.map((l) => ({
    invariant: 'no-lease-taken-from-a-live-holder',
    cause: 'lease-expired-while-holder-ran',
    detail: `renewal ${l.renewalId}: ${l.by} took the lease of ${l.holder}, still running`,
  }));

/** Most refusals inside any window of the pause's length. */
export const mostInAnyWindow = (times: readonly number[], windowMs: number): number => {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
};

const refusedLogins = (world: World): Violation[] => {
  const most = mostInAnyWindow(world.provider.refusals, AUTH_FAILURE_PAUSE_MS);
  if (most <= MAX_REFUSED_LOGINS_PER_PAUSE_WINDOW) return [];
  return [
    {
      invariant: 'refused-logins-per-pause-window',
      cause: 'more-than-one-probe',
      detail:
        `${world.provider.name} refused ${most} logins within ${AUTH_FAILURE_PAUSE_MS / 1000} s (${world.provider.refusals.length} in all)` +
        (world.provider.lockouts > 0 ? `; the provider locked the gateway out ${world.provider.lockouts} time(s)` : ''),
    },
  ];
};

const settles = (world: World, ending: Ending): Violation[] => {
  if (ending === 'quiet') return [];
  const at = `${world.kernel.events} events, ${elapsed(world.kernel.now)}`;
  if (ending === 'horizon') return [{ invariant: 'scenario-settles', cause: 'work-left-at-the-horizon', detail: `still busy after ${at}` }];
  // The usual endless loop: renewals looking again, every 30 s, at a period whose holder does not
  // move (stuck without a message, or parked in the DLQ until someone redrives it).
  const parkedHolders = [...world.table.periods.values()]
    .filter((lock) => lock.released !== true)
    .flatMap((lock) => {
      const r = world.table.renewals.get(lock.renewalId);
      return r && !isTerminal(r.status) ? [`${r.id} (${r.status}, ${world.queue.holds(r.id) === 'dlq' ? 'in the DLQ' : world.queue.holds(r.id) ? 'queued' : 'no message'})`] : [];
    });
  // Copies of one waiting renewal that multiply: each hop of a long wait (a retry days away, sent
  // on every 900 s; a credential pause; a probe held elsewhere) re-sends the copy, and a consumer
  // that dies after re-sending leaves the original to come back too. Nothing collapses them.
  const most = world.queue.mostCopies();
  if (parkedHolders.length === 0 && most && most.copies >= MANY_COPIES) {
    const r = world.table.renewals.get(most.renewalId);
    return [
      {
        invariant: 'scenario-settles',
        cause: 'message-copies-multiply',
        detail: `still busy after ${at}: ${most.copies} messages for renewal ${most.renewalId} (${r?.status ?? 'no record'}${r?.nextAttemptAt ? `, next attempt at ${r.nextAttemptAt}` : ''})`,
      },
    ];
  }
  return [
    parkedHolders.length > 0
      ? { invariant: 'scenario-settles', cause: 'waits-forever-on-a-period-holder', detail: `still busy after ${at}: renewals wait on the period of ${parkedHolders.join(', ')}` }
      : { invariant: 'scenario-settles', cause: 'event-storm', detail: `still busy after ${at}` },
  ];
};

export const checkInvariants = (world: World, ending: Ending): Violation[] => [
  ...settles(world, ending),
  ...effectsAtMostOnce(world),
  ...acceptedStayVisible(world, ending),
  ...leases(world),
  ...refusedLogins(world),
];
