import { zCritical, tCritical } from './distributions.ts';
import { checkConfidence, checkCount, checkPart, finite } from './guards.ts';

/**
 * Confidence intervals of one KPI value (docs/metrics.md): the Wilson interval of a rate, the margin of
 * error of an NPS, the t interval of a mean.
 */

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
