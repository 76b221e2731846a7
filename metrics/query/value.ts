import { meanInterval, npsInterval, wilson } from '../stats/intervals.ts';
import { isLowConfidence, targetStatus, type TargetKind } from '../stats/target.ts';
import type { Dimension, MetricDefinition } from '../types.ts';
import { bucketValue, QUANTILE_RELATIVE_ERROR } from './histogram.ts';

/**
 * The one place that turns aggregates into a value: the sums of the daily rollups into the aggregates
 * of a metric's kind (`sumsToRaw`), and the aggregates into the response row with its value, interval
 * and target status (`toMetricRow`). The SQL computes only what needs the rows (counts, sums, means,
 * standard deviations, quantiles); every ratio, percentage and interval is computed here.
 */

/** One row of a metric response (docs/api.md): full precision, `null` (never NaN) when n is 0. */
export interface MetricRow {
  period: string;
  value: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
  target: number | null;
  status: 'met' | 'at_risk' | 'missed' | null;
  low_confidence: boolean;
  /** quantile metrics: the median is `value`; these complete the picture */
  p90?: number | null;
  mean?: number | null;
  /**
   * quantile metrics from the daily rollups: `value` and `p90` are within this relative error of the
   * exact values (metrics/query/histogram.ts); absent when they are exact (facts, raw)
   */
  relative_error?: number;
  [dimension: string]: unknown;
}

/** The aggregates of one group, as ClickHouse returns them (see sql-parts.ts `aggregates`). */
export interface RawRow {
  period: string;
  n: string | number;
  x?: string | number | null;
  sd?: string | number | null;
  pro?: string | number;
  det?: string | number;
  p50?: string | number | null;
  p90?: string | number | null;
  /** quantiles from the rollups: the bound of p50 and p90's relative error */
  qerr?: number;
  [dimension: string]: unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

/** How a unit's at-risk band is measured (stats/target.ts). */
export const TARGET_KIND: Record<MetricDefinition['unit'], TargetKind> = {
  percent: 'rate',
  points: 'rate',
  score: 'score',
  seconds: 'time',
  hours: 'time',
  count: 'score',
};

/** Turn the aggregates of one group into the response row: value, CI, target status. */
export function toMetricRow(m: MetricDefinition, raw: RawRow, by: readonly Dimension[]): MetricRow {
  const n = Number(raw.n);
  let value: number | null = null;
  let low: number | null = null;
  let high: number | null = null;
  const extra: Partial<MetricRow> = {};
  if (n > 0) {
    switch (m.kind) {
      case 'rate': {
        const w = wilson(Number(raw.x), n);
        value = (Number(raw.x) / n) * 100;
        low = w.low === null ? null : w.low * 100;
        high = w.high === null ? null : w.high * 100;
        break;
      }
      case 'count':
        value = Number(raw.x);
        break;
      case 'mean': {
        value = finite(num(raw.x));
        const ci = value === null ? null : meanInterval(value, num(raw.sd) ?? 0, n);
        low = ci?.low ?? null;
        high = ci?.high ?? null;
        break;
      }
      case 'nps': {
        const ci = npsInterval(Number(raw.pro), Number(raw.det), n);
        value = ((Number(raw.pro) - Number(raw.det)) / n) * 100;
        low = ci.low;
        high = ci.high;
        break;
      }
      case 'quantile':
        value = finite(num(raw.p50));
        extra.p90 = finite(num(raw.p90));
        extra.mean = finite(num(raw.x));
        if (raw.qerr !== undefined) extra.relative_error = raw.qerr;
        break;
    }
  } else if (m.kind === 'quantile') {
    extra.p90 = null;
    extra.mean = null;
  }
  const target = m.target?.basis === 'absolute' ? m.target.value : null;
  // assigned one by one (no spreads): tens of thousands of rows for a day × agent × channel request
  const row = { period: raw.period } as MetricRow;
  for (const d of by) row[d] = raw[d];
  row.value = value;
  row.n = n;
  row.ci_low = low;
  row.ci_high = high;
  row.target = target;
  row.status = target === null ? null : targetStatus(value, target, m.direction, TARGET_KIND[m.unit]);
  row.low_confidence = isLowConfidence(n);
  return Object.assign(row, extra);
}

/** One row of the rollup queries: summed aggregates of a metric, period and group. */
export interface SumsRow {
  metric?: string;
  period: string;
  sx: number | string;
  sn: number | string;
  ss2: number | string;
  spro: number | string;
  sdet: number | string;
  /** quantile metrics: the histogram bucket keys at p50 and p90 (metrics/query/histogram.ts) */
  k50?: number | string;
  k90?: number | string;
  [dimension: string]: unknown;
}

/**
 * The sums of a rollup row as the aggregates of its metric's kind (what the facts query returns; for
 * quantiles p50 and p90 within `qerr`, the mean exact).
 */
export function sumsToRaw(m: MetricDefinition, r: SumsRow, by: readonly Dimension[]): RawRow {
  const sx = Number(r.sx);
  const sn = Number(r.sn);
  const raw: RawRow = { period: r.period, n: sn };
  for (const d of by) raw[d] = r[d];
  switch (m.kind) {
    case 'mean':
      raw.x = sx / sn;
      raw.sd = sn > 1 ? Math.sqrt(Math.max(0, (Number(r.ss2) - (sx * sx) / sn) / (sn - 1))) : null;
      break;
    case 'nps':
      raw.pro = Number(r.spro);
      raw.det = Number(r.sdet);
      break;
    case 'quantile':
      raw.x = sx / sn;
      raw.p50 = bucketValue(Number(r.k50));
      raw.p90 = bucketValue(Number(r.k90));
      raw.qerr = QUANTILE_RELATIVE_ERROR;
      break;
    default:
      raw.x = sx;
  }
  return raw;
}
