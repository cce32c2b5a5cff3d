import { describe, expect, it } from 'vitest';
import { addDuration, parseDuration } from '../../shared/domain/duration';

const at = (iso: string) => new Date(iso);
const add = (iso: string, d: string, times = 1) => addDuration(at(iso), parseDuration(d)!, times).toISOString();

describe('ISO 8601 durations', () => {
  it('parses the cadences people use and refuses the rest', () => {
    expect(parseDuration('P1M')).toMatchObject({ months: 1 });
    expect(parseDuration('P1Y')).toMatchObject({ years: 1 });
    expect(parseDuration('P7D')).toMatchObject({ days: 7 });
    expect(parseDuration('P2W')).toMatchObject({ weeks: 2 });
    expect(parseDuration('PT12H')).toMatchObject({ hours: 12 });
    expect(parseDuration('P1Y2M3DT4H5M6S')).toEqual({ years: 1, months: 2, weeks: 0, days: 3, hours: 4, minutes: 5, seconds: 6 });
    for (const bad of ['', 'P', 'PT', '1M', 'P1.5M', 'P-1D', 'P0D', 'monthly', 'P1MT']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('adds months by the calendar, from the anchor, without drifting at month ends', () => {
    expect(add('2026-01-31T00:00:00Z', 'P1M')).toBe('2026-02-28T00:00:00.000Z');
    expect(add('2026-01-31T00:00:00Z', 'P1M', 2)).toBe('2026-03-31T00:00:00.000Z');
    expect(add('2028-01-31T10:30:00Z', 'P1M')).toBe('2028-02-29T10:30:00.000Z');
    expect(add('2026-11-15T00:00:00Z', 'P1M', 3)).toBe('2027-02-15T00:00:00.000Z');
    expect(add('2028-02-29T00:00:00Z', 'P1Y')).toBe('2029-02-28T00:00:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'P7D', 2)).toBe('2026-12-15T00:00:00.000Z');
    expect(add('2026-12-01T00:00:00Z', 'PT36H')).toBe('2026-12-02T12:00:00.000Z');
  });
});
