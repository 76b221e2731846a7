import type { Segment } from '../ingest/events.ts';
import { FRESH_RATE, PURCHASE_RATE } from './calibration.ts';
import { DAY, HOUR, HOUR_WEIGHTS, WEEKDAY_FACTORS } from './clock.ts';
import { SEGMENT_MIX } from './mix.ts';
import { must } from './must.ts';
import { resolve, type SampleOptions } from './options.ts';

/**
 * Rough number of events generateSample will yield (for progress bars), within ±10 % (within ~2 % from a few
 * thousand customers; a population of a hundred varies more with how many heavy contacters it draws).
 */
export function estimateSampleSize(opts: SampleOptions): number {
  const r = resolve(opts);
  const { customers: n, days } = r;
  // Fresh contacts exactly as the simulation expects them (opening hours, weekdays in the centre's zone).
  const hourSum = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
  let fresh = 0;
  for (let d = 0; d < days; d++) {
    const dayStart = r.start + d * DAY;
    const o0 = r.clock.offsetMs(dayStart);
    for (let h = 0; h < 24; h++) {
      const local = new Date(dayStart + h * HOUR + o0);
      fresh +=
        ((HOUR_WEIGHTS[local.getUTCHours()] ?? 0) / hourSum) * (WEEKDAY_FACTORS[local.getUTCDay()] ?? 1);
    }
  }
  fresh *= n * FRESH_RATE;
  const opened = fresh * interpolate(OPENED_PER_FRESH, days);
  // Later events of an interaction fall past the end of a short window; a = 0.767, b = 2.47 fit that loss.
  const perOpened = EVENTS_PER_OPENED * (1 - 0.767 / (days + 2.47));
  const churned = n * interpolate(CHURNED_PER_CUSTOMER, days);
  const share = (s: Segment) => SEGMENT_MIX[s] / (SEGMENT_MIX.vip + SEGMENT_MIX.regular + SEGMENT_MIX.new);
  const upserts = n * (1 + share('new') * Math.min(1, days / 90));
  const purchaseRate = SEGMENTS_ALL.reduce((a, s) => a + share(s) * PURCHASE_RATE[s], 0);
  const purchases = n * days * purchaseRate - (churned * days * purchaseRate) / 2;
  const renewals = (n * ((1 - share('new')) * days + share('new') * Math.max(0, days - 320))) / 365;
  return Math.round(opened * (1 + perOpened) + upserts + purchases + renewals + churned);
}

const SEGMENTS_ALL = ['vip', 'regular', 'new'] as const;
/**
 * Measured from the simulation (3 seeds, ~1M events per point), so estimateSampleSize stays within a few
 * per cent: interactions opened per expected fresh contact by window length in days (repeat contacts and
 * call-backs add ~13 %, churn of the heavy contacters takes it away again), events per opened interaction on
 * a long window, and customers churned. Re-measure when the simulation's parameters change; the unit test
 * checks the ±10 % promise.
 */
const OPENED_PER_FRESH: readonly (readonly [number, number])[] = [
  [0, 1],
  [1, 1.022],
  [3, 1.052],
  [7, 1.09],
  [14, 1.108],
  [30, 1.115],
  [60, 1.096],
  [90, 1.062],
  [120, 1.047],
  [180, 0.989],
  [240, 0.953],
  [365, 0.877],
  [540, 0.798],
  [730, 0.748],
];
const EVENTS_PER_OPENED = 2.745;
const CHURNED_PER_CUSTOMER: readonly (readonly [number, number])[] = [
  [0, 0],
  [30, 0.009],
  [60, 0.028],
  [120, 0.065],
  [180, 0.1],
  [365, 0.187],
  [730, 0.3],
];

/** Piecewise-linear interpolation in a table sorted by x; straight extrapolation past its end. */
function interpolate(table: readonly (readonly [number, number])[], x: number): number {
  for (let i = 1; i < table.length; i++) {
    const [x1, y1] = must(table[i], 'row');
    if (x <= x1 || i === table.length - 1) {
      const [x0, y0] = must(table[i - 1], 'row');
      return Math.max(0, y0 + ((y1 - y0) * (x - x0)) / (x1 - x0));
    }
  }
  return must(table[0], 'row')[1];
}
