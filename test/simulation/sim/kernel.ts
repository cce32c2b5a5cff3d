/**
 * The simulation kernel: one simulated clock, one queue of timed events, the actors (Lambda
 * invocations, upstream senders) and the I/O they perform.
 *
 * The code under test is the real, asynchronous production code. It only ever waits on promises
 * that the simulated components hand out, and the kernel settles those promises from timed events.
 * After each event the kernel lets every microtask run (one `setImmediate`), so everything the
 * settled promise causes happens — and schedules its own I/O — before the clock moves on. Nothing
 * depends on wall-clock time or on real timers, so a run is a pure function of its seed.
 *
 * Crashes: every I/O an actor performs is numbered. A crash plan names one of them and a phase:
 * `before-send` (the request never leaves: the actor dies at that await) or `after-apply` (the
 * request took effect but the actor dies before it sees the answer). A dead actor's pending answers
 * are dropped, so its code simply never continues, as with a killed Lambda.
 */
import { EventHeap, type TimedEvent } from './heap';
import { Prng } from './prng';

export type ActorKind = 'consumer' | 'intake' | 'scheduler';

export interface CrashPlan {
  /** 1-based index of the actor's I/O at which it dies. */
  readonly atOp: number;
  readonly phase: 'before-send' | 'after-apply';
}

export class Actor {
  alive = true;
  finished = false;
  ops = 0;
  private ended = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly kind: ActorKind,
    readonly startedAt: number,
    readonly crash: CrashPlan | undefined,
  ) {}

  /** Running: neither killed nor returned. Only a live actor may act on what it holds. */
  get live(): boolean {
    return this.alive && !this.finished;
  }

  /** Runs `listener` when the actor dies or returns (at once if it already has). */
  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /** Called once by the kernel when the actor dies or returns. */
  end(): void {
    this.ended = true;
    for (const l of this.endListeners.splice(0)) l();
  }
}

export interface TraceEntry {
  readonly at: number;
  readonly actor: string;
  readonly text: string;
}

/** A promise that never settles: what a dead actor's await turns into. */
export const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

const drainMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Kernel {
  now: number;
  events = 0;
  /** Run-time randomness (latencies, faults per call). The scenario's shape comes from another stream. */
  readonly rng: Prng;
  readonly trace: TraceEntry[] | undefined;
  private readonly heap = new EventHeap();
  private seq = 0;
  private readonly actors = new Map<string, Actor>();

  constructor(seed: number, startAt: number, tracing: boolean) {
    this.now = startAt;
    this.rng = new Prng(seed).fork('runtime');
    this.trace = tracing ? [] : undefined;
  }

  get tracing(): boolean {
    return this.trace !== undefined;
  }

  /** Records a trace line (only when tracing: callers guard expensive texts with `tracing`). */
  log(actor: string, text: string): void {
    this.trace?.push({ at: this.now, actor, text });
  }

  at(time: number, fire: () => void): TimedEvent {
    const event: TimedEvent = { at: Math.max(time, this.now), seq: this.seq++, fire, cancelled: false };
    this.heap.push(event);
    return event;
  }

  after(ms: number, fire: () => void): TimedEvent {
    return this.at(this.now + ms, fire);
  }

  spawn(id: string, kind: ActorKind, options: { crash?: CrashPlan; timeoutMs: number }): Actor {
    const actor = new Actor(id, kind, this.now, options.crash);
    this.actors.set(id, actor);
    // The platform stops the function at its timeout, whatever it is doing.
    const timeout = this.after(options.timeoutMs, () => this.kill(actor, `timed out after ${options.timeoutMs} ms`));
    actor.onEnd(() => (timeout.cancelled = true));
    return actor;
  }

  actor(id: string): Actor | undefined {
    return this.actors.get(id);
  }

  kill(actor: Actor, why: string): void {
    if (!actor.live) return;
    actor.alive = false;
    if (this.tracing) this.log(actor.id, `DIES: ${why}`);
    actor.end();
  }

  finish(actor: Actor): void {
    if (!actor.live) return;
    actor.finished = true;
    actor.end();
  }

  /**
   * Counts one I/O of `actor` and applies its crash plan's `before-send` phase.
   * Returns the I/O's number, or undefined when the actor is (now) dead.
   */
  beginOp(actor: Actor, label: string): number | undefined {
    if (!actor.live) return undefined;
    const n = ++actor.ops;
    if (actor.crash?.atOp === n && actor.crash.phase === 'before-send') {
      this.kill(actor, `crash before ${label} (I/O #${n})`);
      return undefined;
    }
    return n;
  }

  /** The `after-apply` phase of the crash plan: the I/O took effect, its answer is never seen. */
  afterApply(actor: Actor, op: number, label: string): void {
    if (actor.crash?.atOp === op && actor.crash.phase === 'after-apply') this.kill(actor, `crash after ${label} took effect (I/O #${op})`);
  }

  /**
   * Runs events in time order until none is left (`quiet`), the next is after `until` (`horizon`),
   * or `maxEvents` have run (`runaway`: something keeps scheduling work without end).
   */
  async run(until: number, maxEvents: number): Promise<'quiet' | 'horizon' | 'runaway'> {
    for (;;) {
      const next = this.heap.pop();
      if (!next) return 'quiet';
      if (next.cancelled) continue;
      if (next.at > until) {
        this.heap.push(next);
        return 'horizon';
      }
      if (this.events >= maxEvents) {
        this.heap.push(next);
        return 'runaway';
      }
      this.now = next.at;
      this.events++;
      next.fire();
      await drainMicrotasks();
    }
  }

  /** Events still pending (for "visible" checks at the end). */
  get pending(): number {
    return this.heap.size;
  }
}
