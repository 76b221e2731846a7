import express, { type Router } from 'express';
import { dayCount } from '../../infra/time.ts';
import { listChanges } from '../../metrics/answer/changes.ts';
import { answerMetric } from '../../metrics/answer/metric.ts';
import { computeOverview } from '../../metrics/answer/overview.ts';
import { targetsInForce, type TargetsInForce } from '../../metrics/answer/targets-in-force.ts';
import type { MetricRequest } from '../../metrics/query/request.ts';
import type { Dimension, MetricDefinition } from '../../metrics/types.ts';
import type { MetricAnswer, Overview } from '../wire.ts';
import type { ApiDeps } from './deps.ts';
import { metricCatalog } from './metrics.ts';
import { parseMetricRequest } from './params.ts';

/** The overview page's trends and bars: the KPIs it draws, in order. */
const PAGE_TRENDS = ['csat', 'nps', 'fcr', 'sla_compliance'] as const;
const PAGE_BARS = [{ metric: 'csat', by: 'team_id' }] as const;

/**
 * `GET /api/v1/overview`: the KPI tiles of a period against the previous one, and
 * `GET /api/v1/overview/page`: everything the overview page draws in one answer — the tiles, the
 * catalog, the process changes and each trend's and bar chart's rows exactly as
 * `GET /api/v1/metrics/{name}` answers them (docs/api.md).
 */
export function overviewRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/overview', deps.requireRole('viewer'), async (req, res) => {
    res.json(await overviewBody(deps, parseMetricRequest(req, deps.cfg)));
  });
  router.get('/api/v1/overview/page', deps.requireRole('viewer'), async (req, res) => {
    const started = performance.now();
    const r = parseMetricRequest(req, deps.cfg);
    const inForce = await targetsInForce(deps.clickhouse, deps.cfg);
    const metric = (name: string) => inForce.catalog.find((m) => m.name === name) as MetricDefinition;
    // the grain the page's trends use (dashboards/web/kpi.ts `trendPanel`)
    const grain = dayCount(r.from, r.to) <= 45 ? 'day' : 'week';
    const [overview, catalog, changes, trends, bars] = await Promise.all([
      overviewBody(deps, r, inForce),
      metricCatalog(deps, inForce),
      listChanges(deps.clickhouse, deps.cfg),
      Promise.all(PAGE_TRENDS.map((name) => metricBody(deps, metric(name), r, grain, []))),
      Promise.all(PAGE_BARS.map((b) => metricBody(deps, metric(b.metric), r, 'total', [b.by]))),
    ]);
    // the server's time, for the browser's resource timing (bench/dashboard.ts reads it)
    res.set('Server-Timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
    res.json({
      overview,
      catalog,
      changes,
      trends,
      bars: bars.map((body, i) => ({ by: PAGE_BARS[i]?.by ?? '', body })),
    });
  });
  return router;
}

async function overviewBody(deps: ApiDeps, r: MetricRequest, inForce?: TargetsInForce): Promise<Overview> {
  const req = { from: r.from, to: r.to, filters: r.filters };
  const o = await computeOverview(deps.clickhouse, deps.cfg, req, inForce);
  return { ...o, complete_through: o.completeThrough.toISOString(), time_zone: deps.cfg.timeZone };
}

/** One KPI as `GET /api/v1/metrics/{name}` answers it, the request's filters kept to the KPI's dimensions. */
async function metricBody(
  deps: ApiDeps,
  m: MetricDefinition,
  r: MetricRequest,
  grain: MetricRequest['grain'],
  by: Dimension[],
): Promise<MetricAnswer> {
  const filters = Object.fromEntries(
    Object.entries(r.filters).filter(([d]) => m.dimensions.includes(d as Dimension)),
  );
  const request: MetricRequest = { from: r.from, to: r.to, grain, by, filters };
  const answer = await answerMetric(deps.clickhouse, deps.cfg, m, request);
  return {
    metric: m.name,
    unit: m.unit,
    from: r.from,
    to: r.to,
    grain,
    rows: answer.rows,
    complete_through: answer.completeThrough.toISOString(),
    time_zone: deps.cfg.timeZone,
  };
}
