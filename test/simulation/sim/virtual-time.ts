/**
 * Puts the production code on the simulated clock without changing it. The consumer reads the
 * global clock in a few places (the batch's pause check uses `new Date()` and `Date.now()`, the
 * engine's rate-limit wait uses `setTimeout` and `Date.now()`, `parseRetryAfter` defaults to
 * `Date.now()`, `decide` defaults to `Math.random`), so while a scenario runs:
 *
 * - `Date` is a subclass whose `now()` and argument-less constructor read the simulated clock
 *   (every other use of `Date` is unchanged);
 * - `setTimeout`/`clearTimeout` schedule simulated events;
 * - `Math.random` draws from the scenario's PRNG.
 *
 * The originals are restored when the scenario ends, even if it throws. Vitest keeps its own copies
 * of the timers ("safe timers"), as it does for `vi.useFakeTimers`, so the test runner is unaffected.
 */
import type { Kernel } from './kernel';
import type { TimedEvent } from './heap';

const RealDate = Date;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realRandom = Math.random;

let installed: Kernel | undefined;

class VirtualDate extends RealDate {
  constructor(...args: unknown[]) {
    if (args.length === 0) super(installed ? installed.now : RealDate.now());
    else super(...(args as [string | number]));
  }

  static override now(): number {
    return installed ? installed.now : RealDate.now();
  }
}

/** A timer handle of the simulation (the production code only hands it back to clearTimeout). */
class VirtualTimer {
  constructor(readonly event: TimedEvent) {}
}

const virtualSetTimeout = (handler: unknown, ms?: number, ...args: unknown[]): VirtualTimer => {
  const kernel = installed;
  if (!kernel || typeof handler !== 'function') throw new Error('virtual setTimeout used outside a simulation');
  const fn = handler as (...a: unknown[]) => void;
  return new VirtualTimer(kernel.after(Math.max(0, ms ?? 0), () => fn(...args)));
};

const virtualClearTimeout = (handle: unknown): void => {
  if (handle instanceof VirtualTimer) handle.event.cancelled = true;
  else realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
};

export const withVirtualTime = async <T>(kernel: Kernel, body: () => Promise<T>): Promise<T> => {
  if (installed) throw new Error('virtual time is already installed: scenarios must run one at a time');
  installed = kernel;
  globalThis.Date = VirtualDate as DateConstructor;
  globalThis.setTimeout = virtualSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = virtualClearTimeout as typeof clearTimeout;
  Math.random = kernel.rng.next;
  try {
    return await body();
  } finally {
    installed = undefined;
    globalThis.Date = RealDate;
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
    Math.random = realRandom;
  }
};
