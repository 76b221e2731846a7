import { difference, SIGNIFICANCE } from '../analysis/difference.ts';
import { TARGET_KIND, toMetricRow, type MetricRow, type RawRow } from '../query/value.ts';
import { isLowConfidence, targetStatus } from '../stats/target.ts';
import type { MetricDefinition } from '../types.ts';
import type { BaselinePeriod, TargetSpec, TargetStatus } from './types.ts';

/**
 * Targets judged as the standards state them (docs/metrics.md "Kinds of target"), pure: the reads
 * (metrics/answer/standards.ts) hand in the rows. Absolute: the value, and with `per` every member on
 * its own; relative: the required value from the baseline and the test of the change; sustained: each
 * member in each of N complete calendar months.
 */

/** "At risk" for a relative target: within this fraction of the required change. */
export const RELATIVE_AT_RISK_FRACTION = 0.1;

/** One member of a `per` dimension (a priority, a team, an agent) against the bar. */
export interface MemberVerdict {
  member: string;
  value: number | null;
  n: number;
  low_confidence: boolean;
  status: TargetStatus;
}

/** Status of a value against an absolute bar; no value → insufficient data. */
export function absoluteStatus(m: MetricDefinition, value: number | null, bar: number): TargetStatus {
  return targetStatus(value, bar, m.direction, TARGET_KIND[m.unit]) ?? 'insufficient_data';
}

const RANK: Record<TargetStatus, number> = { met: 0, insufficient_data: 1, at_risk: 2, missed: 3 };

/** The clause's status from its members': met only if every member with a value is; the worst otherwise. */
export function worstOf(statuses: readonly TargetStatus[]): TargetStatus {
  const judged = statuses.filter((s) => s !== 'insufficient_data');
  if (judged.length === 0) return 'insufficient_data';
  return judged.reduce((a, b) => (RANK[b] > RANK[a] ? b : a));
}

/** Each member row (grouped by `per`) against the target's bar. */
export function judgeMembers(
  m: MetricDefinition,
  target: Pick<TargetSpec, 'value' | 'per'>,
  rows: readonly MetricRow[],
): MemberVerdict[] {
  const per = target.per;
  if (!per) return [];
  return rows.map((r) => ({
    member: String(r[per] ?? ''),
    value: r.value,
    n: r.n,
    low_confidence: r.low_confidence,
    status: absoluteStatus(m, r.value, target.value),
  }));
}

/** An absolute target: the total's status, or with `per` the worst of its members'. */
export function evaluateAbsolute(
  m: MetricDefinition,
  target: Pick<TargetSpec, 'value' | 'per'>,
  total: MetricRow,
  members: readonly MetricRow[] = [],
): { required: number; status: TargetStatus; members: MemberVerdict[] | null } {
  if (!target.per)
    return { required: target.value, status: absoluteStatus(m, total.value, target.value), members: null };
  const judged = judgeMembers(m, target, members);
  return { required: target.value, status: worstOf(judged.map((j) => j.status)), members: judged };
}

/**
 * The value a relative target requires from its baseline: `lower` is good → baseline × (1 + v/100)
 * (complaints −40 % → 0.6 × baseline); `higher` → baseline + v/100 × |baseline| (NPS +35 %).
 */
export function requiredValue(
  direction: MetricDefinition['direction'],
  baseline: number,
  change: number,
): number {
  return direction === 'lower'
    ? baseline * (1 + change / 100)
    : baseline + (change / 100) * Math.abs(baseline);
}

/** Met on the right side of `required`; at risk within 10 % of the required change; else missed. */
export function relativeStatus(
  direction: MetricDefinition['direction'],
  value: number | null,
  baseline: number | null,
  required: number | null,
): TargetStatus {
  if (value === null || baseline === null || required === null) return 'insufficient_data';
  const eps = 1e-9 * Math.max(1, Math.abs(required));
  const shortfall = direction === 'higher' ? required - value : value - required;
  if (shortfall <= eps) return 'met';
  return shortfall <= RELATIVE_AT_RISK_FRACTION * Math.abs(required - baseline) + eps ? 'at_risk' : 'missed';
}

export interface RelativeVerdict {
  required: number | null;
  status: TargetStatus;
  current: MetricRow;
  baseline: MetricRow & BaselinePeriod;
  /** period − baseline, in the KPI's unit */
  change: number | null;
  p_value: number | null;
  /** whether the change from the baseline is distinguishable from noise at the 5 % level */
  significant: boolean | null;
}

/** A relative target from the aggregates of the period and of the baseline period (query builder rows). */
export function evaluateRelative(
  m: MetricDefinition,
  target: Pick<TargetSpec, 'value'>,
  current: RawRow,
  baseline: RawRow,
  period: BaselinePeriod,
): RelativeVerdict {
  const cur = toMetricRow(m, current, []);
  const base = toMetricRow(m, baseline, []);
  const required = base.value === null ? null : requiredValue(m.direction, base.value, target.value);
  const d = difference(m, baseline, current);
  return {
    required,
    status: relativeStatus(m.direction, cur.value, base.value, required),
    current: cur,
    baseline: { ...base, ...period },
    change: d.diff,
    p_value: d.p_value,
    significant: d.p_value === null ? null : d.p_value < SIGNIFICANCE,
  };
}

/** One month of one member: `period` is the month's first day. */
export interface MonthValue {
  member: string;
  period: string;
  value: number | null;
  n: number;
}

export interface SustainedMember {
  member: string;
  status: TargetStatus;
  months: { period: string; value: number | null; n: number; status: TargetStatus }[];
}

export interface SustainedVerdict {
  status: TargetStatus;
  /** the N complete calendar months judged, first days, oldest first */
  months: string[];
  members: SustainedMember[];
  qualified: string[];
  missed: string[];
  insufficient: string[];
}

/** The N complete calendar months ending on or before `to` (first days, oldest first). */
export function completeMonths(to: string, n: number): string[] {
  const next = new Date(`${to}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  // the last complete month is the one before the month of the day after `to`
  let y = next.getUTCFullYear();
  let mo = next.getUTCMonth(); // 0-based month of `to + 1`; the month before it is complete
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    mo -= 1;
    if (mo < 0) {
      mo = 11;
      y -= 1;
    }
    out.unshift(`${y}-${String(mo + 1).padStart(2, '0')}-01`);
  }
  return out;
}

/**
 * A sustained target: every member meets the bar in each of the months (n ≥ 30 each) → met; a month
 * with a value off the bar → missed; otherwise (a month with fewer than 30) insufficient data. The
 * clause is met only if every member with full data qualifies.
 */
export function evaluateSustained(
  m: MetricDefinition,
  target: Pick<TargetSpec, 'value'>,
  months: readonly string[],
  values: readonly MonthValue[],
): SustainedVerdict {
  const members = [...new Set(values.map((v) => v.member))].sort();
  const judged = members.map((member): SustainedMember => {
    const mine = months.map((period) => {
      const v = values.find((x) => x.member === member && x.period === period);
      const n = v?.n ?? 0;
      const value = v?.value ?? null;
      const s = isLowConfidence(n) ? 'insufficient_data' : absoluteStatus(m, value, target.value);
      return { period, value, n, status: s === 'at_risk' ? 'missed' : s };
    });
    const status: TargetStatus = mine.some((x) => x.status === 'missed')
      ? 'missed'
      : mine.every((x) => x.status === 'met')
        ? 'met'
        : 'insufficient_data';
    return { member, status, months: mine };
  });
  const pick = (s: TargetStatus) => judged.filter((j) => j.status === s).map((j) => j.member);
  return {
    status: worstOf(judged.map((j) => j.status)),
    months: [...months],
    members: judged,
    qualified: pick('met'),
    missed: pick('missed'),
    insufficient: pick('insufficient_data'),
  };
}
