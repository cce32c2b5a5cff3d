/**
 * The scheduler (docs/architecture.md#from-a-schedule), in two parts:
 *
 * - **dispatch** (the EventBridge rule, every minute): finds the shards of the due index that have
 *   something due and whose lease is free, and hands each to a worker — in AWS one message per
 *   shard on the scheduler queue, whose event source mapping runs up to `SCHEDULER.workers` at once;
 * - **work a shard** (one worker per shard at a time, by its lease): pages through the shard's due
 *   schedules, and per page creates each schedule's renewal for its current period (one
 *   conditional PutItem each, keyed by the period), queues the new ones with SendMessageBatch (ten
 *   per request, per provider), then advances each schedule (one conditional UpdateItem).
 *
 * Why nothing is queued twice or skipped:
 * - a shard is worked only under its lease, so two workers never take the same schedules, and in
 *   the normal case no conditional write fails; if leases were ever bypassed (the simulation runs
 *   without them), the renewal's conditional create still lets one creator through and only one
 *   advance succeeds;
 * - a renewal is created before its message is sent, and the schedule advanced only after the
 *   send succeeded: a worker that dies in between leaves the schedule due, and the next worker
 *   derives the same key, finds the renewal still queued and never attempted, and sends it again
 *   (a duplicate message is harmless: the claim lets one through);
 * - a worker that runs short of time stops taking pages and hands its shard on; the rest stay due.
 */
import type { Logger } from '../logger';
import type { ScheduleStore } from '../adapters/schedule-store';
import type { ShardLeases } from '../adapters/shard-leases';
import type { RenewalRecords } from '../adapters/renewal-store';
import { MAX_BATCH, delaySecondsUntil, type QueuedEntry, type RenewalQueue } from '../adapters/queue';
import { periodOf, runIndexToStart, renewalRequestFor, runAt, scheduledKey, type ScheduleRecord } from '../domain/schedule';
import { parseCanonicalRequest } from '../domain/canonical';
import { newRenewalRecord, queuedMessageFor, type RenewalRecord } from '../domain/renewal';
import { SCHEDULER, type Provider } from '../system';
import type { Accepted } from '../intake/accept';

export interface SchedulerDeps {
  readonly schedules: ScheduleStore;
  readonly renewals: RenewalRecords;
  readonly queues: Partial<Record<Provider, RenewalQueue>>;
  readonly logger: Logger;
  /**
   * Shard coordination: the leases and a cheap "anything due?" per shard. Absent (the
   * simulation), every shard is worked and nothing is leased; the conditional writes keep that safe.
   */
  readonly shards?: {
    readonly leases: ShardLeases;
    readonly anyDue: (shard: number, now: Date) => Promise<boolean>;
  };
  /** Hands shards to workers: in AWS one message per shard on the scheduler queue. Absent: worked in this process. */
  readonly dispatch?: (shards: readonly number[]) => Promise<void>;
  /** Told of every renewal a run queued or found queued already (the simulation observes acceptances). */
  readonly onAccepted?: (accepted: Accepted) => void;
  /** Writes in flight per shard worker. */
  readonly concurrency?: number;
  /** Index entries per page. */
  readonly pageSize?: number;
  /** Shards worked at once when worked in this process (`runScheduler`). */
  readonly workers?: number;
}

export interface RunSummary {
  /** Due schedules found (read consistently). */
  due: number;
  /** New renewals queued. */
  queued: number;
  /** Periods that had their renewal already (re-sent if it was never attempted). */
  alreadyQueued: number;
  advanced: number;
  changedMeanwhile: number;
  failed: number;
  stoppedEarly: boolean;
  /** Shards worked, and shards left alone because another worker held their lease. */
  shards: number;
  shardsBusy: number;
}

export interface RunOptions {
  readonly now?: Date;
  /** Checked before each page: true once the worker must stop taking new work. */
  readonly shouldStop?: () => boolean;
  /** Lease owner (the invocation's request id in AWS). */
  readonly owner?: string;
}

export const emptySummary = (): RunSummary => ({
  due: 0,
  queued: 0,
  alreadyQueued: 0,
  advanced: 0,
  changedMeanwhile: 0,
  failed: 0,
  stoppedEarly: false,
  shards: 0,
  shardsBusy: 0,
});

export const addSummary = (into: RunSummary, part: RunSummary): RunSummary => {
  for (const key of ['due', 'queued', 'alreadyQueued', 'advanced', 'changedMeanwhile', 'failed', 'shards', 'shardsBusy'] as const) into[key] += part[key];
  into.stoppedEarly ||= part.stoppedEarly;
  return into;
};

export const pool = async <T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
};

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The shards to hand out now: those with something due and no live lease (all of them without coordination). */
export const shardsToWork = async (deps: SchedulerDeps, now: Date): Promise<number[]> => {
  const all = Array.from({ length: SCHEDULER.shards }, (_, i) => i);
  const coordination = deps.shards;
  if (!coordination) return all;
  const withWork: number[] = [];
  await pool(all, SCHEDULER.shards, async (shard) => {
    if (await coordination.anyDue(shard, now)) withWork.push(shard);
  });
  if (withWork.length === 0) return [];
  const busy = await coordination.leases.held(withWork, now);
  return withWork.filter((s) => !busy.has(s)).sort((a, b) => a - b);
};

/** One schedule's renewal for its current period, before it is queued. */
interface Planned {
  readonly schedule: ScheduleRecord;
  readonly runIndex: number;
  readonly record: RenewalRecord;
  readonly entry: QueuedEntry;
  /** How the period's renewal stands: just created, found queued and never attempted, found past that, or found with other terms. */
  outcome?: 'created' | 'resend' | 'exists' | 'conflict';
  existing?: RenewalRecord;
}

/**
 * Works one shard under its lease until nothing in it is due (at `now`) or `shouldStop` says so.
 * Without coordination (`deps.shards` absent) it works the shard unleased.
 */
export const workShard = async (deps: SchedulerDeps, shard: number, options: RunOptions = {}): Promise<RunSummary> => {
  const now = options.now ?? new Date();
  const shouldStop = options.shouldStop ?? (() => false);
  const owner = options.owner ?? `worker-${Math.random().toString(36).slice(2)}`;
  const summary = emptySummary();
  const leases = deps.shards?.leases;
  if (leases && !(await leases.take(shard, owner, now, SCHEDULER.leaseSeconds * 1000))) {
    summary.shardsBusy++;
    return summary;
  }
  summary.shards++;
  try {
    let cursor: Record<string, unknown> | undefined;
    do {
      if (shouldStop()) {
        summary.stoppedEarly = true;
        break;
      }
      const page = await deps.schedules.due(shard, now, deps.pageSize ?? 100, cursor);
      summary.due += page.items.length;
      await workPage(deps, page.items, now, summary);
      cursor = page.cursor;
    } while (cursor);
  } finally {
    if (leases) await leases.release(shard, owner);
  }
  return summary;
};

const workPage = async (deps: SchedulerDeps, schedules: readonly ScheduleRecord[], now: Date, summary: RunSummary): Promise<void> => {
  const concurrency = deps.concurrency ?? 16;
  const fail = (s: ScheduleRecord, error: unknown) => {
    summary.failed++;
    deps.logger.error('scheduled renewal failed; the schedule stays due', { provider: s.provider, error: errorText(error) });
  };

  // 1. The renewal of each schedule's current period: one conditional create each.
  const planned: Planned[] = [];
  await pool(schedules, concurrency, async (s) => {
    try {
      // A lead time queues the run that much before its time (the deadline stays run time + grace).
      const k = runIndexToStart(s, now);
      const valid = await parseCanonicalRequest(renewalRequestFor(s, k));
      if (!valid.ok) throw new Error(`schedule ${s.provider}/${s.subscription} makes an invalid request: ${valid.errors.map((e) => e.path).join(', ')}`);
      const record = newRenewalRecord(valid.value, scheduledKey(s, k), now);
      const p: Planned = { schedule: s, runIndex: k, record, entry: { message: queuedMessageFor(record, valid.value), delaySeconds: delaySecondsUntil(valid.value.notBefore, now) } };
      if (!deps.queues[s.provider]) throw new Error(`no queue for ${s.provider} in this deployment`);
      const created = await deps.renewals.create(record);
      if (created.created) p.outcome = 'created';
      else {
        p.existing = created.existing;
        // This period already has a renewal with other terms (the schedule was replaced): that renewal stands.
        if (created.existing.requestHash !== record.requestHash) p.outcome = 'conflict';
        // Whether its message reached SQS is not known (a worker may have died before sending): send it again.
        else if (created.existing.status === 'queued' && created.existing.attempts.length === 0) p.outcome = 'resend';
        else p.outcome = 'exists';
      }
      planned.push(p);
    } catch (error) {
      fail(s, error);
    }
  });

  // 2. Queue what needs queueing, ten per request per provider.
  const toSend = planned.filter((p) => p.outcome === 'created' || p.outcome === 'resend');
  const notSent = new Set<Planned>();
  const byProvider = new Map<Provider, Planned[]>();
  for (const p of toSend) byProvider.set(p.schedule.provider, [...(byProvider.get(p.schedule.provider) ?? []), p]);
  const chunks: Array<{ queue: RenewalQueue; items: Planned[] }> = [];
  for (const [provider, items] of byProvider) {
    const queue = deps.queues[provider];
    if (!queue) continue;
    for (let i = 0; i < items.length; i += MAX_BATCH) chunks.push({ queue, items: items.slice(i, i + MAX_BATCH) });
  }
  await pool(chunks, concurrency, async ({ queue, items }) => {
    let failed: readonly number[];
    try {
      if (queue.sendBatch) failed = (await queue.sendBatch(items.map((p) => p.entry))).failed;
      else {
        const out: number[] = [];
        for (const [i, p] of items.entries()) await queue.send(p.entry.message, p.entry.delaySeconds).catch(() => out.push(i));
        failed = out;
      }
    } catch {
      failed = items.map((_, i) => i);
    }
    for (const i of failed) {
      const p = items[i];
      if (p) notSent.add(p);
    }
  });
  for (const p of notSent) {
    fail(p.schedule, new Error('the renewal is stored but its message could not be queued'));
    // Marked as intake marks it; the schedule stays due, and the next worker sends it again.
    await deps.renewals.markSendFailed(p.record.id, now).catch((error: unknown) => deps.logger.error('could not mark the failed send', { renewalId: p.record.id, error: errorText(error) }));
  }

  // 3. Advance every schedule whose period is settled.
  await pool(
    planned.filter((p) => !notSent.has(p)),
    concurrency,
    async (p) => {
      try {
        if (p.outcome === 'created') summary.queued++;
        else summary.alreadyQueued++;
        if (p.outcome !== 'conflict') {
          const renewal = p.existing ?? p.record;
          deps.onAccepted?.({ httpStatus: p.outcome === 'created' ? 202 : 200, renewal: { id: renewal.id, status: renewal.status, idempotencyKey: renewal.idempotencyKey } });
        }
        if (p.outcome === 'resend' && p.existing?.sendFailedAt) await deps.renewals.clearSendFailure(p.record.id).catch(() => undefined);
        const s = p.schedule;
        const k = p.runIndex;
        const advanced = await deps.schedules.advance(
          s,
          { runIndex: k + 1, nextRunAt: runAt(s, k + 1).toISOString() },
          { renewalId: p.outcome === 'conflict' ? 'conflict' : p.record.id, periodStart: periodOf(s, k).start },
          now,
        );
        if (advanced) summary.advanced++;
        else summary.changedMeanwhile++;
      } catch (error) {
        fail(p.schedule, error);
      }
    },
  );
};

/**
 * One whole run in this process: the shards to work, each worked under its lease, `workers` at
 * a time. The local stack and the tests run this; in AWS the rule's invocation dispatches and the
 * scheduler queue's invocations work one shard each (functions/scheduler/app.ts).
 */
export const runScheduler = async (deps: SchedulerDeps, options: RunOptions = {}): Promise<RunSummary> => {
  const now = options.now ?? new Date();
  const shards = await shardsToWork(deps, now);
  const summary = emptySummary();
  await pool(shards, deps.workers ?? SCHEDULER.workers, async (shard) => {
    addSummary(summary, await workShard(deps, shard, { ...options, now }));
  });
  deps.logger.info('scheduler run', { ...summary });
  return summary;
};
