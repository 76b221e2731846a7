import express, { type RequestHandler, type Router } from 'express';
import type { Role } from '../../infra/config.ts';
import { badParameter, errorMessage } from '../../infra/errors.ts';
import { logger } from '../../infra/logger.ts';
import type { ReportList, RunList, RunStarted } from '../wire.ts';
import type { ReportDefinition } from '../reports/definitions.ts';
import { parsePeriod } from '../reports/period.ts';
import type { ReportRunner } from '../reports/runner.ts';
import { definitionNamed } from '../reports/scheduler.ts';
import { nextSlot } from '../reports/slots.ts';

/**
 * `/api/v1/reports`: the report definitions with their next slot, the run history, and "run now"
 * (additions to the first specification's API, see docs/api.md; nothing existing changes).
 *
 * - `GET /api/v1/reports` (viewer): every report, its schedule, period, sections, filters, channels and
 *   next slot.
 * - `GET /api/v1/reports/runs?report=&run_key=&limit=` (viewer): the latest state of each run, newest
 *   slot first.
 * - `POST /api/v1/reports/{name}/run?period=last_week|…|FROM..TO` (editor): run it now; answers
 *   `202 {run_key}` at once, the run's progress is in the history.
 */
export function reportsRouter(deps: {
  runner: ReportRunner;
  definitions: readonly ReportDefinition[];
  /** the centre's time zone (CXPULSE_TIMEZONE) */
  timeZone: string;
  requireRole: (minimum: Role) => RequestHandler;
}): Router {
  const router = express.Router();
  const log = logger('reports');

  router.get('/api/v1/reports', deps.requireRole('viewer'), (_req, res) => {
    const now = new Date();
    res.json({
      reports: deps.definitions.map((d) => ({
        name: d.name,
        title: d.title,
        schedule: d.schedule,
        period: d.period,
        sections: d.sections,
        filters: d.filters,
        formats: d.formats,
        email: d.email ?? null,
        webhook: d.webhook ? { host: new URL(d.webhook.url).host } : null,
        directory: d.directory ?? null,
        next_slot: nextSlot(d, now).toISOString(),
      })),
    } satisfies ReportList);
  });

  router.get('/api/v1/reports/runs', deps.requireRole('viewer'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    for (const key of Object.keys(q))
      if (!['report', 'run_key', 'limit'].includes(key))
        throw badParameter(key, 'unknown parameter; use report, run_key, limit');
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    const limit = str('limit') ?? '200';
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)
      throw badParameter('limit', 'must be 1–1000');
    const report = str('report');
    if (report !== undefined) definitionNamed(deps.definitions, report);
    const runs = await deps.runner.history({
      ...(report !== undefined ? { report } : {}),
      ...(str('run_key') !== undefined ? { runKey: str('run_key') as string } : {}),
      limit: Number(limit),
    });
    res.json({ runs } satisfies RunList);
  });

  router.post('/api/v1/reports/:name/run', deps.requireRole('editor'), async (req, res) => {
    const def = definitionNamed(deps.definitions, String(req.params['name']));
    const q = req.query as Record<string, unknown>;
    for (const key of Object.keys(q))
      if (key !== 'period') throw badParameter(key, 'unknown parameter; use period');
    const text = typeof q['period'] === 'string' ? q['period'] : def.period;
    const period = parsePeriod(text, new Date(), [def.schedule.timezone, deps.timeZone]);
    const started = await deps.runner.startNow(def, period);
    started.done.catch((err: unknown) =>
      log.error(
        { event_name: 'report_run_error', run_key: started.runKey, err: errorMessage(err) },
        'report run failed',
      ),
    );
    res.status(202).json({
      run_key: started.runKey,
      report: def.name,
      period: { from: period.from, to: period.to },
    } satisfies RunStarted);
  });
  return router;
}
