/**
 * Pauses calls to a provider after its account credentials were refused (auth failures are never
 * retried in a loop: docs/architecture.md#providers-are-protected). One renewal takes the failure
 * and ends needs_attention; the provider's other renewals wait instead of each failing a login of
 * its own, which at Punchh would lock the gateway's IP out after 10 failures in 10 minutes. After
 * the pause one renewal tries again, so a fixed credential is picked up without anyone touching
 * the queue.
 *
 * State: one item per provider (pk = PAUSE#<provider>); read once per batch, written only when a
 * call is refused.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

export interface ProviderPause {
  /** Epoch ms until which calls wait, if paused now. */
  pausedUntil(now: Date): Promise<number | undefined>;
  pause(now: Date, reason: string): Promise<void>;
}

export class DynamoProviderPause implements ProviderPause {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly provider: string,
    private readonly pauseMs: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private get key() {
    return { pk: `PAUSE#${this.provider}`, sk: 'PAUSE' };
  }

  async pausedUntil(now: Date): Promise<number | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }));
    const until = out.Item?.until;
    return typeof until === 'number' && until > now.getTime() ? until : undefined;
  }

  async pause(now: Date, reason: string): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...this.key, until: now.getTime() + this.pauseMs, reason, at: now.toISOString() } }));
  }
}
