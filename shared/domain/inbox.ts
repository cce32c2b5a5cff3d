/**
 * The operators' inbox (docs/architecture.md#indexes): a sparse index over the renewals that are
 * not finished or that need a person. A renewal carries the index's partition key `gsi4pk` while
 * its status is one of INBOX_STATUSES, and loses it when it ends well (`succeeded`, `accepted`),
 * is cancelled, or an operator resolves it. Its sort key, `gsi4sk = <provider>#<createdAt>#<id>`,
 * is written once when it is created: oldest first per provider, and a provider is a prefix of the
 * key (read exactly, never filtered).
 *
 * The partition key is a bucket, not the status:
 * - `INBOX#open#<n>` for the renewals queued or being worked on (`queued`, `in_progress`), `n`
 *   one of INBOX_SHARDS shards by the id. A claim of a queued renewal, or a release, sets the
 *   bucket it is already in: an index key written with its own value is not an index write, so a
 *   renewal that ends well writes the index twice (when it is created, when it ends), not four
 *   times as when the claim moved it from `INBOX#queued` to `INBOX#in_progress`. And every intake
 *   and scheduler create lands in one of eight partitions, not one: a partition takes 1,000
 *   writes a second, so one partition would cap the month-start fan-out (bench/aws-model.ts) at
 *   1,000 renewals a second, and a throttled index write throttles the table's write too.
 * - `INBOX#retry#<n>` for `retry_scheduled`, sharded alike: a retry moves the entry there and its
 *   claim moves it back (a provider failing fast at month start retries at the consumers' pace).
 *   Kept apart so that listing `queued` reads past the renewals being worked on (a provider's
 *   concurrent batches) only, never past a backlog of retries.
 * - `INBOX#needs_attention` and `INBOX#failed`, one partition each (they come at the pace of
 *   failures, and an operator lists them by status).
 * Listing `queued` or `in_progress` reads the open bucket and keeps the renewals in that status
 * (their records are read anyway, consistently); a page reads on until it is full or has read
 * enough.
 */
import type { RenewalStatus } from './renewal';
import type { Provider } from '../system';

/**
 * Waiting or working (`queued`, `in_progress`, `retry_scheduled`: an operator looks for what is
 * stuck) and ended badly (`needs_attention`, `failed`: until retried, resolved or cancelled).
 * Not `succeeded`, `accepted`, `cancelled`: nothing is left to do, and indexing them would copy
 * every renewal ever made into the index.
 */
export const INBOX_STATUSES = ['queued', 'in_progress', 'retry_scheduled', 'needs_attention', 'failed'] as const satisfies readonly RenewalStatus[];
export type InboxStatus = (typeof INBOX_STATUSES)[number];
export const isInboxStatus = (s: RenewalStatus): s is InboxStatus => (INBOX_STATUSES as readonly RenewalStatus[]).includes(s);

/** Waiting or working: the statuses the sweeper looks after. */
export const OPEN_STATUSES = ['queued', 'in_progress', 'retry_scheduled'] as const satisfies readonly InboxStatus[];
export type OpenStatus = (typeof OPEN_STATUSES)[number];
export const isOpenStatus = (s: RenewalStatus): s is OpenStatus => (OPEN_STATUSES as readonly RenewalStatus[]).includes(s);

export const INBOX_INDEX = 'inbox';
/** Partitions of each sharded bucket: 8 × 1,000 writes a second. */
export const INBOX_SHARDS = 8;
/** The shard of a renewal, from the last character of its id (base32 of a hash). */
export const inboxShard = (id: string): number => id.charCodeAt(id.length - 1) % INBOX_SHARDS;

type Bucket = 'open' | 'retry';
const bucketOf = (status: InboxStatus): Bucket | undefined => (status === 'queued' || status === 'in_progress' ? 'open' : status === 'retry_scheduled' ? 'retry' : undefined);
const shardsOf = (bucket: Bucket): string[] => Array.from({ length: INBOX_SHARDS }, (_, n) => `INBOX#${bucket}#${n}`);

/**
 * The partitions named by status that entries written before the buckets existed still carry
 * (a renewal keeps its partition until a write that sets its status moves it). The sweeper reads
 * them too, so that no renewal accepted before an upgrade is left unfound; the operators'
 * listings do not (docs/architecture.md#known-gaps).
 */
export const LEGACY_OPEN_PARTITIONS: readonly string[] = OPEN_STATUSES.map((s) => `INBOX#${s}`);

/** The partition a renewal in this status is listed in. */
export const inboxPk = (status: InboxStatus, id: string): string => {
  const bucket = bucketOf(status);
  return bucket ? `INBOX#${bucket}#${inboxShard(id)}` : `INBOX#${status}`;
};
/** The partitions that may list renewals in this status. */
export const inboxPartitionsOf = (status: InboxStatus): readonly string[] => {
  const bucket = bucketOf(status);
  return bucket ? shardsOf(bucket) : [`INBOX#${status}`];
};
/** The partitions of every renewal waiting or working, those from before the buckets included: what the sweeper reads. */
export const SWEPT_PARTITIONS: readonly string[] = [...shardsOf('open'), ...shardsOf('retry'), ...LEGACY_OPEN_PARTITIONS];

export const inboxSk = (provider: Provider, createdAt: string, id: string): string => `${provider}#${createdAt}#${id}`;

/**
 * The part of an UpdateItem that keeps a renewal's inbox entry in step with its new status: the
 * status's bucket while it is in the inbox (a write of the bucket it is in already costs the
 * index nothing), no entry once it ends well.
 */
export const inboxUpdate = (status: RenewalStatus, id: string): { readonly set?: string; readonly remove?: string; readonly values: Record<string, string> } =>
  isInboxStatus(status) ? { set: 'gsi4pk = :inboxPk', values: { ':inboxPk': inboxPk(status, id) } } : { remove: 'gsi4pk', values: {} };
