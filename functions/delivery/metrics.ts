/**
 * Delivery metrics (Powertools Metrics, EMF: no API call), per attempt:
 * - `EventDeliveries` (service, endpoint, outcome = delivered | failed | dead): per endpoint.
 * - `EventDeliveriesFailed`, `EventDeliveriesDeadLettered` (service): totals, for the alarms.
 * - `EventDeliveriesMovedToSlowLane` (service, endpoint): main-lane messages sent on to the slow
 *   lane because their endpoint answered slowly lately.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE } from '../../shared/system';
import type { DeliveryObserver } from './app';

export const createDeliveryMetrics = (metrics: Metrics = new Metrics({ namespace: METRICS_NAMESPACE })): DeliveryObserver => {
  let failed = 0;
  let dead = 0;
  return {
    attempted(endpointId, outcome) {
      const single = metrics.singleMetric();
      single.addDimensions({ endpoint: endpointId, outcome });
      single.addMetric('EventDeliveries', MetricUnit.Count, 1);
      if (outcome !== 'delivered') failed++;
      if (outcome === 'dead') dead++;
    },
    movedToSlowLane(endpointId) {
      const single = metrics.singleMetric();
      single.addDimensions({ endpoint: endpointId });
      single.addMetric('EventDeliveriesMovedToSlowLane', MetricUnit.Count, 1);
    },
    flush() {
      if (failed > 0) metrics.addMetric('EventDeliveriesFailed', MetricUnit.Count, failed);
      if (dead > 0) metrics.addMetric('EventDeliveriesDeadLettered', MetricUnit.Count, dead);
      failed = 0;
      dead = 0;
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
};
