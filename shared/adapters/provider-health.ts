/**
 * What operators see of a provider (GET /v1/providers, a renewal's `waitingFor`), from the items
 * the consumers keep anyway: its pause (PAUSE#<provider>, provider-pause.ts), its rate limiter's
 * next free slot (RATE#<provider>, rate-limiter.ts), and its last success and failure
 * (HEALTH#<provider>, written here).
 *
 * Last success and failure cost no write per renewal: each consumer instance writes the time when
 * the kind of outcome changes (a success after failures, a failure after successes), and otherwise
 * at most once a minute per kind; the write is conditional on moving the time forward, so
 * instances never set it back. Shown times are at most a minute old.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RenewalStatus, WaitingFor } from '../domain/renewal';
import { UNSETTLED_PROBE_REASON } from './provider-pause';
import type { Provider } from '../system';

const healthKey = (provider: string) => ({ pk: `HEALTH#${provider}`, sk: 'HEALTH' });
const pauseKey = (provider: string) => ({ pk: `PAUSE#${provider}`, sk: 'PAUSE' });
const rateKey = (provider: string) => ({ pk: `RATE#${provider}`, sk: 'RATE' });

/** How often an instance writes the same kind of outcome again. */
export const HEALTH_WRITE_INTERVAL_MS = 60_000;

/** Which outcomes count as a success or a failure of the provider. */
export const outcomeKind = (status: string): 'success' | 'failure' | undefined =>
  status === 'succeeded' || status === 'accepted' ? 'success' : status === 'failed' || status === 'needs_attention' || status === 'retry_scheduled' ? 'failure' : undefined;

export interface HealthRecorder {
  /** A renewal completed with this status; written as the provider's last success or failure (throttled). */
  record(status: RenewalStatus | string, at: Date, reason?: string): Promise<void>;
}

export class DynamoHealthRecorder implements HealthRecorder {
  private readonly doc: DynamoDBDocumentClient;
  private lastKind: 'success' | 'failure' | undefined;
  private readonly lastWrite = { success: 0, failure: 0 };

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly provider: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async record(status: string, at: Date, reason?: string): Promise<void> {
    const kind = outcomeKind(status);
    if (!kind) return;
    const changed = kind !== this.lastKind;
    if (!changed && at.getTime() - this.lastWrite[kind] < HEALTH_WRITE_INTERVAL_MS) return;
    this.lastKind = kind;
    this.lastWrite[kind] = at.getTime();
    const attr = kind === 'success' ? 'lastSuccessAt' : 'lastFailureAt';
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: healthKey(this.provider),
          UpdateExpression: `SET ${attr} = :at${kind === 'failure' ? ', lastFailureStatus = :status, lastFailureReason = :reason' : ''}`,
          ConditionExpression: `attribute_not_exists(${attr}) OR ${attr} < :at`,
          ExpressionAttributeValues: { ':at': at.toISOString(), ...(kind === 'failure' ? { ':status': status, ':reason': (reason ?? '').slice(0, 500) } : {}) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

export interface PauseView {
  readonly until: string;
  readonly reason: string;
  readonly since?: string;
}

export interface ProviderState {
  readonly pause: PauseView | null;
  /** The rate limiter's next free slot, when it is ahead of now. */
  readonly rateLimitedUntil: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastFailureAt: string | null;
  readonly lastFailure: { readonly status: string; readonly reason: string } | null;
  /** Resumes by operators, newest last (at most the last 20). */
  readonly resumes: ReadonlyArray<{ readonly by: string; readonly at: string; readonly note: string }>;
}

type Item = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The pause an item shows now, whatever credentials it concerns (the operator function holds none). */
export const pauseOf = (item: Item, nowMs: number, pauseMs: number): PauseView | null => {
  const until = num(item.until);
  if (until !== undefined && until > nowMs) {
    const since = str(item.at);
    return { until: new Date(until).toISOString(), reason: str(item.reason) ?? 'paused', ...(since ? { since } : {}) };
  }
  const probeUntil = num(item.probeUntil);
  if (probeUntil !== undefined && probeUntil <= nowMs && nowMs < probeUntil + pauseMs) {
    return { until: new Date(probeUntil + pauseMs).toISOString(), reason: UNSETTLED_PROBE_REASON };
  }
  return null;
};

/** Reads and acts on a provider's state items, for operators. */
export class ProviderStates {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** AUTH_FAILURE_PAUSE_SECONDS in ms: how long an unsettled probe pauses a provider. */
    private readonly pauseMs: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  private async item(key: Record<string, string>): Promise<Item> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return out.Item ?? {};
  }

  async state(provider: Provider, now: Date): Promise<ProviderState> {
    const [pause, rate, health] = await Promise.all([this.item(pauseKey(provider)), this.item(rateKey(provider)), this.item(healthKey(provider))]);
    const tat = num(rate.tat);
    const resumes = Array.isArray(pause.resumes) ? (pause.resumes as Item[]) : [];
    const failureStatus = str(health.lastFailureStatus);
    return {
      pause: pauseOf(pause, now.getTime(), this.pauseMs),
      rateLimitedUntil: tat !== undefined && tat > now.getTime() + 1_000 ? new Date(tat).toISOString() : null,
      lastSuccessAt: str(health.lastSuccessAt) ?? null,
      lastFailureAt: str(health.lastFailureAt) ?? null,
      lastFailure: failureStatus ? { status: failureStatus, reason: str(health.lastFailureReason) ?? '' } : null,
      resumes: resumes.slice(-20).map((r) => ({ by: str(r.by) ?? '', at: str(r.at) ?? '', note: str(r.note) ?? '' })),
    };
  }

  /**
   * Why a renewal that is waiting to be called has not been: its provider's pause, or its rate
   * limit booked ahead. Read when the renewal is shown; nothing is written per renewal.
   */
  async waitingFor(provider: Provider, status: RenewalStatus, now: Date, known?: ProviderState): Promise<WaitingFor | undefined> {
    if (status !== 'queued' && status !== 'retry_scheduled') return undefined;
    const state = known ?? (await this.state(provider, now));
    if (state.pause) return { reason: 'provider_paused', until: state.pause.until, detail: state.pause.reason };
    if (state.rateLimitedUntil) return { reason: 'rate_limit', until: state.rateLimitedUntil };
    return undefined;
  }

  /**
   * Lifts a provider's pause (an operator fixed what made the provider refuse the credentials):
   * the next batch probes them with one call, as after any pause. False when nothing was paused.
   * The resume is recorded on the item, with the operator's name, time and note.
   */
  async resume(provider: Provider, now: Date, entry: { by: string; note: string }): Promise<boolean> {
    const current = await this.item(pauseKey(provider));
    if (!pauseOf(current, now.getTime(), this.pauseMs)) return false;
    const record = { by: entry.by, at: now.toISOString(), note: entry.note, pausedUntil: num(current.until) ?? null, reason: str(current.reason) ?? null };
    const until = num(current.until);
    const probe = num(current.probeUntil);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pauseKey(provider),
          UpdateExpression: 'SET resumes = list_append(if_not_exists(resumes, :empty), :entry) REMOVE #until, pausedFor, reason, #at, probeOwner, probeUntil, probeFor',
          // Exactly the pause that was read: one a consumer set meanwhile (a new refusal) stays.
          ConditionExpression: [
            until === undefined ? 'attribute_not_exists(#until)' : '#until = :until',
            probe === undefined ? 'attribute_not_exists(probeUntil)' : 'probeUntil = :probe',
          ].join(' AND '),
          ExpressionAttributeNames: { '#until': 'until', '#at': 'at' },
          ExpressionAttributeValues: {
            ':empty': [],
            ':entry': [record],
            ...(until === undefined ? {} : { ':until': until }),
            ...(probe === undefined ? {} : { ':probe': probe }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new PauseChangedError();
      throw error;
    }
  }
}

/** Records who redrove a provider's dead letters, when and why (kept on its HEALTH item). */
export const recordRedrive = async (
  client: DynamoDBClient,
  tableName: string,
  provider: Provider,
  entry: { by: string; at: string; note: string; taskHandle: string },
): Promise<void> => {
  await DynamoDBDocumentClient.from(client).send(
    new UpdateCommand({
      TableName: tableName,
      Key: healthKey(provider),
      UpdateExpression: 'SET redrives = list_append(if_not_exists(redrives, :empty), :entry)',
      ExpressionAttributeValues: { ':empty': [], ':entry': [entry] },
    }),
  );
};

/** The pause changed between the read and the resume (a consumer paused it again). */
export class PauseChangedError extends Error {
  constructor() {
    super('the pause changed while it was being lifted');
    this.name = 'PauseChangedError';
  }
}
