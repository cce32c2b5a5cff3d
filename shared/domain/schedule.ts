/**
 * Schedules: subscriptions the gateway renews by itself, every cadence (issue 4).
 *
 * Run k of a schedule happens at `anchor + k × cadence` and renews period k. For Punchh the
 * periods are terms that chain: term k starts where the current term (given when the schedule was
 * set) ends, plus k cadences, and ends one cadence later. A run is queued under a key derived from
 * (provider, subscription, period start), so however many times a run is attempted — overlapping
 * scheduler runs, a crash between queueing and advancing, a schedule replaced with the same
 * period — it queues one renewal.
 */
import * as z from 'zod';
import { PROVIDERS, type Provider } from '../system';
import type { FieldError } from '../http/problem';
import { issuesToFieldErrors, OPERATIONS, OPERATIONS_BY_PROVIDER, parseCanonicalRequest, type CanonicalRequest, type Operation } from './canonical';
import { addDuration, minimumMs, parseDuration, type Duration } from './duration';

export const SCHEDULE_STATUSES = ['active', 'paused', 'cancelled'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/** Cadences shorter than this are refused: a schedule is for renewals, not polling. */
export const MIN_CADENCE_MS = 60 * 60 * 1000;

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
  readonly createdAt: string;
  readonly updatedAt: string;
}

const isoDateTime = () => z.iso.datetime({ offset: true });

export const scheduleBody = z
  .strictObject({
    operation: z.enum(OPERATIONS).optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    cadence: z.string().refine((v) => parseDuration(v) !== undefined, 'must be an ISO 8601 duration such as P1M, P1Y or P7D'),
    nextRunAt: isoDateTime(),
    status: z.enum(['active', 'paused']).default('active'),
    term: z.strictObject({ startTime: isoDateTime(), endTime: isoDateTime() }).optional(),
  })
  .superRefine((b, ctx) => {
    const d = parseDuration(b.cadence);
    if (d && minimumMs(d) < MIN_CADENCE_MS) ctx.addIssue({ code: 'custom', path: ['cadence'], message: 'must be at least one hour (PT1H)' });
    if (b.term && Date.parse(b.term.endTime) <= Date.parse(b.term.startTime)) {
      ctx.addIssue({ code: 'custom', path: ['term', 'endTime'], message: 'must be after term.startTime' });
    }
  });
export type ScheduleBody = z.output<typeof scheduleBody>;

const cadenceOf = (s: Pick<ScheduleRecord, 'cadence'>): Duration => {
  const d = parseDuration(s.cadence);
  if (!d) throw new Error(`schedule cadence ${s.cadence} is not a duration`);
  return d;
};

export const runAt = (s: Pick<ScheduleRecord, 'anchorAt' | 'cadence'>, k: number): Date => addDuration(new Date(s.anchorAt), cadenceOf(s), k);

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

/** The renewal run k asks for. Pelcro's scheduled renewals use the Core call (no customer session). */
export const renewalRequestFor = (s: ScheduleRecord, k: number): CanonicalRequest => {
  const period = periodOf(s, k);
  const params = period.term ? { ...s.params, startTime: period.term.startTime, endTime: period.term.endTime } : { ...s.params };
  return { provider: s.provider, operation: s.operation, subscription: s.subscription, params };
};

/** The idempotency key of run k: one renewal per (provider, subscription, period). */
export const scheduledKey = (s: Pick<ScheduleRecord, 'provider' | 'subscription' | 'anchorAt' | 'cadence' | 'term'>, k: number): string =>
  `schedule:${s.provider}:${s.subscription}:${periodOf(s, k).start}`;

export type ScheduleValidation = { ok: true; value: ScheduleRecord } | { ok: false; errors: FieldError[] };

/** Validates a PUT and builds the schedule it sets (run 0 at nextRunAt). */
export const scheduleFromRequest = (
  provider: string,
  subscription: string,
  body: unknown,
  now: Date,
  previous?: Pick<ScheduleRecord, 'version' | 'createdAt' | 'lastRenewalId' | 'lastPeriodStart' | 'lastRunAt'>,
): ScheduleValidation => {
  const p = z.enum(PROVIDERS).safeParse(provider);
  if (!p.success) return { ok: false, errors: [{ path: 'path.provider', message: `must be one of ${PROVIDERS.join(', ')}` }] };
  const parsed = scheduleBody.safeParse(body);
  if (!parsed.success) return { ok: false, errors: issuesToFieldErrors(parsed.error.issues) };
  const b = parsed.data;
  const allowed: readonly Operation[] = OPERATIONS_BY_PROVIDER[p.data];
  const operation = b.operation ?? (allowed.length === 1 ? allowed[0] : undefined);
  if (!operation || !allowed.includes(operation)) {
    return { ok: false, errors: [{ path: 'operation', message: `is required for ${p.data}: one of ${allowed.join(', ')}` }] };
  }
  const errors: FieldError[] = [];
  if (p.data === 'punchh' && !b.term) errors.push({ path: 'term', message: 'is required for Punchh: the current term, which the next renewal follows' });
  if (p.data !== 'punchh' && b.term) errors.push({ path: 'term', message: `applies to Punchh only, not ${p.data}` });
  if (p.data === 'pelcro' && b.params.api !== 'core') {
    errors.push({ path: 'params.api', message: 'must be "core": scheduled renewals have no customer session, so they use the Core call' });
  }
  for (const key of ['startTime', 'endTime']) {
    if (key in b.params) errors.push({ path: `params.${key}`, message: 'is set per period from term and cadence' });
  }
  if (errors.length > 0) return { ok: false, errors };

  const record: ScheduleRecord = {
    provider: p.data,
    subscription,
    operation,
    params: b.params,
    cadence: b.cadence,
    anchorAt: new Date(b.nextRunAt).toISOString(),
    ...(b.term ? { term: { startTime: new Date(b.term.startTime).toISOString(), endTime: new Date(b.term.endTime).toISOString() } } : {}),
    status: b.status,
    runIndex: 0,
    nextRunAt: new Date(b.nextRunAt).toISOString(),
    version: (previous?.version ?? 0) + 1,
    ...(previous?.lastRenewalId ? { lastRenewalId: previous.lastRenewalId } : {}),
    ...(previous?.lastPeriodStart ? { lastPeriodStart: previous.lastPeriodStart } : {}),
    ...(previous?.lastRunAt ? { lastRunAt: previous.lastRunAt } : {}),
    createdAt: previous?.createdAt ?? now.toISOString(),
    updatedAt: now.toISOString(),
  };
  // Every renewal it will ask for must be valid: check the first with the canonical rules.
  const first = parseCanonicalRequest(renewalRequestFor(record, 0));
  if (!first.ok) {
    // Punchh's per-period fields come from the term; name them there. (Mutation testing: the
    // regex without `^` survives as an equivalent mutant: every params path starts with `params.`;
    // 'term' emptied survives, untested: only a term whose next period ends after year 9999 gets
    // here.)
    return { ok: false, errors: first.errors.map((e) => ({ ...e, path: e.path.replace(/^params\.(startTime|endTime)$/, 'term') })) };
  }
  return { ok: true, value: record };
};

/** What GET returns. */
export const toScheduleResource = (s: ScheduleRecord, lastRenewal?: { id: string; status: string }) => ({
  provider: s.provider,
  subscription: s.subscription,
  operation: s.operation,
  params: s.params,
  cadence: s.cadence,
  status: s.status,
  ...(s.term ? { term: s.term } : {}),
  nextRunAt: s.status === 'active' ? s.nextRunAt : null,
  nextPeriod: s.status === 'active' ? periodOf(s, s.runIndex) : null,
  lastRenewal: s.lastRenewalId ? { id: s.lastRenewalId, periodStart: s.lastPeriodStart, queuedAt: s.lastRunAt, status: lastRenewal?.status ?? null } : null,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});
