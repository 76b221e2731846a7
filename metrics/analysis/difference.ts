import { toMetricRow, type RawRow } from '../query/value.ts';
import { npsDifference, twoProportionZTest, welchTTest } from '../stats/difference-tests.ts';
import type { MetricDefinition } from '../types.ts';

/**
 * The change between two totals of a metric (rows of the query builder, before then after) with the
 * test the metric's kind calls for. Used by the overview (this period against the previous one) and by
 * a process change's impact (metrics/answer/impact.ts).
 */

/** Two-sided level of `significant`, the complement of the 95 % intervals. */
export const SIGNIFICANCE = 0.05;

export type ImpactTestName = 'two_proportion_z' | 'welch_t' | 'nps_variance';

export const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
};

/** A change between two totals of a metric: difference, its 95 % CI and p-value. */
export interface Difference {
  test: ImpactTestName | null;
  /** after − before, in the metric's unit (percentage points for rates) */
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
}

/**
 * The difference between two totals (rows of the query builder, before then after) with the test the
 * metric's kind calls for: two-proportion z for rates, Welch's t for means, the NPS variance formula for
 * NPS; a count or a quantile gets the difference alone (see changeImpact for quantiles).
 */
export function difference(m: MetricDefinition, before: RawRow, after: RawRow): Difference {
  const nb = Number(before.n);
  const na = Number(after.n);
  switch (m.kind) {
    case 'rate': {
      const t = twoProportionZTest(Number(before.x ?? 0), nb, Number(after.x ?? 0), na);
      // stats/ works in proportions; the metric is in percent.
      const pct = (v: number | null) => (v === null ? null : v * 100);
      return {
        test: 'two_proportion_z',
        diff: pct(t.diff),
        ci_low: pct(t.ci_low),
        ci_high: pct(t.ci_high),
        p_value: t.p_value,
      };
    }
    case 'mean': {
      const t = welchTTest(
        { mean: num(before.x), sd: num(before.sd), n: nb },
        { mean: num(after.x), sd: num(after.sd), n: na },
      );
      return { test: 'welch_t', diff: t.diff, ci_low: t.ci_low, ci_high: t.ci_high, p_value: t.p_value };
    }
    case 'nps': {
      const counts = (r: RawRow) => ({
        promoters: Number(r.pro ?? 0),
        detractors: Number(r.det ?? 0),
        n: Number(r.n),
      });
      const t = npsDifference(counts(before), counts(after));
      return { test: 'nps_variance', diff: t.diff, ci_low: t.ci_low, ci_high: t.ci_high, p_value: t.p_value };
    }
    case 'count':
    case 'quantile': {
      const b = toMetricRow(m, before, []).value;
      const a = toMetricRow(m, after, []).value;
      return {
        test: null,
        diff: a === null || b === null ? null : a - b,
        ci_low: null,
        ci_high: null,
        p_value: null,
      };
    }
  }
}
