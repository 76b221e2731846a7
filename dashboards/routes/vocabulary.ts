import express, { type Router } from 'express';
import type { Vocabulary } from '../wire.ts';
import type { ApiDeps } from './deps.ts';

/**
 * `GET /api/v1/vocabulary` (docs/api.md): the centre's customer segments with their names in zh-CN and
 * English (CUSTOMER_SEGMENTS) and the display names of teams, agents and regions (DISPLAY_NAMES).
 */
export function vocabularyRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const { segments, displayNames } = deps.cfg.vocabulary;
  const body = {
    segments: segments.map((s) => ({ key: s.key, names: { ...s.names } })),
    display_names: displayNames,
  } satisfies Vocabulary;
  router.get('/api/v1/vocabulary', deps.requireRole('viewer'), (_req, res) => {
    res.json(body);
  });
  return router;
}
