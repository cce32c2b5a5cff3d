import { Duration, Stack } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../shared/system';
import type { EventDelivery } from './event-delivery';
import type { EventPublishing } from './event-publishing';
import { POWERTOOLS_SERVICE_NAME } from './gateway-function';
import type { ProviderQueue } from './provider-queue';

export interface GatewayDashboardProps {
  readonly queues: readonly ProviderQueue[];
  readonly events: EventPublishing;
  readonly delivery?: EventDelivery;
}

const PERIOD = Duration.minutes(5);

/**
 * One CloudWatch dashboard per stage (`<stack name>-outcomes`): renewals completed by provider,
 * status and error class, attempt latency, the failure rate, queue depths and DLQs, and how far
 * the events function is behind the table stream (docs/architecture.md#outcome-metrics).
 */
export class GatewayDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: GatewayDashboardProps) {
    super(scope, id);
    const outcome = (metricName: string, statistic = 'Sum') =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: POWERTOOLS_SERVICE_NAME }, period: PERIOD, statistic });
    // SEARCH finds every provider × status × error class combination that has reported.
    const search = (expression: string, label: string): IMetric => new MathExpression({ expression, label, period: PERIOD, usingMetrics: {} });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-outcomes`,
      defaultInterval: Duration.hours(24),
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Renewals completed (provider, status, error class)',
        width: 12,
        left: [search(`SEARCH('{${METRICS_NAMESPACE},errorClass,provider,service,status} MetricName="RenewalsCompleted"', 'Sum', 300)`, 'completed')],
      }),
      new GraphWidget({
        title: 'Failed share of finished renewals',
        width: 12,
        left: [
          new MathExpression({
            expression: 'IF(finished > 0, FILL(failed, 0) / finished, 0)',
            usingMetrics: { failed: outcome('RenewalsFailed'), finished: outcome('RenewalsFinished') },
            period: PERIOD,
            label: 'failed / finished',
          }),
        ],
        right: [outcome('RenewalsNeedingAttention')],
      }),
      new GraphWidget({
        title: 'Attempt latency by provider (p50, p95, ms)',
        width: 12,
        left: [
          search(`SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="AttemptLatency"', 'p50', 300)`, 'p50'),
          search(`SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="AttemptLatency"', 'p95', 300)`, 'p95'),
        ],
      }),
      new GraphWidget({
        title: 'Queue depth (visible) and dead letters',
        width: 12,
        left: props.queues.map((q) => q.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: q.description.provider })),
        right: props.queues.map((q) => q.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: `${q.description.provider} DLQ` })),
      }),
      new GraphWidget({
        title: 'Events: behind the table stream (ms) and batches given up',
        width: 12,
        left: [props.events.function.fn.metric('IteratorAge', { period: PERIOD, statistic: 'Maximum' })],
        right: [props.events.failureQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'on-failure queue' })],
      }),
      new GraphWidget({
        title: 'Time from due (or accepted) to done by provider (p50, p95, ms)',
        width: 12,
        left: [
          search(`SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="TimeToDone"', 'p50', 300)`, 'p50'),
          search(`SEARCH('{${METRICS_NAMESPACE},provider,service} MetricName="TimeToDone"', 'p95', 300)`, 'p95'),
        ],
      }),
    );
    const delivery = props.delivery;
    if (delivery) {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Event deliveries by endpoint and outcome (delivered, failed, dead)',
          width: 12,
          left: [search(`SEARCH('{${METRICS_NAMESPACE},endpoint,outcome,service} MetricName="EventDeliveries"', 'Sum', 300)`, 'deliveries')],
          right: [outcome('EventDeliveriesFailed'), outcome('EventDeliveriesDeadLettered')],
        }),
        new GraphWidget({
          title: 'Delivery queue depth (main and slow lane) and their DLQs',
          width: 12,
          left: [
            delivery.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'delivery queue' }),
            delivery.slowQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'slow lane' }),
          ],
          right: [
            delivery.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'delivery DLQ' }),
            delivery.slowDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: 'slow lane DLQ' }),
          ],
        }),
      );
    }
  }
}
