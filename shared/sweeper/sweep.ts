/**
 * The sweeper (docs/architecture.md#nothing-accepted-is-lost): finds renewals that are not
 * terminal and have not moved for longer than the staleness (`SWEEPER_STALE_AFTER_SECONDS`) plus
 * the time their provider's queue needs to drain at its pace, and queues them again:
 * - `queued` with no attempt since it was created (or since its notBefore): its message may be gone
 *   (deleted, purged, expired, or never sent);
 * - `retry_scheduled` well past its nextAttemptAt: its delayed copy may be gone;
 * - `in_progress` well past its lease: its holder died and its message may be gone.
 * A message sent again is harmless: the claim lets one through, and a finished renewal's copy is
 * acknowledged. It reads the inbox index (renewals waiting or working, by creation: no renewal
 * should have moved before it was created, so those created before the cutoff are the candidates)
 * and the sweep index, which holds only the renewals it queued again (and operators' retries), by
 * when they should have moved: each renewal it re-queues enters the sweep index a staleness ahead,
 * then twice as long each time, so it is re-queued again only if it still does not move, and a
 * renewal whose messages keep dying (a poison message in the DLQ) is not re-sent every run.
 */
import type { Logger } from '../logger';
import type { RenewalSweep } from '../adapters/renewal-sweep';
import { MAX_BATCH, type QueuedEntry, type RenewalQueue } from '../adapters/queue';
import { isTerminal, requeuedMessageFor, type QueuedRenewal, type RenewalRecord } from '../domain/renewal';
import { parseCanonicalRequest } from '../domain/canonical';
import type { Provider } from '../system';

/** The setting: seconds without moving (beyond the provider queue's backlog) after which a renewal is queued again. */
export const STALE_AFTER_ENV = 'SWEEPER_STALE_AFTER_SECONDS';
/** Default staleness in AWS: a renewal that has not moved for this long (beyond its queue's backlog) is re-queued. */
export const DEFAULT_STALE_AFTER_SECONDS = 900;

export interface SweeperDeps {
  readonly sweep: RenewalSweep;
  readonly queues: Partial<Record<Provider, RenewalQueue>>;
  readonly logger: Logger;
  readonly staleAfterSeconds: number;
  /**
   * Seconds the provider's queue needs to drain its current backlog at its pace: a renewal waiting
   * behind it has not stopped moving. 0 when unknown.
   */
  readonly backlogSeconds: (provider: Provider) => Promise<number>;
}

export interface SweepSummary {
  /** Renewals the index said had not moved for long enough, read consistently. */
  found: number;
  /** Of those, stuck for good: queued again. */
  requeued: number;
  /** Stuck, but their message cannot be rebuilt from the record: ended needs_attention. */
  needsAttention: number;
  /** Moving after all (claimed meanwhile, or a lease still running), or changed while read. */
  moving: number;
  failed: number;
  /** The renewals queued again (at most 100 listed). */
  requeuedIds: string[];
}

const since = (r: RenewalRecord): number | undefined => {
  switch (r.status) {
    case 'queued':
      return Math.max(Date.parse(r.createdAt), r.notBefore ? Date.parse(r.notBefore) : 0);
    case 'retry_scheduled':
      return r.nextAttemptAt ? Date.parse(r.nextAttemptAt) : Date.parse(r.updatedAt);
    case 'in_progress':
      return r.leaseExpiresAt ?? Date.parse(r.updatedAt);
    default:
      return undefined;
  }
};

const messageFor = (r: RenewalRecord): QueuedRenewal => ({
  ...requeuedMessageFor(r),
  ...(r.status === 'retry_scheduled' && r.nextAttemptAt ? { dueAt: r.nextAttemptAt } : {}),
});

export const runSweeper = async (deps: SweeperDeps, now = new Date()): Promise<SweepSummary> => {
  const summary: SweepSummary = { found: 0, requeued: 0, needsAttention: 0, moving: 0, failed: 0, requeuedIds: [] };
  for (const [provider, queue] of Object.entries(deps.queues) as Array<[Provider, RenewalQueue]>) {
    let backlog = 0;
    try {
      backlog = await deps.backlogSeconds(provider);
    } catch (error) {
      // Without the backlog, only the staleness counts: a re-queue is harmless, only wasteful.
      deps.logger.warn('sweeper: backlog unknown', { provider, error: error instanceof Error ? error.name : 'unknown' });
    }
    const cutoff = new Date(now.getTime() - (deps.staleAfterSeconds + backlog) * 1000);
    const handle = async (keys: ReadonlyArray<{ pk: string; sk: string }>, inboxPass: boolean): Promise<void> => {
      const records = await deps.sweep.read(keys);
      const toSend: RenewalRecord[] = [];
      for (const key of keys) {
        const got = records.get(key.pk);
        if (!got) continue;
        // Found in the inbox but in the sweep index: that pass looks at it, after its backoff.
        if (inboxPass && got.inSweepIndex) continue;
        const r = got.record;
        if (isTerminal(r.status)) {
          if (!inboxPass) await deps.sweep.drop(r);
          continue;
        }
        summary.found++;
        const at = since(r);
        if (at === undefined || at >= cutoff.getTime()) {
          summary.moving++;
          continue;
        }
        // The message carries what the record keeps, plus secret params (a Pelcro customer's
        // token) the record never stores: without them it cannot be rebuilt.
        const valid = await parseCanonicalRequest({ provider: r.provider, operation: r.operation, subscription: r.subscription, params: r.params });
        if (!valid.ok) {
          const reason = `stopped moving and cannot be queued again without what the request carried (${valid.errors.map((e) => e.path).join(', ')}); send the request again with its idempotency key`;
          if (await deps.sweep.needsAttention(r, now, reason)) summary.needsAttention++;
          else summary.moving++;
          continue;
        }
        toSend.push(r);
      }
      for (let i = 0; i < toSend.length; i += MAX_BATCH) {
        const chunk = toSend.slice(i, i + MAX_BATCH);
        const entries: QueuedEntry[] = chunk.map((r) => ({ message: messageFor(r) }));
        let failed = new Set<number>();
        try {
          if (queue.sendBatch) failed = new Set((await queue.sendBatch(entries)).failed);
          else for (const [j, e] of entries.entries()) await queue.send(e.message).catch(() => failed.add(j));
        } catch {
          failed = new Set(entries.map((_, j) => j));
        }
        for (const [j, r] of chunk.entries()) {
          if (failed.has(j)) {
            summary.failed++;
            continue;
          }
          summary.requeued++;
          if (summary.requeuedIds.length < 100) summary.requeuedIds.push(r.id);
          deps.logger.warn('sweeper: renewal had stopped moving; queued again', { renewalId: r.id, provider, status: r.status });
          // Swept again a staleness after this run, then after 2, 4, 8… (at most 1024) more.
          const backoff = deps.staleAfterSeconds * (2 ** Math.min(r.sweeps ?? 0, 10) - 1);
          await deps.sweep.requeued(r, new Date(now.getTime() + backoff * 1000));
        }
      }
    };
    // The sweep index: renewals queued again before (and operators' retries), after their backoff.
    for (let shard = 0; shard < deps.sweep.shards; shard++) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await deps.sweep.stale(provider, shard, cutoff, 100, cursor);
        cursor = page.cursor;
        await handle(page.keys, false);
      } while (cursor);
    }
    // The inbox: every other renewal waiting or working, created before the cutoff.
    for (const partition of deps.sweep.openPartitions) {
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await deps.sweep.waiting(provider, partition, cutoff, 100, cursor);
        cursor = page.cursor;
        await handle(page.keys, true);
      } while (cursor);
    }
  }
  deps.logger.info('sweeper run', { found: summary.found, requeued: summary.requeued, needsAttention: summary.needsAttention, moving: summary.moving, failed: summary.failed });
  return summary;
};
