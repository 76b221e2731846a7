import { badParameter } from '../../infra/errors.ts';
import { addDays, DEFAULT_WINDOW_DAYS } from '../../infra/time.ts';

/**
 * The before and after windows of a process change, in whole local days of the configured zone (what
 * the query builder filters on), and the day arithmetic they need. Pure.
 */

const MAX_WINDOW_DAYS = 366;

export function windowDays(name: string, v: number | undefined): number {
  const days = v ?? DEFAULT_WINDOW_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS)
    throw badParameter(name, `must be a whole number of days, 1–${MAX_WINDOW_DAYS}`);
  return days;
}

/** Local calendar date of an instant, and whether it is exactly local midnight. */
export function localDay(t: Date, timeZone: string): { date: string; time: string; midnight: boolean } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const time = `${parts['hour']}:${parts['minute']}:${parts['second']}`;
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    time,
    midnight: time === '00:00:00' && t.getUTCMilliseconds() === 0,
  };
}

/**
 * The windows, in whole local days of the configured zone (what the query builder filters on). A change
 * at local midnight starts its day: the after window begins on that date. A change at any other time
 * splits its day between the old and the new way of working, so that day belongs to neither window —
 * the after window begins the next day — rather than diluting one of them.
 */
export function impactWindows(
  startsAt: string,
  timeZone: string,
  beforeDays: number,
  afterDays: number,
): { before: { from: string; to: string }; after: { from: string; to: string }; excluded: string | null } {
  const start = localDay(new Date(startsAt), timeZone);
  const firstAfter = start.midnight ? start.date : addDays(start.date, 1);
  return {
    before: { from: addDays(start.date, -beforeDays), to: addDays(start.date, -1) },
    after: { from: firstAfter, to: addDays(firstAfter, afterDays - 1) },
    excluded: start.midnight ? null : start.date,
  };
}

export function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}
