/**
 * Schedules: subscriptions the gateway renews by itself, every cadence (issue 4).
 *
 * Run k of a schedule happens at `anchor + k × cadence` and renews period k. For a provider that
 * renews terms (its declaration's `schedule.term`: Punchh) the periods are terms that chain: term
 * k starts where the current term (given when the schedule was set) ends, plus k cadences, and
 * ends one cadence later. A run is queued under a key derived from
 * (provider, subscription, period start), so however many times a run is attempted — overlapping
 * scheduler runs, a crash between queueing and advancing, a schedule replaced with the same
 * period — it queues one renewal.
 */
import type * as ScheduleRequestModule from './schedule-request';
import { declarationOf, type Provider } from '../system';
import type { FieldError } from '../http/problem';
import type { ProviderDeclaration, ScheduleDeclaration } from '../providers/declaration';
import type { CanonicalRequest, Operation } from './canonical';
import { addDuration, minimumMs, parseDuration, type Duration } from './duration';

export const SCHEDULE_STATUSES = ['active', 'paused', 'cancelled'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/**
 * The last instant a run or a term may reach: ISO 8601 four-digit years. Past it a date either
 * cannot be computed at all (JavaScript dates end in year 275760: `P300000Y` gives an Invalid
 * Date) or is written `+010000-…`, which sorts before every four-digit year in the due index.
 */
export const SCHEDULE_HORIZON = '9999-12-31T23:59:59.999Z';
/** Runs checked when a schedule is set: each (and, for Punchh, the term it renews) must be within the horizon. */
export const RUNS_CHECKED_WHEN_SET = 3;

export interface Term {
  readonly startTime: string;
  readonly endTime: string;
}

export interface ScheduleRecord {
  readonly provider: Provider;
  readonly subscription: string;
  readonly operation: Operation;
  /** The params of every renewal (Punchh: price and plan; the term is added per period). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly cadence: string;
  /**
   * How long before each run's time its renewal is queued (ISO 8601 duration, at most
   * MAX_LEAD_TIME_MS and shorter than the cadence): a rate-limited provider's renewals start early
   * enough. The run's time still decides the period and the deadline (run time + grace).
   */
  readonly leadTime?: string;
  /** Run 0's time; run k is anchorAt + k × cadence. */
  readonly anchorAt: string;
  /** Punchh: the term current when the schedule was set; run k renews the k-th term after it. */
  readonly term?: Term;
  readonly status: ScheduleStatus;
  /** Index of the next run, and its time. */
  readonly runIndex: number;
  readonly nextRunAt: string;
  /** Bumped by every write: the scheduler advances only the version it read. */
  readonly version: number;
  readonly lastRenewalId?: string;
  readonly lastPeriodStart?: string;
  readonly lastRunAt?: string;
  /**
   * The signed messages (a digest of each webhook-id) that set or cancelled this schedule lately,
   * with when (epoch seconds): a replay of one of them is answered without being applied again,
   * so it cannot undo a later change (docs/architecture.md#a-signed-request-does-only-what-it-asked).
   */
  readonly webhooks?: Readonly<Record<string, number>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const cadenceOf = (s: Pick<ScheduleRecord, 'cadence'>): Duration => {
  const d = parseDuration(s.cadence);
  if (!d) throw new Error(`schedule cadence ${s.cadence} is not a duration`);
  return d;
};

export const runAt = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence'>, k: number): Date => addDuration(new Date(s.anchorAt), cadenceOf(s), k);

/** The longest lead time a schedule may set: a week. */
export const MAX_LEAD_TIME_MS = 7 * 24 * 3_600_000;

/**
 * A schedule's lead time in ms (0 without one). Validation allows no months or years (their
 * shortest is longer than MAX_LEAD_TIME_MS), so the duration is exact.
 */
export const leadMs = (s: Pick<ScheduleRecord, 'leadTime'>): number => {
  const d = s.leadTime === undefined ? undefined : parseDuration(s.leadTime);
  return d ? minimumMs(d) : 0;
};

/** When the scheduler queues the next run: its time less the lead time (the due index's sort key). */
export const startsAt = (s: Pick<ScheduleRecord, 'nextRunAt' | 'leadTime'>): string => new Date(Date.parse(s.nextRunAt) - leadMs(s)).toISOString();

/** The run to make now, queued a lead time early: the latest run whose time minus the lead time has come. */
export const runIndexToStart = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence' | 'runIndex' | 'leadTime'>, now: Date): number =>
  currentRunIndex(s, new Date(now.getTime() + leadMs(s)));

/** The period run k renews: its start (the dedupe key) and, for Punchh, its term. */
export const periodOf = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence' | 'term'>, k: number): { start: string; term?: Term } => {
  if (!s.term) return { start: runAt(s, k).toISOString() };
  const cadence = cadenceOf(s);
  const start = addDuration(new Date(s.term.endTime), cadence, k).toISOString();
  const end = addDuration(new Date(s.term.endTime), cadence, k + 1).toISOString();
  return { start, term: { startTime: start, endTime: end } };
};

/**
 * The run to make now: the latest one that is due. After an outage several periods behind, only
 * the current period is renewed; the missed ones are skipped, not renewed one after another.
 */
export const currentRunIndex = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence' | 'runIndex'>, now: Date): number => {
  let k = s.runIndex;
  // Bounded: a daily schedule 30 years behind is ~11 000 steps of cheap date arithmetic.
  for (let steps = 0; steps < 100_000 && runAt(s, k + 1).getTime() <= now.getTime(); steps++) k++;
  return k;
};

/** A scheduled renewal's grace when its provider declares none (docs/architecture.md#deadlines). */
export const DEFAULT_DEADLINE_GRACE_HOURS = 24;

/**
 * How long after its run a scheduled renewal may still happen: its `deadline` is the run's time
 * plus this. The provider's declaration says (`schedule.deadlineGraceHours`: Pelcro 72), else a day.
 */
export const deadlineGraceHours = (provider: Provider): number => {
  const declaration: ProviderDeclaration = declarationOf(provider);
  return declaration.schedule?.deadlineGraceHours ?? DEFAULT_DEADLINE_GRACE_HOURS;
};

/** The params that carry a provider's term, if it renews terms (its declaration's `schedule.term`). */
export const termParamsOf = (provider: Provider): ScheduleDeclaration['term'] => {
  const declaration: ProviderDeclaration = declarationOf(provider);
  return declaration.schedule?.term;
};

/** The renewal run k asks for: the schedule's params, plus the term of period k where there is one. */
export const renewalRequestFor = (s: ScheduleRecord, k: number): CanonicalRequest => {
  const period = periodOf(s, k);
  let params: Record<string, unknown> = { ...s.params };
  if (period.term) {
    const names = termParamsOf(s.provider);
    if (!names) throw new Error(`schedule ${s.provider}/${s.subscription} has a term, but ${s.provider} declares no term params`);
    params = { ...params, [names.startParam]: period.term.startTime, [names.endParam]: period.term.endTime };
  }
  const deadline = new Date(runAt(s, k).getTime() + deadlineGraceHours(s.provider) * 3_600_000).toISOString();
  return { provider: s.provider, operation: s.operation, subscription: s.subscription, params, deadline };
};

/** The idempotency key of run k: one renewal per (provider, subscription, period). */
export const scheduledKey = (s: Pick<ScheduleRecord, 'provider' | 'subscription' | 'anchorAt' | 'cadence' | 'term'>, k: number): string =>
  `schedule:${s.provider}:${s.subscription}:${periodOf(s, k).start}`;

const HORIZON_MS = Date.parse(SCHEDULE_HORIZON);
const withinHorizon = (d: Date): boolean => !Number.isNaN(d.getTime()) && d.getTime() <= HORIZON_MS;

/** Whether the first runs after run 0 (and the Punchh terms they renew) can be computed and stay within the horizon. */
export const advanceable = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence' | 'term'>): boolean => {
  const cadence = parseDuration(s.cadence);
  if (!cadence) return false;
  for (let k = 0; k <= RUNS_CHECKED_WHEN_SET; k++) {
    if (!withinHorizon(addDuration(new Date(s.anchorAt), cadence, k))) return false;
    if (s.term && !withinHorizon(addDuration(new Date(s.term.endTime), cadence, k + 1))) return false;
  }
  return true;
};

export type ScheduleValidation = { ok: true; value: ScheduleRecord } | { ok: false; errors: FieldError[] };

/** Validates a PUT and builds the schedule it sets (run 0 at nextRunAt); `previous` is the schedule it replaces. */
export type ScheduleFromRequest = (
  provider: string,
  subscription: string,
  body: unknown,
  now: Date,
  previous?: Pick<ScheduleRecord, 'version' | 'createdAt' | 'lastRenewalId' | 'lastPeriodStart' | 'lastRunAt'>,
) => Promise<ScheduleValidation>;

/** The checks (and the provider's canonical schemas) are loaded on the first PUT: schedule-request.ts. */
export const scheduleFromRequest: ScheduleFromRequest = async (...args) => (await loadScheduleRequest()).scheduleFromRequest(...args);

let scheduleRequest: Promise<typeof ScheduleRequestModule> | undefined;
const loadScheduleRequest = () =>
  // Stryker disable next-line StringLiteral: an import path emptied resolves to the folder itself, which crashes the test runner instead of failing a test
  (scheduleRequest ??= import('./schedule-request').catch((error: unknown) => {
    scheduleRequest = undefined;
    throw error;
  }));

/** What GET returns. */
export const toScheduleResource = (s: ScheduleRecord, lastRenewal?: { id: string; status: string }) => ({
  provider: s.provider,
  subscription: s.subscription,
  operation: s.operation,
  params: s.params,
  cadence: s.cadence,
  ...(s.leadTime ? { leadTime: s.leadTime } : {}),
  status: s.status,
  ...(s.term ? { term: s.term } : {}),
  nextRunAt: s.status === 'active' ? s.nextRunAt : null,
  nextPeriod: s.status === 'active' ? periodOf(s, s.runIndex) : null,
  lastRenewal: s.lastRenewalId ? { id: s.lastRenewalId, periodStart: s.lastPeriodStart, queuedAt: s.lastRunAt, status: lastRenewal?.status ?? null } : null,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});
