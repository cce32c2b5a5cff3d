/**
 * Protects a provider account whose credentials may be refused (auth failures are never retried
 * in a loop: docs/architecture.md#providers-are-protected). Punchh locks the gateway's IP out
 * after 10 failed logins in 10 minutes, so the gateway keeps refused logins to at most one per
 * consumer instance per pause window, across every instance:
 *
 * - **open**: these credentials have worked (an answer that got past authentication). Calls go
 *   out; the batch handler still sends each batch's first call alone, so credentials revoked
 *   while trusted cost at most one refusal per consumer instance.
 * - **paused**: a call with these credentials was refused. Nothing is called until `until`.
 * - **probe** (half-open): not known to work: never tried, a pause just ended, or the
 *   credentials changed (a rotated key). One call at a time across all instances, held by a
 *   probe lease, until one gets past authentication (→ open) or is refused (→ paused).
 *
 * Credentials are identified by a fingerprint (a hash, never the secret), so rotating a refused
 * key ends its pause at once: the new key is probed. A probe whose holder stopped before settling
 * it (a crash, a timeout) may have been refused: it counts as a refusal, so the credentials are
 * paused until a pause after its lease.
 *
 * State: one item per provider (pk = PAUSE#<provider>), read once per batch; written on a probe,
 * a refusal and the first success after them, never in steady state.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

export type CredentialGate =
  | { readonly state: 'open' }
  | { readonly state: 'probe' }
  | { readonly state: 'paused'; readonly until: number; readonly reason?: string };

export interface ProviderPause {
  /** How long a refusal pauses the provider. */
  readonly pauseMs: number;
  gate(now: Date, fingerprint: string): Promise<CredentialGate>;
  /** Takes the provider's single probe; false when another instance holds it (or it is paused). */
  acquireProbe(now: Date, owner: string, fingerprint: string, leaseMs: number): Promise<boolean>;
  /** These credentials got past authentication: open, and end the probe. */
  trust(fingerprint: string): Promise<void>;
  /** The probe ended without telling (no call made, or an answer that proves nothing). */
  releaseProbe(owner: string): Promise<void>;
  /** These credentials were refused: nothing is called with them until the pause ends. */
  pause(now: Date, reason: string, fingerprint: string): Promise<void>;
}

/** Identifies a set of credentials without holding them: the first 16 hex digits of a SHA-256. */
export const credentialFingerprint = (secrets: Readonly<Record<string, string>>): string =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(secrets).sort(([a], [b]) => a.localeCompare(b))))
    .digest('hex')
    .slice(0, 16);

interface PauseItem {
  readonly until?: number;
  readonly pausedFor?: string;
  readonly reason?: string;
  readonly trusted?: string;
  readonly probeUntil?: number;
  readonly probeFor?: string;
}

/** Why a probe that ended without an answer pauses its credentials. */
export const UNSETTLED_PROBE_REASON = 'a probe of these credentials ended without an answer (its consumer stopped); it may have been refused';

/** The gate an item shows for these credentials now (shared with the simulator's in-memory store). */
export const gateOf = (item: PauseItem, now: number, fingerprint: string, pauseMs: number): CredentialGate => {
  if (item.pausedFor === fingerprint && typeof item.until === 'number' && item.until > now) {
    return { state: 'paused', until: item.until, ...(item.reason ? { reason: item.reason } : {}) };
  }
  if (item.probeFor === fingerprint && typeof item.probeUntil === 'number' && item.probeUntil <= now && now < item.probeUntil + pauseMs) {
    return { state: 'paused', until: item.probeUntil + pauseMs, reason: UNSETTLED_PROBE_REASON };
  }
  return item.trusted === fingerprint ? { state: 'open' } : { state: 'probe' };
};

export class DynamoProviderPause implements ProviderPause {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly provider: string,
    readonly pauseMs: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private get key() {
    return { pk: `PAUSE#${this.provider}`, sk: 'PAUSE' };
  }

  async gate(now: Date, fingerprint: string): Promise<CredentialGate> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.key, ConsistentRead: true }));
    return gateOf((out.Item ?? {}) as PauseItem, now.getTime(), fingerprint, this.pauseMs);
  }

  async acquireProbe(now: Date, owner: string, fingerprint: string, leaseMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'SET probeOwner = :owner, probeUntil = :until, probeFor = :fp',
          // Free probe (none, or an unsettled one of other credentials, or one a pause ago), and
          // not paused for these credentials (another instance may just have been refused).
          ConditionExpression:
            '(attribute_not_exists(probeUntil) OR (probeUntil < :now AND (probeFor <> :fp OR probeUntil < :settled))) AND NOT (pausedFor = :fp AND #until > :now)',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':until': now.getTime() + leaseMs,
            ':now': now.getTime(),
            ':fp': fingerprint,
            ':settled': now.getTime() - this.pauseMs,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async trust(fingerprint: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key,
        UpdateExpression: 'SET trusted = :fp REMOVE probeOwner, probeUntil, probeFor',
        ExpressionAttributeValues: { ':fp': fingerprint },
      }),
    );
  }

  async releaseProbe(owner: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key,
          UpdateExpression: 'REMOVE probeOwner, probeUntil, probeFor',
          ConditionExpression: 'probeOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else's probe by now (ours expired): theirs is not ours to end.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async pause(now: Date, reason: string, fingerprint: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key,
        UpdateExpression: 'SET #until = :until, pausedFor = :fp, reason = :reason, #at = :at REMOVE trusted, probeOwner, probeUntil, probeFor',
        ExpressionAttributeNames: { '#until': 'until', '#at': 'at' },
        ExpressionAttributeValues: { ':until': now.getTime() + this.pauseMs, ':fp': fingerprint, ':reason': reason, ':at': now.toISOString() },
      }),
    );
  }
}
