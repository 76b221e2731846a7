import type { Overview } from '../metrics/answer/overview.ts';
import type { TargetStatus } from '../metrics/targets/types.ts';

/**
 * The overview KPIs as Prometheus samples (`METRICS_KPIS=on`), pure: each tile of an overview
 * (metrics/answer/overview.ts) gives its value, n, target and status, exactly as `GET /api/v1/overview`
 * answers them for the same period. The families and their labels are fixed here; kpi-metrics.ts keeps
 * them current and serves them.
 */

/** The periods served: today so far, and the last 7 days with today, in CXPULSE_TIMEZONE. */
export const KPI_PERIODS = { today: 1, '7d': 7 } as const;
export type KpiPeriod = keyof typeof KPI_PERIODS;

/** Every status a KPI may have; `cxpulse_kpi_status` carries one series per status, 1 for the current one. */
export const KPI_STATUSES = [
  'met',
  'at_risk',
  'missed',
  'insufficient_data',
] as const satisfies readonly TargetStatus[];

/** One overview KPI over one period. */
export interface KpiSample {
  metric: string;
  period: KpiPeriod;
  /** null when n is 0: no `cxpulse_kpi_value` series then */
  value: number | null;
  n: number;
  /** the headline target in force: absolute (the bar) or relative (the value it requires from the baseline) */
  target: { kind: 'absolute' | 'relative'; value: number } | null;
  /** null for a KPI without a target */
  status: TargetStatus | null;
}

/** The samples of one overview: a KPI per tile. */
export function kpiSamples(overview: Overview, period: KpiPeriod): KpiSample[] {
  return overview.tiles.map((t): KpiSample => {
    const absolute = t.current.target;
    const rel = t.relative;
    const target =
      absolute !== null
        ? { kind: 'absolute' as const, value: absolute }
        : rel && rel.required !== null
          ? { kind: 'relative' as const, value: rel.required }
          : null;
    const status: TargetStatus | null =
      absolute !== null ? (t.current.status ?? 'insufficient_data') : (rel?.status ?? null);
    return { metric: t.metric, period, value: t.current.value, n: t.current.n, target, status };
  });
}

/** A series: a family, its labels, its value. */
export interface KpiSeries {
  name: 'cxpulse_kpi_value' | 'cxpulse_kpi_target' | 'cxpulse_kpi_status' | 'cxpulse_kpi_n';
  labels: Record<string, string>;
  value: number;
}

/**
 * The series of a set of samples: the value and n per KPI and period, the status per KPI, period and
 * status (1 for the current one, 0 for the others), the target per KPI and kind (the same for every
 * period: the first period that has it).
 */
export function kpiSeries(samples: readonly KpiSample[]): KpiSeries[] {
  const out: KpiSeries[] = [];
  const targets = new Map<string, KpiSeries>();
  for (const s of samples) {
    const kp = { metric: s.metric, period: s.period };
    if (s.value !== null) out.push({ name: 'cxpulse_kpi_value', labels: kp, value: s.value });
    out.push({ name: 'cxpulse_kpi_n', labels: kp, value: s.n });
    if (s.status !== null)
      for (const status of KPI_STATUSES)
        out.push({
          name: 'cxpulse_kpi_status',
          labels: { ...kp, status },
          value: s.status === status ? 1 : 0,
        });
    if (s.target && !targets.has(s.metric))
      targets.set(s.metric, {
        name: 'cxpulse_kpi_target',
        labels: { metric: s.metric, kind: s.target.kind },
        value: s.target.value,
      });
  }
  return [...out, ...targets.values()];
}
