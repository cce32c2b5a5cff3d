/**
 * One lease per shard of the due index (docs/architecture.md#from-a-schedule): a scheduler worker
 * works a shard only while it holds the shard's lease, so no two workers ever take the same
 * schedules, however the runs overlap (EventBridge ticks, duplicate or continued shard messages).
 *
 *   pk = SCHEDULER#SHARD#<n>, sk = LEASE    leaseOwner, leaseUntil (epoch ms)
 *
 * The lease outlives the worker's function timeout, so a worker that died frees its shard once
 * the lease ends; a live worker gives it back when done. The dispatcher reads the leases first
 * and hands out only free shards, so taking one fails its condition only when two dispatches race.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const leaseKey = (shard: number) => ({ pk: `SCHEDULER#SHARD#${shard}`, sk: 'LEASE' });

export class ShardLeases {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /** Takes the shard's lease if it is free or its holder's lease has ended. */
  async take(shard: number, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(shard),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now',
          ExpressionAttributeValues: { ':owner': owner, ':until': now.getTime() + leaseMs, ':now': now.getTime() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives the lease back (only the holder can). */
  async release(shard: number, owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: leaseKey(shard),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Expired and taken by another worker meanwhile: it is theirs now.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The shards among `shards` whose lease is held at `now` (one consistent BatchGetItem per 100). */
  async held(shards: readonly number[], now: Date): Promise<Set<number>> {
    const busy = new Set<number>();
    for (let i = 0; i < shards.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = shards.slice(i, i + 100).map(leaseKey);
      for (let round = 0; keys && keys.length > 0 && round < 10; round++) {
        const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const until = item.leaseUntil;
          const shard = Number(String(item.pk).slice('SCHEDULER#SHARD#'.length));
          if (typeof until === 'number' && until >= now.getTime()) busy.add(shard);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return busy;
  }
}
