/**
 * Schedules at their limits (shared/domain/schedule.ts, schedule-request.ts): the horizon every
 * run and Punchh term must end by, the messages that name what was refused, and the errors of a
 * schedule's first renewal reported against the field the caller set. Built inside each test (see
 * mutation-schedule.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { advanceable, renewalRequestFor, RUNS_CHECKED_WHEN_SET, SCHEDULE_HORIZON, scheduleFromRequest, type ScheduleRecord } from '../../shared/domain/schedule';
import type { FieldError } from '../../shared/http/problem';

const now = new Date('2026-11-21T12:00:00.000Z');
const HORIZON = Date.parse(SCHEDULE_HORIZON);
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

const errors = async (provider: string, subscription: string, body: unknown): Promise<FieldError[]> => {
  const r = await scheduleFromRequest(provider, subscription, body, now);
  return r.ok ? [] : r.errors;
};

describe('the horizon a schedule must stay within when set', () => {
  it(`accepts runs that end exactly at ${SCHEDULE_HORIZON}, and refuses one a moment later`, () => {
    const lastAt = (anchor: number) => ({ anchorAt: iso(anchor), cadence: 'PT1H' });
    // Run RUNS_CHECKED_WHEN_SET is the last one checked.
    expect(advanceable(lastAt(HORIZON - RUNS_CHECKED_WHEN_SET * HOUR))).toBe(true);
    expect(advanceable(lastAt(HORIZON - RUNS_CHECKED_WHEN_SET * HOUR + 1))).toBe(false);
  });

  it('checks the terms the runs renew too: each ends one cadence after the previous', () => {
    const anchorAt = '2026-12-01T00:00:00.000Z';
    // Run k renews the term ending at term.endTime + (k + 1) cadences.
    const endingAt = (last: number) => ({ anchorAt, cadence: 'PT1H', term: { startTime: '2026-11-01T00:00:00.000Z', endTime: iso(last - (RUNS_CHECKED_WHEN_SET + 1) * HOUR) } });
    expect(advanceable(endingAt(HORIZON))).toBe(true);
    expect(advanceable(endingAt(HORIZON + 1))).toBe(false);
    expect(advanceable(endingAt(HORIZON + HOUR))).toBe(false);
  });

  it('refuses a cadence that is not a duration', () => {
    expect(advanceable({ anchorAt: '2026-12-01T00:00:00.000Z', cadence: 'monthly' })).toBe(false);
  });

  it('says what must end by the horizon, naming the terms only where there are terms', async () => {
    expect(await errors('pressone', 'a@example.com', { cadence: 'P300000Y', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual([
      { path: 'cadence', message: `is too long from this nextRunAt: the next ${RUNS_CHECKED_WHEN_SET} runs must end by ${SCHEDULE_HORIZON}` },
    ]);
    const term = { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' };
    expect(await errors('punchh', '40', { cadence: 'P300000Y', nextRunAt: '2026-12-01T00:00:00Z', term, params: { purchasePrice: 1 } })).toEqual([
      {
        path: 'cadence',
        message: `is too long from this nextRunAt and term: the next ${RUNS_CHECKED_WHEN_SET} runs and the terms they renew must end by ${SCHEDULE_HORIZON}`,
      },
    ]);
  });
});

describe("errors in a schedule's first renewal", () => {
  it('are named after the term when they come from the term (a term before year 0 in UTC)', async () => {
    // +14:00 moves these times before 0000-01-01T00:00Z: the renewal's times are not ISO dates.
    const term = { startTime: '0000-01-01T00:00:00+14:00', endTime: '0000-01-01T01:00:00+14:00' };
    const found = await errors('punchh', '40', { cadence: 'PT1H', nextRunAt: '2026-12-01T00:00:00Z', term, params: { purchasePrice: 1 } });
    expect(found.map((e) => e.path)).toEqual(['term', 'term']);
  });
});

describe('a Pelcro schedule', () => {
  it('must use the Core call, and says why', async () => {
    const found = await errors('pelcro', '77', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { api: 'sdk', siteId: 1, planId: 3 } });
    expect(found).toContainEqual({ path: 'params.api', message: 'must be "core": scheduled renewals have no customer session, so they use the Core call' });
  });
});

describe('a schedule with a term for a provider that declares no term params', () => {
  it('is a programming error that names the schedule', () => {
    const s = {
      provider: 'pressone',
      subscription: 'a@example.com',
      operation: 'renew',
      params: {},
      cadence: 'P1M',
      anchorAt: '2026-12-01T00:00:00.000Z',
      term: { startTime: '2026-11-01T00:00:00.000Z', endTime: '2026-12-01T00:00:00.000Z' },
      status: 'active',
      runIndex: 0,
      nextRunAt: '2026-12-01T00:00:00.000Z',
      version: 1,
      createdAt: '2026-11-21T12:00:00.000Z',
      updatedAt: '2026-11-21T12:00:00.000Z',
    } as ScheduleRecord;
    expect(() => renewalRequestFor(s, 0)).toThrow('schedule pressone/a@example.com has a term, but pressone declares no term params');
  });
});

describe('a lead time', () => {
  it('must be a duration, and a month or a year is over the 7-day limit', async () => {
    expect(await errors('pressone', 'a@example.com', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'soon' })).toEqual([
      { path: 'leadTime', message: 'must be an ISO 8601 duration such as PT6H or P2D' },
    ]);
    for (const leadTime of ['P1M', 'P1Y', 'P0Y1M', 'P1Y0M']) {
      expect(await errors('pressone', 'a@example.com', { cadence: 'P2Y', nextRunAt: '2026-12-01T00:00:00Z', leadTime }), leadTime).toEqual([
        { path: 'leadTime', message: 'must be at most 7 days (P7D)' },
      ]);
    }
  });
});
