/**
 * Lambda-style DynamoDB Streams event source mapping for the local stack: reads the table's
 * stream in DynamoDB Local (DescribeStream, GetShardIterator, GetRecords) and invokes the handler
 * with the event Lambda builds (DynamoDBStreamEvent), so the events function runs locally as in AWS.
 *
 * Rules copied from Lambda (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html):
 * - each shard is read in order from TRIM_HORIZON, one batch at a time; a child shard is read only
 *   once its parent is finished (so one item's records keep their order);
 * - records not matching the filter (the mapping's filter criteria) never reach the handler;
 * - ReportBatchItemFailures: the handler returns the sequence number of the first failed record,
 *   and that record and every later one of the batch are retried; a throw or an invalid answer
 *   retries the whole batch. Differences: no bisecting and no record age limit — locally a batch is
 *   retried, with backoff, until it succeeds or the stack stops.
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue as StreamAttributeValue,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaContext } from '../lambda-context';
import { sleep, withTimeout } from '../handler-timing';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: StreamHandler;
  /** Records per invocation (GetRecords Limit). Default 100. */
  readonly batchSize?: number;
  /** Only records this accepts reach the handler (the mapping's filter criteria). Default: all. */
  readonly filter?: (record: DynamoDBRecord) => boolean;
  readonly functionName?: string;
  readonly timeoutMs?: number;
  /** Pause between reads of a shard with nothing new. Default 100 ms. */
  readonly idleMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface StreamPoller {
  /** Stops reading and waits for the invocation in flight, if any. */
  stop(): Promise<void>;
}

const MAX_BACKOFF_MS = 2000;

export function startStreamPoller(options: StreamPollerOptions): StreamPoller {
  const { client, streamArn, handler } = options;
  const batchSize = options.batchSize ?? 100;
  const idleMs = options.idleMs ?? 100;
  const functionName = options.functionName ?? 'events';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const filter = options.filter ?? (() => true);
  const onError = options.onError ?? ((error: unknown) => console.error(`stream poller ${functionName}:`, error));
  const region = streamArn.split(':')[3] ?? 'local';
  const stopping = new AbortController();
  const signal = stopping.signal;

  const started = new Set<string>();
  const finished = new Set<string>();
  const readers: Array<Promise<void>> = [];

  /** Handles one batch until it succeeds (or the stack stops): Lambda's retry of a failed batch. */
  async function deliver(records: readonly DynamoDBRecord[]): Promise<void> {
    let pending = [...records];
    for (let attempt = 1; pending.length > 0 && !signal.aborted; attempt++) {
      let retryFrom: number;
      try {
        const response = await withTimeout(
          Promise.resolve().then(() => handler({ Records: [...pending] }, lambdaContext(functionName, timeoutMs))),
          timeoutMs,
        );
        retryFrom = firstFailed(response, pending);
      } catch (error) {
        onError(error);
        retryFrom = 0;
      }
      if (retryFrom < 0) return;
      pending = pending.slice(retryFrom);
      await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt), signal);
    }
  }

  /** Index of the record to retry from; -1 when the batch succeeded. */
  function firstFailed(response: unknown, records: readonly DynamoDBRecord[]): number {
    if (response === undefined || response === null) return -1;
    const failures = typeof response === 'object' ? (response as { batchItemFailures?: unknown }).batchItemFailures : 'invalid';
    if (failures === undefined || failures === null) return -1;
    if (!Array.isArray(failures)) {
      onError(new Error(`${functionName}: invalid batch response; the whole batch is retried`));
      return 0;
    }
    if (failures.length === 0) return -1;
    let first = records.length;
    for (const failure of failures as unknown[]) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === id);
      if (typeof id !== 'string' || index < 0) {
        onError(new Error(`${functionName}: invalid itemIdentifier ${JSON.stringify(id)}; the whole batch is retried`));
        return 0;
      }
      first = Math.min(first, index);
    }
    return first;
  }

  async function readShard(shardId: string): Promise<void> {
    let iterator: string | undefined;
    let errors = 0;
    while (!signal.aborted) {
      try {
        iterator ??= (await client.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }), { abortSignal: signal })).ShardIterator;
        if (!iterator) break;
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: batchSize }), { abortSignal: signal });
        errors = 0;
        const records = (out.Records ?? []).map((r) => toLambdaRecord(r, streamArn, region)).filter(filter);
        if (records.length > 0) await deliver(records);
        iterator = out.NextShardIterator;
        if (!iterator) break; // the shard is closed and read to its end
        if ((out.Records ?? []).length === 0) await sleep(idleMs, signal);
      } catch (error) {
        if (signal.aborted) return;
        onError(error);
        errors++;
        await sleep(Math.min(MAX_BACKOFF_MS, 50 * 2 ** errors), signal);
      }
    }
    if (!signal.aborted) finished.add(shardId);
  }

  /** Finds shards (new ones appear as DynamoDB Local rolls its shards) and starts their readers in order. */
  async function discover(): Promise<void> {
    let errors = 0;
    while (!signal.aborted) {
      try {
        const shards: Shard[] = [];
        let start: string | undefined;
        do {
          const out = await client.send(new DescribeStreamCommand({ StreamArn: streamArn, ...(start ? { ExclusiveStartShardId: start } : {}) }), { abortSignal: signal });
          shards.push(...(out.StreamDescription?.Shards ?? []));
          start = out.StreamDescription?.LastEvaluatedShardId;
        } while (start && !signal.aborted);
        const known = new Set(shards.map((s) => s.ShardId));
        for (const shard of shards) {
          const id = shard.ShardId;
          if (!id || started.has(id)) continue;
          const parent = shard.ParentShardId;
          // A child waits for its parent (unless the parent is no longer in the stream).
          if (parent && known.has(parent) && !finished.has(parent)) continue;
          started.add(id);
          readers.push(readShard(id));
        }
        errors = 0;
      } catch (error) {
        if (signal.aborted) return;
        onError(error);
        errors++;
      }
      await sleep(Math.min(MAX_BACKOFF_MS, 250 * 2 ** errors), signal);
    }
  }

  const discovering = discover();
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        await discovering;
        await Promise.all(readers);
      })()),
  };
}

/** The record as Lambda delivers it: JSON attribute values (binary as base64), times in epoch seconds. */
export function toLambdaRecord(record: StreamRecord, streamArn: string, region: string): DynamoDBRecord {
  const d = record.dynamodb ?? {};
  const image = (values: Record<string, StreamAttributeValue> | undefined) => (values ? toLambdaMap(values) : undefined);
  const keys = image(d.Keys);
  const newImage = image(d.NewImage);
  const oldImage = image(d.OldImage);
  return {
    eventID: record.eventID ?? '',
    ...(record.eventName ? { eventName: record.eventName } : {}),
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(d.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) } : {}),
      ...(keys ? { Keys: keys } : {}),
      ...(newImage ? { NewImage: newImage } : {}),
      ...(oldImage ? { OldImage: oldImage } : {}),
      ...(d.SequenceNumber ? { SequenceNumber: d.SequenceNumber } : {}),
      ...(d.SizeBytes !== undefined ? { SizeBytes: d.SizeBytes } : {}),
      ...(d.StreamViewType ? { StreamViewType: d.StreamViewType } : {}),
    },
  };
}

/**
 * DynamoDB Local's stream writes an empty map or list as `{}` (no type), which AWS never sends:
 * such an attribute is left out of the image, as if the item did not have it.
 */
function toLambdaMap(values: Record<string, StreamAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(values)) {
    const converted = toLambdaValue(v);
    if (converted) out[k] = converted;
  }
  return out;
}

function toLambdaValue(value: StreamAttributeValue): AttributeValue | undefined {
  if (Object.keys(value).length === 0) return undefined;
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map((v) => toLambdaValue(v) ?? { NULL: true }) };
  if (value.M !== undefined) return { M: toLambdaMap(value.M) };
  throw new Error(`stream record: unknown attribute value type ${Object.keys(value).join(',')}`);
}
