/**
 * A simulated provider behind the real request builders and classifiers. It keeps what each call
 * changed (the ground truth the invariants are checked against) and misbehaves as the scenario
 * says, per call:
 *
 * - `slow`: processing takes longer than the gateway's call timeout; the effect is applied late,
 *   after the gateway gave up on the answer (a slow provider keeps working);
 * - `lostAnswer`: the effect is applied and the connection is reset before the answer;
 * - `reset`: the connection is reset before anything happened;
 * - `notSent`: the connection is refused (nothing reached the provider);
 * - `busy`: 429 or 503 with `Retry-After`, nothing applied;
 * - `serverError`: 500 or 502, with the effect applied or not (half each);
 * - reads (PressOne List User) see effects only `readLagMs` after they were applied, and fail
 *   (500) with `readError`;
 * - the account's credentials are refused (401) for the scenario's first `refusedForMs`; Punchh
 *   locks the caller out after 10 refused logins in 10 minutes (403 for an hour), as documented.
 */
import type { CallResult, OutgoingRequest } from '../../../shared/providers/types';
import type { HttpCaller } from '../../../shared/adapters/http-call';
import { never, type Actor, type Kernel } from '../sim/kernel';
import { elapsed } from '../sim/clock';
import type { Asked, Dialect, HttpAnswer } from './dialects';

export interface ProviderFaults {
  readonly slow: number;
  readonly slowMs: readonly [number, number];
  readonly lostAnswer: number;
  readonly reset: number;
  readonly notSent: number;
  readonly busy: number;
  readonly retryAfterSeconds: readonly [number, number];
  readonly serverError: number;
  readonly readLagMs: number;
  readonly readError: number;
  /** The account's credentials are refused for this long from the start (0: never; Infinity: for good). */
  readonly refusedForMs: number;
}

export const NO_FAULTS: ProviderFaults = {
  slow: 0,
  slowMs: [0, 0],
  lostAnswer: 0,
  reset: 0,
  notSent: 0,
  busy: 0,
  retryAfterSeconds: [0, 0],
  serverError: 0,
  readLagMs: 0,
  readError: 0,
  refusedForMs: 0,
};

type Outcome = 'ok' | 'slow' | 'lost-answer' | 'reset' | 'not-sent' | 'busy' | 'error' | 'error-after-effect';

/**
 * Why a second effect on the same thing happened, judged from the last read of it before the
 * repeated call arrived: what the gateway had been told, and whether that was the truth.
 */
export type DoubleEffectCause =
  /** The read said "not renewed" while an earlier call was still being processed (issue 9 #1). */
  | 'read-while-provider-still-processing'
  /** The read said "not renewed" while an earlier effect was applied but not yet visible to reads. */
  | 'read-before-effect-visible'
  /** The read showed the earlier renewal, and the gateway called again all the same. */
  | 'called-again-after-a-read-showed-the-renewal'
  /** No read explains it: the gateway repeated a call it had no evidence to repeat. */
  | 'unexplained';

/** What the last read of a subscription told the gateway. */
type ReadVerdict = 'read-while-provider-still-processing' | 'read-before-effect-visible' | 'showed-the-renewal' | 'truly-not-renewed';

const causeOf = (read: ReadVerdict | undefined): DoubleEffectCause => {
  switch (read) {
    case 'showed-the-renewal':
      return 'called-again-after-a-read-showed-the-renewal';
    case 'read-while-provider-still-processing':
    case 'read-before-effect-visible':
      return read;
    default:
      return 'unexplained';
  }
};

export interface Effect {
  readonly key: string;
  readonly appliedAt: number;
  /** When the call that applied it reached the provider. */
  readonly arrivedAt: number;
  readonly callId: number;
  readonly actor: string;
  /** Applied after the gateway had stopped waiting for the answer. */
  readonly late: boolean;
  /** Why its call was made, if it turns out to repeat an earlier one (see DoubleEffectCause). */
  readonly causeIfRepeat: DoubleEffectCause;
}

interface Call {
  readonly id: number;
  readonly actor: string;
  arrivedAt: number;
  gaveUp: boolean;
  /** Turned away at the door: locked out, or the credentials refused. */
  rejected?: 'locked' | 'refused';
  /** What the last read of the same subscription said when this call arrived. */
  readBefore?: ReadVerdict;
}

const EFFECTFUL: ReadonlySet<Outcome> = new Set(['ok', 'slow', 'lost-answer', 'error-after-effect']);

export class SimProvider {
  readonly effects: Effect[] = [];
  /** When the account's credentials were refused (each one a failed login). */
  readonly refusals: number[] = [];
  calls = 0;
  lockouts = 0;
  private readonly history = new Map<string, { value: string; appliedAt: number }[]>();
  /** Calls being processed that will apply an effect, by key. */
  private readonly processing = new Map<string, number>();
  /** What the last read said, by key. */
  private readonly lastRead = new Map<string, ReadVerdict>();
  private lockedUntil = -Infinity;

  constructor(
    private readonly kernel: Kernel,
    readonly name: string,
    private readonly dialect: Dialect,
    private readonly faults: ProviderFaults,
    private readonly startAt: number,
  ) {}

  /** The HTTP caller one consumer invocation uses. */
  caller(actor: Actor): HttpCaller {
    return (request, timeoutMs) => this.call(actor, request, timeoutMs);
  }

  private call(actor: Actor, request: OutgoingRequest, timeoutMs: number): Promise<CallResult> {
    const k = this.kernel;
    const asked = this.dialect.parse(request);
    const label = `${this.name} ${asked.kind === 'read' ? 'read' : 'call'} ${asked.key}`;
    const op = k.beginOp(actor, label);
    if (op === undefined) return never();
    const call: Call = { id: ++this.calls, actor: actor.id, arrivedAt: Infinity, gaveUp: false };
    const outcome = this.draw(asked);
    const sentAt = k.now;
    const trip = () => k.rng.between(2, 30);
    if (k.tracing) k.log(actor.id, `→ ${label} (call #${call.id}, will be: ${outcome})`);
    return new Promise<CallResult>((resolve) => {
      let settled = false;
      const settle = (result: CallResult) => {
        if (settled) return;
        settled = true;
        timer.cancelled = true;
        if (!actor.alive) return;
        if (k.tracing) k.log(actor.id, `← ${label} (call #${call.id}): ${describe(result)}`);
        resolve(result);
      };
      const latency = () => Math.round(k.now - sentAt);
      const timer = k.after(timeoutMs, () => {
        call.gaveUp = true;
        settle({ kind: 'no-answer', code: 'TIMEOUT', latencyMs: latency() });
      });
      if (outcome === 'not-sent') {
        k.after(trip(), () => {
          k.afterApply(actor, op, label);
          settle({ kind: 'not-sent', code: 'ECONNREFUSED', latencyMs: latency() });
        });
        return;
      }
      k.after(trip(), () => {
        this.arrive(asked, outcome, call);
        // A call turned away at the door (refused credentials, a lockout) is answered at once: the
        // slow processing of a renewal starts only once it got past authentication.
        const processing = outcome === 'slow' && !call.rejected ? k.rng.between(...this.faults.slowMs) : k.rng.between(20, 800);
        // The answer's trip back is folded into the processing time: one event.
        k.after(processing + trip(), () => {
          const answer = this.respond(request, asked, outcome, call);
          k.afterApply(actor, op, label);
          settle(answer === 'reset' ? { kind: 'no-answer', code: 'ECONNRESET', latencyMs: latency() } : { kind: 'response', ...answer, latencyMs: latency() });
        });
      });
    });
  }

  private draw(asked: Asked): Outcome {
    const { rng } = this.kernel;
    const f = this.faults;
    if (asked.kind === 'read') return rng.chance(f.readError) ? 'error' : rng.chance(f.slow / 4) ? 'slow' : 'ok';
    if (rng.chance(f.notSent)) return 'not-sent';
    if (rng.chance(f.busy)) return 'busy';
    if (rng.chance(f.reset)) return 'reset';
    if (rng.chance(f.serverError)) return rng.chance(0.5) ? 'error' : 'error-after-effect';
    if (rng.chance(f.lostAnswer)) return 'lost-answer';
    if (rng.chance(f.slow)) return 'slow';
    return 'ok';
  }

  /** A request reaches the provider: credentials are checked first, then the work starts. */
  private arrive(asked: Asked, outcome: Outcome, call: Call): void {
    const k = this.kernel;
    call.arrivedAt = k.now;
    if (this.dialect.locked && k.now < this.lockedUntil) {
      call.rejected = 'locked';
      return;
    }
    if (this.dialect.accountAuth && k.now < this.startAt + this.faults.refusedForMs) {
      call.rejected = 'refused';
      this.refuse();
      return;
    }
    if (asked.kind !== 'effect') return;
    const read = this.lastRead.get(asked.key);
    if (read) call.readBefore = read;
    if (EFFECTFUL.has(outcome)) this.processing.set(asked.key, (this.processing.get(asked.key) ?? 0) + 1);
  }

  private respond(request: OutgoingRequest, asked: Asked, outcome: Outcome, call: Call): HttpAnswer | 'reset' {
    const k = this.kernel;
    const d = this.dialect;
    if (call.rejected === 'locked' && d.locked) return d.locked();
    if (call.rejected) return d.refused();
    if (asked.kind === 'read') {
      if (outcome === 'error') return serverError(500);
      return d.read?.(asked.subscription, this.read(asked.key)) ?? serverError(501);
    }
    switch (outcome) {
      case 'busy':
        return {
          status: k.rng.chance(0.5) ? 429 : 503,
          headers: { 'content-type': 'application/json', 'retry-after': String(k.rng.int(...this.faults.retryAfterSeconds)) },
          body: JSON.stringify({ message: 'Too many requests, try again later' }),
        };
      case 'reset':
        return 'reset';
      case 'error':
        return serverError(500);
      case 'error-after-effect':
        this.apply(asked, call);
        return serverError(502);
      case 'lost-answer':
        this.apply(asked, call);
        return 'reset';
      default:
        this.apply(asked, call);
        return d.renewed(request);
    }
  }

  private refuse(): void {
    const now = this.kernel.now;
    this.refusals.push(now);
    if (this.kernel.tracing) this.kernel.log(this.name, `REFUSED LOGIN #${this.refusals.length}`);
    const lockout = this.dialect.lockout;
    if (!lockout) return;
    const recent = this.refusals.filter((t) => t > now - lockout.windowMs).length;
    if (recent >= lockout.failures && now >= this.lockedUntil) {
      this.lockedUntil = now + lockout.lockMs;
      this.lockouts++;
      if (this.kernel.tracing) this.kernel.log(this.name, `LOCKED OUT for ${lockout.lockMs / 60_000} min after ${recent} refused logins`);
    }
  }

  private apply(asked: Asked & { kind: 'effect' }, call: Call): void {
    const now = this.kernel.now;
    this.processing.set(asked.key, (this.processing.get(asked.key) ?? 1) - 1);
    const history = this.history.get(asked.key) ?? [];
    // An absolute value set again changes nothing.
    if (this.dialect.idempotent && history.at(-1)?.value === asked.value) return;
    history.push({ value: asked.value, appliedAt: now });
    this.history.set(asked.key, history);
    const causeIfRepeat = causeOf(call.readBefore);
    this.effects.push({ key: asked.key, appliedAt: now, arrivedAt: call.arrivedAt, callId: call.id, actor: call.actor, late: call.gaveUp, causeIfRepeat });
    if (this.kernel.tracing) {
      const last = call.readBefore ? `; the last read before the call: ${call.readBefore}` : '';
      this.kernel.log(this.name, `EFFECT #${history.length} on ${asked.key} (call #${call.id}${call.gaveUp ? ', after the caller gave up' : ''}${last})`);
    }
  }

  /** What a read sees: the last effect applied at least `readLagMs` ago. Notes whether that was the truth. */
  private read(key: string): number | undefined {
    const visibleBefore = this.kernel.now - this.faults.readLagMs;
    const applied = this.history.get(key) ?? [];
    const seen = applied.filter((e) => e.appliedAt <= visibleBefore).at(-1)?.appliedAt;
    if (this.kernel.tracing) this.kernel.log(this.name, `read of ${key} shows ${seen === undefined ? 'no renewal' : `the renewal applied at ${elapsed(seen)}`}`);
    this.lastRead.set(
      key,
      seen !== undefined
        ? 'showed-the-renewal'
        : (this.processing.get(key) ?? 0) > 0
          ? 'read-while-provider-still-processing'
          : applied.length > 0
            ? 'read-before-effect-visible'
            : 'truly-not-renewed',
    );
    return seen;
  }

  /** Effects applied to `key`, in order. */
  effectsOn(key: string): number {
    return this.history.get(key)?.length ?? 0;
  }
}

const serverError = (status: number): HttpAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Server Error', success: false, data: null }),
});

const describe = (r: CallResult): string => (r.kind === 'response' ? `HTTP ${r.status}` : `${r.kind} (${r.code})`);
