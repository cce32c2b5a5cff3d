/**
 * Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
 *
 * A task moves the messages its source DLQ holds when it starts (visible, in flight or delayed)
 * to the destination queue, or, without a DestinationArn, each one back to the queue whose
 * redrive policy dead-lettered it. It runs on a timer in the background, at most
 * MaxNumberOfMessagesPerSecond messages a second, and completes once every message of that
 * snapshot has been moved or has left the DLQ otherwise (deleted, expired, purged). A message in
 * flight is left to whoever holds it and moved once it becomes visible again, so a consumer that
 * deletes it after processing wins. Messages that reach the DLQ after the start are not part of
 * the task, so a task always ends.
 *
 * What comes from AWS, and how it is known:
 * - Errors, messages and status codes were recorded against SQS by LocalStack's snapshot tests
 *   (tests/aws/services/sqs/test_sqs_move_task.snapshot.json): a source that is not a DLQ and a
 *   second task on a busy source are `InvalidParameterValue`; an unknown source or destination is
 *   `ResourceNotFoundException` (404); a handle that does not decode is `InvalidParameterValue`,
 *   one whose task is unknown `ResourceNotFoundException` "Task does not exist."; a task whose
 *   destination disappears ends FAILED with FailureReason `AWS.SimpleQueueService.NonExistentQueue`.
 * - Task handles are base64 of `{"taskId":"<uuid>","sourceArn":"<arn>"}`, as those tests decode
 *   real handles.
 * - Moved messages are new messages (new MessageId and enqueue time, so retention restarts, and a
 *   receive count of 0) with the same body and message attributes (SQS Developer Guide, "configure
 *   a dead-letter queue redrive").
 * Not documented, chosen here: cancelling a task that is no longer RUNNING answers
 * `ResourceNotFoundException` (AWS only ever shows the handle of a RUNNING task); a cancelled task
 * goes straight to CANCELLED (nothing is mid-move between two timer ticks, so CANCELLING is never
 * seen); ApproximateNumberOfMessagesToMove counts every message of the snapshot, in flight ones
 * included.
 */
import { randomUUID } from 'node:crypto';
import { invalidParameterValue, missingParameter, resourceNotFound } from './errors';

type Json = Record<string, unknown>;

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

/** What moving one message of a snapshot came to. */
export type MoveOutcome =
  | { readonly kind: 'moved' }
  /** No longer in the source (deleted, expired, purged): nothing to move. */
  | { readonly kind: 'gone' }
  /** In flight or delayed: try again later. */
  | { readonly kind: 'busy' }
  /** The task cannot go on (a queue it needs does not exist); the code becomes FailureReason. */
  | { readonly kind: 'failed'; readonly reason: string };

/** What the task runner needs from the queues (implemented by the engine). */
export interface MoveTaskHost {
  /** Whether a queue with exactly this ARN exists. */
  queueExists(arn: string): boolean;
  /** Whether some queue's RedrivePolicy names this ARN as its dead-letter target. */
  isDeadLetterQueue(arn: string): boolean;
  /** Ids of the messages the queue holds now, oldest first. */
  messageIds(arn: string): string[];
  /** Moves one message of `sourceArn` to `destinationArn`, or to its original source queue. */
  moveMessage(sourceArn: string, messageId: string, destinationArn: string | undefined): MoveOutcome;
  now(): number;
}

interface MoveTask {
  readonly id: string;
  readonly handle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | undefined;
  readonly rate: number | undefined;
  readonly startedTimestamp: number;
  readonly toMove: number;
  /** Ids of the snapshot still to move, oldest first. */
  pending: string[];
  moved: number;
  status: MoveTaskStatus;
  failureReason: string | undefined;
  /** Messages the rate allows to move now (fractional part carried between ticks). */
  budget: number;
  timer: NodeJS.Timeout | undefined;
}

const NOT_FOUND_SOURCE = "The resource that you specified for the SourceArn parameter doesn't exist.";
const NOT_FOUND_DESTINATION = "The resource that you specified for the DestinationArn parameter doesn't exist.";
const ARN = /^arn:[^:\s]+:[^:\s]+:[^:\s]*:[^:\s]*:\S+$/;
/** Tasks kept per source once finished: ListMessageMoveTasks returns at most 10. */
const KEPT_PER_SOURCE = 10;
/** Without a rate limit, moved per tick; ticks follow each other without delay. */
const UNLIMITED_BATCH = 100;
/** Shortest tick with a rate limit (500/s is then 5 a tick). */
const MIN_TICK_MS = 10;
/** When only in-flight or delayed messages are left, look again this often. */
const BUSY_RETRY_MS = 200;

const arnParameter = (input: Json, name: 'SourceArn' | 'DestinationArn', required: boolean): string | undefined => {
  const value = input[name];
  if (value === undefined || value === null || value === '') {
    if (required) throw missingParameter(name);
    return undefined;
  }
  if (typeof value !== 'string' || !ARN.test(value)) {
    throw invalidParameterValue(
      `You must use this format to specify the ${name}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`,
    );
  }
  return value;
};

const integerParameter = (input: Json, name: string, min: number, max: number): number | undefined => {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  }
  return value;
};

export const encodeTaskHandle = (taskId: string, sourceArn: string): string =>
  Buffer.from(JSON.stringify({ taskId, sourceArn }), 'utf8').toString('base64');

export const decodeTaskHandle = (handle: string): { taskId: string; sourceArn: string } | undefined => {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { taskId, sourceArn } = parsed as Record<string, unknown>;
    if (typeof taskId !== 'string' || typeof sourceArn !== 'string') return undefined;
    return { taskId, sourceArn };
  } catch {
    return undefined;
  }
};

export class MoveTasks {
  /** Every task kept, per source ARN, oldest first. */
  private readonly bySource = new Map<string, MoveTask[]>();
  private stopped = false;

  constructor(private readonly host: MoveTaskHost) {}

  start(input: Json): Json {
    const sourceArn = arnParameter(input, 'SourceArn', true) as string;
    const destinationArn = arnParameter(input, 'DestinationArn', false);
    const rate = integerParameter(input, 'MaxNumberOfMessagesPerSecond', 1, 500);
    if (!this.host.queueExists(sourceArn)) throw resourceNotFound(NOT_FOUND_SOURCE);
    if (!this.host.isDeadLetterQueue(sourceArn)) {
      throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    }
    if (destinationArn !== undefined) {
      if (!this.host.queueExists(destinationArn)) throw resourceNotFound(NOT_FOUND_DESTINATION);
      if (destinationArn === sourceArn) {
        throw invalidParameterValue('Source queue arn and destination queue arn cannot be the same.');
      }
    }
    const tasks = this.bySource.get(sourceArn) ?? [];
    if (tasks.some((task) => task.status === 'RUNNING' || task.status === 'CANCELLING')) {
      throw invalidParameterValue(
        'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
      );
    }
    const id = randomUUID();
    const pending = this.host.messageIds(sourceArn);
    const task: MoveTask = {
      id,
      handle: encodeTaskHandle(id, sourceArn),
      sourceArn,
      destinationArn,
      rate,
      startedTimestamp: this.host.now(),
      toMove: pending.length,
      pending,
      moved: 0,
      status: 'RUNNING',
      failureReason: undefined,
      budget: 0,
      timer: undefined,
    };
    tasks.push(task);
    // Forget the oldest finished tasks beyond what ListMessageMoveTasks can return.
    while (tasks.length > KEPT_PER_SOURCE) tasks.shift();
    this.bySource.set(sourceArn, tasks);
    this.schedule(task, 0);
    return { TaskHandle: task.handle };
  }

  list(input: Json): Json {
    const sourceArn = arnParameter(input, 'SourceArn', true) as string;
    const max = integerParameter(input, 'MaxResults', 1, 10) ?? 1;
    if (!this.host.queueExists(sourceArn)) throw resourceNotFound(NOT_FOUND_SOURCE);
    const tasks = [...(this.bySource.get(sourceArn) ?? [])].reverse().slice(0, max);
    return { Results: tasks.map((task) => this.entry(task)) };
  }

  cancel(input: Json): Json {
    const handle = input.TaskHandle;
    if (handle === undefined || handle === null || handle === '') throw missingParameter('TaskHandle');
    const decoded = typeof handle === 'string' ? decodeTaskHandle(handle) : undefined;
    if (!decoded) throw invalidParameterValue('Value for parameter TaskHandle is invalid.');
    if (!this.host.queueExists(decoded.sourceArn)) throw resourceNotFound(NOT_FOUND_SOURCE);
    const task = this.bySource.get(decoded.sourceArn)?.find((t) => t.id === decoded.taskId);
    if (!task || task.status !== 'RUNNING') throw resourceNotFound('Task does not exist.');
    this.finish(task, 'CANCELLED');
    return { ApproximateNumberOfMessagesMoved: task.moved };
  }

  /** Stops every task's timer (server stopping); nothing moves afterwards. */
  shutdown(): void {
    this.stopped = true;
    for (const tasks of this.bySource.values()) {
      for (const task of tasks) {
        if (task.timer) clearTimeout(task.timer);
        task.timer = undefined;
      }
    }
  }

  private entry(task: MoveTask): Json {
    const out: Json = {};
    if (task.status === 'RUNNING') out.TaskHandle = task.handle;
    out.Status = task.status;
    out.SourceArn = task.sourceArn;
    if (task.destinationArn !== undefined) out.DestinationArn = task.destinationArn;
    if (task.rate !== undefined) out.MaxNumberOfMessagesPerSecond = task.rate;
    out.ApproximateNumberOfMessagesMoved = task.moved;
    out.ApproximateNumberOfMessagesToMove = task.toMove;
    if (task.failureReason !== undefined) out.FailureReason = task.failureReason;
    out.StartedTimestamp = task.startedTimestamp;
    return out;
  }

  /** Milliseconds between ticks, and messages each tick may move. */
  private pace(task: MoveTask): { interval: number; perTick: number } {
    if (task.rate === undefined) return { interval: 0, perTick: UNLIMITED_BATCH };
    const interval = Math.max(MIN_TICK_MS, 1000 / task.rate);
    return { interval, perTick: (task.rate * interval) / 1000 };
  }

  private schedule(task: MoveTask, delay: number): void {
    if (this.stopped || task.status !== 'RUNNING') return;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      this.tick(task);
    }, delay);
    // The server's stop() clears it; it must never keep a process alive on its own either.
    task.timer.unref();
  }

  private tick(task: MoveTask): void {
    if (this.stopped || task.status !== 'RUNNING') return;
    const { interval, perTick } = this.pace(task);
    // Unused allowance is not saved up: a rate is a ceiling, not an average to catch up with.
    task.budget = Math.min(task.budget + perTick, Math.max(perTick, 1));
    let movedNow = 0;
    const stillPending: string[] = [];
    for (let i = 0; i < task.pending.length; i++) {
      const id = task.pending[i] as string;
      if (task.budget < 1) {
        stillPending.push(...task.pending.slice(i));
        break;
      }
      const outcome = this.host.moveMessage(task.sourceArn, id, task.destinationArn);
      if (outcome.kind === 'failed') {
        task.failureReason = outcome.reason;
        task.pending = [...stillPending, ...task.pending.slice(i)];
        this.finish(task, 'FAILED');
        return;
      }
      if (outcome.kind === 'moved') {
        task.moved++;
        task.budget--;
        movedNow++;
      } else if (outcome.kind === 'busy') {
        stillPending.push(id);
      }
    }
    task.pending = stillPending;
    if (task.pending.length === 0) {
      // The source may have been deleted after its last message left: SQS reports that as a failure.
      if (!this.host.queueExists(task.sourceArn)) {
        task.failureReason = 'AWS.SimpleQueueService.NonExistentQueue';
        this.finish(task, 'FAILED');
      } else {
        this.finish(task, 'COMPLETED');
      }
      return;
    }
    this.schedule(task, movedNow === 0 ? Math.max(interval, BUSY_RETRY_MS) : interval);
  }

  private finish(task: MoveTask, status: Exclude<MoveTaskStatus, 'RUNNING' | 'CANCELLING'>): void {
    task.status = status;
    if (task.timer) clearTimeout(task.timer);
    task.timer = undefined;
    task.pending = [];
  }
}
