import { badParameter, checkCount, checkPart, mean } from './guards.ts';

/** Shewhart control-chart limits: the p-chart of a proportion and the individuals (X-mR) chart. */

/** Individuals (X) chart: 3σ limits estimated as 3 / d₂ · MR̄ with d₂ = 1.128 for moving ranges of 2. */
export const INDIVIDUALS_MR_FACTOR = 2.66;

/** One subgroup of a p-chart. */
export interface PChartPoint {
  /** x / n; null when n = 0. */
  p: number | null;
  /** max(0, center − 3σᵢ) with σᵢ = √(center·(1 − center)/nᵢ). */
  lcl: number | null;
  /** min(1, center + 3σᵢ). */
  ucl: number | null;
  /** p is outside [lcl, ucl]. */
  out: boolean;
}

export interface PChart {
  /** Σx / Σn; null when Σn = 0. */
  center: number | null;
  points: PChartPoint[];
}

export interface IndividualsChart {
  center: number | null;
  /** Mean moving range |vᵢ − vᵢ₋₁|; null with fewer than 2 values. */
  mr_bar: number | null;
  lcl: number | null;
  ucl: number | null;
  out: boolean[];
}

/**
 * p-chart (Shewhart chart of a proportion) with 3σ limits per subgroup, σᵢ = √(p̄(1 − p̄)/nᵢ) around
 * the centre line p̄ = Σx / Σn; the lower limit is clamped at 0 and the upper at 1. A subgroup with
 * n = 0 has no point (p, limits null, out false).
 *
 * @param points one subgroup per period: x events out of n.
 */
export function pChart(points: readonly { x: number; n: number }[]): PChart {
  let sumX = 0;
  let sumN = 0;
  points.forEach((pt, i) => {
    checkCount(`points[${i}].n`, pt.n);
    checkPart(`points[${i}].x`, pt.x, pt.n);
    sumX += pt.x;
    sumN += pt.n;
  });
  const center = sumN > 0 ? sumX / sumN : null;
  return {
    center,
    points: points.map((pt) => {
      if (center === null || pt.n === 0) return { p: null, lcl: null, ucl: null, out: false };
      const p = pt.x / pt.n;
      const sigma = Math.sqrt((center * (1 - center)) / pt.n);
      const lcl = Math.max(0, center - 3 * sigma);
      const ucl = Math.min(1, center + 3 * sigma);
      return { p, lcl, ucl, out: p < lcl || p > ucl };
    }),
  };
}

/**
 * Individuals (X-mR) chart for a metric with one value per period (a mean, a median time): centre =
 * mean of the values, limits centre ± 2.66·MR̄ where MR̄ is the mean moving range |vᵢ − vᵢ₋₁|.
 *
 * @param values one finite value per period, in time order.
 * @returns centre null when empty; MR̄ and limits null with a single value; `out` flags each value
 *   outside the limits.
 */
export function individualsChart(values: readonly number[]): IndividualsChart {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw badParameter(`values[${i}] must be a finite number, got ${v}`);
  });
  if (values.length === 0) return { center: null, mr_bar: null, lcl: null, ucl: null, out: [] };
  const center = mean(values);
  if (values.length < 2) {
    return { center, mr_bar: null, lcl: null, ucl: null, out: values.map(() => false) };
  }
  let sumMr = 0;
  for (let i = 1; i < values.length; i++) sumMr += Math.abs(values[i]! - values[i - 1]!);
  const mrBar = sumMr / (values.length - 1);
  const lcl = center - INDIVIDUALS_MR_FACTOR * mrBar;
  const ucl = center + INDIVIDUALS_MR_FACTOR * mrBar;
  return { center, mr_bar: mrBar, lcl, ucl, out: values.map((v) => v < lcl || v > ucl) };
}
