/**
 * Statistics for the KPIs of docs/metrics.md: confidence intervals, tests for process-change impact,
 * correlations and a one-feature logistic regression for retention drivers, and control-chart limits.
 *
 * Pure functions over numbers that ClickHouse has already aggregated: no I/O. Distribution functions
 * come from stdlib's single-function packages; only estimators (sums, ranks, the logistic fit) are
 * written here.
 *
 * Contract shared by every function:
 * - results are plain objects whose numbers are finite or `null`, never NaN or ±Infinity: `null` means
 *   "not defined for this input" (no observations, zero variance, too few observations for the test);
 * - arguments that can never be valid (negative counts, successes above n, a confidence level outside
 *   (0, 1), arrays of different lengths) throw a `CxError` with code `bad_parameter`;
 * - proportions are 0..1, NPS values are points on −100..100, and every test is two-sided.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import { CxError } from '../infra/errors.ts';

/** Below this many observations a KPI is still shown, but marked as low-confidence (docs/metrics.md). */
export const LOW_CONFIDENCE_N = 30;

/** "At risk" band for rates and scores: this many points on the wrong side of the target. */
export const AT_RISK_POINTS = 2;

/** "At risk" band for times: this fraction of the target on the wrong side of it. */
export const AT_RISK_TIME_FRACTION = 0.1;

/** Individuals (X) chart: 3σ limits estimated as 3 / d₂ · MR̄ with d₂ = 1.128 for moving ranges of 2. */
export const INDIVIDUALS_MR_FACTOR = 2.66;

// ---------------------------------------------------------------------------------------------------
// Result types

/** Wilson score interval of a proportion; all null when n = 0. */
export interface ProportionInterval {
  /** Observed proportion successes / n, 0..1. */
  p: number | null;
  low: number | null;
  high: number | null;
}

/** NPS with its normal-approximation interval, in points (−100..100); all null when n = 0. */
export interface NpsInterval {
  nps: number | null;
  /** Margin of error in points: z·√((p⁺(1−p⁺)+p⁻(1−p⁻)+2p⁺p⁻)/n)·100. */
  moe: number | null;
  /** nps − moe, clamped to −100. */
  low: number | null;
  /** nps + moe, clamped to 100. */
  high: number | null;
}

/** t-based interval of a mean; `low`/`high` null when n < 2 or the SD is unknown. */
export interface MeanInterval {
  mean: number | null;
  low: number | null;
  high: number | null;
}

export type TargetDirection = 'higher' | 'lower';
export type TargetKind = 'rate' | 'time' | 'score';
export type TargetStatus = 'met' | 'at_risk' | 'missed';

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

/** One-feature logistic regression P(y = 1) = 1 / (1 + e^−(intercept + coef·x)). */
export interface LogisticFit {
  /** e^coef: multiplicative change in the odds of y = 1 per unit of x. */
  odds_ratio: number | null;
  /** Slope on the log-odds scale. */
  coef: number | null;
  intercept: number | null;
  /** Wald standard error of `coef` from the observed information. */
  se: number | null;
  /** Wald interval of the odds ratio: e^(coef ± z·se). */
  ci_low: number | null;
  ci_high: number | null;
  /** Wald test of coef = 0. */
  p_value: number | null;
  /** Complete pairs used. */
  n: number;
  /** False when there is no finite maximum-likelihood estimate (constant x or y, separation). */
  converged: boolean;
}

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

// ---------------------------------------------------------------------------------------------------
// Helpers

function badParameter(message: string): CxError {
  return new CxError('bad_parameter', message);
}

/** A value that must be a finite number, or null: the last guard of the "no NaN out" contract. */
function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw badParameter(`confidence must be in (0, 1), got ${confidence}`);
  }
}

function checkCount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw badParameter(`${name} must be a finite number ≥ 0, got ${value}`);
  }
}

function checkPart(name: string, part: number, n: number): void {
  checkCount(name, part);
  if (part > n) throw badParameter(`${name} (${part}) must not exceed n (${n})`);
}

/** Two-sided critical value of the standard normal for a confidence level. */
function zCritical(confidence: number): number {
  return normalQuantile(0.5 + confidence / 2, 0, 1);
}

/** Two-sided critical value of Student's t. */
function tCritical(confidence: number, df: number): number {
  return tQuantile(0.5 + confidence / 2, df);
}

/** Two-sided p-value of a z statistic; computed from the lower tail so tiny p-values keep precision. */
function normalPValue(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
}

function tPValue(t: number, df: number): number {
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

/** Pairs where both values are finite numbers; null / NaN entries are missing data, not errors. */
function completePairs(
  x: readonly (number | null)[],
  y: readonly (number | null)[],
): { xs: number[]; ys: number[] } {
  if (x.length !== y.length) {
    throw badParameter(`x and y must have the same length (${x.length} ≠ ${y.length})`);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i];
    const b = y[i];
    if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  }
  return { xs, ys };
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
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

// ---------------------------------------------------------------------------------------------------
// Intervals

/**
 * Wilson score interval of a proportion (the CSAT interval of docs/metrics.md): the set of p whose score
 * test |p̂ − p| / √(p(1 − p)/n) ≤ z does not reject. Unlike the Wald interval it stays inside [0, 1]
 * and has sensible width at p̂ = 0 or 1.
 *
 * @param successes e.g. CSAT responses scoring 4–5.
 * @param n all responses.
 * @param confidence two-sided level. @default 0.95
 * @returns proportions 0..1; all null when n = 0.
 */
export function wilson(successes: number, n: number, confidence = 0.95): ProportionInterval {
  checkConfidence(confidence);
  checkCount('n', n);
  checkPart('successes', successes, n);
  if (n === 0) return { p: null, low: null, high: null };
  const p = successes / n;
  const z = zCritical(confidence);
  const z2n = (z * z) / n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  return {
    p,
    low: finite(Math.max(0, center - half)),
    high: finite(Math.min(1, center + half)),
  };
}

/**
 * NPS with its margin of error, exactly as docs/metrics.md defines it:
 * moe = z·√((p⁺(1−p⁺) + p⁻(1−p⁻) + 2p⁺p⁻) / n)·100, which is z times the standard error of the mean
 * of per-respondent scores +1 (promoter), 0 (passive), −1 (detractor), in points.
 *
 * @param confidence two-sided level. @default 0.95
 * @returns points on −100..100; the interval nps ± moe is clamped to that range. All null when n = 0.
 */
export function npsInterval(
  promoters: number,
  detractors: number,
  n: number,
  confidence = 0.95,
): NpsInterval {
  checkConfidence(confidence);
  checkCount('n', n);
  checkPart('promoters', promoters, n);
  checkPart('detractors', detractors, n);
  checkPart('promoters + detractors', promoters + detractors, n);
  if (n === 0) return { nps: null, moe: null, low: null, high: null };
  const pp = promoters / n;
  const pd = detractors / n;
  const nps = (pp - pd) * 100;
  const variance = pp * (1 - pp) + pd * (1 - pd) + 2 * pp * pd;
  const moe = zCritical(confidence) * Math.sqrt(variance / n) * 100;
  return {
    nps: finite(nps),
    moe: finite(moe),
    low: finite(Math.max(-100, nps - moe)),
    high: finite(Math.min(100, nps + moe)),
  };
}

/**
 * t-based confidence interval of a mean: mean ± t(n − 1)·sd/√n.
 *
 * @param mean sample mean; null (e.g. ClickHouse's avg of nothing) gives all null.
 * @param sd sample standard deviation (n − 1 divisor, ClickHouse `stddevSamp`).
 * @param confidence two-sided level. @default 0.95
 * @returns mean null when n = 0; low/high null when n < 2 or sd is not a finite number.
 */
export function meanInterval(
  mean: number | null,
  sd: number | null,
  n: number,
  confidence = 0.95,
): MeanInterval {
  checkConfidence(confidence);
  checkCount('n', n);
  if (n === 0 || mean === null || !Number.isFinite(mean)) return { mean: null, low: null, high: null };
  if (n < 2 || sd === null || !Number.isFinite(sd) || sd < 0) return { mean, low: null, high: null };
  const half = (tCritical(confidence, n - 1) * sd) / Math.sqrt(n);
  return { mean, low: finite(mean - half), high: finite(mean + half) };
}

// ---------------------------------------------------------------------------------------------------
// Targets

/**
 * Status of a KPI against its target (docs/metrics.md): "met" on the right side of the target (the target
 * itself included); "at_risk" on the wrong side by at most 2 points for rates and scores, or 10 % of
 * the target for times; otherwise "missed". Boundaries are inclusive, with a 1e-9 relative slack so
 * that 89.99999999999999 % against a 90 % target is still met.
 *
 * @param value the KPI value, in the unit of the target (%, points, seconds…); null → null.
 * @param direction 'higher' when bigger is better (CSAT, answer rate), 'lower' otherwise (times, churn).
 */
export function targetStatus(
  value: number | null,
  target: number | null,
  direction: TargetDirection,
  kind: TargetKind,
): TargetStatus | null {
  if (value === null || target === null || !Number.isFinite(value) || !Number.isFinite(target)) {
    return null;
  }
  const eps = 1e-9 * Math.max(1, Math.abs(target));
  // How far the value is on the wrong side of the target (≤ 0 means on the right side).
  const shortfall = direction === 'higher' ? target - value : value - target;
  if (shortfall <= eps) return 'met';
  const band = kind === 'time' ? AT_RISK_TIME_FRACTION * Math.abs(target) : AT_RISK_POINTS;
  return shortfall <= band + eps ? 'at_risk' : 'missed';
}

/** True when a value rests on fewer than {@link LOW_CONFIDENCE_N} observations (shown, but flagged). */
export function isLowConfidence(n: number): boolean {
  return n < LOW_CONFIDENCE_N;
}

// ---------------------------------------------------------------------------------------------------
// Tests for process-change impact (before = 1 / a, after = 2 / b)

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

// ---------------------------------------------------------------------------------------------------
// Retention drivers

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

const LOGISTIC_MAX_ITERATIONS = 50;
const LOGISTIC_TOLERANCE = 1e-10;

/** log(1 + e^η) without overflow. */
function softplus(eta: number): number {
  return Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta)));
}

function sigmoid(eta: number): number {
  if (eta >= 0) return 1 / (1 + Math.exp(-eta));
  const e = Math.exp(eta);
  return e / (1 + e);
}

/**
 * One-feature logistic regression with intercept, fitted by Newton–Raphson (the same iterations as
 * IRLS), for the odds ratio of churn per unit of a driver. Wald standard error, interval and p-value
 * for the slope.
 *
 * x is standardised internally so the iterations do not depend on its unit (seconds vs. hours); the
 * results are reported per unit of the original x. When the likelihood has no finite maximum — y
 * constant, x constant, or x separating the outcomes (every churner's x above, or below, every other
 * customer's, ties included) — the fit returns nulls with converged = false instead of an ever-growing
 * coefficient.
 *
 * @param x the driver; null / non-finite entries drop the pair.
 * @param y the outcome, 1 = event (churned).
 * @param confidence level of the interval. @default 0.95
 */
export function logisticOddsRatio(
  x: readonly (number | null)[],
  y: readonly (0 | 1 | null)[],
  confidence = 0.95,
): LogisticFit {
  checkConfidence(confidence);
  const { xs, ys } = completePairs(x, y);
  const n = xs.length;
  const failed: LogisticFit = {
    odds_ratio: null,
    coef: null,
    intercept: null,
    se: null,
    ci_low: null,
    ci_high: null,
    p_value: null,
    n,
    converged: false,
  };
  let min1 = Infinity;
  let max1 = -Infinity;
  let min0 = Infinity;
  let max0 = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = xs[i]!;
    if (ys[i] === 1) {
      min1 = Math.min(min1, v);
      max1 = Math.max(max1, v);
    } else if (ys[i] === 0) {
      min0 = Math.min(min0, v);
      max0 = Math.max(max0, v);
    } else {
      throw badParameter(`y must be 0 or 1, got ${ys[i]}`);
    }
  }
  // Both classes present and their x ranges overlapping is exactly the condition for a finite MLE with
  // one feature; it also rules out a constant x.
  if (!(max0 > min1 && max1 > min0)) return failed;

  const mx = mean(xs);
  let ss = 0;
  for (const v of xs) ss += (v - mx) ** 2;
  const sx = Math.sqrt(ss / n);
  const zs = xs.map((v) => (v - mx) / sx);
  const ybar = mean(ys);

  const logLik = (b0: number, b1: number): number => {
    let ll = 0;
    for (let i = 0; i < n; i++) {
      const eta = b0 + b1 * zs[i]!;
      ll += ys[i]! * eta - softplus(eta);
    }
    return ll;
  };
  /** Score vector and observed information at (b0, b1). */
  const derivatives = (b0: number, b1: number) => {
    let g0 = 0;
    let g1 = 0;
    let i00 = 0;
    let i01 = 0;
    let i11 = 0;
    for (let i = 0; i < n; i++) {
      const z = zs[i]!;
      const p = sigmoid(b0 + b1 * z);
      const w = p * (1 - p);
      g0 += ys[i]! - p;
      g1 += (ys[i]! - p) * z;
      i00 += w;
      i01 += w * z;
      i11 += w * z * z;
    }
    return { g0, g1, i00, i01, i11, det: i00 * i11 - i01 * i01 };
  };

  // Start at the intercept-only MLE.
  let b0 = Math.log(ybar / (1 - ybar));
  let b1 = 0;
  let ll = logLik(b0, b1);
  let converged = false;
  for (let iter = 0; iter < LOGISTIC_MAX_ITERATIONS && !converged; iter++) {
    const d = derivatives(b0, b1);
    if (!(d.det > 0)) return failed;
    let step0 = (d.i11 * d.g0 - d.i01 * d.g1) / d.det;
    let step1 = (d.i00 * d.g1 - d.i01 * d.g0) / d.det;
    // The log-likelihood is concave, so a full Newton step rarely overshoots; halve it when it does.
    let next = logLik(b0 + step0, b1 + step1);
    for (let h = 0; h < 30 && next < ll - 1e-12 * Math.abs(ll); h++) {
      step0 /= 2;
      step1 /= 2;
      next = logLik(b0 + step0, b1 + step1);
    }
    b0 += step0;
    b1 += step1;
    ll = next;
    converged = Math.max(Math.abs(step0), Math.abs(step1)) < LOGISTIC_TOLERANCE;
  }
  const d = derivatives(b0, b1);
  if (!converged || !(d.det > 0) || !Number.isFinite(b0 + b1)) return failed;

  // Back to the original unit: slope and its SE scale by 1/sx, the intercept absorbs the centring.
  const coef = b1 / sx;
  const se = Math.sqrt(d.i00 / d.det) / sx;
  const intercept = b0 - b1 * (mx / sx);
  const half = zCritical(confidence) * se;
  const fit = {
    odds_ratio: finite(Math.exp(coef)),
    coef: finite(coef),
    intercept: finite(intercept),
    se: finite(se),
    ci_low: finite(Math.exp(coef - half)),
    ci_high: finite(Math.exp(coef + half)),
    p_value: finite(normalPValue(coef / se)),
  };
  if (Object.values(fit).some((v) => v === null)) return failed;
  return { ...fit, n, converged: true };
}

// ---------------------------------------------------------------------------------------------------
// Control charts

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
