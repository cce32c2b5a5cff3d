import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { pascal } from '../naming';
import { ALARM_SETTINGS, EVENT_SETTINGS } from '../settings';
import { METRICS_NAMESPACE } from '../../shared/system';
import type { EventDelivery } from './event-delivery';
import type { EventPublishing } from './event-publishing';
import { POWERTOOLS_SERVICE_NAME } from './gateway-function';
import type { FunctionSchedule } from './function-schedule';
import type { GatewayFunction } from './gateway-function';
import type { ProviderQueue } from './provider-queue';

export interface GatewayAlarmsProps {
  /**
   * Age of the oldest message in a provider queue above which the provider is not keeping up.
   * @default ALARM_SETTINGS.oldestMessageAgeSeconds (15 minutes)
   */
  readonly oldestMessageAge?: Duration;
  /**
   * What happens to the topic's KMS key when it leaves the stack (DESTROY schedules deletion).
   * @default RemovalPolicy.RETAIN
   */
  readonly keyRemovalPolicy?: RemovalPolicy;
}

/**
 * The alarms that say a renewal may be late or stuck (docs/architecture.md#alarms), all notifying
 * one SNS topic that operators subscribe to (e-mail, chat, paging). The topic is encrypted with
 * its own KMS key because CloudWatch cannot publish to a topic under the AWS-managed SNS key; the
 * key policy lets CloudWatch use it, and nothing else.
 */
export class GatewayAlarms extends Construct {
  public readonly topic: Topic;
  public readonly topicKey: Key;
  public readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;
  private readonly oldestMessageAge: Duration;

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps = {}) {
    super(scope, id);
    this.oldestMessageAge = props.oldestMessageAge ?? Duration.seconds(ALARM_SETTINGS.oldestMessageAgeSeconds);

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the renewal gateway alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.keyRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.topicKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Renewal gateway alarms',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    this.action = new SnsAction(this.topic);
  }

  /**
   * Alarms for one provider queue: any message in its DLQ (a renewal gave up and needs a person),
   * and an oldest message older than the threshold (the consumer is not keeping up).
   */
  watchQueue(queue: ProviderQueue): void {
    const id = queue.description.id;
    this.deadLetterAlarm(
      `${id}DeadLetters`,
      queue.deadLetterQueue,
      `Messages in the ${queue.description.provider} dead-letter queue: renewals exhausted their receives; inspect, fix and redrive.`,
    );
    this.add(
      new Alarm(this, `${id}OldestMessageAge`, {
        alarmDescription: `The oldest ${queue.description.provider} renewal has waited more than ${this.oldestMessageAge.toHumanString()}: the provider or its consumer is not keeping up.`,
        metric: queue.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: this.oldestMessageAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Several minutes in a row, so one slow batch does not page anyone.
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Alarm on any invocation error of a function (handlers catch expected failures themselves). */
  watchFunction(fn: GatewayFunction): void {
    this.add(
      new Alarm(this, `${pascal(fn.description.id)}Errors`, {
        alarmDescription: `The ${fn.description.id} function failed invocations (unhandled error, timeout or out of memory).`,
        metric: fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Alarms for a scheduled function's trigger (its Errors alarm comes from `watchFunction`): any
   * failed run in the schedule's dead-letter queue, and any run EventBridge failed to deliver
   * (FailedInvocations counts each failed attempt, so it fires before retries are exhausted).
   */
  watchSchedule(schedule: FunctionSchedule): void {
    const fnId = schedule.function.description.id;
    const id = pascal(fnId);
    this.deadLetterAlarm(
      `${id}ScheduleDeadLetters`,
      schedule.deadLetterQueue,
      `Failed ${fnId} runs in the schedule dead-letter queue (not delivered by EventBridge, or failed by the function); later runs still take the due work, find out why these failed.`,
    );
    this.add(
      new Alarm(this, `${id}ScheduleFailedInvocations`, {
        alarmDescription: `EventBridge failed to invoke the ${fnId} function on schedule (permission, throttling or service error): scheduled renewals may not be queued.`,
        metric: new Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensionsMap: { RuleName: schedule.rule.ruleName },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Alarms on outcomes and on the event path: any renewal needing attention, a failure rate above
   * EVENT_SETTINGS.failureRateThreshold, any stream batch given up (failure queue), and a stream
   * the events function is falling behind on (iterator age).
   */
  watchEvents(events: EventPublishing): void {
    const outcome = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: POWERTOOLS_SERVICE_NAME }, period: Duration.minutes(5), statistic: 'Sum' });
    this.add(
      new Alarm(this, 'RenewalsNeedingAttention', {
        alarmDescription: 'A renewal ended needs_attention: its outcome is unknown or the provider refused it in a way only a person can resolve (GET /v1/events?type=renewal.needs_attention).',
        metric: outcome('RenewalsNeedingAttention'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.add(
      new Alarm(this, 'RenewalFailureRate', {
        alarmDescription: `More than ${EVENT_SETTINGS.failureRateThreshold * 100} % of the renewals that finished in 5 minutes failed.`,
        metric: new MathExpression({
          // A period with finished renewals but no failure has no RenewalsFailed datapoint: fill it with 0.
          expression: 'IF(finished > 0, FILL(failed, 0) / finished, 0)',
          usingMetrics: { failed: outcome('RenewalsFailed'), finished: outcome('RenewalsFinished') },
          period: Duration.minutes(5),
          label: 'Failed share of finished renewals',
        }),
        threshold: EVENT_SETTINGS.failureRateThreshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.deadLetterAlarm(
      'EventStreamFailures',
      events.failureQueue,
      'The events function gave up on table stream records (a day of retries): their events are neither in the event log nor on the bus; the message names the shard and sequence range.',
    );
    this.add(
      new Alarm(this, 'EventStreamIteratorAge', {
        alarmDescription: 'The events function is more than 10 minutes behind the table stream: events are late (the stream keeps records 24 h).',
        metric: events.function.fn.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 10 * 60 * 1000,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /**
   * Alarms on push delivery: deliveries failing (any failed attempt in each of three 5-minute
   * periods: an endpoint down for 15 minutes or more), any delivery given up (dead letter), and any
   * message in the delivery queue's DLQ or the slow lane's (the function itself failing on it).
   */
  watchDelivery(delivery: EventDelivery): void {
    const total = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: POWERTOOLS_SERVICE_NAME }, period: Duration.minutes(5), statistic: 'Sum' });
    this.add(
      new Alarm(this, 'EventDeliveriesFailing', {
        alarmDescription: 'Event deliveries to a registered endpoint have failed for 15 minutes: it is down or refusing them (GET /v1/event-endpoints/{id}/deliveries); they are retried for 27 hours.',
        metric: total('EventDeliveriesFailed'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.add(
      new Alarm(this, 'EventDeliveriesGivenUp', {
        alarmDescription: 'An event delivery was given up (its retries ran out, or the endpoint answered 410): the endpoint missed it; replay it (POST /v1/event-endpoints/{id}/replay).',
        metric: total('EventDeliveriesDeadLettered'),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    this.deadLetterAlarm(
      'EventDeliveryDeadLetters',
      delivery.deadLetterQueue,
      'The delivery function failed 5 times on delivery messages (an error of its own, not an endpoint failing); see its logs, then redrive the DLQ.',
    );
    this.deadLetterAlarm(
      'EventDeliverySlowDeadLetters',
      delivery.slowDeadLetterQueue,
      "The delivery function failed 5 times on messages of the delivery's slow lane (an error of its own, not an endpoint failing); see its logs, then redrive the DLQ.",
    );
  }

  /**
   * The backlog forecast (issue 12, functions/sweeper/app.ts): the sweeper emits, each run, how
   * many providers' backlogs are forecast to finish after the earliest deadline waiting
   * (`ProvidersForecastLate`, 0 included). Any in a 10-minute window (two sweeper runs apart, so a
   * run that was late or skipped does not leave a gap) alarms: a renewal is forecast to be late.
   */
  watchBacklogForecast(): void {
    this.add(
      new Alarm(this, 'BacklogForecastLate', {
        alarmDescription:
          "A provider's backlog, drained at its rate limit, is forecast to finish after the earliest deadline among its waiting renewals (GET /v1/providers: forecast; metric BacklogForecastLateSeconds by provider).",
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'ProvidersForecastLate',
          dimensionsMap: { service: POWERTOOLS_SERVICE_NAME },
          period: Duration.minutes(10),
          statistic: 'Maximum',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Alarm on any message in a dead-letter queue that is not a provider's (e.g. the scheduler queue's). */
  watchDeadLetterQueue(id: string, queue: IQueue, description: string): void {
    this.deadLetterAlarm(id, queue, description);
  }

  private add(alarm: Alarm): void {
    alarm.addAlarmAction(this.action);
    // Tell operators when it clears too, so nobody investigates a problem that already ended.
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }

  /** Any message in a dead-letter queue needs a person. */
  private deadLetterAlarm(id: string, queue: IQueue, description: string): void {
    this.add(
      new Alarm(this, id, {
        alarmDescription: description,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
