import { toMetricRow, type RawRow } from '../query/value.ts';
import { individualsChart, pChart } from '../stats/control-limits.ts';
import type { MetricDefinition } from '../types.ts';

/** The daily control chart of a process change's impact (metrics/answer/impact.ts). Pure. */

/** One local day of the chart. Values and limits are in the metric's unit (percent for rates). */
export interface ControlChartPoint {
  period: string;
  phase: 'before' | 'after';
  /** null on a day without observations (then `out` is false). */
  value: number | null;
  n: number;
  lcl: number | null;
  ucl: number | null;
  out: boolean;
}

export interface ImpactControlChart {
  /** `p`: p-chart of daily rates, limits per day from its n; `individuals`: X-mR chart of daily values. */
  type: 'p' | 'individuals';
  /** Centre line over both windows. */
  center: number | null;
  /** Every day of the before window, then every day of the after window. */
  points: ControlChartPoint[];
  /** Index in `points` of the first day after the change. */
  change_index: number;
}

/**
 * Daily control chart over both windows, one centre line and one set of limits, so that a shift shows
 * as a run of days on one side of the centre from the change on. Rates get a p-chart (limits widen on
 * days with few observations); every other kind an individuals chart of the daily values.
 */
export function controlChart(
  m: MetricDefinition,
  daily: RawRow[],
  [beforeDates, afterDates]: string[][],
): ImpactControlChart {
  const byDay = new Map(daily.map((r) => [String(r.period), r]));
  const dates = [...beforeDates!, ...afterDates!];
  const phase = (i: number): 'before' | 'after' => (i < beforeDates!.length ? 'before' : 'after');
  const rows = dates.map((d) => {
    const raw = byDay.get(d);
    return { period: d, raw, row: raw ? toMetricRow(m, raw, []) : undefined };
  });
  if (m.kind === 'rate') {
    const chart = pChart(rows.map(({ raw }) => ({ x: Number(raw?.x ?? 0), n: Number(raw?.n ?? 0) })));
    const pct = (v: number | null) => (v === null ? null : v * 100);
    return {
      type: 'p',
      center: pct(chart.center),
      points: rows.map(({ period, row }, i) => {
        const p = chart.points[i]!;
        return {
          period,
          phase: phase(i),
          value: pct(p.p),
          n: row?.n ?? 0,
          lcl: pct(p.lcl),
          ucl: pct(p.ucl),
          out: p.out,
        };
      }),
      change_index: beforeDates!.length,
    };
  }
  // A day without rows counted nothing (a count of 0); for other kinds it has no value to plot.
  const values = rows.map(({ row }) => (m.kind === 'count' ? (row?.value ?? 0) : (row?.value ?? null)));
  const present = values.filter((v): v is number => v !== null);
  const chart = individualsChart(present);
  let k = 0;
  return {
    type: 'individuals',
    center: chart.center,
    points: rows.map(({ period, row }, i) => {
      const value = values[i] ?? null;
      const out = value === null ? false : (chart.out[k++] ?? false);
      return { period, phase: phase(i), value, n: row?.n ?? 0, lcl: chart.lcl, ucl: chart.ucl, out };
    }),
    change_index: beforeDates!.length,
  };
}
