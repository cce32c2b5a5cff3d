/**
 * One scenario's world: the table, the provider's queue and its event source mapping, the
 * simulated provider, and the actors that drive the real code:
 *
 * - senders deliver renewals to intake (`acceptRenewal`), repeat them, and retry when no delivery
 *   got a 2xx;
 * - the scheduler function (`createSchedulerHandler` → `runScheduler`) runs on its rule, sometimes
 *   twice at once;
 * - the consumer function (`createBatchHandler` → `processRenewal`) gets the batches the mapping
 *   receives; what it does not report as failed is deleted afterwards;
 * - an operator may redrive the DLQ.
 *
 * Every invocation gets its own simulated adapters, so its crash plan and its death apply to all of
 * its I/O. What the senders and the scheduler were told (2xx for a renewal) is recorded: those are
 * the renewals that must never be lost.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createBatchHandler, type BatchDeps } from '../../../shared/consumer/batch';
import { acceptRenewal, type AcceptDeps } from '../../../shared/intake/accept';
import { createSchedulerHandler } from '../../../functions/scheduler/app';
import { scheduleFromRequest } from '../../../shared/domain/schedule';
import { parseCanonicalRequest, type CanonicalRequest } from '../../../shared/domain/canonical';
import { MAX_DELAY_SECONDS, type RenewalQueue } from '../../../shared/adapters/queue';
import type { RenewalRecord } from '../../../shared/domain/renewal';
import type { Actor, ActorKind, CrashPlan, Kernel } from '../sim/kernel';
import { ActorIo } from '../sim/actor-io';
import { immediateIo, type Io } from '../memory/io';
import { MemoryTable } from '../memory/table';
import { MemoryRenewalStore, type ClaimObserver } from '../memory/renewal-store';
import { MemoryScheduleStore } from '../memory/schedule-store';
import { MemoryRateLimiter, type TatCache } from '../memory/rate-limiter';
import { MemoryProviderPause } from '../memory/provider-pause';
import { asRenewalStore, asScheduleStore, type RenewalStoreApi } from '../memory/ports';
import type { IntentSpec, Scenario } from '../scenario';
import { SIMULATION_START } from '../sim/clock';
import { SimQueue, type SimMessage } from './sqs';
import { EventSourceMapping } from './event-source';
import { SimProvider } from './provider';
import { DIALECTS } from './dialects';
import { AUTH_FAILURE_PAUSE_MS, silentLogger, type Deployment } from './production';

/**
 * About how many I/Os an invocation makes, so that a crash plan can pick any of them: intake
 * stores, sends and maybe withdraws; a scheduler run queries 16 shards and handles a few
 * schedules; a consumer reads the pause and the limiter, then claims, calls, confirms, completes
 * and sends for each record of its batch.
 */
const crashOps = (kind: ActorKind, batchSize: number): number => (kind === 'intake' ? 4 : kind === 'scheduler' ? 40 : 3 + 6 * batchSize);

export interface Acceptance {
  readonly at: number;
  readonly by: string;
  readonly httpStatus: number;
}

/** Builds the renewal store an actor uses (tests swap in a broken one to see the invariants fail). */
export type RenewalStoreFactory = (table: MemoryTable, io: Io, observer: ClaimObserver) => RenewalStoreApi;

const memoryRenewalStore: RenewalStoreFactory = (table, io, observer) => new MemoryRenewalStore(table, io, observer);

export interface LeaseTaken {
  readonly renewalId: string;
  readonly holder: string;
  readonly by: string;
  readonly at: number;
}

export class World {
  readonly table = new MemoryTable();
  readonly queue: SimQueue;
  readonly mapping: EventSourceMapping;
  readonly provider: SimProvider;
  /** Renewals someone was told are accepted (2xx), by id. */
  readonly accepted = new Map<string, Acceptance>();
  readonly leasesTakenFromLiveHolders: LeaseTaken[] = [];
  private readonly tatCaches: TatCache[];
  private readonly counters = { consumer: 0, intake: 0, scheduler: 0 };
  /** Each intent's request, normalized before the clock starts (validation loads on first use). */
  private readonly normalized = new Map<IntentSpec, CanonicalRequest>();

  constructor(
    readonly kernel: Kernel,
    readonly scenario: Scenario,
    private readonly deployment: Deployment,
    private readonly makeRenewalStore: RenewalStoreFactory = memoryRenewalStore,
  ) {
    const consumes = deployment.consumerFunction.consumes;
    this.queue = new SimQueue(kernel, {
      name: deployment.provider,
      visibilityTimeoutMs: deployment.visibilityTimeoutMs,
      maxReceiveCount: deployment.maxReceiveCount,
      duplicate: scenario.sqs.duplicate,
    });
    this.mapping = new EventSourceMapping(
      kernel,
      this.queue,
      { batchSize: consumes.batchSize, windowMs: consumes.maxBatchingWindowSeconds * 1000, maximumConcurrency: consumes.maximumConcurrency },
      (batch) => this.invokeConsumer(batch),
    );
    this.provider = new SimProvider(kernel, scenario.provider, DIALECTS[scenario.provider], scenario.faults, SIMULATION_START);
    // One rate-limiter cache per warm container.
    this.tatCaches = Array.from({ length: consumes.maximumConcurrency }, () => ({ knownTat: undefined }));
  }

  /** Puts the schedules in place and the scenario's arrivals on the clock. */
  async start(): Promise<void> {
    const schedules = new MemoryScheduleStore(this.table, immediateIo);
    for (const s of this.scenario.schedules) {
      const made = await scheduleFromRequest(this.deployment.provider, s.subscription, s.body, new Date(this.kernel.now));
      if (!made.ok) throw new Error(`scenario ${this.scenario.seed}: invalid schedule ${JSON.stringify(made.errors)}`);
      await schedules.put(made.value);
    }
    for (const intent of this.scenario.intents) {
      const parsed = await parseCanonicalRequest(intent.request);
      if (!parsed.ok) throw new Error(`scenario ${this.scenario.seed}: invalid request ${JSON.stringify(parsed.errors)}`);
      this.normalized.set(intent, parsed.value);
    }
    for (const intent of this.scenario.intents) this.kernel.at(SIMULATION_START + intent.at, () => this.deliver(intent, 0));
    for (const at of this.scenario.schedulerRuns) this.kernel.at(SIMULATION_START + at, () => this.runScheduler());
    const redriveAt = this.scenario.redriveAt;
    if (redriveAt !== undefined) this.kernel.at(SIMULATION_START + redriveAt, () => this.queue.redrive());
  }

  // ── actors ──────────────────────────────────────────────────────────────────────────────────

  private spawn(kind: ActorKind, timeoutMs: number, batchSize = 0): Actor {
    const id = `${kind === 'consumer' ? 'inv' : kind === 'intake' ? 'in' : 'sch'}${++this.counters[kind]}`;
    const rng = this.kernel.rng;
    const crash: CrashPlan | undefined = rng.chance(this.scenario.crash[kind])
      ? { atOp: rng.int(1, crashOps(kind, batchSize)), phase: rng.chance(0.5) ? 'before-send' : 'after-apply' }
      : undefined;
    return this.kernel.spawn(id, kind, { timeoutMs, ...(crash ? { crash } : {}) });
  }

  private dynamo(actor: Actor): ActorIo {
    return new ActorIo(this.kernel, actor, 'dynamodb', this.scenario.dynamo);
  }

  private renewalStore(actor: Actor, io: Io = this.dynamo(actor)) {
    return asRenewalStore(this.makeRenewalStore(this.table, io, this.leaseWatch));
  }

  /** The provider's queue as `SqsRenewalQueue` sends to it. */
  private queueClient(actor: Actor): RenewalQueue {
    const io = new ActorIo(this.kernel, actor, 'sqs', this.scenario.sqs);
    return {
      send: async (message, delaySeconds = 0) => {
        const body = JSON.stringify(message);
        const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
        await io.request(`send ${message.id}`, () => this.queue.send(body, delay, message.id));
      },
    };
  }

  private acceptDeps(actor: Actor): AcceptDeps {
    return {
      store: this.renewalStore(actor),
      queues: { [this.deployment.provider]: this.queueClient(actor) },
      logger: silentLogger,
      now: () => new Date(this.kernel.now),
    };
  }

  private context(actor: Actor, functionName: string, timeoutMs: number): Context {
    return {
      callbackWaitsForEmptyEventLoop: false,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
      memoryLimitInMB: '256',
      awsRequestId: actor.id,
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'simulated',
      getRemainingTimeInMillis: () => actor.startedAt + timeoutMs - this.kernel.now,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  /** Claims are checked as they take effect: whose lease did this one take? */
  private readonly leaseWatch: ClaimObserver = {
    claimed: (previous: RenewalRecord, owner: string, at: Date) => {
      if (previous.status !== 'in_progress' || !previous.leaseOwner) return;
      const holder = this.kernel.actor(previous.leaseOwner.split('/')[0] ?? '');
      if (holder?.live) {
        this.leasesTakenFromLiveHolders.push({ renewalId: previous.id, holder: previous.leaseOwner, by: owner, at: at.getTime() });
      }
    },
  };

  // ── senders and intake ──────────────────────────────────────────────────────────────────────

  private deliver(intent: IntentSpec, attempt: number): void {
    const copies = attempt === 0 ? intent.copies : 1;
    let pending = copies;
    let delivered = false;
    const request = this.normalized.get(intent);
    if (!request) throw new Error(`scenario ${this.scenario.seed}: intent ${intent.key} was not normalized`);
    for (let c = 0; c < copies; c++) {
      this.kernel.after(c === 0 ? 0 : this.kernel.rng.between(0, 200), () => {
        const actor = this.spawn('intake', this.deployment.intakeTimeoutMs);
        if (this.kernel.tracing) this.kernel.log(actor.id, `sender delivers ${intent.key} (attempt ${attempt + 1}${copies > 1 ? `, copy ${c + 1} of ${copies}` : ''})`);
        acceptRenewal(request, intent.key, this.acceptDeps(actor)).then(
          (accepted) => {
            if (!actor.alive) return;
            this.observe(accepted.renewal.id, actor.id, accepted.httpStatus);
            delivered = true;
            this.kernel.finish(actor);
          },
          (error: unknown) => {
            if (!actor.alive) return;
            if (this.kernel.tracing) this.kernel.log(actor.id, `intake answered an error: ${error instanceof Error ? error.message : String(error)}`);
            this.kernel.finish(actor);
          },
        );
        actor.onEnd(() => {
          if (--pending > 0 || delivered) return;
          const wait = intent.retries[attempt];
          if (wait !== undefined) this.kernel.after(wait, () => this.deliver(intent, attempt + 1));
          else if (this.kernel.tracing) this.kernel.log(actor.id, `sender gives up on ${intent.key}`);
        });
      });
    }
  }

  private observe(renewalId: string, by: string, httpStatus: number): void {
    if (this.kernel.tracing) this.kernel.log(by, `told ${httpStatus}: renewal ${renewalId} accepted`);
    if (!this.accepted.has(renewalId)) this.accepted.set(renewalId, { at: this.kernel.now, by, httpStatus });
  }

  // ── scheduler ───────────────────────────────────────────────────────────────────────────────

  private runScheduler(): void {
    const timeoutMs = this.deployment.schedulerTimeoutMs;
    const actor = this.spawn('scheduler', timeoutMs);
    if (this.kernel.tracing) this.kernel.log(actor.id, 'scheduler run starts');
    const accept = this.acceptDeps(actor);
    const handler = createSchedulerHandler({
      schedules: asScheduleStore(new MemoryScheduleStore(this.table, this.dynamo(actor))),
      // No shard leases here: every run works every shard, the harder case for the conditional writes.
      renewals: accept.store,
      queues: accept.queues,
      onAccepted: (accepted) => {
        if (actor.alive) this.observe(accepted.renewal.id, actor.id, accepted.httpStatus);
      },
      logger: silentLogger,
    });
    handler(undefined, this.context(actor, 'scheduler', timeoutMs)).then(
      (summary) => {
        if (!actor.alive) return;
        if (this.kernel.tracing) this.kernel.log(actor.id, `scheduler run ends: ${JSON.stringify(summary)}`);
        this.kernel.finish(actor);
      },
      () => this.kernel.finish(actor),
    );
  }

  // ── consumer ────────────────────────────────────────────────────────────────────────────────

  private invokeConsumer(batch: readonly { message: SimMessage; receipt: number }[]): Actor {
    const { consumerFunction, consumer, rate, pauses, provider } = this.deployment;
    const timeoutMs = consumerFunction.timeoutSeconds * 1000;
    const actor = this.spawn('consumer', timeoutMs, batch.length);
    const k = this.kernel;
    if (k.tracing) k.log(actor.id, `invoked with ${batch.map((b) => `${b.message.id}(${b.message.renewalId}, receive ${b.message.receiveCount})`).join(', ')}`);
    const io = this.dynamo(actor);
    const deps: BatchDeps = {
      ...consumer,
      store: this.renewalStore(actor, io),
      queue: this.queueClient(actor),
      call: this.provider.caller(actor),
      now: () => new Date(k.now),
      random: k.rng.next,
      ...(rate ? { limiter: new MemoryRateLimiter(this.table, io, provider, rate, () => k.now, k.rng.pick(this.tatCaches)) } : {}),
      ...(pauses ? { pause: new MemoryProviderPause(this.table, io, provider, AUTH_FAILURE_PAUSE_MS) } : {}),
    };
    const event: SQSEvent = { Records: batch.map(({ message, receipt }) => this.record(message, receipt)) };
    createBatchHandler(deps, () => Promise.resolve(deps.provider))(event, this.context(actor, consumerFunction.id, timeoutMs)).then(
      (response: SQSBatchResponse) => {
        if (!actor.alive) return;
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        if (k.tracing) k.log(actor.id, `returns; failed: [${[...failed].join(', ')}]`);
        for (const { message, receipt } of batch) if (!failed.has(message.id)) this.queue.delete(message, receipt);
        k.finish(actor);
      },
      (error: unknown) => {
        if (!actor.alive) return;
        if (k.tracing) k.log(actor.id, `invocation failed (nothing deleted): ${error instanceof Error ? error.message : String(error)}`);
        k.finish(actor);
      },
    );
    return actor;
  }

  private record(message: SimMessage, receipt: number): SQSRecord {
    return {
      messageId: message.id,
      receiptHandle: `${message.id}#${receipt}`,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'simulated',
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? this.kernel.now),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${this.deployment.provider}`,
      awsRegion: 'us-east-1',
    };
  }
}
