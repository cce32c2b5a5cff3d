/**
 * Outcome metrics, emitted from the events function because it sees every status change once
 * (docs/architecture.md#outcome-metrics). Powertools Metrics writes CloudWatch embedded metric
 * format lines to the function's log: no API call. Only events added to the log for the first
 * time are counted, so a batch the stream redelivers counts nothing twice.
 *
 * - `RenewalsCompleted` (dimensions service, provider, status, errorClass): a renewal reached a
 *   terminal status (succeeded, accepted, failed, needs_attention, or one added later).
 * - `RenewalsFinished`, `RenewalsFailed`, `RenewalsNeedingAttention` (dimension service): the same
 *   without the breakdown, for the alarms (an alarm needs exact dimensions).
 * - `AttemptLatency` (service, provider), milliseconds: the attempt that led to a retry or an end.
 * - `TimeToDone` (service, provider), milliseconds: from when the renewal was due (its `notBefore`),
 *   or accepted when it had none, to its terminal status.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../shared/system';
import type { DerivedEvent } from '../../shared/events/event';
import type { EventObserver } from './app';

/** Statuses after which nothing more happens to a renewal (besides operator actions). */
const NOT_FINISHED = new Set(['queued', 'in_progress', 'retry_scheduled']);

export const createEventMetrics = (metrics: Metrics = new Metrics({ namespace: METRICS_NAMESPACE })): EventObserver => ({
  observe(derived: readonly DerivedEvent[]): void {
    const totals = { RenewalsFinished: 0, RenewalsFailed: 0, RenewalsNeedingAttention: 0 };
    for (const { event, lastAttemptLatencyMs, sinceDueMs } of derived) {
      const { provider, status, lastErrorClass } = event.data;
      const finished = !NOT_FINISHED.has(status);
      if (finished) {
        const single = metrics.singleMetric();
        single.addDimensions({ provider, status, errorClass: lastErrorClass ?? 'none' });
        single.addMetric('RenewalsCompleted', MetricUnit.Count, 1);
        totals.RenewalsFinished++;
        if (status === 'failed') totals.RenewalsFailed++;
        if (status === 'needs_attention') totals.RenewalsNeedingAttention++;
        if (sinceDueMs !== undefined) {
          const done = metrics.singleMetric();
          done.addDimension('provider', provider);
          done.addMetric('TimeToDone', MetricUnit.Milliseconds, sinceDueMs);
        }
      }
      if ((finished || status === 'retry_scheduled') && lastAttemptLatencyMs !== undefined) {
        const single = metrics.singleMetric();
        single.addDimension('provider', provider);
        single.addMetric('AttemptLatency', MetricUnit.Milliseconds, lastAttemptLatencyMs);
      }
    }
    for (const [name, value] of Object.entries(totals)) if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
  },
  flush(): void {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  },
});
