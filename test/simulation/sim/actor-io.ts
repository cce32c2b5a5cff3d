/**
 * One actor's requests to a simulated service (DynamoDB, SQS): a latency on the way there, the
 * atomic `apply` when it arrives, a latency on the way back, and the service's faults:
 *
 * - `failure`: the request fails before taking effect (the SDK gave up: throttling, a 500);
 * - `replay`: the request took effect, its answer was lost, and the SDK sent it again (it retries
 *   network errors on every operation), so the caller sees the answer to the second copy.
 *
 * Every request is one of the actor's numbered I/Os, where its crash plan can strike.
 */
import type { Io } from '../memory/io';
import { never, type Actor, type Kernel } from './kernel';

export interface ServiceProfile {
  /** Round-trip latency range, ms. */
  readonly minMs: number;
  readonly maxMs: number;
  readonly failure: number;
  readonly replay: number;
}

export class SimServiceError extends Error {
  constructor(service: string, label: string) {
    super(`${service} request ${label} failed (simulated)`);
    this.name = 'SimServiceError';
  }
}

export class ActorIo implements Io {
  constructor(
    private readonly kernel: Kernel,
    readonly actor: Actor,
    private readonly service: string,
    private readonly profile: ServiceProfile,
  ) {}

  request<T>(label: string, apply: () => T): Promise<T> {
    const { kernel, actor, profile } = this;
    const op = kernel.beginOp(actor, `${this.service} ${label}`);
    if (op === undefined) return never();
    // One event per request: it is applied and answered at the same simulated instant. Others'
    // requests still interleave between this actor's requests, and a crash plan can still strike
    // after the request took effect and before the actor sees the answer.
    return new Promise<T>((resolve, reject) => {
      kernel.after(kernel.rng.between(profile.minMs, profile.maxMs), () => {
        if (kernel.rng.chance(profile.failure)) {
          if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label}: FAILED (not applied)`);
          kernel.afterApply(actor, op, `${this.service} ${label}`);
          if (actor.alive) reject(new SimServiceError(this.service, label));
          return;
        }
        let outcome: { readonly value: T } | { readonly error: Error };
        try {
          let value = apply();
          if (kernel.rng.chance(profile.replay)) {
            if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label}: applied, answer lost, SDK retries it`);
            value = apply();
          }
          if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label} → ${summarize(value)}`);
          outcome = { value };
        } catch (error) {
          if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label} → ${error instanceof Error ? error.name : 'error'}`);
          outcome = { error: error instanceof Error ? error : new Error(String(error)) };
        }
        kernel.afterApply(actor, op, `${this.service} ${label}`);
        if (!actor.alive) return;
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      });
    });
  }
}

/** A short, one-line view of an answer for the trace. */
const summarize = (value: unknown): string => {
  if (value === undefined) return 'ok';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 37)}…` : v)) ?? 'ok';
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
};
