import type { Config } from '../../infra/config.ts';
import { addDays, today } from '../../infra/time.ts';
import type { BaselinePeriod } from './types.ts';

/** Length of the default baseline period, in days. */
export const BASELINE_DAYS = 90;

/** The first day of the quarter a local day falls in (`2026-11-29` → `2026-10-01`). */
export function quarterStart(day: string): string {
  const month = Number(day.slice(5, 7));
  const first = month - ((month - 1) % 3);
  return `${day.slice(0, 4)}-${String(first).padStart(2, '0')}-01`;
}

/**
 * The baseline period of relative targets: `TARGET_BASELINE` when set, else the 90 days before the first
 * day of the current quarter (today in `CXPULSE_TIMEZONE`).
 */
export function baselinePeriod(
  cfg: Pick<Config, 'timeZone' | 'targetBaseline'>,
  now: Date = new Date(),
): BaselinePeriod {
  if (cfg.targetBaseline) return cfg.targetBaseline;
  const start = quarterStart(today(cfg.timeZone, now));
  return { from: addDays(start, -BASELINE_DAYS), to: addDays(start, -1) };
}
