/**
 * The renewal table: lock and ledger (docs/architecture.md#no-double-renewal;
 * items and conditions: docs/architecture.md#dynamodb-table). One item per renewal.
 *
 * Access patterns (one table, see system.table):
 *   pk = RENEWAL#<id>, sk = RENEWAL            get a renewal; create it (conditional: key unused);
 *                                              claim it (conditional: due and not leased); complete it
 *   pk = PERIOD#<provider>#<period>, sk = PERIOD   which renewal holds a subscription's period (Punchh
 *                                              term): taken with the claim in one transaction,
 *                                              released when that renewal fails for good
 *   pk = RATE#<provider>, sk = RATE            a provider's rate limiter state (rate-limiter.ts)
 *   gsi1pk = SUB#<provider>#<subscription>,     list a subscription's renewals, newest first
 *   gsi1sk = <createdAt>#<id>                   (bySubscription index, cursor-paginated)
 *   gsi3pk = SWEEP#<provider>#<n>,              renewals not finished yet that the sweeper (or an operator)
 *   gsi3sk = <since>#<id>                       queued again, by when they should have moved by (sweep
 *                                              index, sparse: removed when terminal; the sweeper finds
 *                                              the others through the inbox, by creation time)
 *   gsi4pk = INBOX#<bucket>[#<n>],              the operators' inbox: renewals waiting, working or ended
 *   gsi4sk = <provider>#<createdAt>#<id>        badly, oldest first (inbox index, sparse: shared/domain/inbox.ts)
 *
 * Nothing deletes a renewal. Costs per renewal: intake 1 write (create; +1 only when its send fails); consumer 2 writes on the success path (claim,
 * complete); with a period, the claim is a two-item transaction preceded by one consistent read.
 * Records never expire: the record is what makes a redrive days later harmless.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isTerminal, type Attempt, type RenewalRecord, type RenewalStatus } from '../domain/renewal';
import type { Provider } from '../system';
import { INBOX_INDEX, inboxPartitionsOf, inboxPk, inboxSk, inboxUpdate, type InboxStatus, type OpenStatus } from '../domain/inbox';

export const renewalKey = (id: string) => ({ pk: `RENEWAL#${id}`, sk: 'RENEWAL' });

/** What the status API shows on a renewal whose message could not be sent yet. */
export const SEND_FAILED_REASON = 'stored but not yet queued: sending it to the queue failed; a repeat of the request with the same idempotency key queues it';
const subscriptionKey = (provider: Provider, subscription: string) => `SUB#${provider}#${subscription}`;

const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'] as const;

/** Shards of the sweep index per provider: spreads the writes of a burst over partitions. */
export const SWEEP_SHARDS = 4;
/**
 * The sweep index keys (docs/architecture.md#nothing-accepted-is-lost): present while a renewal is
 * not terminal. `since` is when it should have moved by (created or its notBefore; a retry's
 * nextAttemptAt): the sweeper reads only renewals whose `since` is older than its staleness.
 */
export const sweepPk = (provider: Provider, id: string): string => `SWEEP#${provider}#${id.charCodeAt(id.length - 1) % SWEEP_SHARDS}`;
export const sweepSk = (since: string, id: string): string => `${since}#${id}`;

/** Due (queued, or a retry whose time has come) and not leased, or leased by a holder whose lease expired. */
const CLAIMABLE =
  'attribute_exists(pk) AND ((#s IN (:queued, :retry) AND (attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= :now)) OR (#s = :inprog AND leaseExpiresAt < :nowMs))';

export const toRecord = (item: Record<string, unknown>): RenewalRecord => {
  const copy: Record<string, unknown> = { ...item };
  for (const k of INTERNAL_ATTRIBUTES) delete copy[k];
  return copy as unknown as RenewalRecord;
};

export type CreateResult = { readonly created: true } | { readonly created: false; readonly existing: RenewalRecord };

export type ClaimResult =
  | {
      readonly claimed: true;
      /** The claim took over an expired lease: an earlier attempt may have reached the provider. */
      readonly interrupted: boolean;
      readonly previous: RenewalRecord;
    }
  | { readonly claimed: false; readonly current: RenewalRecord | undefined }
  /** Another renewal holds this subscription's period: the provider must not be called again. */
  | { readonly claimed: false; readonly periodHeldBy: string };

/** Whether a message copy may go on waiting for its renewal (`advanceHop`); if not, the record as it is. */
export type HopResult = { readonly advanced: true } | { readonly advanced: false; readonly current: RenewalRecord | undefined };

export const periodKey = (provider: Provider, period: string) => ({ pk: `PERIOD#${provider}#${period}`, sk: 'PERIOD' });

export interface Completion {
  readonly status: RenewalStatus;
  readonly reason: string;
  /** Attempts to append: the provider call made, and any interrupted one before it (may be none). */
  readonly attempts: readonly Attempt[];
  readonly nextAttemptAt?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor?: string;
}

/** Which part of the inbox to read: one or several statuses, one or several providers. */
export interface InboxFilter {
  readonly statuses: readonly InboxStatus[];
  readonly providers: readonly Provider[];
  /** Only renewals created strictly before this instant (ISO, as `toISOString` writes it). */
  readonly createdBefore?: string;
}

/**
 * The renewal records as intake, the scheduler and the read routes use them: create one under
 * its idempotency key, withdraw one never sent, read one, list a subscription's. Those functions
 * bundle this class alone, without the consumer's claims and completions (RenewalStore).
 */
export class RenewalRecords {
  protected readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** Stores a new renewal unless its id (hence its idempotency key) is taken; then returns the holder. */
  async create(record: RenewalRecord): Promise<CreateResult> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...renewalKey(record.id),
            gsi1pk: subscriptionKey(record.provider, record.subscription),
            gsi1sk: `${record.createdAt}#${record.id}`,
            // No sweep index entry (gsi3): the sweeper finds a new renewal through the inbox, by
            // creation time; only a renewal it had to queue again (or an operator's retry) enters
            // the sweep index, so a renewal that ends well writes that index never (2 WRU less).
            // The inbox (shared/domain/inbox.ts): in its open shard while queued or worked on;
            // the sort key never changes.
            gsi4pk: inboxPk('queued', record.id),
            gsi4sk: inboxSk(record.provider, record.createdAt, record.id),
            ...record,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { created: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException && error.Item) {
        return { created: false, existing: toRecord(unmarshall(error.Item)) };
      }
      throw error;
    }
  }

  /**
   * Withdraws a renewal this request just created and never sent, because a concurrent replay of
   * the same webhook-id with an unsigned part changed was bound meanwhile (webhook-bindings.ts,
   * folded bindings): it ends `cancelled` with the reason, out of the sweep index and the inbox,
   * so nothing ever queues it. Only while it is still queued and never attempted.
   */
  async withdraw(id: string, now: Date, reason: string): Promise<void> {
    await this.doc
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: 'SET #s = :cancelled, statusReason = :reason, updatedAt = :now REMOVE gsi3pk, gsi3sk, gsi4pk',
          ConditionExpression: '#s = :queued AND size(attempts) = :zero',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'cancelled', ':queued': 'queued', ':zero': 0, ':reason': reason, ':now': now.toISOString() },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /**
   * Notes on a renewal still waiting for its first attempt that its message could not be sent.
   * Nothing deletes a renewal: another actor may have observed it (docs/architecture.md#nothing-accepted-is-lost).
   */
  async markSendFailed(id: string, now: Date): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: 'SET sendFailedAt = :now, statusReason = :reason',
          ConditionExpression: '#s = :queued AND size(attempts) = :zero',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':now': now.toISOString(), ':reason': SEND_FAILED_REASON, ':queued': 'queued', ':zero': 0 },
        }),
      );
    } catch (error) {
      // Already attempted or finished: its message was delivered after all.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Removes the mark once a later send succeeded. */
  async clearSendFailure(id: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: 'REMOVE sendFailedAt, statusReason',
          ConditionExpression: '#s = :queued AND attribute_exists(sendFailedAt)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':queued': 'queued' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(id: string): Promise<RenewalRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: renewalKey(id), ConsistentRead: true }));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  /** A subscription's renewals, newest first. The cursor is opaque to callers. */
  async listBySubscription(
    provider: Provider,
    subscription: string,
    options: { limit: number; cursor?: string },
  ): Promise<Page<RenewalRecord>> {
    const pk = subscriptionKey(provider, subscription);
    const query = new QueryCommand({
      TableName: this.tableName,
      IndexName: 'bySubscription',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ScanIndexForward: false,
      Limit: options.limit,
      ...(options.cursor ? { ExclusiveStartKey: decodeCursor(options.cursor, pk) } : {}),
    });
    const out = await this.doc.send(query).catch((error: unknown) => {
      // A cursor that passed the checks below but that DynamoDB still refuses is the caller's, not ours.
      if (options.cursor && error instanceof Error && error.name === 'ValidationException') throw new InvalidCursorError();
      throw error;
    });
    // The index holds keys only (docs/architecture.md#indexes): the page's records in one read.
    const keys = (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
    const records = await this.getMany(keys);
    return {
      items: keys.flatMap((k) => {
        const r = records.get(k.pk);
        return r ? [r] : [];
      }),
      ...(out.LastEvaluatedKey ? { nextCursor: encodeCursor(out.LastEvaluatedKey) } : {}),
    };
  }

  /** Records by table key, up to 100 per BatchGetItem (eventually consistent: a listing), by `pk`. */
  protected async getMany(keys: ReadonlyArray<{ pk: string; sk: string }>, consistent = false): Promise<Map<string, RenewalRecord>> {
    const found = new Map<string, RenewalRecord>();
    for (const [pk, item] of await this.getItems(keys, consistent)) found.set(pk, toRecord(item));
    return found;
  }

  /** The items as stored (index attributes included), by `pk`. */
  protected getItems(keys: ReadonlyArray<{ pk: string; sk: string }>, consistent: boolean): Promise<Map<string, Record<string, unknown>>> {
    return batchGetItems(this.doc, this.tableName, keys, consistent);
  }
}

/** Items by `pk`, 100 keys per BatchGetItem, asking again for what DynamoDB left unprocessed (with backoff, 10 times at most). */
const batchGetItems = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<{ pk: string; sk: string }>,
  consistent: boolean,
): Promise<Map<string, Record<string, unknown>>> => {
  const found = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round >= 10) throw new Error('renewals: BatchGetItem left keys unprocessed 10 times');
      if (round > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** round));
      const got: BatchGetCommandOutput = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: consistent } } }));
      for (const item of got.Responses?.[tableName] ?? []) found.set(String(item.pk), item);
      pending = got.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return found;
};

/**
 * Reads the operators' inbox (shared/domain/inbox.ts), oldest first across the statuses and
 * providers asked for. Each (partition, provider) pair is one key range of the index (the open
 * bucket's shards, or a partition of renewals that ended badly); a round reads at most the keys
 * still wanted from each range, merges them by creation time, keeps as many as are wanted, and
 * reads those renewals with consistent BatchGetItems (the index holds keys only and lags the
 * table). A renewal no longer in that partition, or not in a status asked for (the open bucket
 * holds three), is left out; while the page is not full, another round goes on, up to
 * INBOX_MAX_KEYS keys looked at, so a page may hold fewer than `limit` renewals and still have a
 * `nextCursor`. The cursor holds each range's position, so the next page goes on where each range
 * stopped.
 */
export class InboxReader {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    /** Index entries one page looks at, at most, before it answers with a cursor. */
    private readonly maxKeys = INBOX_MAX_KEYS,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async page(filter: InboxFilter, options: { limit: number; cursor?: string }): Promise<Page<RenewalRecord>> {
    const ranges = inboxRanges(filter);
    let positions = options.cursor ? decodeInboxCursor(options.cursor, filter, ranges) : new Map<string, string | true>();
    const items: RenewalRecord[] = [];
    let looked = 0;
    for (let round = 0; ; round++) {
      const wanted = options.limit - items.length;
      // The first round reads what the page still wants; when renewals in other statuses (or
      // moved on) were in the way, later rounds read more at a time, up to 100.
      const size = round === 0 ? wanted : Math.min(100, Math.max(wanted, 25 * 2 ** (round - 1)));
      const { found, more } = await this.read(filter, ranges, positions, size);
      const candidates = found.slice(0, size);
      const records = await this.current(candidates, filter.statuses);
      let consumed = 0;
      for (const record of records) {
        consumed++;
        if (record) items.push(record);
        if (items.length >= options.limit) break;
      }
      positions = advance(ranges, positions, found, consumed, more);
      looked += consumed;
      if (ranges.every((r) => positions.get(r.key) === true)) return { items };
      // The round cap only guards the loop's end (each round consumes an entry or ends a range).
      if (items.length >= options.limit || looked >= this.maxKeys || round >= 100) return { items, nextCursor: encodeInboxCursor(filter, ranges, positions) };
    }
  }

  /** Up to `size` index entries from each range after its position, all of them oldest first, and which ranges have more. */
  private async read(filter: InboxFilter, ranges: readonly InboxRange[], positions: ReadonlyMap<string, string | true>, size: number) {
    const found: InboxCandidate[] = [];
    const more = new Map<string, boolean>();
    await Promise.all(
      ranges.map(async (range) => {
        const at = positions.get(range.key);
        if (at === true) return;
        const out = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INBOX_INDEX,
            ...rangeCondition(range, filter),
            Limit: size,
            ...(at ? { ExclusiveStartKey: { pk: `RENEWAL#${idOfSk(at)}`, sk: 'RENEWAL', gsi4pk: range.pk, gsi4sk: at } } : {}),
          }),
        );
        more.set(range.key, out.LastEvaluatedKey !== undefined);
        for (const item of out.Items ?? []) {
          const sk = String(item.gsi4sk);
          const parsed = parseInboxSk(sk);
          if (parsed) found.push({ range, sk, id: parsed.id, createdAt: parsed.createdAt });
        }
      }),
    );
    found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { found, more };
  }

  /**
   * How many renewals that ended badly the filter matches now, from the index (keys only: half a
   * read unit per 8 KB of keys). Not for the open statuses, which share partitions: counting one
   * of them would mean reading every renewal waiting.
   */
  async count(filter: InboxFilter & { readonly statuses: readonly Exclude<InboxStatus, OpenStatus>[] }): Promise<number> {
    let total = 0;
    for (const range of inboxRanges(filter)) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await this.doc.send(
          new QueryCommand({ TableName: this.tableName, IndexName: INBOX_INDEX, Select: 'COUNT', ...rangeCondition(range, filter), ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        total += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    }
    return total;
  }

  /** The renewals as they are now, in this order; undefined for those no longer in that partition or in another status. */
  private async current(wanted: readonly InboxCandidate[], statuses: readonly InboxStatus[]): Promise<Array<RenewalRecord | undefined>> {
    const byPk = await batchGetItems(
      this.doc,
      this.tableName,
      wanted.map((w) => renewalKey(w.id)),
      true,
    );
    return wanted.map((w) => {
      const item = byPk.get(renewalKey(w.id).pk);
      return item && item.gsi4pk === w.range.pk && (statuses as readonly unknown[]).includes(item.status) ? toRecord(item) : undefined;
    });
  }
}

/** Index entries one page looks at, at most, before it answers with a cursor (a page of one open status may skip the others). */
export const INBOX_MAX_KEYS = 1_000;

interface InboxRange {
  /** `<partition>:<provider>`, unique per filter. */
  readonly key: string;
  readonly pk: string;
  readonly provider: Provider;
}

interface InboxCandidate {
  readonly range: InboxRange;
  readonly sk: string;
  readonly id: string;
  readonly createdAt: string;
}

/** The positions after the first `consumed` of `found` (sorted): a range is done when all it had was consumed and it has no more. */
const advance = (ranges: readonly InboxRange[], positions: ReadonlyMap<string, string | true>, found: readonly InboxCandidate[], consumed: number, more: ReadonlyMap<string, boolean>) => {
  const taken = found.slice(0, consumed);
  const next = new Map(positions);
  for (const range of ranges) {
    if (next.get(range.key) === true) continue;
    const mine = found.filter((c) => c.range.key === range.key);
    const takenMine = taken.filter((c) => c.range.key === range.key);
    const last = takenMine.at(-1);
    if (last) next.set(range.key, last.sk);
    if (takenMine.length === mine.length && !more.get(range.key)) next.set(range.key, true);
  }
  return next;
};

const inboxRanges = (filter: InboxFilter): InboxRange[] => {
  const partitions = [...new Set(filter.statuses.flatMap(inboxPartitionsOf))];
  return partitions.flatMap((pk) => filter.providers.map((provider) => ({ key: `${pk}:${provider}`, pk, provider })));
};

const rangeCondition = (range: InboxRange, filter: InboxFilter) => ({
  KeyConditionExpression: filter.createdBefore ? 'gsi4pk = :pk AND gsi4sk BETWEEN :lo AND :hi' : 'gsi4pk = :pk AND begins_with(gsi4sk, :lo)',
  ExpressionAttributeValues: {
    ':pk': range.pk,
    ':lo': `${range.provider}#`,
    ...(filter.createdBefore ? { ':hi': `${range.provider}#${filter.createdBefore}` } : {}),
  },
});

const INBOX_SK = /^([a-z0-9]+)#(\d{4}-\d{2}-\d{2}T[\d:.]+Z)#(rnw_[a-z2-7]{26})$/;
const parseInboxSk = (sk: string): { provider: string; createdAt: string; id: string } | undefined => {
  const m = INBOX_SK.exec(sk);
  return m?.[1] && m[2] && m[3] ? { provider: m[1], createdAt: m[2], id: m[3] } : undefined;
};
const idOfSk = (sk: string): string => parseInboxSk(sk)?.id ?? '';

/** What a cursor is bound to: the same filter (another filter's cursor would skip or repeat renewals), as a short hash. */
const filterKey = (filter: InboxFilter): string =>
  createHash('sha256')
    .update(JSON.stringify([filter.statuses, filter.providers, filter.createdBefore ?? null]))
    .digest('base64url')
    .slice(0, 16);

/**
 * Positions in the order of the filter's ranges (which the filter determines): 0 not started, 1
 * done, or the last entry taken as `<createdAt in base-36 ms>.<id without rnw_>` (the range names
 * the provider): 36 bytes a range, so a cursor over all 72 ranges stays under 4 KB in a query
 * string.
 */
const encodeInboxCursor = (filter: InboxFilter, ranges: readonly InboxRange[], positions: ReadonlyMap<string, string | true>): string =>
  Buffer.from(
    JSON.stringify({
      v: 2,
      f: filterKey(filter),
      p: ranges.map((r) => {
        const at = positions.get(r.key);
        if (at === undefined) return 0;
        if (at === true) return 1;
        const parsed = parseInboxSk(at);
        return parsed ? `${Date.parse(parsed.createdAt).toString(36)}.${parsed.id.slice('rnw_'.length)}` : 0;
      }),
    }),
  ).toString('base64url');

/** The sort key a cursor position stands for, if it is one. */
const skOfPosition = (provider: Provider, value: string): string | undefined => {
  const m = /^([0-9a-z]{1,12})\.([a-z2-7]{26})$/.exec(value);
  if (!m?.[1] || !m[2]) return undefined;
  const ms = parseInt(m[1], 36);
  if (!Number.isSafeInteger(ms) || ms > 8.64e15) return undefined;
  const sk = `${provider}#${new Date(ms).toISOString()}#rnw_${m[2]}`;
  return parseInboxSk(sk) ? sk : undefined;
};

const decodeInboxCursor = (cursor: string, filter: InboxFilter, ranges: readonly InboxRange[]): Map<string, string | true> => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && 'v' in parsed && parsed.v === 2 && 'f' in parsed && parsed.f === filterKey(filter) && 'p' in parsed) {
      const p = parsed.p;
      if (Array.isArray(p) && p.length === ranges.length) {
        const out = new Map<string, string | true>();
        for (const [i, value] of (p as unknown[]).entries()) {
          const range = ranges[i];
          if (!range) throw new InvalidCursorError();
          if (value === 0) continue;
          if (value === 1) {
            out.set(range.key, true);
            continue;
          }
          const sk = typeof value === 'string' ? skOfPosition(range.provider, value) : undefined;
          if (!sk) throw new InvalidCursorError();
          out.set(range.key, sk);
        }
        return out;
      }
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
};

/**
 * The renewal records with what a consumer does to them (docs/architecture.md#conditional-writes):
 * claim one for an attempt, give the claim back, complete it, hold and release a period.
 */
export class RenewalStore extends RenewalRecords {
  /**
   * Takes the lease for one attempt. Succeeds when the renewal is due (queued, or retry_scheduled
   * whose time has come) or when a previous holder's lease has expired (it crashed or timed out).
   * Exactly one of any number of concurrent claimers wins.
   */
  async claim(
    id: string,
    owner: string,
    now: Date,
    leaseMs: number,
    period?: { provider: Provider; period: string },
    /** The claiming message copy: it becomes the renewal's hop (see advanceHop). */
    hop?: string,
  ): Promise<ClaimResult> {
    const claim = {
      TableName: this.tableName,
      Key: renewalKey(id),
      // claimedSince stays from the first claim whose outcome is not recorded yet (holders that died).
      UpdateExpression: `SET #s = :inprog, leaseOwner = :owner, leaseExpiresAt = :exp, updatedAt = :now, claimedSince = if_not_exists(claimedSince, :now), gsi4pk = :inboxOpen${hop ? ', hop = :hop' : ''} REMOVE nextAttemptAt`,
      ConditionExpression: CLAIMABLE,
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':inprog': 'in_progress',
        ':queued': 'queued',
        ':retry': 'retry_scheduled',
        ':owner': owner,
        ':exp': now.getTime() + leaseMs,
        ':now': now.toISOString(),
        ':nowMs': now.getTime(),
        // Its own bucket for a queued renewal (no index write); back from the retry bucket for a retry.
        ':inboxOpen': inboxPk('in_progress', id),
        ...(hop ? { ':hop': hop } : {}),
      },
    };
    if (period) return this.claimWithPeriod(id, claim, period);
    try {
      const out = await this.doc.send(new UpdateCommand({ ...claim, ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      const previous = toRecord(out.Attributes ?? {});
      return { claimed: true, interrupted: previous.status === 'in_progress', previous };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { claimed: false, current: error.Item ? toRecord(unmarshall(error.Item)) : undefined };
      }
      throw error;
    }
  }

  /**
   * The claim and the period lock in one transaction. A transaction returns no old values, so the
   * record is read first and the claim is made conditional on it being unchanged since.
   */
  private async claimWithPeriod(
    id: string,
    claim: { TableName: string; Key: Record<string, string>; UpdateExpression: string; ConditionExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> },
    { provider, period }: { provider: Provider; period: string },
  ): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const previous = await this.get(id);
      if (!previous) return { claimed: false, current: undefined };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  ...claim,
                  ConditionExpression: `(${claim.ConditionExpression}) AND updatedAt = :seen`,
                  ExpressionAttributeValues: { ...claim.ExpressionAttributeValues, ':seen': previous.updatedAt },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Put: {
                  TableName: this.tableName,
                  Item: { ...periodKey(provider, period), renewalId: id, takenAt: claim.ExpressionAttributeValues[':now'] },
                  ConditionExpression: 'attribute_not_exists(pk) OR renewalId = :id OR released = :true',
                  ExpressionAttributeValues: { ':id': id, ':true': true },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
        return { claimed: true, interrupted: previous.status === 'in_progress', previous };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [renewalReason, lockReason] = error.CancellationReasons ?? [];
        if (renewalReason?.Code === 'ConditionalCheckFailed') {
          const current = renewalReason.Item ? toRecord(unmarshall(renewalReason.Item)) : undefined;
          // Changed between the read and the write by another claimer: look again.
          if (current && current.updatedAt !== previous.updatedAt) continue;
          return { claimed: false, current };
        }
        if (lockReason?.Code === 'ConditionalCheckFailed') {
          const holder = lockReason.Item ? unmarshall(lockReason.Item).renewalId : undefined;
          if (typeof holder === 'string') return { claimed: false, periodHeldBy: holder };
          continue;
        }
        if (renewalReason?.Code === 'TransactionConflict' || lockReason?.Code === 'TransactionConflict') continue;
        throw error;
      }
    }
    throw new Error(`renewal ${id}: could not claim under contention`);
  }

  /**
   * Makes message copy `self` the one that carries this renewal while it waits
   * (docs/architecture.md#one-copy-per-renewal): allowed for the copy that continues the current
   * hop (`from`, the hop the copy was sent with; none for intake's copies) and again for `self`
   * (a retry of its own write, or its redelivery after it died before sending its successor).
   * Refused once the renewal has ended. Touches nothing else (not `updatedAt`).
   */
  async advanceHop(id: string, from: string | undefined, self: string): Promise<HopResult> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: 'SET hop = :self',
          ConditionExpression: `attribute_exists(pk) AND NOT (#s IN (:succeeded, :accepted, :failed, :needs, :cancelled)) AND (hop = :self OR ${from === undefined ? 'attribute_not_exists(hop)' : 'hop = :from'})`,
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':self': self,
            ':succeeded': 'succeeded',
            ':accepted': 'accepted',
            ':failed': 'failed',
            ':needs': 'needs_attention',
            ':cancelled': 'cancelled',
            ...(from === undefined ? {} : { ':from': from }),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { advanced: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { advanced: false, current: error.Item ? toRecord(unmarshall(error.Item)) : undefined };
      throw error;
    }
  }

  /**
   * Gives a claim back without a call (its rate-limit slot passed): the renewal waits again as
   * `status`, keeping any interrupted attempt found while claiming. Fenced by the lease owner.
   */
  async release(id: string, owner: string, now: Date, status: 'queued' | 'retry_scheduled', attempts: readonly Attempt[]): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression:
            'SET #s = :status, attempts = list_append(attempts, :attempts), updatedAt = :now, gsi4pk = :inboxPk REMOVE leaseOwner, leaseExpiresAt, claimedSince',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':status': status, ':attempts': attempts, ':now': now.toISOString(), ':owner': owner, ':inboxPk': inboxPk(status, id) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** Lets a later renewal take the period: this one failed for good and renewed nothing. */
  async releasePeriod(id: string, provider: Provider, period: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: periodKey(provider, period),
          UpdateExpression: 'SET released = :true',
          ConditionExpression: 'renewalId = :id',
          ExpressionAttributeValues: { ':true': true, ':id': id },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Ends a renewal that must not call the provider because another renewal holds its period.
   * Only from a waiting status: a renewal being worked on is left to its worker.
   */
  async completeWithoutCall(id: string, now: Date, status: RenewalStatus, reason: string, duplicateOf: string): Promise<boolean> {
    const inbox = inboxUpdate(status, id);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: `SET #s = :status, statusReason = :reason, duplicateOf = :dup, updatedAt = :now${inbox.set ? `, ${inbox.set}` : ''} REMOVE nextAttemptAt${
            isTerminal(status) ? ', gsi3pk, gsi3sk' : ''
          }${inbox.remove ? `, ${inbox.remove}` : ''}`,
          ConditionExpression: '#s IN (:queued, :retry)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':status': status,
            ':reason': reason,
            ':dup': duplicateOf,
            ':now': now.toISOString(),
            ':queued': 'queued',
            ':retry': 'retry_scheduled',
            ...inbox.values,
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
   * Records the attempt(s) and the new status, releasing the lease. Fenced by the lease owner; a
   * holder that lost its lease still appends its attempt (the call happened) but leaves the status.
   */
  async complete(id: string, owner: string, now: Date, completion: Completion): Promise<{ fenced: boolean }> {
    const attempts = completion.attempts;
    const inbox = inboxUpdate(completion.status, id);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          // Terminal: out of the sweep index; a retry: swept only once well past its time.
          UpdateExpression: `SET #s = :status, statusReason = :reason, attempts = list_append(attempts, :attempts), updatedAt = :now${
            completion.nextAttemptAt ? ', nextAttemptAt = :next, gsi3sk = :sweepSk' : ''
          }${inbox.set ? `, ${inbox.set}` : ''} REMOVE leaseOwner, leaseExpiresAt, claimedSince${isTerminal(completion.status) ? ', gsi3pk, gsi3sk' : ''}${
            inbox.remove ? `, ${inbox.remove}` : ''
          }`,
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':status': completion.status,
            ':reason': completion.reason,
            ':attempts': attempts,
            ':now': now.toISOString(),
            ':owner': owner,
            ...(completion.nextAttemptAt ? { ':next': completion.nextAttemptAt, ':sweepSk': sweepSk(completion.nextAttemptAt, id) } : {}),
            ...inbox.values,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { fenced: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Our own write, applied once already: the SDK retried a request whose answer was lost.
      // Nobody else writes this exact completion (same time, same attempts, no lease left).
      if (error.Item && holdsCompletion(toRecord(unmarshall(error.Item)), now, completion)) return { fenced: false };
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: renewalKey(id),
          UpdateExpression: 'SET attempts = list_append(attempts, :attempts), updatedAt = :now',
          ExpressionAttributeValues: { ':attempts': attempts, ':now': now.toISOString() },
        }),
      );
      return { fenced: true };
    }
  }
}

/** Whether a record already holds exactly this completion, written at `now` (an SDK retry of our own write). */
export const holdsCompletion = (record: RenewalRecord, now: Date, completion: Completion): boolean =>
  record.leaseOwner === undefined &&
  record.status === completion.status &&
  record.updatedAt === now.toISOString() &&
  attemptIds(record.attempts.slice(-completion.attempts.length)) === attemptIds(completion.attempts);
/** Attempts by number and start (maps come back from DynamoDB in no particular key order). */
const attemptIds = (attempts: readonly Attempt[]): string => attempts.map((a) => `${a.number}@${a.startedAt}`).join(',');

export class InvalidCursorError extends Error {
  constructor() {
    super('cursor is not one this API returned');
    this.name = 'InvalidCursorError';
  }
}

const encodeCursor = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key)).toString('base64url');

/**
 * A cursor is the `LastEvaluatedKey` of a page of this subscription: a renewal's table key and its
 * index key, consistent with each other. Anything else — another subscription's cursor, a
 * hand-edited one — would make DynamoDB refuse the query (a 500), so it is refused here (a 400).
 */
const decodeCursor = (cursor: string, subscriptionPk: string): Record<string, unknown> => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      Object.keys(parsed).sort().join(',') === 'gsi1pk,gsi1sk,pk,sk' &&
      Object.values(parsed).every((v) => typeof v === 'string')
    ) {
      const key = parsed as Record<'pk' | 'sk' | 'gsi1pk' | 'gsi1sk', string>;
      const id = /^RENEWAL#(rnw_[a-z2-7]{26})$/.exec(key.pk)?.[1];
      const createdAt = id && key.gsi1sk.endsWith(`#${id}`) ? key.gsi1sk.slice(0, -id.length - 1) : undefined;
      if (id && key.sk === 'RENEWAL' && key.gsi1pk === subscriptionPk && createdAt && /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(createdAt)) return key;
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
};
