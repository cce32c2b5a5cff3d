/** `DynamoProviderPause` in memory: one item per provider, read consistently, written unconditionally. */
import type { ProviderPause } from '../../../shared/adapters/provider-pause';
import type { Io } from './io';
import type { MemoryTable } from './table';

export class MemoryProviderPause implements ProviderPause {
  constructor(
    private readonly table: MemoryTable,
    private readonly io: Io,
    private readonly provider: string,
    private readonly pauseMs: number,
  ) {}

  pausedUntil(now: Date): Promise<number | undefined> {
    return this.io.request('read pause', () => {
      const until = this.table.pauses.get(this.provider)?.until;
      return until !== undefined && until > now.getTime() ? until : undefined;
    });
  }

  async pause(now: Date, reason: string): Promise<void> {
    await this.io.request('write pause', () => {
      this.table.pauses.set(this.provider, { until: now.getTime() + this.pauseMs, reason, at: now.toISOString() });
    });
  }
}
