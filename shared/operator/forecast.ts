/**
 * A provider's backlog forecast from what the caller already knows (its queue depth, its rate
 * limit) and a sample of the oldest waiting renewals from the inbox (shared/domain/forecast.ts).
 * The sweeper (metric and alarm) and `GET /v1/providers` both use it. With an empty queue nothing
 * is read: nothing waits, nothing is late.
 */
import type { InboxReader } from '../adapters/renewal-store';
import { FORECAST_SAMPLE, forecastBacklog, providerPace, type BacklogForecast } from '../domain/forecast';
import { functionDescription, type Provider } from '../system';

export const forecastProvider = async (
  provider: Provider,
  depth: number,
  rateLimit: string | null | undefined,
  inbox: { page: InboxReader['page'] },
  now: Date,
): Promise<BacklogForecast> => {
  const perSecond = providerPace(rateLimit, functionDescription(`consumer-${provider}`).consumes?.maximumConcurrency ?? 1);
  const deadlines =
    depth > 0 ? (await inbox.page({ statuses: ['queued', 'retry_scheduled'], providers: [provider] }, { limit: FORECAST_SAMPLE })).items.map((r) => r.deadline) : [];
  return forecastBacklog({ backlog: depth, perSecond, now, deadlines });
};
