import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { addDays, today } from '../../infra/time.ts';
import { controlChart } from '../../metrics/analysis/control-chart.ts';
import { dateRange } from '../../metrics/analysis/windows.ts';
import { answerMetric, runMetric, type RawRow } from '../../metrics/answer/metric.ts';
import type { MetricDefinition } from '../../metrics/types.ts';
import type { AnomalyRule, KpiRule } from '../rules/types.ts';
import { groupKey, type GroupObservation } from './observation.ts';
import { windowDays, windowInstants } from './window.ts';

/**
 * The KPI rules' observations, one per group: a `kpi` rule reads the KPI over its window with its
 * filters and breakdown (metrics/answer `answerMetric`, judged by the targets in force; `last_24h` as
 * the instants of the last 24 hours, read from the stored facts); an `anomaly`
 * rule reads the KPI's daily values over `baseline_days` and today and asks whether today leaves the
 * control limits (the p-chart or individuals chart the impact view draws) on the side it watches.
 */

export function kpiCondition(
  rule: KpiRule,
  value: number | null,
  n: number,
  status: string | null,
): true | false | 'unknown' {
  // no service at all in the window: no standard can be missed (an alert on it resolves)
  if (n === 0) return false;
  if (value === null || n < rule.min_n) return 'unknown';
  const c = rule.condition;
  if ('below' in c) return value < c.below;
  if ('above' in c) return value > c.above;
  return status === 'missed';
}

export async function observeKpi(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  rule: KpiRule,
  now: Date,
): Promise<GroupObservation[]> {
  const { from, to } = windowDays(rule.window, cfg.timeZone, now);
  // a customer KPI is counted by period (active at its start, churned in it): it reads the days alone
  const instants = m.source === 'customers' ? undefined : windowInstants(rule.window, now);
  const by = rule.by;
  const { rows } = await answerMetric(client, cfg, m, {
    from,
    to,
    grain: 'total',
    by: by ? [by] : [],
    filters: rule.filters,
    asOf: now,
    ...(instants ? { instants } : {}),
  });
  return rows.map((r) => ({
    group: groupKey(by, by ? r[by] : undefined),
    member: by ? { dimension: by, value: String(r[by] ?? '') } : null,
    obs: { value: r.value, n: r.n, condition: kpiCondition(rule, r.value, r.n, r.status) },
    ci: r.ci_low !== null && r.ci_high !== null ? [r.ci_low, r.ci_high] : null,
    target: r.target,
    status: r.status,
    unit: m.unit,
  }));
}

export async function observeAnomaly(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  rule: AnomalyRule,
  now: Date,
): Promise<GroupObservation[]> {
  const to = today(cfg.timeZone, now);
  const from = addDays(to, -rule.baseline_days);
  const by = rule.by;
  const { raw } = await runMetric(client, cfg, m, {
    from,
    to,
    grain: 'day',
    by: by ? [by] : [],
    filters: rule.filters,
    asOf: now,
  });
  const groups = new Map<string, RawRow[]>();
  for (const r of raw) {
    const key = by ? String(r[by] ?? '') : '';
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const baseline = dateRange(from, addDays(to, -1));
  return [...groups].map(([value, daily]) => {
    const chart = controlChart(m, daily, [baseline, [to]]);
    const last = chart.points.at(-1)!;
    const low = last.value !== null && last.lcl !== null && last.value < last.lcl;
    const high = last.value !== null && last.ucl !== null && last.value > last.ucl;
    const bad = m.direction === 'higher' ? low : high;
    const out = rule.side === 'either' ? low || high : bad;
    const known = last.value !== null && last.n >= rule.min_n;
    return {
      group: groupKey(by, value),
      member: by ? { dimension: by, value } : null,
      obs: { value: last.value, n: last.n, condition: known ? out : 'unknown' },
      ci: null,
      target: chart.center,
      status: null,
      unit: m.unit,
    };
  });
}
