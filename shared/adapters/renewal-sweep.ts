/**
 * The sweep index (docs/architecture.md#nothing-accepted-is-lost): renewals not terminal, by the
 * time they should have moved by. What the sweeper reads and writes; nothing else uses it.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RenewalRecord } from '../domain/renewal';
import type { Provider } from '../system';
import { RenewalRecords, SWEEP_SHARDS, sweepSk } from './renewal-store';
import { inboxPk } from '../domain/inbox';

export const SWEEP_INDEX = 'sweep';

export class RenewalSweep extends RenewalRecords {
  readonly shards = SWEEP_SHARDS;

  /** Keys of a provider's renewals (one shard) whose `since` is before `before`, oldest first. */
  async stale(provider: Provider, shard: number, before: Date, limit: number, cursor?: Record<string, unknown>) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: SWEEP_INDEX,
        KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk < :before',
        ExpressionAttributeValues: { ':pk': `SWEEP#${provider}#${shard}`, ':before': before.toISOString() },
        ProjectionExpression: 'pk, sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    return { keys: (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) })), cursor: out.LastEvaluatedKey };
  }

  /** The renewals as they are now (consistent reads, 100 per request), by `pk`. */
  read(keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Map<string, RenewalRecord>> {
    return this.getMany(keys, true);
  }

  /**
   * After a re-queue: counted, and swept again only from `nextSince` on (later each time, so a
   * renewal whose message keeps dying is not re-sent every run). Unless it changed meanwhile.
   */
  async requeued(r: RenewalRecord, nextSince: Date): Promise<boolean> {
    return this.fenced(r, 'SET gsi3sk = :sk, sweeps = if_not_exists(sweeps, :zero) + :one', { ':sk': sweepSk(nextSince.toISOString(), r.id), ':zero': 0, ':one': 1 });
  }

  /** A renewal the sweeper cannot queue again (its message carried a secret the record does not keep): a person decides. */
  async needsAttention(r: RenewalRecord, now: Date, reason: string): Promise<boolean> {
    // Out of the sweep index (terminal), into the operators' inbox as needs_attention (gsi4pk).
    return this.fenced(r, 'SET #s = :na, statusReason = :reason, updatedAt = :now, gsi4pk = :inboxPk REMOVE gsi3pk, gsi3sk, nextAttemptAt, leaseOwner, leaseExpiresAt', {
      ':na': 'needs_attention',
      ':inboxPk': inboxPk('needs_attention'),
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
