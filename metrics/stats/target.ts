/**
 * How a KPI value stands against its target (met / at risk / missed, docs/metrics.md) and when it rests
 * on too few observations to be trusted.
 */

/** Below this many observations a KPI is still shown, but marked as low-confidence (docs/metrics.md). */
export const LOW_CONFIDENCE_N = 30;

/** "At risk" band for rates and scores: this many points on the wrong side of the target. */
export const AT_RISK_POINTS = 2;

/** "At risk" band for times: this fraction of the target on the wrong side of it. */
export const AT_RISK_TIME_FRACTION = 0.1;

export type TargetDirection = 'higher' | 'lower';
export type TargetKind = 'rate' | 'time' | 'score';
export type TargetStatus = 'met' | 'at_risk' | 'missed';

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
