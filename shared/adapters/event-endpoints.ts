/**
 * Registered event endpoints, their delivery attempts and dead letters, in the one table
 * (docs/architecture.md#push-delivery-to-endpoints). Items:
 *
 *   pk = EVENTENDPOINTS,   sk = <endpoint id>                     the endpoint, its secrets and failure state
 *   pk = EPDELIVERY#<id>,  sk = <attemptedAt>#<event id>#<attempt>  one attempt; TTL expiresAt (30 days)
 *   pk = EPDEAD#<id>,      sk = <event id>                          a delivery whose retries ended; TTL (30 days)
 *
 * Endpoints share one partition: a handful per deployment, listed by the events function once per
 * stream batch (a strongly consistent Query), so an endpoint registered now gets the next event.
 * The secrets sit in the endpoint item: the table is encrypted at rest (AWS-managed KMS key) and
 * only the operator, events and delivery functions may read it; no route returns them after
 * creation or rotation, and nothing logs them.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { GatewayEvent } from '../events/event';
import type { EndpointSecret } from '../delivery/policy';
export { endpointView } from '../delivery/view';

const LIST_PK = 'EVENTENDPOINTS';
const deliveryPk = (id: string) => `EPDELIVERY#${id}`;
const deadPk = (id: string) => `EPDEAD#${id}`;
/** Attempts and dead letters are kept this long. */
export const DELIVERY_RECORD_DAYS = 30;

export interface EndpointRecord {
  readonly id: string;
  readonly url: string;
  /** Event types delivered; absent: every type. */
  readonly types?: readonly string[];
  readonly description?: string;
  readonly secrets: readonly EndpointSecret[];
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Start of the current run of failures (cleared by a success). */
  readonly failingSince?: string;
  readonly lastSuccessAt?: string;
  readonly lastFailureAt?: string;
  readonly disabledAt?: string;
  readonly disabledReason?: string;
  /**
   * Until when its deliveries go on the slow lane (DELIVERY_SLOW_QUEUE): set to 10 minutes after a
   * call that took longer than DELIVERY_SLOW_CALL_MS, pushed on by each further slow call, never
   * cleared (it expires).
   */
  readonly slowUntil?: string;
}

export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly attemptedAt: string;
  /** The endpoint's HTTP status; null when it did not answer (refused, timed out). */
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** Why it failed, without the response body: `HTTP 503`, `timeout after 10000 ms`, `ECONNREFUSED`. */
  readonly error: string | null;
  /** What followed: delivered, a retry (at `nextAttemptAt`), or dead (retries ended). */
  readonly outcome: 'delivered' | 'retry' | 'dead';
  readonly nextAttemptAt?: string;
  readonly replay?: boolean;
}

const toRecord = (item: Record<string, unknown>): EndpointRecord => {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as EndpointRecord;
};

export class EndpointStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(endpoint: EndpointRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: LIST_PK, sk: endpoint.id, ...endpoint }, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(id: string): Promise<EndpointRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk: LIST_PK, sk: id }, ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  /** Every endpoint (enabled or not), oldest id first. */
  async list(): Promise<EndpointRecord[]> {
    const items: EndpointRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': LIST_PK },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []).map(toRecord));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Deletes the endpoint; true when it existed. Messages in flight for it find it gone and are dropped. */
  async delete(id: string): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: LIST_PK, sk: id }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }

  /** Replaces the secrets, on condition that they are still `seen` (two rotations at once: one wins). */
  async setSecrets(id: string, seen: readonly EndpointSecret[], secrets: readonly EndpointSecret[]): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LIST_PK, sk: id },
          UpdateExpression: 'SET secrets = :secrets',
          ConditionExpression: 'attribute_exists(pk) AND secrets = :seen',
          ExpressionAttributeValues: { ':secrets': secrets, ':seen': seen },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * A success ends the endpoint's run of failures. `slowUntil` (the call was slow) is written in
   * the same update: marking an endpoint slow costs no write of its own.
   */
  async recordSuccess(id: string, at: Date, slowUntil?: Date): Promise<void> {
    await this.update(id, `SET lastSuccessAt = :at${slowUntil ? ', slowUntil = :slow' : ''} REMOVE failingSince`, {
      ':at': at.toISOString(),
      ...(slowUntil ? { ':slow': slowUntil.toISOString() } : {}),
    });
  }

  /** A failure starts a run of failures unless one is running; returns the run's start. `slowUntil`: as recordSuccess. */
  async recordFailure(id: string, at: Date, slowUntil?: Date): Promise<string | undefined> {
    const out = await this.update(id, `SET lastFailureAt = :at, failingSince = if_not_exists(failingSince, :at)${slowUntil ? ', slowUntil = :slow' : ''}`, {
      ':at': at.toISOString(),
      ...(slowUntil ? { ':slow': slowUntil.toISOString() } : {}),
    });
    const since = out?.failingSince;
    return typeof since === 'string' ? since : undefined;
  }

  /** Disables the endpoint if it is still enabled and still failing since `failingSince`; true when this call did. */
  async disable(id: string, failingSince: string, reason: string, at: Date): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LIST_PK, sk: id },
          UpdateExpression: 'SET enabled = :false, disabledAt = :at, disabledReason = :reason',
          ConditionExpression: 'enabled = :true AND failingSince = :since',
          ExpressionAttributeValues: { ':false': false, ':true': true, ':at': at.toISOString(), ':reason': reason, ':since': failingSince },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async recordAttempt(endpointId: string, attempt: DeliveryAttempt): Promise<void> {
    const expiresAt = Math.floor(Date.parse(attempt.attemptedAt) / 1000) + DELIVERY_RECORD_DAYS * 86_400;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: deliveryPk(endpointId), sk: `${attempt.attemptedAt}#${attempt.eventId}#${attempt.attempt}`, ...attempt, expiresAt },
      }),
    );
  }

  /** The endpoint's latest attempts, newest first. */
  async attempts(endpointId: string, limit: number): Promise<DeliveryAttempt[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': deliveryPk(endpointId) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => {
      const { pk: _pk, sk: _sk, expiresAt: _e, ...attempt } = item;
      return attempt as unknown as DeliveryAttempt;
    });
  }

  /** The dead-letter record of a delivery whose retries ended (410, or the schedule ran out). */
  async recordDeadLetter(endpointId: string, event: GatewayEvent, reason: 'gone' | 'exhausted', attempts: number, at: Date): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: deadPk(endpointId),
          sk: event.id,
          eventId: event.id,
          event,
          reason,
          attempts,
          at: at.toISOString(),
          expiresAt: Math.floor(at.getTime() / 1000) + DELIVERY_RECORD_DAYS * 86_400,
        },
      }),
    );
  }

  /** Dead letters of the endpoint (event id, reason, attempts, when). */
  async deadLetters(endpointId: string, limit: number): Promise<Array<{ eventId: string; reason: string; attempts: number; at: string }>> {
    const out = await this.doc.send(
      new QueryCommand({ TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': deadPk(endpointId) }, Limit: limit }),
    );
    return (out.Items ?? []).map((i) => ({ eventId: String(i.eventId), reason: String(i.reason), attempts: Number(i.attempts), at: String(i.at) }));
  }

  private async update(id: string, expression: string, values: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: LIST_PK, sk: id },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (error) {
      // Deleted meanwhile: nothing to record.
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}
