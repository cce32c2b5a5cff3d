/**
 * One scheduler run (EventBridge rule → scheduler function; locally a timer or on demand):
 * for every shard of the due index, each due schedule gets the renewal of its current period
 * queued (the same acceptance as a webhook: one record, one message, keyed by the period), and
 * is then advanced past it with a conditional write.
 *
 * Why nothing is queued twice or skipped:
 * - two runs at once read the same due schedule, derive the same key, and the renewal record's
 *   conditional create lets one of them create it; only one advance succeeds;
 * - a run that dies between queueing and advancing leaves the schedule due: the next run derives
 *   the same key, finds the renewal (re-queueing it if it was never sent) and advances;
 * - a run that runs out of time stops taking new schedules; the rest stay due for the next run.
 */
import type { Logger } from '../logger';
import type { ScheduleStore } from '../adapters/schedule-store';
import { currentRunIndex, periodOf, renewalRequestFor, runAt, scheduledKey, type ScheduleRecord } from '../domain/schedule';
import { parseCanonicalRequest, type CanonicalRequest } from '../domain/canonical';
import { HttpError } from '../http/problem';
import { SCHEDULER } from '../system';
import type { Accepted } from '../intake/accept';

export interface SchedulerDeps {
  readonly schedules: ScheduleStore;
  readonly accept: (request: CanonicalRequest, idempotencyKey: string) => Promise<Accepted>;
  readonly logger: Logger;
  /** Schedules worked on at once. */
  readonly concurrency?: number;
  readonly pageSize?: number;
}

export interface RunSummary {
  due: number;
  queued: number;
  alreadyQueued: number;
  advanced: number;
  changedMeanwhile: number;
  failed: number;
  stoppedEarly: boolean;
}

const pool = async <T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> => {
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

export const runScheduler = async (
  deps: SchedulerDeps,
  options: { now?: Date; shouldStop?: () => boolean } = {},
): Promise<RunSummary> => {
  const now = options.now ?? new Date();
  const shouldStop = options.shouldStop ?? (() => false);
  const summary: RunSummary = { due: 0, queued: 0, alreadyQueued: 0, advanced: 0, changedMeanwhile: 0, failed: 0, stoppedEarly: false };

  const handle = async (indexed: ScheduleRecord): Promise<void> => {
    try {
      // The index is eventually consistent: act on the schedule as it is now.
      const s = await deps.schedules.get(indexed.provider, indexed.subscription);
      if (!s || s.status !== 'active' || s.version !== indexed.version || Date.parse(s.nextRunAt) > now.getTime()) {
        summary.changedMeanwhile++;
        return;
      }
      const k = currentRunIndex(s, now);
      const request = renewalRequestFor(s, k);
      const valid = await parseCanonicalRequest(request);
      if (!valid.ok) throw new Error(`schedule ${s.provider}/${s.subscription} makes an invalid request: ${valid.errors.map((e) => e.path).join(', ')}`);
      let renewalId: string;
      try {
        const accepted = await deps.accept(valid.value, scheduledKey(s, k));
        renewalId = accepted.renewal.id;
        if (accepted.httpStatus === 202) summary.queued++;
        else summary.alreadyQueued++;
      } catch (error) {
        // This period already has a renewal with other terms (the schedule was replaced): that
        // renewal stands; move on.
        if (!(error instanceof HttpError) || error.status !== 409) throw error;
        summary.alreadyQueued++;
        renewalId = 'conflict';
      }
      const advanced = await deps.schedules.advance(
        s,
        { runIndex: k + 1, nextRunAt: runAt(s, k + 1).toISOString() },
        { renewalId, periodStart: periodOf(s, k).start },
        now,
      );
      if (advanced) summary.advanced++;
      else summary.changedMeanwhile++;
    } catch (error) {
      summary.failed++;
      deps.logger.error('scheduled renewal failed; the schedule stays due', {
        provider: indexed.provider,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  };

  const shards = Array.from({ length: SCHEDULER.shards }, (_, i) => i);
  await pool(shards, 4, async (shard) => {
    let cursor: Record<string, unknown> | undefined;
    do {
      if (shouldStop()) {
        summary.stoppedEarly = true;
        return;
      }
      const page = await deps.schedules.due(shard, now, deps.pageSize ?? 100, cursor);
      summary.due += page.items.length;
      await pool(page.items, deps.concurrency ?? 8, handle);
      cursor = page.cursor;
    } while (cursor);
  });
  deps.logger.info('scheduler run', { ...summary });
  return summary;
};
