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
 * One conditional PutItem per signed write. The binding lives BINDING_TTL_SECONDS: a captured
 * request verifies only while its timestamp is within 300 s of now, and the timestamp may be up
 * to 300 s ahead, so a webhook-id can be replayed for at most 600 s after it was first accepted;
 * the rest is margin for clocks that differ between instances.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { stableStringify } from '../domain/renewal';
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
   * `repeat` when it was bound to the same digest; throws a 409 when it was bound to another one.
   */
  async bind(webhookId: string, digest: string, now: Date): Promise<Binding> {
    const nowSeconds = Math.floor(now.getTime() / 1000);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `WEBHOOK#${sha256(webhookId)}`, sk: 'WEBHOOK', digest, boundAt: now.toISOString(), [BINDING_TTL_ATTRIBUTE]: nowSeconds + BINDING_TTL_SECONDS },
          // TTL deletes expired items eventually, not at once: an expired one counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
          ExpressionAttributeNames: { '#exp': BINDING_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'first';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const bound = error.Item ? unmarshall(error.Item).digest : undefined;
      if (bound === digest) return 'repeat';
      throw webhookIdReused();
    }
  }
}
