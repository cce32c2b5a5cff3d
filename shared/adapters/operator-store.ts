/**
 * What operators do to renewals (docs/architecture.md#operator-actions): one conditional write
 * per action, on the renewal exactly as the operator's request read it. The condition is the
 * status and `updatedAt` read (every consumer write sets `updatedAt`, so it is the record's
 * version, as the Punchh claim uses it), and for a renewal `in_progress` the expired lease read:
 * of a consumer and an operator writing the same renewal at once, one wins and the other finds the
 * record changed. With a period lock, the renewal and its period change in one transaction.
 */
import { ConditionalCheckFailedException, TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isTerminal, type HistoryEntry, type RenewalRecord, type RenewalStatus } from '../domain/renewal';
import { inboxPk, isInboxStatus } from '../domain/inbox';
import { periodKey, renewalKey, sweepPk, sweepSk, toRecord } from './renewal-store';
import type { Provider } from '../system';

export interface OperatorChange {
  readonly status: RenewalStatus;
  readonly reason: string;
  readonly entry: HistoryEntry;
  /** Whether the renewal stays in the inbox (a failed renewal an operator resolved leaves it). */
  readonly inInbox: boolean;
  /** Drop what belonged to the previous state (waiting times, a duplicate pointer, a send failure). */
  readonly period?: { readonly provider: Provider; readonly period: string; readonly action: 'release' | 'hold' };
}

export type ApplyResult =
  | { readonly applied: true; readonly record: RenewalRecord }
  /** The renewal changed since it was read (a consumer or another operator wrote it first). */
  | { readonly applied: false; readonly changed: true }
  /** resolve succeeded: another renewal holds the period. */
  | { readonly applied: false; readonly periodHeldBy: string };

export class OperatorStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async get(id: string): Promise<RenewalRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: renewalKey(id), ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  /** Who holds a period: the renewal id, and whether it let it go. */
  async periodHolder(provider: Provider, period: string): Promise<{ renewalId: string; released: boolean } | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: periodKey(provider, period), ConsistentRead: true }));
    const item = out.Item;
    return item && typeof item.renewalId === 'string' ? { renewalId: item.renewalId, released: item.released === true } : undefined;
  }

  /** Applies an operator's change to the renewal as it was read (`seen`). */
  async apply(seen: RenewalRecord, change: OperatorChange, now: Date): Promise<ApplyResult> {
    const inInbox = change.inInbox && isInboxStatus(change.status);
    // The sweep index (gsi3, renewal-store.ts): a renewal an operator queues again is swept if it
    // has not moved some time after now; one an operator ends leaves the index.
    const swept = !isTerminal(change.status);
    const update = {
      TableName: this.tableName,
      Key: renewalKey(seen.id),
      UpdateExpression: `SET #s = :status, statusReason = :reason, updatedAt = :now, history = list_append(if_not_exists(history, :empty), :entry)${
        inInbox ? ', gsi4pk = :inboxPk' : ''
      }${swept ? ', gsi3pk = :sweepPk, gsi3sk = :sweepSk' : ''} REMOVE nextAttemptAt, duplicateOf, sendFailedAt, leaseOwner, leaseExpiresAt, claimedSince${inInbox ? '' : ', gsi4pk'}${
        swept ? '' : ', gsi3pk, gsi3sk'
      }`,
      ConditionExpression: `#s = :seenStatus AND updatedAt = :seenAt${seen.status === 'in_progress' ? ' AND leaseExpiresAt = :seenLease AND leaseExpiresAt < :nowMs' : ''}`,
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':status': change.status,
        ':reason': change.reason,
        ':now': now.toISOString(),
        ':empty': [],
        ':entry': [change.entry],
        ':seenStatus': seen.status,
        ':seenAt': seen.updatedAt,
        ...(inInbox && isInboxStatus(change.status) ? { ':inboxPk': inboxPk(change.status, seen.id) } : {}),
        ...(swept ? { ':sweepPk': sweepPk(seen.provider, seen.id), ':sweepSk': sweepSk(now.toISOString(), seen.id) } : {}),
        ...(seen.status === 'in_progress' ? { ':seenLease': seen.leaseExpiresAt ?? -1, ':nowMs': now.getTime() } : {}),
      },
    };
    if (!change.period) {
      try {
        const out = await this.doc.send(new UpdateCommand({ ...update, ReturnValues: 'ALL_NEW' }));
        return { applied: true, record: toRecord(out.Attributes ?? {}) };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { applied: false, changed: true };
        throw error;
      }
    }
    const { provider, period, action } = change.period;
    const periodWrite =
      action === 'release'
        ? {
            Update: {
              TableName: this.tableName,
              Key: periodKey(provider, period),
              UpdateExpression: 'SET released = :true',
              ConditionExpression: 'renewalId = :id',
              ExpressionAttributeValues: { ':true': true, ':id': seen.id },
            },
          }
        : {
            Update: {
              TableName: this.tableName,
              Key: periodKey(provider, period),
              UpdateExpression: 'SET renewalId = :id, takenAt = if_not_exists(takenAt, :now) REMOVE released',
              ConditionExpression: 'attribute_not_exists(pk) OR renewalId = :id OR released = :true',
              ExpressionAttributeValues: { ':true': true, ':id': seen.id, ':now': now.toISOString() },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
            },
          };
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, periodWrite] }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [renewalReason, periodReason] = error.CancellationReasons ?? [];
      if (renewalReason?.Code === 'ConditionalCheckFailed' || renewalReason?.Code === 'TransactionConflict') return { applied: false, changed: true };
      if (periodReason?.Code === 'ConditionalCheckFailed') {
        const holder = periodReason.Item ? unmarshall(periodReason.Item).renewalId : undefined;
        // release: the period is not ours (any more): nothing to release, the caller retries without it.
        if (action === 'release') return { applied: false, changed: true };
        return typeof holder === 'string' ? { applied: false, periodHeldBy: holder } : { applied: false, changed: true };
      }
      if (periodReason?.Code === 'TransactionConflict') return { applied: false, changed: true };
      throw error;
    }
    const record = await this.get(seen.id);
    if (!record) throw new Error(`renewal ${seen.id} vanished after an operator action`);
    return { applied: true, record };
  }

  /**
   * A retried renewal whose message could not be sent: it stays `queued` and says so (as intake's
   * `markSendFailed`), and the operator's retry applies to it again. Only if nothing changed it since.
   */
  async markSendFailed(record: RenewalRecord, now: Date, reason: string): Promise<RenewalRecord | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(record.id),
          UpdateExpression: 'SET sendFailedAt = :now, statusReason = :reason',
          ConditionExpression: '#s = :queued AND updatedAt = :seenAt',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': reason, ':queued': 'queued', ':seenAt': record.updatedAt },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toRecord(out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
