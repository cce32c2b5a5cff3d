/**
 * A simulated SQS standard queue with its dead-letter queue, as the provider queues are deployed
 * (docs/architecture.md#queues): delay seconds, a visibility timeout after each receive, receive
 * counts, a move to the DLQ on the receive after `maxReceiveCount`, at-least-once delivery (a send
 * may be stored twice, with the same message id), deletes that need the latest receipt, and an
 * operator's redrive from the DLQ.
 */
import type { Kernel } from '../sim/kernel';

export interface SimMessage {
  readonly id: string;
  readonly body: string;
  /** The renewal the body names (for the end-of-scenario checks). */
  readonly renewalId: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receipt: number;
  firstReceivedAt: number | undefined;
}

export interface QueueSettings {
  readonly name: string;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  /** Probability that a send is stored twice. */
  readonly duplicate: number;
}

export class SimQueue {
  private messages: SimMessage[] = [];
  readonly dlq: SimMessage[] = [];
  private seq = 0;
  private receipts = 0;
  sent = 0;
  /** Called whenever messages may have become receivable (the event source mapping listens). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly kernel: Kernel,
    readonly settings: QueueSettings,
  ) {}

  /** Applied when a SendMessage reaches SQS. `renewalId` is what the body names (kept for the checks). */
  send(body: string, delaySeconds: number, renewalId: string): void {
    const id = `${this.settings.name}-m${++this.seq}`;
    const copies = this.kernel.rng.chance(this.settings.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.messages.push({ id, body, renewalId, sentAt: this.kernel.now, visibleAt: this.kernel.now + delaySeconds * 1000, receiveCount: 0, receipt: 0, firstReceivedAt: undefined });
    }
    this.sent++;
    if (this.kernel.tracing) this.kernel.log('sqs', `${this.settings.name}: stored ${id} (${renewalId}) delay ${delaySeconds}s${copies > 1 ? ', TWICE (at-least-once)' : ''}`);
    this.onChange();
  }

  visibleCount(): number {
    const now = this.kernel.now;
    let n = 0;
    for (const m of this.messages) if (m.visibleAt <= now) n++;
    return n;
  }

  /** When the next message becomes receivable, if any is waiting or in flight. */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }

  /** A ReceiveMessage of up to `max`; messages past maxReceiveCount move to the DLQ instead. */
  receive(max: number): { message: SimMessage; receipt: number }[] {
    const now = this.kernel.now;
    const out: { message: SimMessage; receipt: number }[] = [];
    const visible = this.messages.filter((m) => m.visibleAt <= now).sort((a, b) => a.visibleAt - b.visibleAt);
    for (const m of visible) {
      if (out.length >= max) break;
      // Two copies of one message never share a batch.
      if (out.some((o) => o.message.id === m.id)) continue;
      if (m.receiveCount >= this.settings.maxReceiveCount) {
        this.messages = this.messages.filter((x) => x !== m);
        this.dlq.push(m);
        if (this.kernel.tracing) this.kernel.log('sqs', `${this.settings.name}: ${m.id} (${m.renewalId}) moved to the DLQ after ${m.receiveCount} receives`);
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + this.settings.visibilityTimeoutMs;
      m.receipt = ++this.receipts;
      out.push({ message: m, receipt: m.receipt });
    }
    return out;
  }

  /** DeleteMessage: only the latest receipt of a message deletes it. */
  delete(message: SimMessage, receipt: number): void {
    if (message.receipt !== receipt) return;
    this.messages = this.messages.filter((m) => m !== message);
  }

  /** The operator moves every dead letter back to the queue. */
  redrive(): void {
    const moved = this.dlq.splice(0);
    for (const m of moved) this.messages.push({ ...m, visibleAt: this.kernel.now, receiveCount: 0, receipt: 0, firstReceivedAt: undefined });
    if (this.kernel.tracing) this.kernel.log('operator', `redrive: ${moved.length} message(s) from the ${this.settings.name} DLQ`);
    if (moved.length > 0) this.onChange();
  }

  /** A message for this renewal is in the queue (waiting, delayed or in flight) or in the DLQ. */
  holds(renewalId: string): 'queue' | 'dlq' | undefined {
    if (this.messages.some((m) => m.renewalId === renewalId)) return 'queue';
    if (this.dlq.some((m) => m.renewalId === renewalId)) return 'dlq';
    return undefined;
  }

  /** The renewal with the most messages in the queue (waiting, delayed or in flight), and how many. */
  mostCopies(): { readonly renewalId: string; readonly copies: number } | undefined {
    const counts = new Map<string, number>();
    for (const m of this.messages) counts.set(m.renewalId, (counts.get(m.renewalId) ?? 0) + 1);
    let most: { renewalId: string; copies: number } | undefined;
    for (const [renewalId, copies] of counts) if (!most || copies > most.copies) most = { renewalId, copies };
    return most;
  }

  get depth(): number {
    return this.messages.length;
  }
}
