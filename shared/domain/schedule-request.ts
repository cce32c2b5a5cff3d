/**
 * Validating a schedule PUT (docs/architecture.md#schedule-lifecycle), loaded on the first one.
 * What differs per provider comes from its declaration's `schedule`: whether it renews terms
 * (Punchh), and params a scheduled renewal must have (Pelcro: the Core call).
 */
import * as z from '../zod';
import { declarationOf, PROVIDERS } from '../system';
import type { FieldError } from '../http/problem';
import type { ProviderDeclaration, ScheduleDeclaration } from '../providers/declaration';
import { REGISTRY } from '../providers/registry';
import { issuesToFieldErrors, OPERATIONS, OPERATIONS_BY_PROVIDER, parseCanonicalRequest, type Operation } from './canonical';
import { minimumMs, parseDuration } from './duration';
import { advanceable, MAX_LEAD_TIME_MS, renewalRequestFor, RUNS_CHECKED_WHEN_SET, SCHEDULE_HORIZON, termParamsOf, type ScheduleFromRequest, type ScheduleRecord } from './schedule';

/** Cadences shorter than this are refused: a schedule is for renewals, not polling. */
export const MIN_CADENCE_MS = 60 * 60 * 1000;

const isoDateTime = () => z.iso.datetime({ offset: true });

export const scheduleBody = z
  .strictObject({
    operation: z.optional(z.enum(OPERATIONS)),
    params: z._default(z.record(z.string(), z.unknown()), {}),
    cadence: z.string().check(z.refine((v) => parseDuration(v) !== undefined, 'must be an ISO 8601 duration such as P1M, P1Y or P7D')),
    leadTime: z.optional(z.string().check(z.refine((v) => parseDuration(v) !== undefined, 'must be an ISO 8601 duration such as PT6H or P2D'))),
    nextRunAt: isoDateTime(),
    status: z._default(z.enum(['active', 'paused']), 'active'),
    term: z.optional(z.strictObject({ startTime: isoDateTime(), endTime: isoDateTime() })),
  })
  .check(
    z.superRefine((b, ctx) => {
      const d = parseDuration(b.cadence);
      if (d && minimumMs(d) < MIN_CADENCE_MS) ctx.addIssue({ code: 'custom', path: ['cadence'], message: 'must be at least one hour (PT1H)' });
      const lead = b.leadTime === undefined ? undefined : parseDuration(b.leadTime);
      if (lead) {
        const leadMs = minimumMs(lead);
        // A month or a year is at least 28 days (minimumMs): over the limit, with no test of its own.
        if (leadMs > MAX_LEAD_TIME_MS) ctx.addIssue({ code: 'custom', path: ['leadTime'], message: 'must be at most 7 days (P7D)' });
        else if (d && leadMs >= minimumMs(d)) ctx.addIssue({ code: 'custom', path: ['leadTime'], message: 'must be shorter than the cadence' });
      }
      if (b.term && Date.parse(b.term.endTime) <= Date.parse(b.term.startTime)) {
        ctx.addIssue({ code: 'custom', path: ['term', 'endTime'], message: 'must be after term.startTime' });
      }
    }),
  );
export type ScheduleBody = z.output<typeof scheduleBody>;

const scheduleOf = (d: ProviderDeclaration): ScheduleDeclaration => d.schedule ?? {};
/** Providers that renew terms, by name (`Punchh`). */
const TERM_PROVIDERS = REGISTRY.filter((p) => scheduleOf(p).term).map((p) => p.name);
/** Params set per period from the term, never by the schedule itself (`startTime`, `endTime`). */
const TERM_PARAMS = [
  ...new Set(
    REGISTRY.flatMap((p): string[] => {
      const term = scheduleOf(p).term;
      return term
        ? [term.startParam, term.endParam]
        : // Stryker disable next-line ArrayDeclaration: a provider without a term adding a param named by Stryker's placeholder would refuse only a schedule setting that param
          [];
    }),
  ),
];

export const scheduleFromRequest: ScheduleFromRequest = async (provider, subscription, body, now, previous) => {
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
  const declaration = declarationOf(p.data);
  const rules = scheduleOf(declaration);
  const errors: FieldError[] = [];
  if (rules.term && !b.term) errors.push({ path: 'term', message: `is required for ${declaration.name}: the current term, which the next renewal follows` });
  if (!rules.term && b.term) {
    // Stryker disable next-line StringLiteral: one provider (Punchh) renews terms, so the separator is never printed
    const termProviders = TERM_PROVIDERS.join(' and ');
    errors.push({ path: 'term', message: `applies to ${termProviders} only, not ${p.data}` });
  }
  const required = rules.requiredParams;
  for (const [key, value] of Object.entries(required?.values ?? {})) {
    if (b.params[key] !== value) errors.push({ path: `params.${key}`, message: `must be ${JSON.stringify(value)}: ${required?.reason}` });
  }
  for (const key of TERM_PARAMS) {
    if (key in b.params) errors.push({ path: `params.${key}`, message: 'is set per period from term and cadence' });
  }
  if (errors.length > 0) return { ok: false, errors };

  const record: ScheduleRecord = {
    provider: p.data,
    subscription,
    operation,
    params: b.params,
    cadence: b.cadence,
    ...(b.leadTime ? { leadTime: b.leadTime } : {}),
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
  // A schedule that cannot be advanced would fail every scheduler run for good: refuse it now.
  if (!advanceable(record)) {
    return {
      ok: false,
      errors: [
        {
          path: 'cadence',
          message: `is too long from this nextRunAt${record.term ? ' and term' : ''}: the next ${RUNS_CHECKED_WHEN_SET} runs${record.term ? ' and the terms they renew' : ''} must end by ${SCHEDULE_HORIZON}`,
        },
      ],
    };
  }
  // Every renewal it will ask for must be valid: check the first with the canonical rules.
  const first = await parseCanonicalRequest(renewalRequestFor(record, 0));
  if (!first.ok) {
    // The per-period params come from the term; name them there.
    const term = termParamsOf(p.data);
    const fromTerm = new Set(
      term
        ? [`params.${term.startParam}`, `params.${term.endParam}`]
        : // Stryker disable next-line ArrayDeclaration: a provider without a term mapping a path named by Stryker's placeholder maps no error it can produce
          [],
    );
    return { ok: false, errors: first.errors.map((e) => (fromTerm.has(e.path) ? { ...e, path: 'term' } : e)) };
  }
  return { ok: true, value: record };
};
