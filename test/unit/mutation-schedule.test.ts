/**
 * Schedules, beyond schedule.test.ts: what a PUT may set (cadence floor, zones, statuses, terms,
 * operations, params per provider), what a replacement keeps, the resource GET returns, and the
 * bounded catch-up after an outage. Every schedule is built inside its test, so each test sees
 * the code under test as it is (fixtures built while a file is collected would not).
 */
import { describe, expect, it } from 'vitest';
import {
  currentRunIndex,
  periodOf,
  renewalRequestFor,
  runAt,
  scheduleFromRequest,
  scheduledKey,
  toScheduleResource,
  type ScheduleRecord,
} from '../../shared/domain/schedule';
import { MIN_CADENCE_MS } from '../../shared/domain/schedule-request';
import type { FieldError } from '../../shared/http/problem';

const now = new Date('2026-11-21T12:00:00.000Z');
const TERM = { startTime: '2026-11-01T00:00:00Z', endTime: '2026-12-01T00:00:00Z' };
const PUNCHH = { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: TERM, params: { purchasePrice: 9.99 } };
const CORE = { api: 'core', siteId: 1, userId: 2, planId: 3, quantity: 1, source: 'API' };

const subscriptionFor = (provider: string) => ({ pressone: 'a@example.com', pelcro: '77', punchh: '40', digitalriver: 'sub-1' })[provider] ?? 'x';
// Awaited: scheduleFromRequest may become async (provider schemas loaded on first use).
const set = async (provider: string, body: unknown, previous?: Parameters<typeof scheduleFromRequest>[4]) =>
  await scheduleFromRequest(provider, subscriptionFor(provider), body, now, previous);
const made = async (provider: string, body: unknown, previous?: Parameters<typeof scheduleFromRequest>[4]): Promise<ScheduleRecord> => {
  const r = await set(provider, body, previous);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.value;
};
const errors = async (provider: string, body: unknown): Promise<FieldError[]> => {
  const r = await set(provider, body);
  return r.ok ? [] : r.errors;
};

describe('cadence', () => {
  it('is at least one hour, judged by its shortest length', async () => {
    expect(MIN_CADENCE_MS).toBe(3_600_000);
    for (const cadence of ['PT1H', 'PT60M', 'PT3600S', 'P1D', 'P1M', 'P1Y']) expect((await set('pressone', { cadence, nextRunAt: '2026-12-01T00:00:00Z' })).ok, cadence).toBe(true);
    for (const cadence of ['PT59M', 'PT3599S', 'PT30M']) {
      expect(await errors('pressone', { cadence, nextRunAt: '2026-12-01T00:00:00Z' }), cadence).toEqual([{ path: 'cadence', message: 'must be at least one hour (PT1H)' }]);
    }
  });

  it('must be an ISO 8601 duration (one error, not a second one about its length)', async () => {
    for (const cadence of ['monthly', 'P0D', '1M', '']) {
      expect(await errors('pressone', { cadence, nextRunAt: '2026-12-01T00:00:00Z' }), cadence).toEqual([
        { path: 'cadence', message: 'must be an ISO 8601 duration such as P1M, P1Y or P7D' },
      ]);
    }
  });
});

describe('times', () => {
  it('nextRunAt needs a zone and is stored in UTC as run 0', async () => {
    const s = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T01:00:00+01:00' });
    expect(s.anchorAt).toBe('2026-12-01T00:00:00.000Z');
    expect(s.nextRunAt).toBe('2026-12-01T00:00:00.000Z');
    expect(s.runIndex).toBe(0);
    expect((await errors('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00' })).map((e) => e.path)).toEqual(['nextRunAt']);
  });

  it('a Punchh term is stored in UTC and must end after it starts', async () => {
    const s = await made('punchh', { ...PUNCHH, term: { startTime: '2026-11-01T01:00:00+01:00', endTime: '2026-11-30T19:00:00-05:00' } });
    expect(s.term).toEqual({ startTime: '2026-11-01T00:00:00.000Z', endTime: '2026-12-01T00:00:00.000Z' });
    for (const endTime of ['2026-11-01T00:00:00Z', '2026-11-01T01:00:00+01:00', '2026-10-01T00:00:00Z']) {
      expect(await errors('punchh', { ...PUNCHH, term: { ...TERM, endTime } }), endTime).toEqual([{ path: 'term.endTime', message: 'must be after term.startTime' }]);
    }
    expect((await errors('punchh', { ...PUNCHH, term: { ...TERM, startTime: '2026-11-01' } })).map((e) => e.path)).toEqual(['term.startTime']);
  });
});

describe('status', () => {
  it('is active unless set paused; cancelled is for DELETE only', async () => {
    expect((await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })).status).toBe('active');
    expect((await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', status: 'active' })).status).toBe('active');
    expect((await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', status: 'paused' })).status).toBe('paused');
    expect((await errors('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', status: 'cancelled' })).map((e) => e.path)).toEqual(['status']);
  });
});

describe('provider and operation', () => {
  it('names the provider path parameter when it is unknown', async () => {
    expect(await scheduleFromRequest('acme', 'x', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' }, now)).toEqual({
      ok: false,
      errors: [{ path: 'path.provider', message: 'must be one of pressone, pelcro, punchh, digitalriver' }],
    });
  });

  it('takes the only operation of a provider that has one', async () => {
    expect((await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })).operation).toBe('renew');
    expect((await made('pressone', { operation: 'renew', cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })).operation).toBe('renew');
  });

  it('needs the operation for Digital River, and refuses one the provider does not have', async () => {
    expect(await errors('digitalriver', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { renewalQuantity: 3 } })).toEqual([
      { path: 'operation', message: 'is required for digitalriver: one of renewal-type, renewal-product, renewal-quantity, renewal-price' },
    ]);
    expect(await errors('pressone', { operation: 'renewal-price', cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual([
      { path: 'operation', message: 'is required for pressone: one of renew' },
    ]);
    const dr = await made('digitalriver', { operation: 'renewal-quantity', cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { renewalQuantity: 3 } });
    // The deadline is the run's time plus the provider's grace (24 h here).
    expect(renewalRequestFor(dr, 4)).toEqual({ provider: 'digitalriver', operation: 'renewal-quantity', subscription: 'sub-1', params: { renewalQuantity: 3 }, deadline: '2027-04-02T00:00:00.000Z' });
  });
});

describe('what each provider needs', () => {
  it('Punchh needs its current term; no other provider takes one', async () => {
    expect(await errors('punchh', { ...PUNCHH, term: undefined })).toEqual([{ path: 'term', message: 'is required for Punchh: the current term, which the next renewal follows' }]);
    expect(await errors('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: TERM })).toEqual([{ path: 'term', message: 'applies to Punchh only, not pressone' }]);
    expect(await errors('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: TERM, params: CORE })).toEqual([{ path: 'term', message: 'applies to Punchh only, not pelcro' }]);
  });

  it('Pelcro renews by the Core call only (no customer session)', async () => {
    const s = await made('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: CORE });
    // Pelcro's grace is 72 h: its rate limit makes a month-start backlog long.
    expect(renewalRequestFor(s, 0)).toEqual({ provider: 'pelcro', operation: 'renew', subscription: '77', params: CORE, deadline: '2026-12-04T00:00:00.000Z' });
    const message = 'must be "core": scheduled renewals have no customer session, so they use the Core call';
    expect(await errors('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { ...CORE, api: 'sdk' } })).toEqual([{ path: 'params.api', message }]);
    expect(await errors('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })).toEqual([{ path: 'params.api', message }]);
  });

  it('reports every provider rule at once', async () => {
    expect(await errors('pelcro', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', term: TERM, params: { startTime: 'x', endTime: 'y' } })).toEqual([
      { path: 'term', message: 'applies to Punchh only, not pelcro' },
      { path: 'params.api', message: 'must be "core": scheduled renewals have no customer session, so they use the Core call' },
      { path: 'params.startTime', message: 'is set per period from term and cadence' },
      { path: 'params.endTime', message: 'is set per period from term and cadence' },
    ]);
  });

  it('the term of each Punchh period comes from the schedule, never from params', async () => {
    expect(await errors('punchh', { ...PUNCHH, params: { purchasePrice: 1, startTime: TERM.startTime } })).toEqual([
      { path: 'params.startTime', message: 'is set per period from term and cadence' },
    ]);
    expect(await errors('punchh', { ...PUNCHH, params: { purchasePrice: 1, endTime: TERM.endTime } })).toEqual([
      { path: 'params.endTime', message: 'is set per period from term and cadence' },
    ]);
  });

  it('checks the first renewal by the canonical rules, naming params as the caller wrote them', async () => {
    expect(await errors('punchh', { ...PUNCHH, params: {} })).toEqual([{ path: 'params.purchasePrice', message: expect.any(String) as string }]);
    expect(await errors('punchh', { ...PUNCHH, params: { purchasePrice: 1, startTimeZone: 'UTC' } })).toEqual([{ path: 'params.startTimeZone', message: 'is not a known field' }]);
    expect((await errors('digitalriver', { operation: 'renewal-quantity', cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z', params: { renewalQuantity: 0 } })).map((e) => e.path)).toEqual([
      'params.renewalQuantity',
    ]);
  });
});

describe('replacing a schedule', () => {
  it('a new schedule is version 1, created now, with no last renewal', async () => {
    const s = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' });
    expect(s).toStrictEqual({
      provider: 'pressone',
      subscription: 'a@example.com',
      operation: 'renew',
      params: {},
      cadence: 'P1M',
      anchorAt: '2026-12-01T00:00:00.000Z',
      status: 'active',
      runIndex: 0,
      nextRunAt: '2026-12-01T00:00:00.000Z',
      version: 1,
      createdAt: '2026-11-21T12:00:00.000Z',
      updatedAt: '2026-11-21T12:00:00.000Z',
    });
  });

  it('a replacement bumps the version and keeps the creation time and the last renewal', async () => {
    const previous = {
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      lastRenewalId: 'rnw_last',
      lastPeriodStart: '2026-11-01T00:00:00.000Z',
      lastRunAt: '2026-11-01T00:00:05.000Z',
    };
    const s = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' }, previous);
    expect(s).toMatchObject({ ...previous, version: 4, updatedAt: '2026-11-21T12:00:00.000Z', runIndex: 0 });
    const fresh = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' }, { version: 7, createdAt: '2026-01-01T00:00:00.000Z' });
    expect(fresh.version).toBe(8);
    expect(Object.keys(fresh).filter((k) => k.startsWith('last'))).toEqual([]);
  });
});

describe('runs and periods', () => {
  it('a schedule whose stored cadence is not a duration fails loudly instead of guessing', async () => {
    const s = { ...(await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' })), cadence: 'monthly' };
    expect(() => runAt(s, 1)).toThrow('schedule cadence monthly is not a duration');
  });

  it('a period starts at its run, or, for Punchh, at the end of the previous term', async () => {
    const monthly = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-01-31T00:00:00Z' });
    expect(periodOf(monthly, 1)).toStrictEqual({ start: '2026-02-28T00:00:00.000Z' });
    const punchh = await made('punchh', { ...PUNCHH, nextRunAt: '2026-11-25T00:00:00Z' });
    expect(periodOf(punchh, 0)).toStrictEqual({ start: '2026-12-01T00:00:00.000Z', term: { startTime: '2026-12-01T00:00:00.000Z', endTime: '2027-01-01T00:00:00.000Z' } });
    expect(scheduledKey(punchh, 2)).toBe('schedule:punchh:40:2027-02-01T00:00:00.000Z');
    expect(renewalRequestFor(punchh, 0)).toEqual({
      provider: 'punchh',
      operation: 'renew',
      subscription: '40',
      params: { purchasePrice: 9.99, startTime: '2026-12-01T00:00:00.000Z', endTime: '2027-01-01T00:00:00.000Z' },
      deadline: '2026-11-26T00:00:00.000Z',
    });
  });

  it('a run is due at its exact time, not a moment later', async () => {
    const daily = await made('pressone', { cadence: 'P1D', nextRunAt: '2026-11-01T00:00:00Z' });
    expect(currentRunIndex(daily, new Date('2026-11-02T00:00:00.000Z'))).toBe(1);
    expect(currentRunIndex(daily, new Date('2026-11-01T23:59:59.999Z'))).toBe(0);
    expect(currentRunIndex({ ...daily, runIndex: 5 }, new Date('2026-11-02T00:00:00.000Z'))).toBe(5);
  });

  it('catches up at most 100 000 runs in one call, so one scheduler run stays bounded', async () => {
    const hourly = await made('pressone', { cadence: 'PT1H', nextRunAt: '2000-01-01T00:00:00Z' });
    expect(currentRunIndex(hourly, now)).toBe(100_000);
    expect(currentRunIndex({ ...hourly, runIndex: 200_000 }, now)).toBe(235_716);
  });
});

describe('the resource GET returns', () => {
  it('an active schedule shows its next run and period, and its last renewal with that renewal’s status', async () => {
    const s = { ...(await made('punchh', PUNCHH)), runIndex: 1, nextRunAt: '2027-01-01T00:00:00.000Z', lastRenewalId: 'rnw_1', lastPeriodStart: '2026-12-01T00:00:00.000Z', lastRunAt: '2026-12-01T00:00:03.000Z' };
    expect(toScheduleResource(s, { id: 'rnw_1', status: 'succeeded' })).toStrictEqual({
      provider: 'punchh',
      subscription: '40',
      operation: 'renew',
      params: { purchasePrice: 9.99 },
      cadence: 'P1M',
      status: 'active',
      term: { startTime: '2026-11-01T00:00:00.000Z', endTime: '2026-12-01T00:00:00.000Z' },
      nextRunAt: '2027-01-01T00:00:00.000Z',
      nextPeriod: { start: '2027-01-01T00:00:00.000Z', term: { startTime: '2027-01-01T00:00:00.000Z', endTime: '2027-02-01T00:00:00.000Z' } },
      lastRenewal: { id: 'rnw_1', periodStart: '2026-12-01T00:00:00.000Z', queuedAt: '2026-12-01T00:00:03.000Z', status: 'succeeded' },
      createdAt: '2026-11-21T12:00:00.000Z',
      updatedAt: '2026-11-21T12:00:00.000Z',
    });
  });

  it('a paused or cancelled schedule shows no next run; a last renewal not found shows status null; none shows null', async () => {
    const base = await made('pressone', { cadence: 'P1M', nextRunAt: '2026-12-01T00:00:00Z' });
    for (const status of ['paused', 'cancelled'] as const) {
      const r = toScheduleResource({ ...base, status, lastRenewalId: 'rnw_1', lastPeriodStart: 'p', lastRunAt: 'q' });
      expect(r).toMatchObject({ status, nextRunAt: null, nextPeriod: null, lastRenewal: { id: 'rnw_1', periodStart: 'p', queuedAt: 'q', status: null } });
      expect('term' in r).toBe(false);
    }
    const active = toScheduleResource(base);
    expect(active).toMatchObject({ nextRunAt: '2026-12-01T00:00:00.000Z', nextPeriod: { start: '2026-12-01T00:00:00.000Z' }, lastRenewal: null });
  });
});
