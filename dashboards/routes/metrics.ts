import express, { type Router } from 'express';
import { CxError } from '../../infra/errors.ts';
import { catalogWithTargets } from '../../metrics/catalog.ts';
import { answerMetric } from '../../metrics/answer/metric.ts';
import { targetsInForce, type TargetsInForce } from '../../metrics/answer/targets-in-force.ts';
import { chooseStore } from '../../metrics/query/store.ts';
import { buildMetricQuery } from '../../metrics/query/builder.ts';
import { readRollupState } from '../../metrics/answer/state.ts';
import { definitionVersions } from '../../metrics/answer/definitions.ts';
import { DOWNLOAD_PARAMS, parseFormat, sendRows } from '../export.ts';
import type { MetricCatalog } from '../wire.ts';
import type { ApiDeps } from './deps.ts';
import { parseMetricRequest } from './params.ts';

/** The catalog as `GET /api/v1/metrics` answers it: definitions, targets in force, the SLA policy. */
export async function metricCatalog(deps: ApiDeps, inForce?: TargetsInForce): Promise<MetricCatalog> {
  const [versions, { catalog }] = await Promise.all([
    definitionVersions(deps.clickhouse, deps.cfg),
    inForce ?? targetsInForce(deps.clickhouse, deps.cfg),
  ]);
  return {
    metrics: catalog.map((m) => ({
      name: m.name,
      title: m.title,
      description: m.description,
      unit: m.unit,
      kind: m.kind,
      formula: m.formula,
      direction: m.direction,
      dimensions: m.dimensions,
      target: m.target ?? null,
      definition_version: versions.get(m.name)?.version ?? 1,
      definition_changes: versions.get(m.name)?.changes ?? [],
    })),
    // the service-level policy the SLA KPIs are judged by (an addition to the first specification, see docs/api.md)
    policy: {
      first_response_seconds: deps.cfg.policy.firstResponseSeconds,
      urgent_seconds: deps.cfg.policy.urgentSeconds,
      resolution_target_hours: deps.cfg.policy.resolutionTargetHours,
      fcr_repeat_window_days: deps.cfg.policy.fcrRepeatWindowDays,
    },
  };
}

/**
 * `GET /api/v1/metrics` (the catalog), `GET /api/v1/metrics/{name}` (docs/api.md) and
 * `GET /api/v1/metrics/{name}/sql` ("show SQL").
 */
export function metricsRouter(deps: ApiDeps): Router {
  const router = express.Router();
  // the catalog's definitions (the SQL of "show SQL"); targets come from the set in force, per request
  const byName = new Map(catalogWithTargets(deps.cfg.targets).map((m) => [m.name, m]));
  const inForce = async (name: string) =>
    (await targetsInForce(deps.clickhouse, deps.cfg)).catalog.find((m) => m.name === name);

  router.get('/api/v1/metrics', deps.requireRole('viewer'), async (_req, res) => {
    res.json(await metricCatalog(deps));
  });

  router.get('/api/v1/metrics/:name', deps.requireRole('viewer'), async (req, res) => {
    const m = byName.has(String(req.params['name'])) ? await inForce(String(req.params['name'])) : undefined;
    if (!m)
      throw new CxError(
        'not_found',
        `no metric named ${JSON.stringify(req.params['name'])}; GET /api/v1/metrics lists them`,
      );
    const request = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS]);
    const format = parseFormat(req.query['format']);
    const answer = await answerMetric(deps.clickhouse, deps.cfg, m, request);
    await sendRows(res, format, `${m.name}_${request.from}_${request.to}`, answer.rows, () => ({
      metric: m.name,
      unit: m.unit,
      from: request.from,
      to: request.to,
      grain: request.grain,
      rows: answer.rows,
      // additions to the first specification, see docs/api.md (clients that do not know them can ignore them)
      complete_through: answer.completeThrough.toISOString(),
      time_zone: deps.cfg.timeZone,
    }));
  });

  // The SQL a metric request runs, with its bound parameters ("show SQL").
  router.get('/api/v1/metrics/:name/sql', deps.requireRole('viewer'), async (req, res) => {
    const m = byName.get(String(req.params['name']));
    if (!m) throw new CxError('not_found', `no metric named ${JSON.stringify(req.params['name'])}`);
    const request = parseMetricRequest(req, deps.cfg);
    const state = await readRollupState(deps.clickhouse, deps.cfg.clickhouse.database);
    const store = chooseStore(m, request, deps.cfg, state);
    const q = buildMetricQuery(m, request, deps.cfg, store);
    res.json({ metric: m.name, store, sql: q.sql.replace(/^\n+/, ''), params: q.params });
  });
  return router;
}
