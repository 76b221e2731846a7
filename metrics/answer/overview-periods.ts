import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { periodsOf } from '../query/customers.ts';
import type { Grain, MetricRequest } from '../query/request.ts';
import type { Dimension, MetricDefinition } from '../types.ts';
import { runMetrics, type KnownState, type RawRow } from './metric.ts';

/**
 * The overview's questions — each KPI over the period, over the period before, over the baseline of its
 * relative target, and its trend over the period — answered side by side in few queries. Per group of
 * KPIs with the same filters: the rolled-up KPIs in one query per period (sums of days); the customer
 * KPIs, whose periods are not sums of days, every period in one query of their own.
 */

export interface OverviewQuestion {
  from: string;
  to: string;
  previous: { from: string; to: string };
  /** the baseline period of the relative targets */
  baseline: { from: string; to: string };
  grain: Grain;
  asOf?: Date;
}

/** KPIs asked with the same filters (each KPI's filters kept to its own dimensions). */
export interface OverviewGroup {
  filters: Partial<Record<Dimension, string[]>>;
  ms: MetricDefinition[];
}

/** Each KPI's rows per question; how far every answer but the baseline's is complete. */
export interface OverviewRows {
  current: Map<string, RawRow[]>;
  previous: Map<string, RawRow[]>;
  baseline: Map<string, RawRow[]>;
  series: Map<string, RawRow[]>;
  completeThrough: Date;
}

// the keys of the customer query's whole periods: never a date, as the trend's keys are
const CURRENT = 'current';
const PREVIOUS = 'previous';
const BASELINE = 'baseline';

export async function overviewRows(
  client: ClickHouseClient,
  cfg: Config,
  groups: Iterable<OverviewGroup>,
  q: OverviewQuestion,
  relative: (m: MetricDefinition) => boolean,
  state: KnownState,
): Promise<OverviewRows> {
  const out: OverviewRows = {
    current: new Map(),
    previous: new Map(),
    baseline: new Map(),
    series: new Map(),
    completeThrough: new Date(),
  };
  const runs: Promise<void>[] = [];
  // `into` null: the customer request, whose rows are split by period
  const run = (
    into: Map<string, RawRow[]> | null,
    ms: MetricDefinition[],
    r: MetricRequest,
    complete = true,
  ) => {
    if (ms.length === 0) return;
    runs.push(
      runMetrics(client, cfg, ms, r, state).then((res) => {
        for (const [k, v] of res.raw) {
          if (into) into.set(k, v);
          else split(out, k, v);
        }
        if (complete && res.completeThrough < out.completeThrough) out.completeThrough = res.completeThrough;
      }),
    );
  };
  for (const g of groups) {
    const base = { by: [], filters: g.filters, asOf: q.asOf };
    const summed = g.ms.filter((m) => m.source !== 'customers');
    const customers = g.ms.filter((m) => m.source === 'customers');
    run(out.baseline, summed.filter(relative), { ...base, ...q.baseline, grain: 'total' }, false);
    run(out.current, summed, { ...base, from: q.from, to: q.to, grain: 'total' });
    run(out.previous, summed, { ...base, ...q.previous, grain: 'total' });
    run(out.series, summed, { ...base, from: q.from, to: q.to, grain: q.grain });
    run(null, customers, customerRequest(base, q, customers.some(relative)));
  }
  await Promise.all(runs);
  return out;
}

/** Every period of the customer KPIs in one request: the whole periods by key, then the trend's. */
function customerRequest(
  base: Pick<MetricRequest, 'by' | 'filters' | 'asOf'>,
  q: OverviewQuestion,
  withBaseline: boolean,
): MetricRequest {
  const periods: [string, string, string][] = [
    [CURRENT, q.from, q.to],
    [PREVIOUS, q.previous.from, q.previous.to],
    ...(withBaseline ? [[BASELINE, q.baseline.from, q.baseline.to] as [string, string, string]] : []),
    ...periodsOf(q.from, q.to, q.grain),
  ];
  const days = periods.flatMap((p) => [p[1], p[2]]).sort();
  return { ...base, from: days[0] ?? q.from, to: days.at(-1) ?? q.to, grain: q.grain, periods };
}

/** A customer KPI's rows of every period, each where its question's rows go. */
function split(out: OverviewRows, metric: string, rows: RawRow[]): void {
  const whole = { [CURRENT]: out.current, [PREVIOUS]: out.previous, [BASELINE]: out.baseline };
  const series: RawRow[] = [];
  for (const r of rows) {
    const into = whole[r.period as keyof typeof whole];
    if (into) into.set(metric, [{ ...r, period: 'total' }]);
    else series.push(r);
  }
  out.series.set(metric, series);
}
