import express, { type Router } from 'express';
import { computeOverview } from '../../metrics/answer/overview.ts';
import type { ApiDeps } from './deps.ts';
import { parseMetricRequest } from './params.ts';

/** `GET /api/v1/overview`: the KPI tiles of a period against the previous one (docs/api.md). */
export function overviewRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/overview', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg);
    const o = await computeOverview(deps.clickhouse, deps.cfg, {
      from: r.from,
      to: r.to,
      filters: r.filters,
    });
    res.json({ ...o, complete_through: o.completeThrough.toISOString(), time_zone: deps.cfg.timeZone });
  });
  return router;
}
