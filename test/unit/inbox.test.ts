/**
 * The operators' inbox keys (shared/domain/inbox.ts): which renewals the sparse index holds, under
 * which partition, in which order. The store's writes and queries are checked against DynamoDB
 * Local by the integration tests; these pin the pure part, which mutation testing runs.
 */
import { describe, expect, it } from 'vitest';
import { INBOX_INDEX, INBOX_SHARDS, INBOX_STATUSES, LEGACY_OPEN_PARTITIONS, OPEN_STATUSES, SWEPT_PARTITIONS, inboxPartitionsOf, inboxPk, inboxShard, inboxSk, inboxUpdate, isInboxStatus, isOpenStatus } from '../../shared/domain/inbox';
import { STATUSES, renewalIdFor } from '../../shared/domain/renewal';
import { TABLE } from '../../shared/system';

const ID = 'rnw_aaaaaaaaaaaaaaaaaaaaaaaaab';

describe('the inbox index', () => {
  it('is an index the table declares, keyed by the attributes inboxUpdate and inboxSk fill', () => {
    const index = TABLE.indexes.find((i) => i.name === INBOX_INDEX);
    expect(index).toMatchObject({ partitionKey: 'gsi4pk', sortKey: 'gsi4sk' });
    // The attribute inboxUpdate sets or removes is the index's partition key.
    expect(inboxUpdate('failed', ID).set).toMatch(/^gsi4pk = /);
    expect(inboxUpdate('succeeded', ID).remove).toBe('gsi4pk');
  });

  it('holds the renewals waiting, working or ended badly, not those with nothing left to do', () => {
    expect(STATUSES.filter(isInboxStatus).sort()).toEqual([...INBOX_STATUSES].sort());
    for (const s of ['succeeded', 'accepted', 'cancelled'] as const) expect(isInboxStatus(s)).toBe(false);
  });
});

describe('an inbox entry follows its renewal status', () => {
  it('keeps a renewal queued or worked on in its open shard, so a claim sets the bucket it is in', () => {
    const open = `INBOX#open#${inboxShard(ID)}`;
    for (const s of ['queued', 'in_progress'] as const) {
      expect(inboxPk(s, ID)).toBe(open);
      expect(inboxUpdate(s, ID)).toEqual({ set: 'gsi4pk = :inboxPk', values: { ':inboxPk': open } });
      expect(inboxPartitionsOf(s)).toEqual(Array.from({ length: INBOX_SHARDS }, (_, n) => `INBOX#open#${n}`));
    }
  });

  it('keeps a renewal waiting for a retry in its retry shard, apart from the open bucket', () => {
    expect(inboxPk('retry_scheduled', ID)).toBe(`INBOX#retry#${inboxShard(ID)}`);
    expect(inboxUpdate('retry_scheduled', ID)).toEqual({ set: 'gsi4pk = :inboxPk', values: { ':inboxPk': `INBOX#retry#${inboxShard(ID)}` } });
    expect(inboxPartitionsOf('retry_scheduled')).toEqual(Array.from({ length: INBOX_SHARDS }, (_, n) => `INBOX#retry#${n}`));
  });

  it('puts a renewal that ended badly in the partition of its status (INBOX#<status>)', () => {
    for (const s of ['needs_attention', 'failed'] as const) {
      expect(inboxPk(s, ID)).toBe(`INBOX#${s}`);
      expect(inboxUpdate(s, ID)).toEqual({ set: 'gsi4pk = :inboxPk', values: { ':inboxPk': `INBOX#${s}` } });
      expect(inboxPartitionsOf(s)).toEqual([`INBOX#${s}`]);
    }
    expect(OPEN_STATUSES.every(isOpenStatus)).toBe(true);
    for (const s of ['needs_attention', 'failed', 'succeeded'] as const) expect(isOpenStatus(s)).toBe(false);
  });

  it('spreads new renewals over every shard, and the sweeper reads every partition a waiting renewal may be in', () => {
    const counts = new Map<number, number>();
    for (let i = 0; i < 8_000; i++) {
      const shard = inboxShard(renewalIdFor(`key-${i}`));
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: INBOX_SHARDS }, (_, n) => n));
    // Uniform: each shard within a third of its share (1,000) in 8,000 ids (hashed from idempotency keys).
    for (const c of counts.values()) expect(Math.abs(c - 1_000)).toBeLessThan(334);
    // The partitions written before the buckets (by status) are read by the sweeper too.
    expect(LEGACY_OPEN_PARTITIONS).toEqual(['INBOX#queued', 'INBOX#in_progress', 'INBOX#retry_scheduled']);
    expect([...SWEPT_PARTITIONS].sort()).toEqual([...new Set([...OPEN_STATUSES.flatMap(inboxPartitionsOf), ...LEGACY_OPEN_PARTITIONS])].sort());
    expect(SWEPT_PARTITIONS).toHaveLength(2 * INBOX_SHARDS + 3);
  });

  it('takes a renewal out of the index when it ends well, is cancelled or resolved', () => {
    for (const s of ['succeeded', 'accepted', 'cancelled'] as const) {
      expect(inboxUpdate(s, ID)).toEqual({ remove: 'gsi4pk', values: {} });
    }
  });

  it('sorts oldest first per provider, a provider being an exact prefix of the key', () => {
    const older = inboxSk('pelcro', '2026-11-21T12:00:00.000Z', 'rnw_b');
    const newer = inboxSk('pelcro', '2026-11-21T12:00:01.000Z', 'rnw_a');
    expect(older).toBe('pelcro#2026-11-21T12:00:00.000Z#rnw_b');
    expect(older < newer).toBe(true);
    expect(newer.startsWith('pelcro#')).toBe(true);
    expect(inboxSk('punchh', '2026-11-21T12:00:00.000Z', 'rnw_b').startsWith('pelcro#')).toBe(false);
  });
});
