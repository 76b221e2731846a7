import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

/**
 * Critical values and two-sided p-values of the standard normal and Student's t, from stdlib's
 * single-function packages: the only place this folder uses a distribution.
 */

/** Two-sided critical value of the standard normal for a confidence level. */
export function zCritical(confidence: number): number {
  return normalQuantile(0.5 + confidence / 2, 0, 1);
}

/** Two-sided critical value of Student's t. */
export function tCritical(confidence: number, df: number): number {
  return tQuantile(0.5 + confidence / 2, df);
}

/** Two-sided p-value of a z statistic; computed from the lower tail so tiny p-values keep precision. */
export function normalPValue(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

/** Two-sided p-value of a t statistic with `df` degrees of freedom. */
export function tPValue(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}
