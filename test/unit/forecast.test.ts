/**
 * The backlog forecast's pure arithmetic (shared/domain/forecast.ts), where mutation testing runs
 * it: test/integration/forecast.test.ts checks the sweeper that uses it against DynamoDB Local.
 */
import { describe, expect, it } from 'vitest';
import { forecastBacklog, providerPace } from '../../shared/domain/forecast';

const now = new Date('2026-12-01T00:00:00.000Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

describe('forecastBacklog', () => {
  it('drains the backlog at the pace and compares the finish with the earliest readable deadline', () => {
    // 7,200 renewals at 120 a minute: an hour.
    const f = forecastBacklog({ backlog: 7_200, perSecond: providerPace('120/60s', 5), now, deadlines: [at(7_200), undefined, at(1_800), 'not a date', at(2_000)] });
    expect(f).toEqual({ backlog: 7_200, perSecond: 2, drainsBy: at(3_600), earliestDeadline: at(1_800), late: true, lateBySeconds: 1_800 });
  });

  it('finds the earliest deadline wherever it is in the sample', () => {
    expect(forecastBacklog({ backlog: 1, perSecond: 1, now, deadlines: [at(30), at(20), at(50)] }).earliestDeadline).toBe(at(20));
    expect(forecastBacklog({ backlog: 1, perSecond: 1, now, deadlines: [at(20), at(30)] }).earliestDeadline).toBe(at(20));
    expect(forecastBacklog({ backlog: 1, perSecond: 1, now, deadlines: ['not a date', at(40)] }).earliestDeadline).toBe(at(40));
  });

  it('is not late when it drains exactly at the deadline, or with time to spare, or without any deadline', () => {
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [at(10)] })).toMatchObject({ drainsBy: at(10), late: false, lateBySeconds: 0 });
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [at(11)] })).toMatchObject({ drainsBy: at(10), late: false, lateBySeconds: -1 });
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [] })).toMatchObject({ earliestDeadline: null, late: false, lateBySeconds: null });
    expect(forecastBacklog({ backlog: 100, perSecond: 10, now, deadlines: [undefined] })).toMatchObject({ earliestDeadline: null, late: false, lateBySeconds: null });
    // A deadline already passed while its renewal waits is late whatever the backlog.
    expect(forecastBacklog({ backlog: 0, perSecond: 1, now, deadlines: [at(-1)] })).toMatchObject({ drainsBy: at(0), late: true, lateBySeconds: 1 });
  });

  it('rounds the finish up to the next millisecond', () => {
    expect(forecastBacklog({ backlog: 1, perSecond: 3, now, deadlines: [] }).drainsBy).toBe('2026-12-01T00:00:00.334Z');
  });
});

describe('providerPace', () => {
  it('paces a provider by its rate limit, as written with spaces or not', () => {
    expect(providerPace('30/1m', 5)).toBe(0.5);
    expect(providerPace(' 120/60s ', 5)).toBe(2);
  });

  it('without a rate limit, one renewal a second per concurrent batch, at least one', () => {
    expect(providerPace('off', 5)).toBe(5);
    expect(providerPace(' off ', 5)).toBe(5);
    expect(providerPace('', 4)).toBe(4);
    expect(providerPace(undefined, 3)).toBe(3);
    expect(providerPace(null, 0)).toBe(1);
  });
});
