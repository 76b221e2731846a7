import { addDays, localDate, today } from '../../infra/time.ts';
import type { AlertWindow } from '../rules/types.ts';

/**
 * The days a KPI rule reads, in the centre's time zone (`CXPULSE_TIMEZONE`), as metric requests take
 * them (whole local days, the last one so far): `today` — today so far; `last_24h` — the days the last
 * 24 hours touch (yesterday and today), narrowed to the last 24 hours by {@link windowInstants};
 * `this_week` — Monday to today; `last_7d` — the seven days ending today. Pure.
 */
export function windowDays(w: AlertWindow, timeZone: string, now: Date): { from: string; to: string } {
  const to = today(timeZone, now);
  switch (w) {
    case 'today':
      return { from: to, to };
    case 'last_24h':
      return { from: localDate(new Date(now.getTime() - 24 * 3600_000), timeZone), to };
    case 'this_week': {
      const weekday = new Date(`${to}T00:00:00Z`).getUTCDay(); // 0 = Sunday
      return { from: addDays(to, -((weekday + 6) % 7)), to };
    }
    case 'last_7d':
      return { from: addDays(to, -6), to };
  }
}

/** The instants a rolling window reads within its days: `last_24h` — `[now − 24 h, now)`. Pure. */
export function windowInstants(w: AlertWindow, now: Date): { from: Date; to: Date } | undefined {
  return w === 'last_24h' ? { from: new Date(now.getTime() - 24 * 3600_000), to: now } : undefined;
}
