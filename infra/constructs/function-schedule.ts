import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SCHEDULE_SETTINGS } from '../settings';
import type { GatewayFunction } from './gateway-function';

/** EventBridge limits on a rate schedule and on a target's retry policy. */
const SECONDS_PER_MINUTE = 60;
const MAX_RETRY_ATTEMPTS = 185;
/** The event age applies to both EventBridge (1 min..24 h) and Lambda's async queue (1 min..6 h). */
const MIN_EVENT_AGE_SECONDS = 60;
const MAX_EVENT_AGE_SECONDS = 6 * 60 * 60;
/** SQS limits on message retention. */
const MIN_RETENTION_SECONDS = 60;
const MAX_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * Retries of a failed run by Lambda itself (asynchronous invocation). None: the next scheduled
 * run comes one rate period later and finds the same due work, so a retry would only run twice
 * what the schedule already runs; the failure goes to the dead-letter queue and the function's
 * Errors alarm instead.
 */
const FUNCTION_RETRY_ATTEMPTS = 0;

export interface FunctionScheduleProps {
  /** The function to run; its description's `runsEvery` is the default rate. */
  readonly function: GatewayFunction;
  /**
   * How often the rule runs the function. EventBridge rates are whole minutes, at least one.
   * @default the description's `runsEvery`
   */
  readonly rate?: Duration;
  /**
   * Times EventBridge retries delivering a run it could not hand to Lambda (throttling, service
   * errors), with backoff, before the run goes to the dead-letter queue.
   * @default SCHEDULE_SETTINGS.retryAttempts (2)
   */
  readonly retryAttempts?: number;
  /**
   * Age past which a run is no longer delivered (by EventBridge) or started (from Lambda's
   * asynchronous queue) and goes to the dead-letter queue instead: a stale run is useless, the
   * next one comes a rate period later.
   * @default SCHEDULE_SETTINGS.maxEventAgeSeconds (1 hour)
   */
  readonly maxEventAge?: Duration;
  /**
   * How long failed runs stay in the dead-letter queue.
   * @default SCHEDULE_SETTINGS.deadLetterRetentionDays (14 days, the SQS maximum)
   */
  readonly deadLetterRetention?: Duration;
}

/**
 * Runs a function on a fixed rate (EventBridge rule with retry policy and DLQ:
 * docs/architecture.md#from-a-schedule).
 *
 * A run can fail in two places, and both end in the one dead-letter queue, which the stack
 * alarms on: EventBridge cannot deliver it (target retry policy, then the target's DLQ), or the
 * function fails it (the asynchronous invocation's on-failure destination, with the error).
 * The queue is encrypted (SQS-managed SSE) and refuses non-TLS requests; EventBridge may send to
 * it only for this rule (CDK adds the `aws:SourceArn` condition), the function through a grant.
 */
export class FunctionSchedule extends Construct {
  public readonly rule: Rule;
  /** Runs that EventBridge could not deliver or the function failed. */
  public readonly deadLetterQueue: Queue;
  /** The function the rule runs. */
  public readonly function: GatewayFunction;
  /** The rate the rule runs it at (whole minutes). */
  public readonly rate: Duration;

  constructor(scope: Construct, id: string, props: FunctionScheduleProps) {
    super(scope, id);
    const { function: target } = props;
    const where = `FunctionSchedule ${target.description.id}`;
    const rate = props.rate ?? defaultRate(where, target);
    const retryAttempts = props.retryAttempts ?? SCHEDULE_SETTINGS.retryAttempts;
    const maxEventAge = props.maxEventAge ?? Duration.seconds(SCHEDULE_SETTINGS.maxEventAgeSeconds);
    const deadLetterRetention = props.deadLetterRetention ?? Duration.days(SCHEDULE_SETTINGS.deadLetterRetentionDays);
    validate(where, { rate, retryAttempts, maxEventAge, deadLetterRetention });
    this.function = target;
    this.rate = rate;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });

    target.fn.configureAsyncInvoke({
      retryAttempts: FUNCTION_RETRY_ATTEMPTS,
      maxEventAge,
      // Grants the function's role sqs:SendMessage on this queue only.
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    this.rule = new Rule(this, 'Rule', {
      description: `Runs the renewal gateway ${target.description.id} function every ${rate.toHumanString()}`,
      schedule: Schedule.rate(Duration.minutes(rate.toMinutes())),
    });
    // Adds the lambda:InvokeFunction permission for this rule and the DLQ policy for EventBridge.
    this.rule.addTarget(
      new LambdaFunction(target.fn, {
        retryAttempts,
        maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is itself a dead-letter queue: the target DLQ of the EventBridge rule and the on-failure destination of the function. cdk-nag only recognises DLQs named in a queue redrive policy or a function DeadLetterConfig, so it does not see that.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is the end of the line for failed scheduled runs, which operators inspect; nothing consumes it, so a redrive policy (and a DLQ of the DLQ) would never be used.',
      },
    );
    Validations.of(target.fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to the on-failure destination of the event invoke config (the same queue as the rule DLQ), which records the error too; a DeadLetterConfig as well would deliver every failure twice.',
    });
  }
}

function defaultRate(where: string, target: GatewayFunction): Duration {
  const runsEvery = target.description.runsEvery;
  if (!runsEvery) throw new Error(`${where}: give a rate or describe runsEvery for the function`);
  return Duration.seconds(runsEvery.seconds);
}

interface Checked {
  readonly rate: Duration;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly deadLetterRetention: Duration;
}

function validate(where: string, c: Checked): void {
  // toSeconds({ integral: false }): a fractional duration must fail here with this message.
  const rateSeconds = c.rate.toSeconds({ integral: false });
  if (rateSeconds < SECONDS_PER_MINUTE || rateSeconds % SECONDS_PER_MINUTE !== 0) {
    throw new Error(`${where}: EventBridge rates are whole minutes, at least 1; got ${rateSeconds} s`);
  }
  if (!Number.isInteger(c.retryAttempts) || c.retryAttempts < 0 || c.retryAttempts > MAX_RETRY_ATTEMPTS) {
    throw new Error(`${where}: retryAttempts must be an integer in 0..${MAX_RETRY_ATTEMPTS}, got ${c.retryAttempts}`);
  }
  const age = c.maxEventAge.toSeconds({ integral: false });
  if (!Number.isInteger(age) || age < MIN_EVENT_AGE_SECONDS || age > MAX_EVENT_AGE_SECONDS) {
    throw new Error(`${where}: maxEventAge must be whole seconds between 1 minute and 6 hours, got ${age} s`);
  }
  const retention = c.deadLetterRetention.toSeconds({ integral: false });
  if (!Number.isInteger(retention) || retention < MIN_RETENTION_SECONDS || retention > MAX_RETENTION_SECONDS) {
    throw new Error(`${where}: deadLetterRetention must be between 1 minute and 14 days, got ${retention} s`);
  }
}
