import { normalPValue, zCritical } from './distributions.ts';
import { badParameter, checkConfidence, completePairs, finite, mean } from './guards.ts';

/**
 * One-feature logistic regression for the retention drivers: the odds ratio of churn per unit of a
 * driver, fitted by Newton–Raphson on a standardised x, with Wald standard error, interval and p-value.
 */

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

function failedFit(n: number): LogisticFit {
  return {
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
}

/**
 * Both classes present and their x ranges overlapping is exactly the condition for a finite MLE with
 * one feature; it also rules out a constant x. Throws `bad_parameter` when a y is neither 0 nor 1.
 */
function hasFiniteMle(xs: readonly number[], ys: readonly number[]): boolean {
  let min1 = Infinity;
  let max1 = -Infinity;
  let min0 = Infinity;
  let max0 = -Infinity;
  for (let i = 0; i < xs.length; i++) {
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
  return max0 > min1 && max1 > min0;
}

/** x centred and scaled by its population SD, so the iterations do not depend on its unit. */
function standardise(xs: readonly number[]): { zs: number[]; mx: number; sx: number } {
  const mx = mean(xs);
  let ss = 0;
  for (const v of xs) ss += (v - mx) ** 2;
  const sx = Math.sqrt(ss / xs.length);
  return { zs: xs.map((v) => (v - mx) / sx), mx, sx };
}

function logLikelihood(zs: readonly number[], ys: readonly number[], b0: number, b1: number): number {
  let ll = 0;
  for (let i = 0; i < zs.length; i++) {
    const eta = b0 + b1 * zs[i]!;
    ll += ys[i]! * eta - softplus(eta);
  }
  return ll;
}

/** Score vector (g0, g1) and observed information (i00, i01, i11, its determinant) at (b0, b1). */
interface Derivatives {
  g0: number;
  g1: number;
  i00: number;
  i01: number;
  i11: number;
  det: number;
}

function derivatives(zs: readonly number[], ys: readonly number[], b0: number, b1: number): Derivatives {
  let g0 = 0;
  let g1 = 0;
  let i00 = 0;
  let i01 = 0;
  let i11 = 0;
  for (let i = 0; i < zs.length; i++) {
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
}

/**
 * Newton–Raphson from the intercept-only MLE, halving a step that lowers the log-likelihood. Returns
 * the coefficients on the standardised scale with the information at them, or null when the iterations
 * do not converge to a finite maximum.
 */
function newtonRaphson(
  zs: readonly number[],
  ys: readonly number[],
): { b0: number; b1: number; d: Derivatives } | null {
  const ybar = mean(ys);
  let b0 = Math.log(ybar / (1 - ybar));
  let b1 = 0;
  let ll = logLikelihood(zs, ys, b0, b1);
  let converged = false;
  for (let iter = 0; iter < LOGISTIC_MAX_ITERATIONS && !converged; iter++) {
    const d = derivatives(zs, ys, b0, b1);
    if (!(d.det > 0)) return null;
    let step0 = (d.i11 * d.g0 - d.i01 * d.g1) / d.det;
    let step1 = (d.i00 * d.g1 - d.i01 * d.g0) / d.det;
    // The log-likelihood is concave, so a full Newton step rarely overshoots; halve it when it does.
    let next = logLikelihood(zs, ys, b0 + step0, b1 + step1);
    for (let h = 0; h < 30 && next < ll - 1e-12 * Math.abs(ll); h++) {
      step0 /= 2;
      step1 /= 2;
      next = logLikelihood(zs, ys, b0 + step0, b1 + step1);
    }
    b0 += step0;
    b1 += step1;
    ll = next;
    converged = Math.max(Math.abs(step0), Math.abs(step1)) < LOGISTIC_TOLERANCE;
  }
  const d = derivatives(zs, ys, b0, b1);
  if (!converged || !(d.det > 0) || !Number.isFinite(b0 + b1)) return null;
  return { b0, b1, d };
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
  if (!hasFiniteMle(xs, ys)) return failedFit(n);
  const { zs, mx, sx } = standardise(xs);
  const fitted = newtonRaphson(zs, ys);
  if (fitted === null) return failedFit(n);
  const { b0, b1, d } = fitted;

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
  if (Object.values(fit).some((v) => v === null)) return failedFit(n);
  return { ...fit, n, converged: true };
}
