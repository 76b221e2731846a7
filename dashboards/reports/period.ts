import { badParameter } from '../../infra/errors.ts';
import { addDays, DAY_MS, localDate } from '../../infra/time.ts';

/**
 * The period a report covers, as whole local days before the moment it runs: a report due Monday
 * 08:00 for `last_week` covers Monday to Sunday of the week before. Days are the centre's days
 * (`CXPULSE_TIMEZONE`). "Today" is the earliest of the dates it is in the schedule's time zone and in
 * the centre's, so the last day of a period has ended in both: a report due 00:30 UTC for a centre in
 * Los Angeles (16:30 the day before there) does not report a day that is still going on.
 */

export const PERIODS = ['yesterday', 'last_week', 'last_month', 'month_to_date'] as const;
export type PeriodKind = (typeof PERIODS)[number];

export interface Period {
  from: string;
  to: string;
}

/** The period of `kind` for a report that runs at `at`; `timeZones`: the schedule's and the centre's. */
export function periodFor(kind: PeriodKind, at: Date, timeZones: readonly string[]): Period {
  const today = timeZones.map((tz) => localDate(at, tz)).sort()[0] as string;
  const yesterday = addDays(today, -1);
  switch (kind) {
    case 'yesterday':
      return { from: yesterday, to: yesterday };
    case 'last_week': {
      // ISO weeks: Monday first
      const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
      const monday = addDays(today, -weekday);
      return { from: addDays(monday, -7), to: addDays(monday, -1) };
    }
    case 'last_month': {
      const first = `${today.slice(0, 7)}-01`;
      const prevLast = addDays(first, -1);
      return { from: `${prevLast.slice(0, 7)}-01`, to: prevLast };
    }
    case 'month_to_date':
      // complete days only: on the 1st this is the whole month before
      return { from: `${yesterday.slice(0, 7)}-01`, to: yesterday };
  }
}

/** `--period` on the command line and in the API: a period kind or `YYYY-MM-DD..YYYY-MM-DD`. */
export function parsePeriod(
  text: string,
  at: Date,
  timeZones: readonly string[],
): Period & { kind: PeriodKind | 'custom' } {
  if ((PERIODS as readonly string[]).includes(text))
    return { ...periodFor(text as PeriodKind, at, timeZones), kind: text as PeriodKind };
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text);
  const valid = (d: string) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && addDays(d, 0) === d;
  if (!m || !valid(m[1] as string) || !valid(m[2] as string))
    throw badParameter(
      'period',
      `${JSON.stringify(text)} is not ${PERIODS.join(', ')} or FROM..TO (YYYY-MM-DD..YYYY-MM-DD)`,
    );
  const [from, to] = [m[1] as string, m[2] as string];
  if (from > to) throw badParameter('period', `${from} is after ${to}`);
  if (Date.parse(to) - Date.parse(from) > 366 * DAY_MS)
    throw badParameter('period', `${text} is longer than a year`);
  return { from, to, kind: 'custom' };
}
