/**
 * Cadence arithmetic, beyond duration.test.ts: multi-digit values for every unit, the time units
 * and weeks added exactly, and the shortest length of a duration (what the one-hour minimum of a
 * schedule is judged by).
 */
import { describe, expect, it } from 'vitest';
import { addDuration, minimumMs, parseDuration } from '../../shared/domain/duration';

const add = (iso: string, d: string, times = 1) => addDuration(new Date(iso), parseDuration(d)!, times).toISOString();
const zero = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0 };

describe('parseDuration', () => {
  it('reads values of more than one digit in every unit', () => {
    expect(parseDuration('P12Y')).toEqual({ ...zero, years: 12 });
    expect(parseDuration('P18M')).toEqual({ ...zero, months: 18 });
    expect(parseDuration('P52W')).toEqual({ ...zero, weeks: 52 });
    expect(parseDuration('P30D')).toEqual({ ...zero, days: 30 });
    expect(parseDuration('PT36H')).toEqual({ ...zero, hours: 36 });
    expect(parseDuration('PT90M')).toEqual({ ...zero, minutes: 90 });
    expect(parseDuration('PT3600S')).toEqual({ ...zero, seconds: 3600 });
    expect(parseDuration('P10Y11M12W13DT14H15M16S')).toEqual({ years: 10, months: 11, weeks: 12, days: 13, hours: 14, minutes: 15, seconds: 16 });
  });

  it('takes any subset of the time units', () => {
    expect(parseDuration('PT30M')).toEqual({ ...zero, minutes: 30 });
    expect(parseDuration('PT45S')).toEqual({ ...zero, seconds: 45 });
    expect(parseDuration('PT1H30S')).toEqual({ ...zero, hours: 1, seconds: 30 });
    expect(parseDuration('P1DT1M')).toEqual({ ...zero, days: 1, minutes: 1 });
  });

  it('refuses text around a duration', () => {
    for (const bad of ['xP1M', ' P1M', 'P1M ', 'P1Mx', 'every P1M']) expect(parseDuration(bad), bad).toBeUndefined();
  });
});

describe('addDuration', () => {
  it('adds weeks, minutes and seconds exactly', () => {
    expect(add('2026-12-01T00:00:00Z', 'P2W')).toBe('2026-12-15T00:00:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'P1W', 3)).toBe('2026-12-22T00:00:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'PT30M')).toBe('2026-12-01T00:30:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'PT45S', 2)).toBe('2026-12-01T00:01:30.000Z');
    expect(add('2026-12-01T00:00:00Z', 'P1DT1H1M1S')).toBe('2026-12-02T01:01:01.000Z');
  });

  it('adds months and then the rest, keeping the time of day and milliseconds', () => {
    expect(add('2026-01-31T10:20:30.456Z', 'P1M1D')).toBe('2026-03-01T10:20:30.456Z');
    expect(add('2026-01-31T10:20:30.456Z', 'P1Y')).toBe('2027-01-31T10:20:30.456Z');
  });

  it('a cadence without months or years is pure elapsed time, for any year', () => {
    expect(add('0050-06-01T00:00:00Z', 'P7D')).toBe('0050-06-08T00:00:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'PT1H', 0)).toBe('2026-12-01T00:00:00.000Z');
  });
});

describe('minimumMs: the shortest a duration can be (a month as 28 days, a year as 365)', () => {
  const DAY = 86_400_000;
  it.each([
    ['P1Y', 365 * DAY],
    ['P1M', 28 * DAY],
    ['P2W', 14 * DAY],
    ['P3D', 3 * DAY],
    ['PT2H', 7_200_000],
    ['PT59M', 3_540_000],
    ['PT3599S', 3_599_000],
    ['P1Y1M1W1DT1H1M1S', (365 + 28 + 7 + 1) * DAY + 3_600_000 + 60_000 + 1_000],
  ])('%s → %d ms', (text, ms) => {
    expect(minimumMs(parseDuration(text)!)).toBe(ms);
  });
});
