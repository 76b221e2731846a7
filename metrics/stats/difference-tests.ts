import { normalPValue, tCritical, tPValue, zCritical } from './distributions.ts';
import { checkConfidence, checkCount, checkPart, finite } from './guards.ts';

/**
 * Tests of a difference between two samples, for process-change impact (before = 1 / a, after = 2 / b):
 * two proportions, two means (Welch), two NPS values.
 */

/** Two-proportion z-test (pooled SE) with the unpooled Wald interval of p2 − p1. */
export interface TwoProportionTest {
  p1: number | null;
  p2: number | null;
  /** p2 − p1 (after − before). */
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  z: number | null;
  p_value: number | null;
}

/** Summary of one sample of a continuous metric. `sd` is the sample SD (n − 1 divisor). */
export interface SampleSummary {
  mean: number | null;
  sd: number | null;
  n: number;
}

/** Welch's unequal-variance t-test of b.mean − a.mean. */
export interface WelchTest {
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  t: number | null;
  /** Welch–Satterthwaite degrees of freedom (not an integer in general). */
  df: number | null;
  p_value: number | null;
}

/** NPS survey counts: promoters (9–10) and detractors (0–6) out of n responses. */
export interface NpsCounts {
  promoters: number;
  detractors: number;
  n: number;
}

/** Difference after − before of two NPS values, in points, normal approximation. */
export interface NpsDifferenceTest {
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  z: number | null;
  p_value: number | null;
}

/**
 * Two-proportion z-test for a rate KPI before (x1 of n1) and after (x2 of n2) a change. The test uses
 * the pooled SE √(p̄(1 − p̄)(1/n1 + 1/n2)) under H0: p1 = p2; the interval of p2 − p1 uses the unpooled
 * SE √(p1(1 − p1)/n1 + p2(1 − p2)/n2), as the interval is not computed under H0.
 *
 * @param confidence level of the interval. @default 0.95
 * @returns p1 / p2 null when their n is 0; everything else null unless both n > 0; z and p_value null
 *   when both samples are all successes or all failures (no variance to test against).
 */
export function twoProportionZTest(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence = 0.95,
): TwoProportionTest {
  checkConfidence(confidence);
  checkCount('n1', n1);
  checkCount('n2', n2);
  checkPart('x1', x1, n1);
  checkPart('x2', x2, n2);
  const p1 = n1 > 0 ? x1 / n1 : null;
  const p2 = n2 > 0 ? x2 / n2 : null;
  if (p1 === null || p2 === null) {
    return { p1, p2, diff: null, ci_low: null, ci_high: null, z: null, p_value: null };
  }
  const diff = p2 - p1;
  const pooled = (x1 + x2) / (n1 + n2);
  const se0 = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const se = Math.sqrt((p1 * (1 - p1)) / n1 + (p2 * (1 - p2)) / n2);
  const half = zCritical(confidence) * se;
  const z = se0 > 0 ? finite(diff / se0) : null;
  return {
    p1,
    p2,
    diff,
    ci_low: finite(diff - half),
    ci_high: finite(diff + half),
    z,
    p_value: z === null ? null : finite(normalPValue(z)),
  };
}

/**
 * Welch's t-test for a mean or time KPI: diff = b.mean − a.mean, SE = √(sa²/na + sb²/nb), and the
 * Welch–Satterthwaite df = SE⁴ / ((sa²/na)²/(na − 1) + (sb²/nb)²/(nb − 1)).
 *
 * @param a before the change.
 * @param b after the change.
 * @param confidence level of the interval. @default 0.95
 * @returns diff when both means exist; the rest null unless both n ≥ 2 and SE > 0.
 */
export function welchTTest(a: SampleSummary, b: SampleSummary, confidence = 0.95): WelchTest {
  checkConfidence(confidence);
  checkCount('a.n', a.n);
  checkCount('b.n', b.n);
  const none = { ci_low: null, ci_high: null, t: null, df: null, p_value: null };
  if (a.n === 0 || b.n === 0 || a.mean === null || b.mean === null || !Number.isFinite(a.mean + b.mean)) {
    return { diff: null, ...none };
  }
  const diff = b.mean - a.mean;
  if (a.n < 2 || b.n < 2 || a.sd === null || b.sd === null || !Number.isFinite(a.sd + b.sd)) {
    return { diff, ...none };
  }
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se2 = va + vb;
  if (!(se2 > 0)) return { diff, ...none };
  const se = Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const t = diff / se;
  const half = tCritical(confidence, df) * se;
  return {
    diff,
    ci_low: finite(diff - half),
    ci_high: finite(diff + half),
    t: finite(t),
    df: finite(df),
    p_value: finite(tPValue(t, df)),
  };
}

/** Population variance of the per-respondent NPS score (+1 / 0 / −1), the docs/metrics.md formula. */
function npsScoreVariance(c: NpsCounts): { nps: number; variance: number } {
  const pp = c.promoters / c.n;
  const pd = c.detractors / c.n;
  return { nps: pp - pd, variance: pp * (1 - pp) + pd * (1 - pd) + 2 * pp * pd };
}

function checkNpsCounts(name: string, c: NpsCounts): void {
  checkCount(`${name}.n`, c.n);
  checkPart(`${name}.promoters`, c.promoters, c.n);
  checkPart(`${name}.detractors`, c.detractors, c.n);
  checkPart(`${name}.promoters + detractors`, c.promoters + c.detractors, c.n);
}

/**
 * Difference of two NPS values (after − before) in points: each sample's SE from the NPS variance
 * formula (the variance of the +1/0/−1 score), SE = √(v1/n1 + v2/n2), normal approximation for the
 * interval and the z-test.
 *
 * @param confidence level of the interval. @default 0.95
 * @returns all null unless both n > 0; z and p_value null when SE = 0 (every respondent in both samples
 *   in one class, so the test is undefined).
 */
export function npsDifference(before: NpsCounts, after: NpsCounts, confidence = 0.95): NpsDifferenceTest {
  checkConfidence(confidence);
  checkNpsCounts('before', before);
  checkNpsCounts('after', after);
  if (before.n === 0 || after.n === 0) {
    return { diff: null, ci_low: null, ci_high: null, z: null, p_value: null };
  }
  const b = npsScoreVariance(before);
  const a = npsScoreVariance(after);
  const diff = a.nps - b.nps;
  const se = Math.sqrt(b.variance / before.n + a.variance / after.n);
  const half = zCritical(confidence) * se;
  const z = se > 0 ? finite(diff / se) : null;
  return {
    diff: finite(diff * 100),
    ci_low: finite((diff - half) * 100),
    ci_high: finite((diff + half) * 100),
    z,
    p_value: z === null ? null : finite(normalPValue(z)),
  };
}
