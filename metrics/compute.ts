import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { buildMetricQuery, type MetricRequest } from './query.ts';
import {
  isLowConfidence,
  meanInterval,
  npsInterval,
  targetStatus,
  wilson,
  type TargetKind,
} from './stats.ts';
import type { Dimension, MetricDefinition } from './types.ts';

/** One row of a metric response (CONTRACT.md §2): full precision, `null` (never NaN) when n is 0. */
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
  [dimension: string]: unknown;
}

/** The aggregates of one group, as ClickHouse returns them (see query.ts `aggregates`). */
export interface RawRow {
  period: string;
  n: string | number;
  x?: string | number | null;
  sd?: string | number | null;
  pro?: string | number;
  det?: string | number;
  p50?: string | number | null;
  p90?: string | number | null;
  [dimension: string]: unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

const TARGET_KIND: Record<MetricDefinition['unit'], TargetKind> = {
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
        break;
    }
  } else if (m.kind === 'quantile') {
    extra.p90 = null;
    extra.mean = null;
  }
  const target = m.target?.basis === 'absolute' ? m.target.value : null;
  const row: MetricRow = {
    period: raw.period,
    ...Object.fromEntries(by.map((d) => [d, raw[d]])),
    value,
    n,
    ci_low: low,
    ci_high: high,
    target,
    status: target === null ? null : targetStatus(value, target, m.direction, TARGET_KIND[m.unit]),
    low_confidence: isLowConfidence(n),
    ...extra,
  };
  return row;
}

/** Run one metric request against ClickHouse: the raw aggregates per group. */
export async function queryMetricRows(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<RawRow[]> {
  const q = buildMetricQuery(m, req, cfg);
  const rs = await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  return rs.json<RawRow>();
}

/** Run one metric request against ClickHouse and shape the rows. */
export async function computeMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<MetricRow[]> {
  const raw = await queryMetricRows(client, cfg, m, req);
  if (raw.length === 0 && req.grain === 'total' && req.by.length === 0) {
    // An empty period still answers, with n = 0 and no value.
    return [toMetricRow(m, { period: 'total', n: 0 }, [])];
  }
  return raw.map((r) => toMetricRow(m, r, req.by));
}
