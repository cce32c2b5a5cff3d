/**
 * A provider's backlog forecast (docs/architecture.md#deadlines, issue 12): the renewals waiting in
 * its queue, drained at its pace (its rate limit, or without one a renewal per second per
 * concurrent batch), give the time the backlog is done by; compared with the earliest deadline
 * among the renewals waiting, it says whether that renewal is forecast to be late.
 *
 * Deliberately pessimistic: the whole backlog's finish is compared with the earliest deadline, as
 * if that renewal came last. The earliest deadline is read from the oldest waiting renewals (the
 * inbox, oldest first: FORECAST_SAMPLE of them), which for scheduled renewals (deadline = run time
 * + grace) are the ones due first; a webhook's own later `deadline` further back is not seen.
 * Pure: the sweeper (metric, alarm) and `GET /v1/providers` both use it.
 */
import { parseRateLimit } from '../adapters/rate-limiter';

/** How many of the oldest waiting renewals are read for the earliest deadline. */
export const FORECAST_SAMPLE = 25;

export interface BacklogForecast {
  /** Messages in the provider's queue (visible, in flight, delayed). */
  readonly backlog: number;
  /** Renewals a second the provider is given. */
  readonly perSecond: number;
  /** When the backlog is forecast to be done (ISO). */
  readonly drainsBy: string;
  /** The earliest deadline among the oldest waiting renewals, or null when none has one. */
  readonly earliestDeadline: string | null;
  /** The forecast passes the earliest deadline. */
  readonly late: boolean;
  /** drainsBy − earliestDeadline in whole seconds (negative: time to spare); null without a deadline. */
  readonly lateBySeconds: number | null;
}

/**
 * Renewals a second: the rate limit as its consumers apply it (`120/60s`), or, when there is none
 * (`off` or unset), one renewal per second per concurrent batch, a slow provider's pace.
 */
export const providerPace = (rateLimit: string | null | undefined, maximumConcurrency: number): number => {
  const setting = rateLimit?.trim();
  if (setting && setting !== 'off') {
    const rate = parseRateLimit(setting);
    return (rate.limit * 1000) / rate.windowMs;
  }
  return Math.max(1, maximumConcurrency);
};

export const forecastBacklog = (input: { backlog: number; perSecond: number; now: Date; deadlines: ReadonlyArray<string | undefined> }): BacklogForecast => {
  const drainsAt = input.now.getTime() + (input.backlog / input.perSecond) * 1000;
  const earliest = input.deadlines.reduce<number | undefined>((min, d) => {
    const t = d === undefined ? NaN : Date.parse(d);
    return Number.isNaN(t) ? min : min === undefined ? t : Math.min(min, t);
  }, undefined);
  const lateBySeconds = earliest === undefined ? null : Math.round((drainsAt - earliest) / 1000);
  return {
    backlog: input.backlog,
    perSecond: input.perSecond,
    drainsBy: new Date(Math.ceil(drainsAt)).toISOString(),
    earliestDeadline: earliest === undefined ? null : new Date(earliest).toISOString(),
    late: earliest !== undefined && drainsAt > earliest,
    lateBySeconds,
  };
};
