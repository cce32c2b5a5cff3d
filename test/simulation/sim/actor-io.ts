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
    const leg = () => kernel.rng.between(profile.minMs, profile.maxMs) / 2;
    return new Promise<T>((resolve, reject) => {
      kernel.after(leg(), () => {
        let settle: () => void;
        if (kernel.rng.chance(profile.failure)) {
          if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label}: FAILED (not applied)`);
          settle = () => reject(new SimServiceError(this.service, label));
        } else {
          try {
            let value = apply();
            if (kernel.rng.chance(profile.replay)) {
              if (kernel.tracing) kernel.log(actor.id, `${this.service} ${label}: applied, answer lost, SDK retries it`);
              value = apply();
            }
            settle = () => resolve(value);
          } catch (error) {
            settle = () => reject(error instanceof Error ? error : new Error(String(error)));
          }
        }
        kernel.afterApply(actor, op, `${this.service} ${label}`);
        kernel.after(leg(), () => {
          if (actor.alive) settle();
        });
      });
    });
  }
}
