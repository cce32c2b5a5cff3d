import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEADLINE_GRACE_HOURS,
  currentRunIndex,
  deadlineGraceHours,
  leadMs,
  periodOf,
  renewalRequestFor,
  runAt,
  runIndexToStart,
  scheduledKey,
  scheduleFromRequest,
  startsAt,
  toScheduleResource,
  type ScheduleRecord,
} from '../../shared/domain/schedule';

const now = new Date('2026-11-21T12:00:00Z');
const made = async (provider: string, body: unknown): Promise<ScheduleRecord> => {
  const r = await scheduleFromRequest(provider, provider === 'pressone' ? 'a@example.com' : '40', body, now);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};

const monthly = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-01-31T00:00:00Z' });

describe('schedule runs and periods', () => {
  it('runs at anchor + k cadences', () => {
    expect(runAt(monthly, 0).toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(runAt(monthly, 1).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(runAt(monthly, 2).toISOString()).toBe('2026-03-31T00:00:00.000Z');
  });

  it('after an outage, jumps to the latest due run (one renewal, for the current period)', () => {
    expect(currentRunIndex(monthly, new Date('2026-01-31T00:00:00Z'))).toBe(0);
    expect(currentRunIndex(monthly, now)).toBe(9); // 2026-10-31 is the latest run at or before Nov 21
    expect(currentRunIndex({ ...monthly, runIndex: 10 }, now)).toBe(10);
  });

  it('keys each period once, whatever run computes it', async () => {
    expect(scheduledKey(monthly, 9)).toBe('schedule:pressone:a@example.com:2026-10-31T00:00:00.000Z');
    const replaced = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-10-31T00:00:00Z' });
    expect(scheduledKey(replaced, 0)).toBe(scheduledKey(monthly, 9));
  });

  it('chains Punchh terms: start at the previous end, end one cadence later', async () => {
    const punchh = await made('punchh', {
      cadence: 'P1M',
      nextRunAt: '2026-12-01T00:00:00Z',
      term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' },
      params: { purchasePrice: 9.99 },
    });
    expect(periodOf(punchh, 0)).toEqual({ start: '2026-12-01T00:00:00.000Z', term: { startTime: '2026-12-01T00:00:00.000Z', endTime: '2027-01-01T00:00:00.000Z' } });
    expect(renewalRequestFor(punchh, 1)).toEqual({
      provider: 'punchh',
      operation: 'renew',
      subscription: '40',
      params: { purchasePrice: 9.99, startTime: '2027-01-01T00:00:00.000Z', endTime: '2027-02-01T00:00:00.000Z' },
      // Run 1 is on 2027-01-01; Punchh's grace is a day.
      deadline: '2027-01-02T00:00:00.000Z',
    });
  });

  it("gives each run's renewal a deadline: the run's time plus the provider's grace", async () => {
    const pelcro = await made('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API' } });
    expect(deadlineGraceHours('pelcro')).toBe(72);
    expect(renewalRequestFor(pelcro, 0).deadline).toBe('2026-12-04T00:00:00.000Z');
  });

  it('gives a provider that declares no grace a day', () => {
    expect(DEFAULT_DEADLINE_GRACE_HOURS).toBe(24);
    for (const provider of ['pressone', 'punchh', 'digitalriver'] as const) expect(deadlineGraceHours(provider)).toBe(24);
  });
});

describe('setting a schedule', () => {
  const errorsOf = async (provider: string, body: unknown) => {
    const r = await scheduleFromRequest(provider, '40', body, now);
    return r.ok ? [] : r.errors.map((e) => e.path);
  };
  it('names each bad field', async () => {
    expect(await errorsOf('pressone', { cadence: 'P1M', nextRunAt: 'soon' })).toEqual(['nextRunAt']);
    expect(await errorsOf('punchh', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { purchasePrice: 1 } })).toEqual(['term']);
    expect(await errorsOf('punchh', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: { startTime: '2026-12-01T00:00:00Z', endTime: '2026-11-01T00:00:00Z' }, params: { purchasePrice: 1 } })).toEqual(['term.endTime']);
    expect(await errorsOf('punchh', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' }, params: { purchasePrice: -1 } })).toEqual(['params.purchasePrice']);
    expect(await errorsOf('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { api: 'sdk' } })).toEqual(['params.api']);
    expect(await errorsOf('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', extra: true })).toEqual(['extra']);
  });

  it('refuses a schedule that cannot be advanced: its next runs (and Punchh terms) must be computable and end by year 9999', async () => {
    const errorsOf = async (provider: string, body: unknown) => {
      const r = await scheduleFromRequest(provider, provider === 'pressone' ? 'a@example.com' : '40', body, now);
      return r.ok ? [] : r.errors.map((e) => e.path);
    };
    const term = { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' };
    // P300000Y is past JavaScript's last date (year 275760): Invalid Date, which threw when set (Punchh) or at every later run (PressOne).
    expect(await errorsOf('pressone', { cadence: 'P300000Y', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual(['cadence']);
    expect(await errorsOf('punchh', { cadence: 'P300000Y', nextRunAt: '2026-12-01T00:00:00Z', term, params: { purchasePrice: 1 } })).toEqual(['cadence']);
    expect(await errorsOf('pressone', { cadence: 'P99999999999999999999D', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual(['cadence']);
    // Representable, but past year 9999 (written +010000-…, which would sort before every run in the due index).
    expect(await errorsOf('pressone', { cadence: 'P10000Y', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual(['cadence']);
    expect(await errorsOf('pressone', { cadence: 'P1M', nextRunAt: '9999-10-01T00:00:00Z' })).toEqual(['cadence']);
    // The last runs that fit are fine.
    expect(await errorsOf('pressone', { cadence: 'P1M', nextRunAt: '9999-09-30T00:00:00Z' })).toEqual([]);
    expect(await errorsOf('pressone', { cadence: 'P1000Y', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual([]);
    expect(await errorsOf('punchh', { cadence: 'P1Y', nextRunAt: '2026-12-01T00:00:00Z', term, params: { purchasePrice: 1 } })).toEqual([]);
    // Every later run of an accepted schedule can be computed.
    const set = await made('pressone', { cadence: 'P1000Y', nextRunAt: '2026-12-01T00:00:00Z' });
    expect(runAt(set, 3).toISOString()).toBe('5026-12-01T00:00:00.000Z');
  });

  it('refuses numbers DynamoDB cannot store in the params every run asks for', async () => {
    const term = { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' };
    expect(await errorsOf('punchh', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term, params: { purchasePrice: 1e200 } })).toEqual(['params.purchasePrice']);
    expect(await errorsOf('digitalriver', { operation: 'renewal-price', cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { renewalUnitPrice: 9007199254740992 } })).toEqual(['params.renewalUnitPrice']);
  });
});

describe('leadTime', () => {
  const errorsOf = async (body: unknown) => {
    const r = await scheduleFromRequest('pelcro', '40', { params: { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'schedule' }, ...(body as object) }, now);
    return r.ok ? [] : r.errors;
  };

  it('starts each run that much early; the period and the deadline stay the run’s', async () => {
    const early = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'P2D' });
    expect(leadMs(early)).toBe(2 * 86_400_000);
    expect(startsAt(early)).toBe('2026-11-29T00:00:00.000Z');
    // Not yet at 2026-11-28T23:59:59Z, from 2026-11-29 on: run 0, the December period.
    expect(runIndexToStart(early, new Date('2026-11-29T00:00:00Z'))).toBe(0);
    expect(runIndexToStart({ ...early, runIndex: 1 }, new Date('2026-12-30T00:00:00Z'))).toBe(1);
    expect(runIndexToStart({ ...early, runIndex: 1 }, new Date('2026-12-29T23:59:59Z'))).toBe(1);
    expect(runIndexToStart(early, new Date('2026-12-30T00:00:00Z'))).toBe(1);
    expect(currentRunIndex(early, new Date('2026-12-30T00:00:00Z'))).toBe(0);
    expect(periodOf(early, 0).start).toBe('2026-12-01T00:00:00.000Z');
    expect(renewalRequestFor(early, 0).deadline).toBe(new Date(Date.parse('2026-12-01T00:00:00Z') + deadlineGraceHours('pressone') * 3_600_000).toISOString());
    expect(toScheduleResource(early)).toMatchObject({ leadTime: 'P2D', nextRunAt: '2026-12-01T00:00:00.000Z' });
    expect(startsAt(monthly)).toBe(monthly.nextRunAt);
    expect(toScheduleResource(monthly)).not.toHaveProperty('leadTime');
  });

  it('is a duration of at most 7 days, shorter than the cadence, or a 422 naming leadTime', async () => {
    expect(await errorsOf({ cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'P7D' })).toEqual([]);
    expect(await errorsOf({ cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'P7DT1S' })).toEqual([{ path: 'leadTime', message: 'must be at most 7 days (P7D)' }]);
    expect(await errorsOf({ cadence: 'P1Y', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'P1M' })).toEqual([{ path: 'leadTime', message: 'must be at most 7 days (P7D)' }]);
    expect(await errorsOf({ cadence: 'P1D', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'PT24H' })).toEqual([{ path: 'leadTime', message: 'must be shorter than the cadence' }]);
    expect(await errorsOf({ cadence: 'P1D', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'PT23H' })).toEqual([]);
    expect((await errorsOf({ cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'two days' }))[0]).toMatchObject({ path: 'leadTime' });
    expect((await errorsOf({ cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 'PT0S' }))[0]).toMatchObject({ path: 'leadTime' });
    expect((await errorsOf({ cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', leadTime: 2 }))[0]).toMatchObject({ path: 'leadTime' });
  });
});
