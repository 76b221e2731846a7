import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../infra/config.ts';
import { estimateSampleSize } from '../../../sample/estimate.ts';
import { defaultStart } from '../../../sample/options.ts';

/**
 * The sample `cxpulse start` loads by default spans the default baseline period of relative targets
 * (docs/metrics.md: the 90 days before the first day of the current quarter, in the centre's zone), so
 * relative targets have a status on the first run. The baseline is worked out here from the calendar,
 * independently of metrics/targets.
 */

const DAY = 86_400_000;

/** The instant local midnight of the calendar day y-m-d begins in `zone` (m 0-based, may overflow). */
function localMidnight(zone: string, y: number, m: number, d: number): number {
  const guess = Date.UTC(y, m, d);
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(new Date(guess));
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'));
  return guess - (asUtc - guess);
}

/** The first instant of the default baseline period at `now` in `zone`: 90 days before the quarter's first. */
function baselineStart(zone: string, now: Date): number {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit' })
    .format(now)
    .split('-')
    .map(Number) as [number, number];
  const quarterMonth = Math.floor((m - 1) / 3) * 3;
  return localMidnight(zone, y, quarterMonth, 1 - 90);
}

const { days, customers, seed } = loadConfig({}).sample;
const ZONES = ['UTC', 'Asia/Shanghai', 'America/Los_Angeles', 'Pacific/Kiritimati'];
// today, and the days on which the current quarter so far is longest or shortest
const NOWS = [
  new Date(),
  new Date('2026-12-31T23:59:59Z'),
  new Date('2027-01-01T00:00:00Z'),
  new Date('2026-09-30T12:00:00Z'),
  new Date('2026-06-30T20:00:00Z'),
  new Date('2028-03-31T23:00:00Z'),
  new Date('2026-04-01T06:00:00Z'),
];

describe('the default sample window', () => {
  it.each(ZONES.flatMap((z) => NOWS.map((n) => [z, n] as const)))(
    'reaches back to the baseline period in %s at %s',
    (zone, now) => {
      const start = defaultStart(days, now).getTime();
      expect(start).toBeLessThanOrEqual(baselineStart(zone, now));
      // and ends at today's UTC midnight, so the current quarter so far is in it too
      expect(start + days * DAY).toBe(Math.floor(now.getTime() / DAY) * DAY);
    },
  );

  it('keeps the sample about the size that loads within a minute (≈130k events)', () => {
    const events = estimateSampleSize({ seed, customers, days });
    expect(events).toBeGreaterThan(110_000);
    expect(events).toBeLessThan(150_000);
  });
});
