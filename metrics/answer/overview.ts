import { addDays, dayCount } from '../../infra/time.ts';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { stateOf, type KnownState, type MetricRow, type RawRow } from './metric.ts';
import { overviewRows, type OverviewGroup } from './overview-periods.ts';
import { toMetricRow } from '../query/value.ts';
import { difference, SIGNIFICANCE, type Difference } from '../analysis/difference.ts';
import type { Grain } from '../query/request.ts';
import type { Dimension, MetricDefinition } from '../types.ts';
import { headlineTarget } from '../targets/defaults.ts';
import { targetsInForce, type TargetsInForce } from './targets-in-force.ts';
import { evaluateRelative, type RelativeVerdict } from '../targets/evaluate.ts';
import type { BaselinePeriod, TargetSpec } from '../targets/types.ts';

/**
 * The management overview: for each headline KPI, the period's value against its target, the change
 * against the period of the same length just before it with the test the KPI's kind calls for, and the
 * trend for a sparkline. One request answers the whole page.
 */

export const OVERVIEW_METRICS = [
  'csat',
  'nps',
  'fcr',
  'complaint_rate',
  'sla_compliance',
  'answer_rate',
  'follow_up_48h',
  'churn_rate',
] as const;

export interface OverviewTile {
  metric: string;
  title: string;
  unit: MetricDefinition['unit'];
  direction: MetricDefinition['direction'];
  current: MetricRow;
  previous: MetricRow & { from: string; to: string };
  change: Difference & { significant: boolean | null };
  /** the trend by `grain` over the current period */
  series: MetricRow[];
  grain: Grain;
  /** the KPI's relative headline target (NPS +35 %, complaints −40 %) judged against the baseline period */
  relative: (RelativeVerdict & { value: number }) | null;
}

export interface Overview {
  from: string;
  to: string;
  previous: { from: string; to: string };
  tiles: OverviewTile[];
  completeThrough: Date;
}

/** The period of the same length that ends the day before `from`. */
export function previousPeriod(from: string, to: string): { from: string; to: string } {
  const days = dayCount(from, to);
  return { from: addDays(from, -days), to: addDays(from, -1) };
}

/**
 * The overview of a period, judged by `inForce` (answer/targets-in-force.ts: the target set admins saved,
 * else the configuration's): each tile's absolute headline target, and the relative ones against the
 * baseline period.
 */
export async function computeOverview(
  client: ClickHouseClient,
  cfg: Config,
  req: { from: string; to: string; filters: Partial<Record<Dimension, string[]>>; asOf?: Date },
  inForce?: Pick<TargetsInForce, 'targets' | 'baseline' | 'catalog'>,
  known?: KnownState,
): Promise<Overview> {
  const { targets, baseline, catalog: defs } = inForce ?? (await targetsInForce(client, cfg));
  const catalog = new Map(defs.map((m) => [m.name, m]));
  const getMetric = (name: string) => catalog.get(name) as MetricDefinition;
  const prev = previousPeriod(req.from, req.to);
  const days = dayCount(req.from, req.to);
  const grain: Grain = days <= 45 ? 'day' : days <= 200 ? 'week' : 'month';
  // a filter a KPI cannot take (a team for a survey KPI) leaves that KPI out of the filter; KPIs with
  // the same effective filters are answered together (one rollup query per period and grain)
  const groups = new Map<string, OverviewGroup>();
  for (const name of OVERVIEW_METRICS) {
    const m = getMetric(name);
    const filters = Object.fromEntries(
      Object.entries(req.filters).filter(([d]) => m.dimensions.includes(d as Dimension)),
    ) as Partial<Record<Dimension, string[]>>;
    const key = JSON.stringify(filters);
    const g = groups.get(key) ?? { filters, ms: [] };
    g.ms.push(m);
    groups.set(key, g);
  }
  const state = await stateOf(client, cfg, known);
  const relative = (name: string) =>
    catalog.get(name)?.target?.basis === 'absolute' ? undefined : headlineTarget(targets, name, 'relative');
  const rows = await overviewRows(
    client,
    cfg,
    groups.values(),
    { from: req.from, to: req.to, previous: prev, baseline, grain, asOf: req.asOf },
    (m) => relative(m.name) !== undefined,
    state,
  );
  const { current: cur, previous: before, series, baseline: baselineRows, completeThrough } = rows;
  const empty = (): RawRow => ({ period: 'total', n: 0 });
  const tiles = OVERVIEW_METRICS.map((name): OverviewTile => {
    const m = getMetric(name);
    const c = cur.get(name)?.[0] ?? empty();
    const b = before.get(name)?.[0] ?? empty();
    const d = difference(m, b, c);
    return {
      metric: m.name,
      title: m.title,
      unit: m.unit,
      direction: m.direction,
      current: toMetricRow(m, c, []),
      previous: { ...toMetricRow(m, b, []), ...prev },
      change: { ...d, significant: d.p_value === null ? null : d.p_value < SIGNIFICANCE },
      series: (series.get(name) ?? []).map((r) => toMetricRow(m, r, [])),
      grain,
      relative: relativeOf(m, relative(name), c, baselineRows.get(name)?.[0] ?? empty(), baseline),
    };
  });
  return { from: req.from, to: req.to, previous: prev, tiles, completeThrough };
}

/** A tile's relative target against the baseline period; null for a KPI without one. */
function relativeOf(
  m: MetricDefinition,
  t: TargetSpec | undefined,
  current: RawRow,
  baseline: RawRow,
  period: BaselinePeriod,
): OverviewTile['relative'] {
  if (!t) return null;
  return { ...evaluateRelative(m, t, current, baseline, period), value: t.value };
}
