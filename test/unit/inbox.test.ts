/**
 * The operators' inbox keys (shared/domain/inbox.ts): which renewals the sparse index holds, under
 * which partition, in which order. The store's writes and queries are checked against DynamoDB
 * Local by the integration tests; these pin the pure part, which mutation testing runs.
 */
import { describe, expect, it } from 'vitest';
import { INBOX_INDEX, INBOX_STATUSES, inboxPk, inboxSk, inboxUpdate, isInboxStatus } from '../../shared/domain/inbox';
import { STATUSES } from '../../shared/domain/renewal';
import { TABLE } from '../../shared/system';

describe('the inbox index', () => {
  it('is an index the table declares, keyed by the attributes inboxUpdate and inboxSk fill', () => {
    const index = TABLE.indexes.find((i) => i.name === INBOX_INDEX);
    expect(index).toMatchObject({ partitionKey: 'gsi4pk', sortKey: 'gsi4sk' });
    // The attribute inboxUpdate sets or removes is the index's partition key.
    expect(inboxUpdate('queued').set).toMatch(/^gsi4pk = /);
    expect(inboxUpdate('succeeded').remove).toBe('gsi4pk');
  });

  it('holds the renewals waiting, working or ended badly, not those with nothing left to do', () => {
    expect(STATUSES.filter(isInboxStatus).sort()).toEqual([...INBOX_STATUSES].sort());
    for (const s of ['succeeded', 'accepted', 'cancelled'] as const) expect(isInboxStatus(s)).toBe(false);
  });
});

describe('an inbox entry follows its renewal status', () => {
  it('puts a renewal in the partition of its status (INBOX#<status>)', () => {
    expect(inboxPk('needs_attention')).toBe('INBOX#needs_attention');
    expect(new Set(INBOX_STATUSES.map(inboxPk)).size).toBe(INBOX_STATUSES.length);
    for (const s of INBOX_STATUSES) {
      expect(inboxUpdate(s)).toEqual({ set: 'gsi4pk = :inboxPk', values: { ':inboxPk': `INBOX#${s}` } });
    }
  });

  it('takes a renewal out of the index when it ends well, is cancelled or resolved', () => {
    for (const s of ['succeeded', 'accepted', 'cancelled'] as const) {
      expect(inboxUpdate(s)).toEqual({ remove: 'gsi4pk', values: {} });
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
