/**
 * In-memory SQS standard queues: the operations of the AWS JSON 1.0 API, independent of HTTP.
 *
 * Shape of the state, and why:
 * - Every message of a queue is in `messages` (insertion order = send order). Visible messages
 *   are also in `ready`, an insertion-ordered Map, so a receive takes the oldest visible ones in
 *   O(batch) without scanning the queue.
 * - Delayed and in-flight messages sit in a min-heap keyed by the time they become visible.
 *   Entries are never removed from the middle; instead each message carries a generation number
 *   that is bumped on every state change, and heap entries with an old generation are skipped.
 *   Visibility is evaluated lazily (on every operation touching the queue), plus one timer per
 *   queue that is armed only while long polls wait, so a waiting receive returns as soon as a
 *   delayed or in-flight message becomes visible.
 * - Receipt handles are self-describing (queue, message id, receive number) and signed with a
 *   per-server secret, so any handle this server issued stays verifiable without keeping a table
 *   of every handle ever returned, and forged or foreign handles are rejected.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  SqsError,
  batchEntryIdsNotDistinct,
  batchRequestTooLong,
  emptyBatchRequest,
  invalidAddress,
  invalidAttributeName,
  invalidAttributeValue,
  invalidBatchEntryId,
  invalidParameterValue,
  missingParameter,
  queueDoesNotExist,
  queueNameExists,
  receiptHandleIsInvalid,
  tooManyEntriesInBatchRequest,
  unsupportedOperation,
} from './errors';
import { MinHeap } from './heap';
import { MoveTasks, type MoveOutcome } from './move-tasks';
import {
  assertValidCharacters,
  attributeToJson,
  attributesSize,
  md5Hex,
  md5OfMessageAttributes,
  parseMessageAttributes,
  parseMessageSystemAttributes,
  type MessageAttributeValue,
  type MessageAttributes,
} from './message-attributes';

export type Json = Record<string, unknown>;

export const ACCOUNT_ID = '000000000000';
const MAX_BATCH_ENTRIES = 10;
/** Expired messages are swept at most this often per queue (retention is at least 60 s anyway). */
const SWEEP_INTERVAL_MS = 1000;

type MessageState = 'delayed' | 'ready' | 'inflight';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageAttributes;
  readonly traceHeader: string | undefined;
  readonly senderId: string;
  /** Enqueue time; kept when moved to a DLQ because SQS bases retention on the original enqueue. */
  readonly sentTimestamp: number;
  readonly groupId: string | undefined;
  readonly deadLetterQueueSourceArn: string | undefined;
  receiveCount: number;
  firstReceiveTimestamp: number | undefined;
  state: MessageState;
  visibleAt: number;
  /** Bumped on every state change: heap entries with another generation are stale. */
  gen: number;
  /** Receive number of the latest receipt handle (server-wide sequence). */
  lastReceipt: number;
}

interface PendingEntry {
  readonly at: number;
  readonly message: StoredMessage;
  readonly gen: number;
}

interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly deadLetterQueueName: string;
  readonly maxReceiveCount: number;
}

interface Waiter {
  readonly max: number;
  readonly visibilityTimeout: number;
  /** Completes the long poll (idempotent). */
  readonly deliver: (taken: StoredMessage[]) => void;
}

interface Queue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly createdTimestamp: number;
  lastModifiedTimestamp: number;
  /** Settable attributes, normalised as GetQueueAttributes returns them. */
  readonly attributes: Map<string, string>;
  redrive: RedrivePolicy | undefined;
  readonly tags: Map<string, string>;
  readonly messages: Map<string, StoredMessage>;
  readonly ready: Map<string, StoredMessage>;
  readonly pending: MinHeap<PendingEntry>;
  inflightCount: number;
  delayedCount: number;
  lastSweep: number;
  readonly waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
  deleted: boolean;
}

/** Per-request facts the operations need from the transport. */
export interface RequestContext {
  /** Fires when the client goes away, so a long poll does not take messages nobody will get. */
  readonly signal: AbortSignal;
  /** Principal sending the request (SenderId of sent messages). */
  readonly senderId: string;
}

const INTEGER_ATTRIBUTES: Readonly<Record<string, readonly [number, number]>> = {
  VisibilityTimeout: [0, 43_200],
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1_048_576],
  MessageRetentionPeriod: [60, 1_209_600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  KmsDataKeyReusePeriodSeconds: [60, 86_400],
};

const DEFAULT_ATTRIBUTES: ReadonlyArray<readonly [string, string]> = [
  ['VisibilityTimeout', '30'],
  ['DelaySeconds', '0'],
  // The task asks for the classic 256 KiB limit; SQS has allowed up to 1 MiB since 2025 (settable here too).
  ['MaximumMessageSize', '262144'],
  ['MessageRetentionPeriod', '345600'],
  ['ReceiveMessageWaitTimeSeconds', '0'],
  ['SqsManagedSseEnabled', 'true'],
];

/** Attributes that are stored and returned verbatim (accepted so CDK-like definitions work locally). */
const STORED_ATTRIBUTES = new Set(['Policy', 'KmsMasterKeyId', 'SqsManagedSseEnabled', 'RedriveAllowPolicy']);

/** Order GetQueueAttributes(All) lists them in. */
const READABLE_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'Policy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
];
/** FIFO-only attribute names: valid to ask for, never present on a standard queue. */
const FIFO_ATTRIBUTES = new Set(['FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

const SYSTEM_ATTRIBUTES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'MessageGroupId',
  'DeadLetterQueueSourceArn',
] as const;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

// ---------------------------------------------------------------------------------------------
// Input helpers: the JSON protocol gives typed values, but nothing stops a client sending junk.

function optionalString(input: Json, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameterValue(`Value for parameter ${name} must be a string.`);
  return value;
}

function requiredString(input: Json, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined || value === '') throw missingParameter(name);
  return value;
}

function optionalInteger(input: Json, name: string, min: number, max: number, suffix = ''): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}${suffix}.`,
    );
  }
  return number;
}

function optionalStringList(input: Json, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalidParameterValue(`Value for parameter ${name} must be a list of strings.`);
  }
  return value;
}

function optionalStringMap(input: Json, name: string): Record<string, string> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameterValue(`Value for parameter ${name} must be a map of strings.`);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw invalidAttributeValue(key);
    out[key] = item;
  }
  return out;
}

function batchEntries(input: Json): Json[] {
  const value = input.Entries;
  if (value === undefined || value === null) throw missingParameter('Entries');
  if (!Array.isArray(value)) throw invalidParameterValue('Entries must be a list.');
  if (value.length === 0) throw emptyBatchRequest();
  if (value.length > MAX_BATCH_ENTRIES) throw tooManyEntriesInBatchRequest(value.length);
  const seen = new Set<string>();
  const entries: Json[] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw invalidParameterValue('Each batch entry must be an object.');
    }
    const id = (entry as Json).Id;
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw invalidBatchEntryId();
    if (seen.has(id)) throw batchEntryIdsNotDistinct(id);
    seen.add(id);
    entries.push(entry as Json);
  }
  return entries;
}

function failedEntry(id: string, error: SqsError): Json {
  return { Id: id, SenderFault: error.senderFault, Code: error.code, Message: error.message };
}

/** Name-based selection for MessageAttributeNames: `All`, `.*`, exact names, or `prefix.*`. */
function attributeSelector(names: readonly string[] | undefined): (name: string) => boolean {
  if (!names || names.length === 0) return () => false;
  if (names.includes('All') || names.includes('.*')) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith('.*')));
  const prefixes = names.filter((n) => n.endsWith('.*')).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

// ---------------------------------------------------------------------------------------------

export interface SqsEngineOptions {
  /** Origin queue URLs are built on (`http://127.0.0.1:PORT`). */
  readonly origin: () => string;
  readonly region: string;
  readonly now: () => number;
}

export class SqsEngine {
  private readonly queues = new Map<string, Queue>();
  private readonly secret = randomBytes(32);
  private receiptSequence = 0;
  private stopping = false;
  private readonly moveTasks = new MoveTasks({
    queueExists: (arn) => this.queueByArn(arn) !== undefined,
    isDeadLetterQueue: (arn) => [...this.queues.values()].some((q) => q.redrive?.deadLetterTargetArn === arn),
    messageIds: (arn) => {
      const queue = this.queueByArn(arn);
      if (!queue) return [];
      this.refresh(queue); // drops expired messages (swept at most once a second) before the count
      return [...queue.messages.keys()];
    },
    moveMessage: (sourceArn, messageId, destinationArn) => this.moveMessage(sourceArn, messageId, destinationArn),
    now: () => this.now(),
  });

  constructor(private readonly options: SqsEngineOptions) {}

  private now(): number {
    return this.options.now();
  }

  /** Dispatches one JSON-protocol operation. Long polls return a promise that settles later. */
  handle(operation: string, input: Json, context: RequestContext): Json | Promise<Json> {
    switch (operation) {
      case 'CreateQueue':
        return this.createQueue(input);
      case 'GetQueueUrl':
        return this.getQueueUrl(input);
      case 'ListQueues':
        return this.listQueues(input);
      case 'DeleteQueue':
        return this.deleteQueue(input);
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'SetQueueAttributes':
        return this.setQueueAttributes(input);
      case 'PurgeQueue':
        return this.purgeQueue(input);
      case 'SendMessage':
        return this.sendMessage(input, context);
      case 'SendMessageBatch':
        return this.sendMessageBatch(input, context);
      case 'ReceiveMessage':
        return this.receiveMessage(input, context);
      case 'DeleteMessage':
        return this.deleteMessage(input);
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      case 'ChangeMessageVisibilityBatch':
        return this.changeMessageVisibilityBatch(input);
      case 'TagQueue':
        return this.tagQueue(input);
      case 'UntagQueue':
        return this.untagQueue(input);
      case 'ListQueueTags':
        return this.listQueueTags(input);
      case 'ListDeadLetterSourceQueues':
        return this.listDeadLetterSourceQueues(input);
      case 'StartMessageMoveTask':
        return this.moveTasks.start(input);
      case 'ListMessageMoveTasks':
        return this.moveTasks.list(input);
      case 'CancelMessageMoveTask':
        return this.moveTasks.cancel(input);
      default:
        throw unsupportedOperation(`The operation ${operation} is not supported by the local SQS endpoint.`);
    }
  }

  /** Ends every pending long poll with an empty result and stops all timers (move tasks' too). */
  shutdown(): void {
    this.stopping = true;
    this.moveTasks.shutdown();
    for (const queue of this.queues.values()) this.releaseQueue(queue);
  }

  // ------------------------------------------------------------------------------- queues

  private queueUrl(name: string): string {
    return `${this.options.origin()}/${ACCOUNT_ID}/${name}`;
  }

  private queueArn(name: string): string {
    return `arn:aws:sqs:${this.options.region}:${ACCOUNT_ID}:${name}`;
  }

  /**
   * Queue named by a QueueUrl. Only the path is looked at: clients may reach this server through
   * another host name (localhost, a container alias) than the one in the URL it was given.
   */
  private queueFromInput(input: Json): Queue {
    const raw = requiredString(input, 'QueueUrl');
    let path: string;
    try {
      path = new URL(raw).pathname;
    } catch {
      throw invalidAddress(raw);
    }
    const segments = path.split('/').filter((s) => s !== '');
    if (segments.length !== 2) throw invalidAddress(raw);
    const [account, name] = segments as [string, string];
    const queue = account === ACCOUNT_ID ? this.queues.get(decodeURIComponent(name)) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  private queueNameFromArn(arn: string): string | undefined {
    const match = /^arn:aws[\w-]*:sqs:[\w-]+:\d{12}:([A-Za-z0-9_-]{1,80})$/.exec(arn);
    return match?.[1];
  }

  /** The queue with exactly this ARN (this region and account), if it exists. */
  private queueByArn(arn: string): Queue | undefined {
    const name = this.queueNameFromArn(arn);
    const queue = name === undefined ? undefined : this.queues.get(name);
    return queue?.arn === arn ? queue : undefined;
  }

  /**
   * Validates and normalises queue attributes (values as GetQueueAttributes would return them).
   * RedrivePolicy must name an existing queue, as in SQS, so the DLQ has to be created first.
   */
  private normaliseAttributes(raw: Record<string, string>, self: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, value] of Object.entries(raw)) {
      const range = INTEGER_ATTRIBUTES[name];
      if (range) {
        const number = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(number >= range[0] && number <= range[1])) {
          throw invalidAttributeValue(name, `Must be an integer between ${range[0]} and ${range[1]}.`);
        }
        out.set(name, String(number));
      } else if (name === 'RedrivePolicy') {
        out.set(name, value === '' ? '' : this.normaliseRedrivePolicy(value, self));
      } else if (name === 'RedriveAllowPolicy') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw invalidAttributeValue(name, 'Must be a JSON document.');
        }
        const permission = (parsed as { redrivePermission?: unknown } | null)?.redrivePermission;
        if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
          throw invalidAttributeValue(name, 'redrivePermission must be allowAll, denyAll or byQueue.');
        }
        out.set(name, value);
      } else if (name === 'SqsManagedSseEnabled') {
        if (value !== 'true' && value !== 'false') throw invalidAttributeValue(name);
        out.set(name, value);
      } else if (STORED_ATTRIBUTES.has(name)) {
        out.set(name, value);
      } else if (name === 'FifoQueue') {
        if (value === 'true') throw unsupportedOperation('FIFO queues are not supported by the local SQS endpoint.');
        if (value !== 'false') throw invalidAttributeValue(name);
      } else if (FIFO_ATTRIBUTES.has(name)) {
        throw invalidAttributeName(name);
      } else {
        throw invalidAttributeName(name);
      }
    }
    return out;
  }

  private normaliseRedrivePolicy(value: string, self: string): string {
    const fail = (reason: string): SqsError =>
      invalidParameterValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw fail('Redrive policy is not a valid JSON map.');
    }
    if (typeof parsed !== 'object' || parsed === null) throw fail('Redrive policy is not a valid JSON map.');
    const { deadLetterTargetArn, maxReceiveCount } = parsed as Record<string, unknown>;
    if (typeof deadLetterTargetArn !== 'string') throw fail('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
    const count = typeof maxReceiveCount === 'string' && /^\d+$/.test(maxReceiveCount) ? Number(maxReceiveCount) : maxReceiveCount;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000) {
      throw fail('Invalid value for maxReceiveCount: must be an integer between 1 and 1000.');
    }
    const dlqName = this.queueNameFromArn(deadLetterTargetArn);
    if (!dlqName || !this.queues.has(dlqName)) throw fail('Dead letter target does not exist.');
    if (dlqName === self) throw fail('Dead letter target cannot be the queue itself.');
    return JSON.stringify({ deadLetterTargetArn, maxReceiveCount: count });
  }

  private applyAttributes(queue: Queue, attributes: Map<string, string>): void {
    for (const [name, value] of attributes) {
      if (value === '' && (name === 'RedrivePolicy' || name === 'Policy' || name === 'RedriveAllowPolicy')) {
        queue.attributes.delete(name);
      } else {
        queue.attributes.set(name, value);
      }
    }
    const redrive = queue.attributes.get('RedrivePolicy');
    if (redrive) {
      const parsed = JSON.parse(redrive) as { deadLetterTargetArn: string; maxReceiveCount: number };
      queue.redrive = {
        deadLetterTargetArn: parsed.deadLetterTargetArn,
        deadLetterQueueName: this.queueNameFromArn(parsed.deadLetterTargetArn) ?? '',
        maxReceiveCount: parsed.maxReceiveCount,
      };
    } else {
      queue.redrive = undefined;
    }
  }

  private intAttribute(queue: Queue, name: string): number {
    return Number(queue.attributes.get(name) ?? '0');
  }

  private createQueue(input: Json): Json {
    const name = requiredString(input, 'QueueName');
    if (name.endsWith('.fifo')) throw unsupportedOperation('FIFO queues are not supported by the local SQS endpoint.');
    if (!QUEUE_NAME.test(name)) {
      throw invalidParameterValue(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const attributes = this.normaliseAttributes(optionalStringMap(input, 'Attributes') ?? {}, name);
    const tags = optionalStringMap(input, 'tags') ?? {};
    const existing = this.queues.get(name);
    if (existing) {
      // Idempotent only when every attribute given matches the queue (as SQS decides it).
      for (const [attribute, value] of attributes) {
        if ((existing.attributes.get(attribute) ?? '') !== value) throw queueNameExists(name);
      }
      return { QueueUrl: existing.url };
    }
    const now = this.now();
    const queue: Queue = {
      name,
      url: this.queueUrl(name),
      arn: this.queueArn(name),
      createdTimestamp: now,
      lastModifiedTimestamp: now,
      attributes: new Map(DEFAULT_ATTRIBUTES),
      redrive: undefined,
      tags: new Map(Object.entries(tags)),
      messages: new Map(),
      ready: new Map(),
      pending: new MinHeap<PendingEntry>((entry) => entry.at),
      inflightCount: 0,
      delayedCount: 0,
      lastSweep: now,
      waiters: [],
      timer: undefined,
      deleted: false,
    };
    this.applyAttributes(queue, attributes);
    this.queues.set(name, queue);
    return { QueueUrl: queue.url };
  }

  private getQueueUrl(input: Json): Json {
    const name = requiredString(input, 'QueueName');
    const queue = this.queues.get(name);
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  private listQueues(input: Json): Json {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const maxResults = optionalInteger(input, 'MaxResults', 1, 1000);
    const nextToken = optionalString(input, 'NextToken');
    const after = nextToken ? Buffer.from(nextToken, 'base64url').toString('utf8') : '';
    const names = [...this.queues.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const page = names.slice(0, maxResults ?? 1000);
    const out: Json = {};
    // SQS leaves QueueUrls out when nothing matches, and only pages when MaxResults is given.
    if (page.length > 0) out.QueueUrls = page.map((n) => this.queueUrl(n));
    const last = page[page.length - 1];
    if (maxResults !== undefined && names.length > page.length && last !== undefined) {
      out.NextToken = Buffer.from(last, 'utf8').toString('base64url');
    }
    return out;
  }

  private deleteQueue(input: Json): Json {
    const queue = this.queueFromInput(input);
    this.queues.delete(queue.name);
    queue.deleted = true;
    this.releaseQueue(queue);
    return {};
  }

  /** Ends the queue's long polls empty and drops its timer (queue deleted or server stopping). */
  private releaseQueue(queue: Queue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    for (const waiter of [...queue.waiters]) waiter.deliver([]);
    queue.waiters.length = 0;
  }

  private getQueueAttributes(input: Json): Json {
    const queue = this.queueFromInput(input);
    const requested = optionalStringList(input, 'AttributeNames') ?? [];
    this.refresh(queue);
    const names = requested.includes('All') ? READABLE_ATTRIBUTES : requested;
    const attributes: Record<string, string> = {};
    for (const name of names) {
      const value = this.readAttribute(queue, name);
      if (value !== undefined) attributes[name] = value;
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  private readAttribute(queue: Queue, name: string): string | undefined {
    switch (name) {
      case 'QueueArn':
        return queue.arn;
      case 'ApproximateNumberOfMessages':
        return String(queue.ready.size);
      case 'ApproximateNumberOfMessagesNotVisible':
        return String(queue.inflightCount);
      case 'ApproximateNumberOfMessagesDelayed':
        return String(queue.delayedCount);
      case 'CreatedTimestamp':
        return String(Math.floor(queue.createdTimestamp / 1000));
      case 'LastModifiedTimestamp':
        return String(Math.floor(queue.lastModifiedTimestamp / 1000));
      default:
        if (READABLE_ATTRIBUTES.includes(name)) return queue.attributes.get(name);
        if (FIFO_ATTRIBUTES.has(name)) return undefined;
        throw invalidAttributeName(name);
    }
  }

  private setQueueAttributes(input: Json): Json {
    const queue = this.queueFromInput(input);
    const raw = optionalStringMap(input, 'Attributes');
    if (!raw) throw missingParameter('Attributes');
    this.applyAttributes(queue, this.normaliseAttributes(raw, queue.name));
    queue.lastModifiedTimestamp = this.now();
    return {};
  }

  private purgeQueue(input: Json): Json {
    const queue = this.queueFromInput(input);
    // SQS refuses a second purge within 60 s (PurgeQueueInProgress); tests purge freely, so this does not.
    for (const message of queue.messages.values()) message.gen++;
    queue.messages.clear();
    queue.ready.clear();
    queue.pending.clear();
    queue.inflightCount = 0;
    queue.delayedCount = 0;
    this.armTimer(queue);
    return {};
  }

  private tagQueue(input: Json): Json {
    const queue = this.queueFromInput(input);
    for (const [key, value] of Object.entries(optionalStringMap(input, 'Tags') ?? {})) queue.tags.set(key, value);
    return {};
  }

  private untagQueue(input: Json): Json {
    const queue = this.queueFromInput(input);
    for (const key of optionalStringList(input, 'TagKeys') ?? []) queue.tags.delete(key);
    return {};
  }

  private listQueueTags(input: Json): Json {
    const queue = this.queueFromInput(input);
    return queue.tags.size > 0 ? { Tags: Object.fromEntries(queue.tags) } : {};
  }

  private listDeadLetterSourceQueues(input: Json): Json {
    const queue = this.queueFromInput(input);
    const urls = [...this.queues.values()]
      .filter((q) => q.redrive?.deadLetterQueueName === queue.name)
      .map((q) => q.url)
      .sort();
    return { queueUrls: urls };
  }

  // ------------------------------------------------------------------------------- message state

  private setReady(queue: Queue, message: StoredMessage): void {
    if (message.state === 'inflight') queue.inflightCount--;
    else if (message.state === 'delayed') queue.delayedCount--;
    message.state = 'ready';
    message.gen++;
    queue.ready.set(message.id, message);
  }

  private setPending(queue: Queue, message: StoredMessage, state: 'delayed' | 'inflight', at: number): void {
    if (message.state === 'ready') queue.ready.delete(message.id);
    else if (message.state === 'inflight') queue.inflightCount--;
    else queue.delayedCount--;
    if (state === 'inflight') queue.inflightCount++;
    else queue.delayedCount++;
    message.state = state;
    message.visibleAt = at;
    message.gen++;
    queue.pending.push({ at, message, gen: message.gen });
  }

  private removeMessage(queue: Queue, message: StoredMessage): void {
    if (!queue.messages.delete(message.id)) return;
    if (message.state === 'ready') queue.ready.delete(message.id);
    else if (message.state === 'inflight') queue.inflightCount--;
    else queue.delayedCount--;
    message.gen++;
  }

  /** Drops heap entries made stale by later state changes, so the top is the next real event. */
  private nextPending(queue: Queue): PendingEntry | undefined {
    for (;;) {
      const top = queue.pending.peek();
      if (!top || (top.gen === top.message.gen && queue.messages.get(top.message.id) === top.message)) return top;
      queue.pending.pop();
    }
  }

  /** Makes due delayed/in-flight messages visible and (at most once a second) drops expired ones. */
  private refresh(queue: Queue): void {
    const now = this.now();
    for (let top = this.nextPending(queue); top && top.at <= now; top = this.nextPending(queue)) {
      queue.pending.pop();
      this.setReady(queue, top.message);
    }
    if (now - queue.lastSweep >= SWEEP_INTERVAL_MS) {
      queue.lastSweep = now;
      const retentionMs = this.intAttribute(queue, 'MessageRetentionPeriod') * 1000;
      for (const message of queue.messages.values()) {
        if (message.sentTimestamp + retentionMs <= now) this.removeMessage(queue, message);
      }
    }
  }

  /** `wake` is false inside a batch send so a waiting receive gets the whole batch, not its first entry. */
  private enqueue(queue: Queue, message: StoredMessage, delaySeconds: number, wake = true): void {
    // New messages enter as "delayed" so the state helpers can account for the transition out.
    queue.messages.set(message.id, message);
    queue.delayedCount++;
    if (delaySeconds > 0) {
      this.setPending(queue, message, 'delayed', message.sentTimestamp + delaySeconds * 1000);
      this.armTimer(queue);
    } else {
      this.setReady(queue, message);
      if (wake) this.notify(queue);
    }
  }

  /**
   * Takes up to `max` visible messages and makes them in flight. A message that has already been
   * received maxReceiveCount times is moved to the DLQ here, at receive time, as SQS does: so with
   * maxReceiveCount 5 a message is handed out at most 5 times.
   */
  private take(queue: Queue, max: number, visibilityTimeout: number): StoredMessage[] {
    if (queue.deleted) return [];
    this.refresh(queue);
    const now = this.now();
    const taken: StoredMessage[] = [];
    const touchedDlqs = new Set<Queue>();
    const redrive = queue.redrive;
    const dlq = redrive ? this.queues.get(redrive.deadLetterQueueName) : undefined;
    for (const message of queue.ready.values()) {
      if (taken.length >= max) break;
      if (redrive && dlq && message.receiveCount >= redrive.maxReceiveCount) {
        this.removeMessage(queue, message);
        this.moveToDeadLetterQueue(queue, dlq, message);
        touchedDlqs.add(dlq);
        continue;
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.lastReceipt = ++this.receiptSequence;
      this.setPending(queue, message, 'inflight', now + visibilityTimeout * 1000);
      taken.push(message);
    }
    // Waiters on the DLQ are served after the loop so this queue's iteration is never re-entered.
    for (const target of touchedDlqs) this.notify(target);
    return taken;
  }

  private moveToDeadLetterQueue(source: Queue, dlq: Queue, message: StoredMessage): void {
    const moved: StoredMessage = {
      ...message,
      deadLetterQueueSourceArn: source.arn,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      state: 'delayed',
      visibleAt: 0,
      gen: 0,
      lastReceipt: 0,
    };
    dlq.messages.set(moved.id, moved);
    dlq.delayedCount++;
    this.setReady(dlq, moved);
  }

  /**
   * One step of a move task: a visible message leaves the source and enters the target as a new
   * message (new id and enqueue time, receive count 0; body, message attributes, trace header and
   * sender kept), delayed by the target's DelaySeconds like any send. Without a destination the
   * target is the queue that dead-lettered it (DeadLetterQueueSourceArn); a message that has none
   * (sent to the DLQ directly) or whose queue is gone fails the task, as a deleted destination does.
   */
  private moveMessage(sourceArn: string, messageId: string, destinationArn: string | undefined): MoveOutcome {
    const nonExistent: MoveOutcome = { kind: 'failed', reason: 'AWS.SimpleQueueService.NonExistentQueue' };
    const source = this.queueByArn(sourceArn);
    if (!source) return nonExistent;
    this.refresh(source);
    const message = source.messages.get(messageId);
    if (!message) return { kind: 'gone' };
    if (message.state !== 'ready') return { kind: 'busy' };
    const targetArn = destinationArn ?? message.deadLetterQueueSourceArn;
    const target = targetArn === undefined ? undefined : this.queueByArn(targetArn);
    if (!target) return nonExistent;
    this.removeMessage(source, message);
    const moved: StoredMessage = {
      ...message,
      id: randomUUID(),
      sentTimestamp: this.now(),
      deadLetterQueueSourceArn: undefined,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      state: 'delayed',
      visibleAt: 0,
      gen: 0,
      lastReceipt: 0,
    };
    this.enqueue(target, moved, this.intAttribute(target, 'DelaySeconds'));
    return { kind: 'moved' };
  }

  /** Serves waiting long polls from visible messages, then re-arms the queue's wake-up timer. */
  private notify(queue: Queue): void {
    if (queue.waiters.length === 0) return;
    while (queue.waiters.length > 0) {
      const waiter = queue.waiters[0] as Waiter;
      const taken = this.take(queue, waiter.max, waiter.visibilityTimeout);
      if (taken.length === 0) break;
      waiter.deliver(taken); // removes itself from queue.waiters
    }
    this.armTimer(queue);
  }

  /**
   * One timer per queue, only while long polls wait, set for the next delayed/in-flight message
   * to become visible. Unref'd: it must never keep the process alive.
   */
  private armTimer(queue: Queue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = undefined;
    if (queue.waiters.length === 0 || queue.deleted || this.stopping) return;
    const next = this.nextPending(queue);
    if (!next) return;
    const delay = Math.max(0, next.at - this.now());
    queue.timer = setTimeout(() => {
      queue.timer = undefined;
      this.notify(queue);
    }, delay);
    queue.timer.unref();
  }

  // ------------------------------------------------------------------------------- receipts

  private receiptHandle(queue: Queue, message: StoredMessage): string {
    const payload = Buffer.from(`${queue.name}\n${message.id}\n${message.lastReceipt}`, 'utf8').toString('base64url');
    const mac = createHmac('sha256', this.secret).update(payload).digest('base64url');
    return `${payload}.${mac}`;
  }

  private parseReceiptHandle(queue: Queue, handle: string): { messageId: string; receipt: number } {
    const dot = handle.lastIndexOf('.');
    if (dot > 0) {
      const payload = handle.slice(0, dot);
      const mac = createHmac('sha256', this.secret).update(payload).digest('base64url');
      if (mac === handle.slice(dot + 1)) {
        const [queueName, messageId, receipt] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
        if (queueName === queue.name && messageId && receipt) return { messageId, receipt: Number(receipt) };
      }
    }
    throw receiptHandleIsInvalid(handle);
  }

  // ------------------------------------------------------------------------------- messages

  private buildMessage(queue: Queue, input: Json, context: RequestContext): { message: StoredMessage; delay: number; result: Json } {
    const body = optionalString(input, 'MessageBody');
    if (body === undefined || body === '') throw missingParameter('MessageBody');
    const delay = optionalInteger(input, 'DelaySeconds', 0, 900) ?? this.intAttribute(queue, 'DelaySeconds');
    if (optionalString(input, 'MessageDeduplicationId') !== undefined) {
      throw invalidParameterValue(
        'The request includes a parameter that is not valid for this queue type. Reason: MessageDeduplicationId is supported only for FIFO queues.',
      );
    }
    const groupId = optionalString(input, 'MessageGroupId');
    assertValidCharacters(body, 'the message body');
    const attributes = parseMessageAttributes(input.MessageAttributes);
    const systemAttributes = parseMessageSystemAttributes(input.MessageSystemAttributes);
    const limit = this.intAttribute(queue, 'MaximumMessageSize');
    const size = Buffer.byteLength(body, 'utf8') + attributesSize(attributes);
    if (size > limit) {
      throw invalidParameterValue(
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5OfBody: md5Hex(body),
      attributes,
      traceHeader: systemAttributes.get('AWSTraceHeader')?.StringValue,
      senderId: context.senderId,
      sentTimestamp: this.now(),
      groupId,
      deadLetterQueueSourceArn: undefined,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      state: 'delayed',
      visibleAt: 0,
      gen: 0,
      lastReceipt: 0,
    };
    const result: Json = { MessageId: message.id, MD5OfMessageBody: message.md5OfBody };
    if (attributes.size > 0) result.MD5OfMessageAttributes = md5OfMessageAttributes(attributes);
    if (systemAttributes.size > 0) result.MD5OfMessageSystemAttributes = md5OfMessageAttributes(systemAttributes);
    return { message, delay, result };
  }

  private sendMessage(input: Json, context: RequestContext): Json {
    const queue = this.queueFromInput(input);
    const { message, delay, result } = this.buildMessage(queue, input, context);
    this.enqueue(queue, message, delay);
    return result;
  }

  private sendMessageBatch(input: Json, context: RequestContext): Json {
    const queue = this.queueFromInput(input);
    const entries = batchEntries(input);
    const limit = this.intAttribute(queue, 'MaximumMessageSize');
    let total = 0;
    for (const entry of entries) {
      const body = entry.MessageBody;
      if (typeof body === 'string') total += Buffer.byteLength(body, 'utf8');
    }
    if (total > limit) throw batchRequestTooLong(limit);
    const successful: Json[] = [];
    const failed: Json[] = [];
    for (const entry of entries) {
      const id = entry.Id as string;
      try {
        const { message, delay, result } = this.buildMessage(queue, entry, context);
        this.enqueue(queue, message, delay, false);
        successful.push({ Id: id, ...result });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        failed.push(failedEntry(id, error));
      }
    }
    this.notify(queue);
    return { Successful: successful, Failed: failed };
  }

  private receiveMessage(input: Json, context: RequestContext): Json | Promise<Json> {
    const queue = this.queueFromInput(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10, ', if provided') ?? 1;
    const visibilityTimeout =
      optionalInteger(input, 'VisibilityTimeout', 0, 43_200) ?? this.intAttribute(queue, 'VisibilityTimeout');
    const wait =
      optionalInteger(input, 'WaitTimeSeconds', 0, 20) ?? this.intAttribute(queue, 'ReceiveMessageWaitTimeSeconds');
    const systemNames = [
      ...(optionalStringList(input, 'AttributeNames') ?? []),
      ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? []),
    ];
    const wantsSystem = systemNames.includes('All')
      ? () => true
      : (name: string): boolean => systemNames.includes(name);
    const wantsAttribute = attributeSelector(optionalStringList(input, 'MessageAttributeNames'));
    const format = (taken: StoredMessage[]): Json =>
      taken.length === 0
        ? {}
        : { Messages: taken.map((m) => this.formatMessage(queue, m, wantsSystem, wantsAttribute)) };

    const taken = this.take(queue, max, visibilityTimeout);
    if (taken.length > 0 || wait === 0 || this.stopping) return format(taken);

    return new Promise<Json>((resolve) => {
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        context.signal.removeEventListener('abort', onAbort);
        const index = queue.waiters.indexOf(waiter);
        if (index >= 0) queue.waiters.splice(index, 1);
        this.armTimer(queue);
      };
      const waiter: Waiter = {
        max,
        visibilityTimeout,
        deliver: (messages) => {
          if (done) return;
          finish();
          resolve(format(messages));
        },
      };
      // At the deadline take once more: a message may have become visible since the last timer.
      const timer = setTimeout(() => waiter.deliver(this.take(queue, max, visibilityTimeout)), wait * 1000);
      timer.unref();
      const onAbort = (): void => {
        if (done) return;
        finish();
        resolve({});
      };
      context.signal.addEventListener('abort', onAbort, { once: true });
      queue.waiters.push(waiter);
      this.armTimer(queue);
    });
  }

  private formatMessage(
    queue: Queue,
    message: StoredMessage,
    wantsSystem: (name: string) => boolean,
    wantsAttribute: (name: string) => boolean,
  ): Json {
    const out: Json = {
      MessageId: message.id,
      ReceiptHandle: this.receiptHandle(queue, message),
      MD5OfBody: message.md5OfBody,
      Body: message.body,
    };
    const system: Record<string, string> = {};
    for (const name of SYSTEM_ATTRIBUTES) {
      if (!wantsSystem(name)) continue;
      const value = this.systemAttribute(message, name);
      if (value !== undefined) system[name] = value;
    }
    if (Object.keys(system).length > 0) out.Attributes = system;
    const selected = new Map<string, MessageAttributeValue>();
    for (const [name, value] of message.attributes) if (wantsAttribute(name)) selected.set(name, value);
    if (selected.size > 0) {
      out.MessageAttributes = Object.fromEntries([...selected].map(([name, value]) => [name, attributeToJson(value)]));
      // Over the attributes returned, so SDKs that verify it (Java, .NET) agree when filtering.
      out.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
    }
    return out;
  }

  private systemAttribute(message: StoredMessage, name: (typeof SYSTEM_ATTRIBUTES)[number]): string | undefined {
    switch (name) {
      case 'SenderId':
        return message.senderId;
      case 'SentTimestamp':
        return String(message.sentTimestamp);
      case 'ApproximateReceiveCount':
        return String(message.receiveCount);
      case 'ApproximateFirstReceiveTimestamp':
        return message.firstReceiveTimestamp === undefined ? undefined : String(message.firstReceiveTimestamp);
      case 'AWSTraceHeader':
        return message.traceHeader;
      case 'MessageGroupId':
        return message.groupId;
      case 'DeadLetterQueueSourceArn':
        return message.deadLetterQueueSourceArn;
    }
  }

  /**
   * Deleting needs a handle this server issued for this queue. Like SQS, an older handle of the
   * same message still deletes it, and deleting an already deleted message succeeds.
   */
  private deleteByHandle(queue: Queue, handle: string): void {
    const { messageId } = this.parseReceiptHandle(queue, handle);
    const message = queue.messages.get(messageId);
    if (message) this.removeMessage(queue, message);
  }

  private deleteMessage(input: Json): Json {
    const queue = this.queueFromInput(input);
    this.deleteByHandle(queue, requiredString(input, 'ReceiptHandle'));
    return {};
  }

  private deleteMessageBatch(input: Json): Json {
    const queue = this.queueFromInput(input);
    return eachBatchEntry(input, (entry) => this.deleteByHandle(queue, requiredString(entry, 'ReceiptHandle')));
  }

  /**
   * Changing visibility needs the latest handle of a message that is in flight: a stale handle
   * would otherwise let an earlier consumer meddle with a message someone else now holds.
   */
  private changeVisibility(queue: Queue, handle: string, visibilityTimeout: number): void {
    const { messageId, receipt } = this.parseReceiptHandle(queue, handle);
    this.refresh(queue);
    const message = queue.messages.get(messageId);
    if (!message || message.state !== 'inflight') {
      throw invalidParameterValue(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    if (message.lastReceipt !== receipt) {
      throw invalidParameterValue(
        `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      );
    }
    const at = this.now() + visibilityTimeout * 1000;
    if (visibilityTimeout === 0) this.setReady(queue, message);
    else this.setPending(queue, message, 'inflight', at);
  }

  private changeMessageVisibility(input: Json): Json {
    const queue = this.queueFromInput(input);
    const handle = requiredString(input, 'ReceiptHandle');
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, 43_200);
    if (timeout === undefined) throw missingParameter('VisibilityTimeout');
    this.changeVisibility(queue, handle, timeout);
    this.notify(queue);
    this.armTimer(queue);
    return {};
  }

  private changeMessageVisibilityBatch(input: Json): Json {
    const queue = this.queueFromInput(input);
    const result = eachBatchEntry(input, (entry) => {
      const timeout = optionalInteger(entry, 'VisibilityTimeout', 0, 43_200);
      if (timeout === undefined) throw missingParameter('VisibilityTimeout');
      this.changeVisibility(queue, requiredString(entry, 'ReceiptHandle'), timeout);
    });
    this.notify(queue);
    this.armTimer(queue);
    return result;
  }
}

/** Applies `apply` to each batch entry; SQS errors fail that entry only, as SQS reports them. */
const eachBatchEntry = (input: Json, apply: (entry: Json) => void): Json => {
  const successful: Json[] = [];
  const failed: Json[] = [];
  for (const entry of batchEntries(input)) {
    const id = entry.Id as string;
    try {
      apply(entry);
      successful.push({ Id: id });
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      failed.push(failedEntry(id, error));
    }
  }
  return { Successful: successful, Failed: failed };
};
