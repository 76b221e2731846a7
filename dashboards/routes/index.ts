import express, { type Router } from 'express';
import { alertsRouter } from './alerts.ts';
import { changesRouter } from './changes.ts';
import type { ApiDeps } from './deps.ts';
import { exploreRouter } from './explore.ts';
import { metricsRouter } from './metrics.ts';
import { overviewRouter } from './overview.ts';
import { retentionRouter } from './retention.ts';
import { targetsRouter } from './targets.ts';
import { standardsRouter } from './standards.ts';
import { vocabularyRouter } from './vocabulary.ts';

export type { ApiDeps } from './deps.ts';

/**
 * The API of docs/api.md that answers from the metrics (the SQL service, `sql.ts`, and the reports,
 * `reports.ts`, take other dependencies and are mounted beside it): one router per area, in this order.
 */
export function apiRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const areas = [
    metricsRouter,
    overviewRouter,
    standardsRouter,
    exploreRouter,
    retentionRouter,
    changesRouter,
    targetsRouter,
    vocabularyRouter,
    alertsRouter,
  ];
  for (const area of areas) router.use(area(deps));
  return router;
}
