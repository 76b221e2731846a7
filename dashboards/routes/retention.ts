import express, { type Router } from 'express';
import { badParameter } from '../../infra/errors.ts';
import { retentionDrivers } from '../../metrics/answer/retention.ts';
import type { ApiDeps } from './deps.ts';
import { today as localToday } from '../../infra/time.ts';
import { shiftDays } from './params.ts';

/**
 * `GET /api/v1/retention/drivers?from=&to=&horizon_days=`: by default the 90 days that ended 90 days
 * ago, so every customer in them has had the whole horizon to churn.
 */
export function retentionRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/retention/drivers', deps.requireRole('viewer'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    for (const key of Object.keys(q)) {
      if (!['from', 'to', 'horizon_days'].includes(key))
        throw badParameter(key, 'unknown parameter; use from, to, horizon_days');
    }
    const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
    const today = localToday(deps.cfg.timeZone);
    const horizon = str('horizon_days');
    if (horizon !== undefined && !/^\d+$/.test(horizon))
      throw badParameter('horizon_days', 'must be a whole number of days');
    const to = str('to') ?? shiftDays(today, -90);
    res.json(
      await retentionDrivers(deps.clickhouse, deps.cfg, {
        from: str('from') ?? shiftDays(to, -89),
        to,
        ...(horizon !== undefined ? { horizonDays: Number(horizon) } : {}),
      }),
    );
  });
  return router;
}
