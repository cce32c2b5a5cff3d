/**
 * What the sweeper reads and writes (docs/architecture.md#nothing-accepted-is-lost):
 * - the inbox index (shared/domain/inbox.ts), for renewals waiting or working (`queued`,
 *   `in_progress`, `retry_scheduled`) by creation time: a renewal that should have moved by now was
 *   created before then, so the range up to the cutoff holds every candidate. New renewals enter
 *   no other index for the sweeper: one that ends well costs the sweeper no write.
 * - the sweep index (gsi3), for renewals the sweeper queued again (and operators' retries), by
 *   when they should have moved by: a re-queued renewal is looked at again only after its backoff.
 *   The inbox pass leaves those to it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RenewalRecord } from '../domain/renewal';
import type { Provider } from '../system';
import { RenewalRecords, SWEEP_SHARDS, sweepPk, sweepSk, toRecord } from './renewal-store';
import { INBOX_INDEX, SWEPT_PARTITIONS, inboxPk } from '../domain/inbox';

export interface SweptRecord {
  readonly record: RenewalRecord;
  /** In the sweep index (gsi3pk set): the sweep index pass looks at it, not the inbox pass. */
  readonly inSweepIndex: boolean;
}

export const SWEEP_INDEX = 'sweep';

export class RenewalSweep extends RenewalRecords {
  readonly shards = SWEEP_SHARDS;
  /** The inbox partitions holding the renewals waiting or working, those from before the buckets included (shared/domain/inbox.ts). */
  readonly openPartitions = SWEPT_PARTITIONS;

  /** Keys of a provider's renewals (one shard) whose `since` is before `before`, oldest first. */
  stale(provider: Provider, shard: number, before: Date, limit: number, cursor?: Record<string, unknown>) {
    return this.keys(SWEEP_INDEX, 'gsi3pk = :pk AND gsi3sk < :before', { ':pk': `SWEEP#${provider}#${shard}`, ':before': before.toISOString() }, limit, cursor);
  }

  /**
   * Keys of a provider's renewals waiting or working in one open inbox partition, created before
   * `before`, oldest first: the candidates not in the sweep index (a renewal moves no later than
   * it was created).
   */
  waiting(provider: Provider, partition: string, before: Date, limit: number, cursor?: Record<string, unknown>) {
    return this.keys(INBOX_INDEX, 'gsi4pk = :pk AND gsi4sk BETWEEN :lo AND :hi', { ':pk': partition, ':lo': `${provider}#`, ':hi': `${provider}#${before.toISOString()}` }, limit, cursor);
  }

  /** One page of an index query: the table keys it found, and where the next page starts. */
  private async keys(index: string, condition: string, values: Record<string, string>, limit: number, cursor?: Record<string, unknown>) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ProjectionExpression: 'pk, sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    return { keys: (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) })), cursor: out.LastEvaluatedKey };
  }

  /** The renewals as they are now (consistent reads, 100 per request), by `pk`, and whether each is in the sweep index. */
  async read(keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Map<string, SweptRecord>> {
    const out = new Map<string, SweptRecord>();
    for (const [pk, item] of await this.getItems(keys, true)) out.set(pk, { record: toRecord(item), inSweepIndex: item.gsi3pk !== undefined });
    return out;
  }

  /**
   * After a re-queue: counted, and swept again only from `nextSince` on (later each time, so a
   * renewal whose message keeps dying is not re-sent every run): from now on in the sweep index.
   * Unless it changed meanwhile.
   */
  async requeued(r: RenewalRecord, nextSince: Date): Promise<boolean> {
    return this.fenced(r, 'SET gsi3pk = :pk, gsi3sk = :sk, sweeps = if_not_exists(sweeps, :zero) + :one', {
      ':pk': sweepPk(r.provider, r.id),
      ':sk': sweepSk(nextSince.toISOString(), r.id),
      ':zero': 0,
      ':one': 1,
    });
  }

  /** A renewal the sweeper cannot queue again (its message carried a secret the record does not keep): a person decides. */
  async needsAttention(r: RenewalRecord, now: Date, reason: string): Promise<boolean> {
    // Out of the sweep index (terminal), into the operators' inbox as needs_attention (gsi4pk).
    return this.fenced(r, 'SET #s = :na, statusReason = :reason, updatedAt = :now, gsi4pk = :inboxPk REMOVE gsi3pk, gsi3sk, nextAttemptAt, leaseOwner, leaseExpiresAt', {
      ':na': 'needs_attention',
      ':inboxPk': inboxPk('needs_attention', r.id),
      ':reason': reason,
      ':now': now.toISOString(),
    });
  }

  /** A terminal renewal still in the index (written before it was sparse): taken out. */
  async drop(r: RenewalRecord): Promise<boolean> {
    return this.fenced(r, 'REMOVE gsi3pk, gsi3sk', {});
  }

  /** Applies `update` only if the renewal is still as read (status and updatedAt). */
  private async fenced(r: RenewalRecord, update: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `RENEWAL#${r.id}`, sk: 'RENEWAL' },
          UpdateExpression: update,
          ConditionExpression: '#s = :seen AND updatedAt = :updated',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ...values, ':seen': r.status, ':updated': r.updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
