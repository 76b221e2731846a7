import { tPValue, zCritical } from './distributions.ts';
import { checkConfidence, completePairs, finite, mean } from './guards.ts';

/**
 * Correlation of two variables for the retention drivers: Pearson (point-biserial with a 0/1 variable)
 * with a Fisher-z interval, and Spearman's rank correlation, each with a t-approximation p-value.
 */

/** Pearson (or point-biserial) correlation with a Fisher-z interval and a t-test p-value. */
export interface PearsonCorrelation {
  r: number | null;
  /** Complete pairs used. */
  n: number;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
}

/** Spearman rank correlation with a t-approximation p-value. */
export interface SpearmanCorrelation {
  rho: number | null;
  n: number;
  p_value: number | null;
}

/** Pearson r of two equally long arrays (n ≥ 2), or null when either is constant. Two-pass for accuracy. */
function correlation(xs: readonly number[], ys: readonly number[]): number | null {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  // Rounding can push |r| a hair past 1, where atanh and √(1 − r²) are undefined.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** p-value of H0: ρ = 0 from t = r·√((n − 2)/(1 − r²)) with n − 2 df; needs n ≥ 3. */
function correlationPValue(r: number, n: number): number | null {
  if (n < 3) return null;
  if (Math.abs(r) === 1) return 0;
  return finite(tPValue(r * Math.sqrt((n - 2) / (1 - r * r)), n - 2));
}

/** 1-based ranks, ties given the average of the ranks they span. */
function averageRanks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[start]!]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k]!] = rank;
    start = end + 1;
  }
  return ranks;
}

/**
 * Pearson correlation; with a 0/1 variable it is the point-biserial correlation. Pairs where either
 * value is null or not finite are left out (a customer without a survey has no mean CSAT).
 *
 * Interval by Fisher's z: tanh(atanh(r) ± z/√(n − 3)); p-value from t = r·√((n − 2)/(1 − r²)) with
 * n − 2 df.
 *
 * @param confidence level of the interval. @default 0.95
 * @returns r null when n < 2 or either variable is constant; p_value null when n < 3; the interval null
 *   when n < 4.
 */
export function pearson(
  x: readonly (number | null)[],
  y: readonly (number | null)[],
  confidence = 0.95,
): PearsonCorrelation {
  checkConfidence(confidence);
  const { xs, ys } = completePairs(x, y);
  const n = xs.length;
  const r = n >= 2 ? correlation(xs, ys) : null;
  if (r === null) return { r: null, n, ci_low: null, ci_high: null, p_value: null };
  let ciLow: number | null = null;
  let ciHigh: number | null = null;
  if (n >= 4) {
    if (Math.abs(r) === 1) {
      ciLow = r;
      ciHigh = r;
    } else {
      const fz = Math.atanh(r);
      const half = zCritical(confidence) / Math.sqrt(n - 3);
      ciLow = finite(Math.tanh(fz - half));
      ciHigh = finite(Math.tanh(fz + half));
    }
  }
  return { r, n, ci_low: ciLow, ci_high: ciHigh, p_value: correlationPValue(r, n) };
}

/**
 * Spearman rank correlation: Pearson's r of the ranks, ties given their average rank. p-value from the
 * t approximation t = ρ·√((n − 2)/(1 − ρ²)) with n − 2 df. Incomplete pairs are left out as in
 * {@link pearson}.
 *
 * @returns rho null when n < 2 or either variable is constant; p_value null when n < 3.
 */
export function spearman(x: readonly (number | null)[], y: readonly (number | null)[]): SpearmanCorrelation {
  const { xs, ys } = completePairs(x, y);
  const n = xs.length;
  const rho = n >= 2 ? correlation(averageRanks(xs), averageRanks(ys)) : null;
  if (rho === null) return { rho: null, n, p_value: null };
  return { rho, n, p_value: correlationPValue(rho, n) };
}
