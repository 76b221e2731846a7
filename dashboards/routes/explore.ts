import express, { type Router } from 'express';
import {
  breachingNow,
  complaintFunnel,
  drillInteractions,
  repeatComplainers,
  slaHeatmap,
} from '../../metrics/answer/explore.ts';
import { DOWNLOAD_PARAMS, parseFormat, sendRows } from '../export.ts';
import type { ApiDeps } from './deps.ts';
import { booleanOf, limitOf, parseMetricRequest, periodScope, wholeNumber } from './params.ts';

/**
 * The rows behind the numbers: `GET /api/v1/interactions` (drill-down, paged), `/sla/heatmap`,
 * `/sla/breaching`, `/complaints/funnel` and `/complaints/repeat` — each as JSON, CSV or Arrow.
 */
export function exploreRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/interactions', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [
      'metric',
      'counted',
      'page',
      'page_size',
      ...DOWNLOAD_PARAMS,
      'period',
    ]);
    const q = req.query as Record<string, string | undefined>;
    const scope = periodScope(r, q['period']);
    const page = await drillInteractions(deps.clickhouse, deps.cfg, {
      ...scope,
      ...(q['metric'] ? { metric: q['metric'] } : {}),
      ...(q['counted'] !== undefined ? { counted: booleanOf('counted', q['counted']) } : {}),
      page: wholeNumber('page', q['page'] ?? '1'),
      pageSize: wholeNumber('page_size', q['page_size'] ?? '50'),
    });
    await sendRows(
      res,
      parseFormat(q['format']),
      `interactions_${scope.from}_${scope.to}`,
      page.rows,
      () => page,
    );
  });

  router.get('/api/v1/sla/heatmap', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS]);
    const cells = await slaHeatmap(deps.clickhouse, deps.cfg, r);
    await sendRows(
      res,
      parseFormat(req.query['format']),
      'sla_heatmap',
      cells as unknown as Record<string, unknown>[],
      () => ({ cells }),
    );
  });

  router.get('/api/v1/sla/breaching', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS, 'limit']);
    const q = req.query as Record<string, string | undefined>;
    const rows = await breachingNow(deps.clickhouse, deps.cfg, { ...r, limit: limitOf(q['limit']) });
    await sendRows(res, parseFormat(q['format']), 'breaching', rows, () => ({ rows }));
  });

  router.get('/api/v1/complaints/funnel', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS]);
    const stages = await complaintFunnel(deps.clickhouse, deps.cfg, r);
    await sendRows(res, parseFormat(req.query['format']), 'complaint_funnel', stages, () => ({ stages }));
  });

  router.get('/api/v1/complaints/repeat', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS, 'limit']);
    const q = req.query as Record<string, string | undefined>;
    const rows = await repeatComplainers(deps.clickhouse, deps.cfg, { ...r, limit: limitOf(q['limit']) });
    await sendRows(res, parseFormat(q['format']), 'repeat_complainers', rows, () => ({ rows }));
  });
  return router;
}
