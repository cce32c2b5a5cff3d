/**
 * What a signed message asked for (docs/architecture.md#a-signed-request-does-only-what-it-asked):
 * the Standard Webhooks signature covers `webhook-id`, `webhook-timestamp` and the body, but not
 * the path, the query or the other headers (`Idempotency-Key`, Pelcro's `user_id`/`site_id`, a
 * Pelcro customer's `Authorization`). So the first time a webhook-id is accepted it is bound to a
 * digest of everything that decides what the request does; the same webhook-id with another
 * digest is a replay with something changed: 409, nothing done.
 *
 *   pk = WEBHOOK#<sha256(webhook-id)>, sk = WEBHOOK   digest, boundAt, expiresAt (TTL)
 *
 * One conditional PutItem per signed write, and one consistent read of the renewal a request
 * without an `Idempotency-Key` would have made with this webhook-id (below). The binding lives BINDING_TTL_SECONDS: a captured
 * request verifies only while its timestamp is within 300 s of now, and the timestamp may be up
 * to 300 s ahead, so a webhook-id can be replayed for at most 600 s after it was first accepted;
 * the rest is margin for clocks that differ between instances.
 *
 * Folded bindings (issue 12: a write unit less per renewal). A renewal request whose idempotency
 * key is its webhook-id (no `Idempotency-Key` header) and that carries no secret params writes no
 * binding: its renewal, `RENEWAL#renewalIdFor(webhook-id)`, is its binding, since that record's
 * `requestHash` covers everything the request asks for and a different request under the same key
 * answers 409. What the folded request cannot see by itself is a replay of the same message with
 * an `Idempotency-Key` added, or sent to a schedule route: those write a binding here. So:
 * - `bind` (every other signed write) then reads the folded slot; a renewal there made under this
 *   webhook-id means the message was accepted without a key: 409, and a binding this call made is
 *   taken back so the original request's own repeats still answer 200.
 * - the folded request reads the binding before it creates its renewal (`boundTo`) and again after
 *   (before it sends or answers): a binding it did not see first was made by a concurrent replay.
 * Each side writes its own item, then reads the other's (consistent reads): whatever the order,
 * at least one of two concurrent requests sees the other, so they never both go through.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { renewalIdFor, stableStringify } from '../domain/renewal';
import { webhookIdReused } from '../http/problem';
import { system } from '../system';

/** An hour: well over the 2 × 300 s a captured request can be replayed for. */
export const BINDING_TTL_SECONDS = 3_600;
export const BINDING_TTL_ATTRIBUTE = system.table.timeToLiveAttribute;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The digest of what a request asks for: anything JSON-like, key order irrelevant. It may cover a
 * secret (a Pelcro customer JWT): only this one-way digest is stored.
 */
export const bindingDigest = (what: unknown): string => sha256(stableStringify(what));

export type Binding = 'first' | 'repeat';

const bindingKey = (webhookId: string) => ({ pk: `WEBHOOK#${sha256(webhookId)}`, sk: 'WEBHOOK' });

export class WebhookBindings {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  /**
   * Binds `webhookId` to `digest`: `first` when this is the first time (or the binding expired),
   * `repeat` when it was bound to the same digest; throws a 409 when it was bound to another one,
   * or when the message was accepted without an `Idempotency-Key` (a folded binding). `ownsSlot`:
   * the caller's own renewal is the folded slot's (a renewal request keyed on its webhook-id that
   * carries secret params, so it is bound here): its own record there is no conflict on a repeat.
   */
  async bind(webhookId: string, digest: string, now: Date, ownsSlot = false): Promise<Binding> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...bindingKey(webhookId), digest, boundAt: now.toISOString(), [BINDING_TTL_ATTRIBUTE]: nowSeconds + BINDING_TTL_SECONDS },
          // TTL deletes expired items eventually, not at once: an expired one counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
          ExpressionAttributeNames: { '#exp': BINDING_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const bound = error.Item ? unmarshall(error.Item).digest : undefined;
      if (bound !== digest) throw webhookIdReused();
      if (!ownsSlot) await this.refuseIfFolded(webhookId, digest, false);
      return 'repeat';
    }
    await this.refuseIfFolded(webhookId, digest, true);
    return 'first';
  }

  /**
   * The digest `webhookId` is bound to now (consistent read), undefined when none is or it
   * expired. A folded renewal request reads it before creating its renewal and again after.
   */
  async boundTo(webhookId: string, now: Date): Promise<string | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: bindingKey(webhookId), ConsistentRead: true }));
    const item = out.Item;
    if (!item || Number(item[BINDING_TTL_ATTRIBUTE]) < Math.floor(now.getTime() / 1000)) return undefined;
    return String(item.digest);
  }

  /** 409 when the message was accepted without an `Idempotency-Key` (its renewal is its binding). */
  private async refuseIfFolded(webhookId: string, digest: string, made: boolean): Promise<void> {
    const id = renewalIdFor(webhookId);
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `RENEWAL#${id}`, sk: 'RENEWAL' }, ConsistentRead: true, ProjectionExpression: 'idempotencyKey' }),
    );
    if (out.Item?.idempotencyKey !== webhookId) return;
    if (made) {
      // Taken back (only if still ours), so the folded request's own repeats still answer 200.
      await this.doc
        .send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: bindingKey(webhookId),
            ConditionExpression: 'digest = :digest',
            ExpressionAttributeValues: { ':digest': digest },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
    }
    throw webhookIdReused();
  }
}
