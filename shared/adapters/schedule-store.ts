/**
 * Schedules in the renewal table (one item per subscription schedule):
 *   pk = SCHEDULE#<provider>#<subscription>, sk = SCHEDULE
 *   due index (sparse, sharded): gsi2pk = DUE#<shard>, gsi2sk = <startsAt>#<provider>#<subscription>
 *   (startsAt: nextRunAt less the schedule's leadTime, usually nextRunAt itself),
 *   present only while the schedule is active, so paused and cancelled schedules cost nothing
 *   to the scheduler, and finding what is due is one Query per shard whatever the table holds.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { startsAt, type ScheduleRecord } from '../domain/schedule';
import { SCHEDULER, type Provider } from '../system';

const scheduleKey = (provider: Provider, subscription: string) => ({ pk: `SCHEDULE#${provider}#${subscription}`, sk: 'SCHEDULE' });

/** Spreads schedules evenly and stably over the shards of the due index. */
export const shardOf = (provider: Provider, subscription: string, shards = SCHEDULER.shards): number =>
  createHash('sha256').update(`${provider}#${subscription}`).digest().readUInt32BE(0) % shards;

/** Sorted by when the next run is queued: its time less the schedule's lead time (usually none). */
const dueKeys = (s: Pick<ScheduleRecord, 'provider' | 'subscription' | 'nextRunAt' | 'leadTime'>) => ({
  gsi2pk: `DUE#${shardOf(s.provider, s.subscription)}`,
  gsi2sk: `${startsAt(s)}#${s.provider}#${s.subscription}`,
});

const INTERNAL = ['pk', 'sk', 'gsi2pk', 'gsi2sk'] as const;
const toSchedule = (item: Record<string, unknown>): ScheduleRecord => {
  const copy: Record<string, unknown> = { ...item };
  for (const k of INTERNAL) delete copy[k];
  return copy as unknown as ScheduleRecord;
};

export class ScheduleStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(provider: Provider, subscription: string): Promise<ScheduleRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: scheduleKey(provider, subscription), ConsistentRead: true }));
    return out.Item ? toSchedule(out.Item) : undefined;
  }

  /**
   * Creates or replaces; only an active schedule is in the due index. With `expected`, only if
   * the schedule is still the version read (or still absent): false when it changed meanwhile.
   */
  async put(s: ScheduleRecord, expected?: { readonly version: number } | 'absent'): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...scheduleKey(s.provider, s.subscription), ...s, ...(s.status === 'active' ? dueKeys(s) : {}) },
          ...(expected === 'absent' ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
          ...(expected && expected !== 'absent' ? { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': expected.version } } : {}),
        }),
      );
      return true;
    } catch (error) {
      if (expected && error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Cancels: no later run is queued. The record stays, with its last renewal, for GET. False when
   * there is none, or (with `fence`) when it is no longer the version read. `fence.webhooks`
   * replaces the record of the signed messages applied to it.
   */
  async cancel(
    provider: Provider,
    subscription: string,
    now: Date,
    fence?: { readonly version: number; readonly webhooks: Readonly<Record<string, number>> },
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: scheduleKey(provider, subscription),
          UpdateExpression: `SET #s = :cancelled, updatedAt = :now, version = version + :one${fence ? ', webhooks = :webhooks' : ''} REMOVE gsi2pk, gsi2sk`,
          ConditionExpression: fence ? 'attribute_exists(pk) AND version = :v' : 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':cancelled': 'cancelled',
            ':now': now.toISOString(),
            ':one': 1,
            ...(fence ? { ':v': fence.version, ':webhooks': fence.webhooks } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Active schedules of one shard whose next run is at or before `now`, oldest first, as they are
   * now. The index holds keys only (KEYS_ONLY, docs/architecture.md#indexes) and is eventually
   * consistent, so the page's schedules are read with one consistent BatchGetItem (per 100), and
   * one that changed meanwhile (advanced, paused, cancelled, moved later) is left out; `cursor`
   * continues after the index entries the page covered.
   */
  async due(shard: number, now: Date, limit: number, cursor?: Record<string, unknown>) {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: SCHEDULER.dueIndex,
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :now',
        ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':now': `${now.toISOString()}#\uffff` },
        ProjectionExpression: 'pk, sk',
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: cursor } : {}),
      }),
    );
    const keys = (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    const current = await this.getMany(keys);
    const items = keys.flatMap((k) => {
      const s = current.get(k.pk);
      return s && s.status === 'active' && Date.parse(startsAt(s)) <= now.getTime() ? [s] : [];
    });
    return { items, cursor: out.LastEvaluatedKey };
  }

  /** Consistent reads of schedules by table key, 100 per request, by `pk`. */
  private async getMany(keys: ReadonlyArray<{ pk: string; sk: string }>): Promise<Map<string, ScheduleRecord>> {
    const found = new Map<string, ScheduleRecord>();
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round >= 10) throw new Error('schedules: BatchGetItem left keys unprocessed 10 times');
        if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
        const out: BatchGetCommandOutput = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.pk), toSchedule(item));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys;
      }
    }
    return found;
  }

  /**
   * Moves an active schedule past the run just queued, if nobody changed it since it was read
   * (another scheduler run, a PUT, a pause or a cancel): then this writer leaves it alone.
   */
  async advance(
    s: ScheduleRecord,
    next: { runIndex: number; nextRunAt: string },
    last: { renewalId: string; periodStart: string },
    now: Date,
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: scheduleKey(s.provider, s.subscription),
          UpdateExpression:
            'SET runIndex = :k, nextRunAt = :next, gsi2sk = :sk, lastRenewalId = :rid, lastPeriodStart = :period, lastRunAt = :now, updatedAt = :now, version = version + :one',
          ConditionExpression: 'version = :v AND #s = :active',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':k': next.runIndex,
            ':next': next.nextRunAt,
            ':sk': dueKeys({ ...s, nextRunAt: next.nextRunAt }).gsi2sk,
            ':rid': last.renewalId,
            ':period': last.periodStart,
            ':now': now.toISOString(),
            ':one': 1,
            ':v': s.version,
            ':active': 'active',
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/**
 * Whether any schedule of the shard is due at `now`: one index read of one key (the dispatcher
 * hands out only shards with work). A function, not a ScheduleStore method: the simulation's
 * in-memory store mirrors that class's methods, and works every shard instead.
 */
export const anyDue = async (client: DynamoDBClient, tableName: string, shard: number, now: Date): Promise<boolean> => {
  const out = await DynamoDBDocumentClient.from(client).send(
    new QueryCommand({
      TableName: tableName,
      IndexName: SCHEDULER.dueIndex,
      KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk <= :now',
      ExpressionAttributeValues: { ':pk': `DUE#${shard}`, ':now': `${now.toISOString()}#\uffff` },
      ProjectionExpression: 'pk',
      Limit: 1,
    }),
  );
  return (out.Items ?? []).length > 0;
};
