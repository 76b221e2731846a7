import express, { type Router } from 'express';
import { badParameter } from '../../infra/errors.ts';
import { currentTargets, saveTargets, targetHistory } from '../../metrics/answer/targets-store.ts';
import { validateTargetsInput } from '../../metrics/query/targets-input.ts';
import { defaultTargets } from '../../metrics/targets/defaults.ts';
import type { Caller } from '../auth.ts';
import type { TargetHistory, TargetSetInfo } from '../wire.ts';
import type { ApiDeps } from './deps.ts';

/**
 * The targets as admins keep them: `GET /api/v1/targets` (viewer: the current set, its baseline,
 * version, who and when), `GET /api/v1/targets/history` (viewer) and `PUT /api/v1/targets` (admin:
 * the whole set with the version it edits, `if_version`; 400 naming the field, 409 on a concurrent
 * edit). Until an admin saves, the standards' clauses' targets are version 1.
 */
export function targetsRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const defaults = defaultTargets(deps.cfg);
  router.get('/api/v1/targets', deps.requireRole('viewer'), async (_req, res) => {
    res.json((await currentTargets(deps.clickhouse, deps.cfg, defaults)) satisfies TargetSetInfo);
  });
  router.get('/api/v1/targets/history', deps.requireRole('viewer'), async (_req, res) => {
    const versions = await targetHistory(deps.clickhouse, deps.cfg, defaults);
    res.json({ versions } satisfies TargetHistory);
  });
  router.put(
    '/api/v1/targets',
    deps.requireRole('admin'),
    express.json({ limit: '256kb' }),
    async (req, res) => {
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw badParameter('body', 'must be a JSON object {if_version, targets, baseline?, comment?}');
      const input = validateTargetsInput(body);
      const caller = res.locals['caller'] as Caller;
      const saved = await saveTargets(deps.clickhouse, deps.cfg, defaults, input, caller.id);
      res.json(saved satisfies TargetSetInfo);
    },
  );
  return router;
}
