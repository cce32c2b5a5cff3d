/**
 * `ScheduleStore` in memory, request for request like shared/adapters/schedule-store.ts: the sparse
 * `due` index holds only active schedules; `advance` is conditional on the version read and the
 * schedule still being active; `put` replaces the item (a paused schedule leaves the index).
 */
import { shardOf } from '../../../shared/adapters/schedule-store';
import { startsAt, type ScheduleRecord } from '../../../shared/domain/schedule';
import type { Provider } from '../../../shared/system';
import type { Io } from './io';
import type { ScheduleStoreApi } from './ports';
import { withoutUndefined, type MemoryTable, type ScheduleItem } from './table';

const keyOf = (provider: Provider, subscription: string): string => `${provider}#${subscription}`;

const dueKeys = (s: Pick<ScheduleRecord, 'provider' | 'subscription' | 'nextRunAt' | 'leadTime'>) => ({
  pk: `DUE#${shardOf(s.provider, s.subscription)}`,
  sk: `${startsAt(s)}#${s.provider}#${s.subscription}`,
});

type Cursor = Record<string, unknown>;

export class MemoryScheduleStore implements ScheduleStoreApi {
  constructor(
    private readonly table: MemoryTable,
    private readonly io: Io,
  ) {}

  get(provider: Provider, subscription: string): Promise<ScheduleRecord | undefined> {
    return this.io.request('get schedule', () => this.table.schedules.get(keyOf(provider, subscription))?.record);
  }

  /** With `expected`: `attribute_not_exists(pk)` or `version = :v`; false when it fails. */
  put(s: ScheduleRecord, expected?: { readonly version: number } | 'absent'): Promise<boolean> {
    return this.io.request('put schedule', () => {
      const key = keyOf(s.provider, s.subscription);
      const current = this.table.schedules.get(key);
      if (expected === 'absent' && current) return false;
      if (expected && expected !== 'absent' && current?.record.version !== expected.version) return false;
      const item: ScheduleItem = { record: withoutUndefined(s), ...(s.status === 'active' ? { due: dueKeys(s) } : {}) };
      this.table.schedules.set(key, item);
      return true;
    });
  }

  /** `attribute_exists(pk)`, and with `fence` `version = :v` (then `webhooks` is replaced). */
  cancel(
    provider: Provider,
    subscription: string,
    now: Date,
    fence?: { readonly version: number; readonly webhooks: Readonly<Record<string, number>> },
  ): Promise<boolean> {
    return this.io.request('cancel schedule', () => {
      const key = keyOf(provider, subscription);
      const item = this.table.schedules.get(key);
      if (!item || (fence && item.record.version !== fence.version)) return false;
      const record: ScheduleRecord = {
        ...item.record,
        status: 'cancelled',
        updatedAt: now.toISOString(),
        version: item.record.version + 1,
        ...(fence ? { webhooks: fence.webhooks } : {}),
      };
      this.table.schedules.set(key, { record });
      return true;
    });
  }

  due(shard: number, now: Date, limit: number, cursor?: Cursor): Promise<{ items: ScheduleRecord[]; cursor: Cursor | undefined }> {
    return this.io.request('query due', () => {
      const pk = `DUE#${shard}`;
      const upTo = `${now.toISOString()}#\uffff`;
      const after = typeof cursor?.gsi2sk === 'string' ? cursor.gsi2sk : undefined;
      const hits = [...this.table.schedules.values()]
        .filter((i): i is ScheduleItem & { due: { pk: string; sk: string } } => i.due?.pk === pk && i.due.sk <= upTo && (after === undefined || i.due.sk > after))
        .sort((a, b) => (a.due.sk < b.due.sk ? -1 : a.due.sk > b.due.sk ? 1 : 0))
        .slice(0, limit);
      const last = hits.at(-1);
      // DynamoDB hands back a LastEvaluatedKey whenever it stopped at the limit.
      const next =
        last && hits.length === limit
          ? { pk: `SCHEDULE#${last.record.provider}#${last.record.subscription}`, sk: 'SCHEDULE', gsi2pk: last.due.pk, gsi2sk: last.due.sk }
          : undefined;
      return { items: hits.map((i) => i.record), cursor: next };
    });
  }

  advance(s: ScheduleRecord, next: { runIndex: number; nextRunAt: string }, last: { renewalId: string; periodStart: string }, now: Date): Promise<boolean> {
    return this.io.request('advance schedule', () => {
      const key = keyOf(s.provider, s.subscription);
      const item = this.table.schedules.get(key);
      if (!item || item.record.version !== s.version || item.record.status !== 'active') return false;
      const record: ScheduleRecord = {
        ...item.record,
        runIndex: next.runIndex,
        nextRunAt: next.nextRunAt,
        lastRenewalId: last.renewalId,
        lastPeriodStart: last.periodStart,
        lastRunAt: now.toISOString(),
        updatedAt: now.toISOString(),
        version: item.record.version + 1,
      };
      // SET gsi2sk only: the shard key stays as the last put left it (an item without it is not indexed).
      const sk = dueKeys({ ...s, nextRunAt: next.nextRunAt }).sk;
      this.table.schedules.set(key, { record, ...(item.due ? { due: { pk: item.due.pk, sk } } : {}) });
      return true;
    });
  }
}
