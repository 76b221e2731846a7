/**
 * The KPI queries of one N, as the API answers them: (a) one metric by day × channel from the rollups
 * and from the stored facts, (r) the same from the raw tables, (b) the overview.
 */
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import type { MetricRequest, Store } from '../../metrics/query/request.ts';
import { AS_OF } from '../synthetic.ts';
import { measure, timingOf } from './measure.ts';
import { DEEP, FROM, OVERVIEW, SINGLE, TO, type NResult, type Spec, type Timing } from './spec.ts';

/** A request over the benchmark's 90-day window. */
const req = (
  grain: MetricRequest['grain'],
  by: MetricRequest['by'],
  store: Store | 'auto' = 'auto',
): MetricRequest => ({
  from: FROM,
  to: TO,
  grain,
  by,
  filters: {},
  asOf: AS_OF,
  store,
});

/** (a) and (r): one metric at grain=day, as the parts ask. */
export async function singleMetrics(
  ch: ClickHouseClient,
  cfg: Config,
  spec: Spec,
): Promise<Pick<NResult, 'single' | 'raw'>> {
  const { computeMetric } = await import('../../metrics/answer/metric.ts');
  const { getMetric } = await import('../../metrics/catalog.ts');
  const single: Timing[] = [];
  const raw: Timing[] = [];
  const one = (name: string, by: MetricRequest['by'], store: Store | 'auto') => async () =>
    (await computeMetric(ch, cfg, getMetric(name), req('day', by, store))).length;
  if (spec.parts.includes('a')) {
    for (const name of SINGLE)
      single.push(await measure(`${name} rollup`, one(name, ['channel'], 'auto'), spec));
    for (const name of SINGLE)
      single.push(await measure(`${name} facts`, one(name, ['channel'], 'facts'), spec));
    // quantiles (histograms in the rollups) and agent × channel (the stored facts)
    for (const [label, name, by] of DEEP) {
      single.push(await measure(`${label} rollup`, one(name, by, 'auto'), spec));
      single.push(await measure(`${label} facts`, one(name, by, 'facts'), spec));
    }
  }
  for (const name of spec.parts.includes('r') ? SINGLE : [])
    raw.push(await measure(`${name} raw`, one(name, ['channel'], 'raw'), { ...spec, minRuns: 3 }));
  return { single, raw };
}

/**
 * (b) The overview: the 8 KPIs one request each, timing each KPI inside every run too (per-KPI p50/p95
 * come from the same runs); then the overview as the API answers it (metrics/answer/overview.ts): the
 * period, the previous period and the trend of the 8 KPIs, rollup KPIs batched into one query per period.
 */
export async function overviews(
  ch: ClickHouseClient,
  cfg: Config,
  spec: Spec,
): Promise<Pick<NResult, 'overview' | 'overviewApi' | 'overviewPerKpi'>> {
  const { computeMetric } = await import('../../metrics/answer/metric.ts');
  const { getMetric } = await import('../../metrics/catalog.ts');
  const perKpi = new Map<string, number[]>(OVERVIEW.map((k) => [k, []]));
  let timedRun = false;
  const overview: Timing | undefined = !spec.parts.includes('b')
    ? undefined
    : await measure(
        'overview (8 KPIs, week, sequential)',
        async () => {
          let n = 0;
          for (const name of OVERVIEW) {
            const t = performance.now();
            n += (await computeMetric(ch, cfg, getMetric(name), req('week', []))).length;
            if (timedRun) perKpi.get(name)?.push(performance.now() - t);
          }
          return n;
        },
        spec,
        () => (timedRun = true),
      );
  const { computeOverview } = await import('../../metrics/answer/overview.ts');
  const overviewApi: Timing | undefined = !spec.parts.includes('b')
    ? undefined
    : await measure(
        'overview API (8 KPIs: period, previous period, weekly trend)',
        async () =>
          (await computeOverview(ch, cfg, { from: FROM, to: TO, filters: {}, asOf: AS_OF })).tiles.length,
        spec,
      );
  const overviewPerKpi: Timing[] = (overview ? OVERVIEW : []).map((name) =>
    timingOf(`${name} week`, perKpi.get(name) ?? [], NaN),
  );
  console.error(
    `  [${spec.interactions}] per KPI in the overview (p50 ms): ${overviewPerKpi.map((t) => `${t.name.split(' ')[0]} ${t.p50.toFixed(0)}`).join(', ')}`,
  );
  return { overview, overviewApi, overviewPerKpi };
}
