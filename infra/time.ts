/**
 * Dates and times as cxpulse writes them, in one place. A calendar date is the text `YYYY-MM-DD`; its
 * arithmetic is done on UTC midnights, so it is free of any time zone's daylight saving. "Today" is always
 * a date in a named IANA time zone (the centre's, `CXPULSE_TIMEZONE`), never the process's own. Pure.
 */

/** Milliseconds in a calendar day (UTC has no daylight saving). */
export const DAY_MS = 86_400_000;

/** The default window of KPI questions without dates: the last 28 days, today included. */
export const DEFAULT_WINDOW_DAYS = 28;

const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, f);
  }
  return f;
}

/** The calendar date, YYYY-MM-DD, of an instant in an IANA time zone. Throws RangeError on a bad zone. */
export function localDate(at: Date, timeZone: string): string {
  return dateFormat(timeZone).format(at);
}

/** Today's date in an IANA time zone (`now` for tests). */
export function today(timeZone: string, now: Date = new Date()): string {
  return localDate(now, timeZone);
}

/** `date` (YYYY-MM-DD) moved by whole days, forwards or back. Throws RangeError on a date it cannot read. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included: 1 for the same date. */
export function dayCount(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** The `days` days that end on `to` (included): by default the last {@link DEFAULT_WINDOW_DAYS}. */
export function windowEnding(to: string, days: number = DEFAULT_WINDOW_DAYS): { from: string; to: string } {
  return { from: addDays(to, 1 - days), to };
}

const UTC_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * ClickHouse `DateTime64(3, 'UTC')` text, `YYYY-MM-DD hh:mm:ss.mmm`, of an instant or of an ISO timestamp
 * with any offset (more than three decimals are cut, not rounded).
 */
export function clickHouseTime(at: Date | string): string {
  // Most producers already send UTC with milliseconds: then the text is the answer (4× faster).
  const utc = typeof at === 'string' && UTC_MILLIS.test(at) ? at : new Date(at).toISOString();
  return `${utc.slice(0, 10)} ${utc.slice(11, 23)}`;
}
