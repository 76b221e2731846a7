import express, { type Router } from 'express';
import { badParameter } from '../../infra/errors.ts';
import { getChange, listChanges, saveChange, type SaveChangeInput } from '../../metrics/answer/changes.ts';
import { changeImpact } from '../../metrics/answer/impact.ts';
import type { Caller } from '../auth.ts';
import type { ApiDeps } from './deps.ts';

/**
 * Process changes: `GET /api/v1/changes` (viewer), `POST /api/v1/changes` (editor; 201 new, 200 an
 * edit) and `GET /api/v1/changes/{id}/impact?metric=&before_days=&after_days=` (viewer).
 */
export function changesRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/changes', deps.requireRole('viewer'), async (_req, res) => {
    res.json({ changes: await listChanges(deps.clickhouse, deps.cfg) });
  });

  router.post(
    '/api/v1/changes',
    deps.requireRole('editor'),
    express.json({ limit: '64kb' }),
    async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body))
        throw badParameter('body', 'must be a JSON object');
      const caller = res.locals['caller'] as Caller;
      const change = await saveChange(deps.clickhouse, deps.cfg, {
        ...(body as object),
        user: caller.id,
      } as SaveChangeInput);
      res.status(body['id'] ? 200 : 201).json(change);
    },
  );

  router.get('/api/v1/changes/:id/impact', deps.requireRole('viewer'), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    for (const key of Object.keys(q)) {
      if (!['metric', 'before_days', 'after_days'].includes(key))
        throw badParameter(key, 'unknown parameter; use metric, before_days, after_days');
    }
    const metric = q['metric'];
    if (typeof metric !== 'string' || metric === '')
      throw badParameter('metric', 'is required, e.g. metric=fcr');
    const days = (k: string): number | undefined => {
      const v = q[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !/^\d{1,3}$/.test(v) || Number(v) < 1)
        throw badParameter(k, 'must be a whole number of days from 1 to 999');
      return Number(v);
    };
    const beforeDays = days('before_days');
    const afterDays = days('after_days');
    const change = await getChange(deps.clickhouse, deps.cfg, String(req.params['id']));
    res.json(
      await changeImpact(deps.clickhouse, deps.cfg, change, {
        metric,
        ...(beforeDays !== undefined ? { beforeDays } : {}),
        ...(afterDays !== undefined ? { afterDays } : {}),
      }),
    );
  });
  return router;
}
