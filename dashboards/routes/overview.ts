import express, { type Router } from 'express';
import { dayCount } from '../../infra/time.ts';
import { listChanges } from '../../metrics/answer/changes.ts';
import { answerMetric, type KnownState } from '../../metrics/answer/metric.ts';
import { readRollupState } from '../../metrics/answer/state.ts';
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
    // started first, awaited below with the rest (a failure is handled there, not left unhandled)
    const early = listChanges(deps.clickhouse, deps.cfg);
    early.catch(() => undefined);
    // the targets and the rollups' state read once for every part of the page
    const [inForce, state] = await Promise.all([
      targetsInForce(deps.clickhouse, deps.cfg),
      readRollupState(deps.clickhouse, deps.cfg.clickhouse.database),
    ]);
    const metric = (name: string) => inForce.catalog.find((m) => m.name === name) as MetricDefinition;
    // the grain the page's trends use (dashboards/web/kpi.ts `trendPanel`)
    const grain = dayCount(r.from, r.to) <= 45 ? 'day' : 'week';
    const [overview, catalog, changes, bars] = await Promise.all([
      overviewBody(deps, r, inForce, state),
      metricCatalog(deps, inForce),
      early,
      Promise.all(PAGE_BARS.map((b) => metricBody(deps, metric(b.metric), r, 'total', [b.by], state))),
    ]);
    const trends = await Promise.all(
      PAGE_TRENDS.map(
        (name) => trendOf(overview, name, grain) ?? metricBody(deps, metric(name), r, grain, [], state),
      ),
    );
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

async function overviewBody(
  deps: ApiDeps,
  r: MetricRequest,
  inForce?: TargetsInForce,
  state?: KnownState,
): Promise<Overview> {
  const req = { from: r.from, to: r.to, filters: r.filters };
  const o = await computeOverview(deps.clickhouse, deps.cfg, req, inForce, state);
  return { ...o, complete_through: o.completeThrough.toISOString(), time_zone: deps.cfg.timeZone };
}

/** One KPI as `GET /api/v1/metrics/{name}` answers it, the request's filters kept to the KPI's dimensions. */
async function metricBody(
  deps: ApiDeps,
  m: MetricDefinition,
  r: MetricRequest,
  grain: MetricRequest['grain'],
  by: Dimension[],
  state?: KnownState,
): Promise<MetricAnswer> {
  const filters = Object.fromEntries(
    Object.entries(r.filters).filter(([d]) => m.dimensions.includes(d as Dimension)),
  );
  const request: MetricRequest = { from: r.from, to: r.to, grain, by, filters };
  const answer = await answerMetric(deps.clickhouse, deps.cfg, m, request, state);
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

/**
 * A trend as `GET /api/v1/metrics/{name}` answers it, taken from the overview's own series of the KPI
 * when that has the trend's grain (the same rows from the same query); undefined otherwise.
 */
function trendOf(o: Overview, name: string, grain: MetricRequest['grain']): MetricAnswer | undefined {
  const tile = o.tiles.find((k) => k.metric === name);
  if (!tile || tile.grain !== grain) return undefined;
  return {
    metric: name,
    unit: tile.unit,
    from: o.from,
    to: o.to,
    grain,
    rows: tile.series,
    complete_through: o.complete_through,
    time_zone: o.time_zone,
  };
}
