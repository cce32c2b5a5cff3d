/**
 * Lambda's SQS event source mapping, as deployed for a consumer (system.functions `consumes`):
 * batches of up to `batchSize`, gathered for up to the batching window, at most
 * `maximumConcurrency` invocations at once. What happens to a batch after the invocation is the
 * caller's business (see consumer.ts): the mapping only frees the slot when the invocation ends.
 */
import type { TimedEvent } from '../sim/heap';
import type { Actor, Kernel } from '../sim/kernel';
import type { SimMessage, SimQueue } from './sqs';

export interface MappingSettings {
  readonly batchSize: number;
  readonly windowMs: number;
  readonly maximumConcurrency: number;
}

export type Invoke = (batch: readonly { message: SimMessage; receipt: number }[]) => Actor;

export class EventSourceMapping {
  private running = 0;
  private wake: TimedEvent | undefined;
  private gathering: TimedEvent | undefined;
  invocations = 0;
  fullBatches = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly queue: SimQueue,
    private readonly settings: MappingSettings,
    private readonly invoke: Invoke,
  ) {
    queue.onChange = () => this.kick();
  }

  /** Looks at the queue: receive now, gather for the window, or sleep until something is due. */
  kick(): void {
    if (this.running >= this.settings.maximumConcurrency) return;
    const visible = this.queue.visibleCount();
    if (visible === 0) {
      this.sleepUntilNextVisible();
      return;
    }
    if (visible >= this.settings.batchSize) {
      this.receive();
      return;
    }
    this.gathering ??= this.kernel.after(this.settings.windowMs, () => {
      this.gathering = undefined;
      this.receive();
    });
  }

  private sleepUntilNextVisible(): void {
    const next = this.queue.nextVisibleAt();
    if (next === undefined || next <= this.kernel.now) return;
    if (this.wake && !this.wake.cancelled && this.wake.at <= next) return;
    if (this.wake) this.wake.cancelled = true;
    this.wake = this.kernel.at(next, () => {
      this.wake = undefined;
      this.kick();
    });
  }

  private receive(): void {
    if (this.gathering) {
      this.gathering.cancelled = true;
      this.gathering = undefined;
    }
    while (this.running < this.settings.maximumConcurrency) {
      const batch = this.queue.receive(this.settings.batchSize);
      if (batch.length === 0) break;
      this.running++;
      this.invocations++;
      if (batch.length === this.settings.batchSize) this.fullBatches++;
      const actor = this.invoke(batch);
      actor.onEnd(() => {
        this.running--;
        this.kernel.after(0, () => this.kick());
      });
    }
    this.kick();
  }
}
