/**
 * ISO 8601 durations (`P1M`, `P1Y`, `P7D`, `P2W`, `PT12H`…) and calendar arithmetic in UTC.
 *
 * Runs are computed from an anchor — run k is `anchor + k × cadence` — never by adding the cadence
 * to the previous run, so a schedule anchored on January 31 renews on the last day of February
 * and then on March 31 again, instead of drifting to the 28th for good.
 */

export interface Duration {
  readonly years: number;
  readonly months: number;
  readonly weeks: number;
  readonly days: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

const PATTERN = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Parses a duration, or returns undefined when it is not one (or is zero). */
export const parseDuration = (text: string): Duration | undefined => {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  const d = { years: n(1), months: n(2), weeks: n(3), days: n(4), hours: n(5), minutes: n(6), seconds: n(7) };
  return Object.values(d).some((v) => v > 0) ? d : undefined;
};

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month + 1, 0)).getUTCDate();

/** `anchor + times × duration`, months and years by the calendar (day clamped to the month's end). */
export const addDuration = (anchor: Date, d: Duration, times = 1): Date => {
  const months = (d.years * 12 + d.months) * times;
  let result = new Date(anchor.getTime());
  if (months !== 0) {
    const y = anchor.getUTCFullYear();
    const mIndex = anchor.getUTCMonth() + months;
    const year = y + Math.floor(mIndex / 12);
    const month = ((mIndex % 12) + 12) % 12;
    const day = Math.min(anchor.getUTCDate(), daysInMonth(year, month));
    result = new Date(
      Date.UTC(year, month, day, anchor.getUTCHours(), anchor.getUTCMinutes(), anchor.getUTCSeconds(), anchor.getUTCMilliseconds()),
    );
  }
  const ms = ((((d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000 * times;
  return new Date(result.getTime() + ms);
};

/** The shortest a duration can be, in ms (months as 28 days): for sanity checks on cadences. */
export const minimumMs = (d: Duration): number =>
  ((((d.years * 365 + d.months * 28 + d.weeks * 7 + d.days) * 24 + d.hours) * 60 + d.minutes) * 60 + d.seconds) * 1000;
