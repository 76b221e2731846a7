import express, { type Router } from 'express';
import { computeStandards, type ClauseRow } from '../../metrics/answer/standards.ts';
import { targetsInForce } from '../../metrics/answer/targets-in-force.ts';
import { DOWNLOAD_PARAMS, parseFormat, sendRows } from '../export.ts';
import type { Standards } from '../wire.ts';
import type { ApiDeps } from './deps.ts';
import { parseMetricRequest } from './params.ts';

/**
 * `GET /api/v1/standards?from&to&<dimension filters>` (docs/api.md): the standards scorecard, one row
 * per clause, downloadable like every panel (a flat row per clause in CSV, Arrow and Excel).
 */
export function standardsRouter(deps: ApiDeps): Router {
  const router = express.Router();
  router.get('/api/v1/standards', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg, [...DOWNLOAD_PARAMS]);
    const format = parseFormat(req.query['format']);
    const { targets, baseline } = await targetsInForce(deps.clickhouse, deps.cfg);
    const s = await computeStandards(
      deps.clickhouse,
      deps.cfg,
      { from: r.from, to: r.to, filters: r.filters },
      targets,
      baseline,
    );
    await sendRows(
      res,
      format,
      `standards_${r.from}_${r.to}`,
      s.rows.map(flatRow),
      () =>
        ({
          from: s.from,
          to: s.to,
          baseline: s.baseline,
          rows: s.rows,
          complete_through: s.completeThrough.toISOString(),
          time_zone: deps.cfg.timeZone,
        }) satisfies Standards,
    );
  });
  return router;
}

/** A clause as one flat row (CSV, Arrow, Excel): lists as `;`-separated text, the trend as JSON. */
export function flatRow(c: ClauseRow): Record<string, unknown> {
  const list = (xs: readonly string[] | undefined | null) => (xs ? xs.join(';') : null);
  return {
    id: c.id,
    standard: c.standard,
    clause_zh: c.zh,
    clause_en: c.en,
    metric: c.metric,
    unit: c.unit,
    target_kind: c.target?.kind ?? null,
    target_value: c.target?.value ?? null,
    target_months: c.target?.months ?? null,
    target_per: c.target?.per ?? null,
    target_scope: c.target?.scope ? JSON.stringify(c.target.scope) : null,
    applies: c.applies,
    value: c.value,
    ci_low: c.ci_low,
    ci_high: c.ci_high,
    n: c.n,
    low_confidence: c.low_confidence,
    status: c.status,
    required: c.required,
    baseline_from: c.baseline?.from ?? null,
    baseline_to: c.baseline?.to ?? null,
    baseline_value: c.baseline?.value ?? null,
    baseline_ci_low: c.baseline?.ci_low ?? null,
    baseline_ci_high: c.baseline?.ci_high ?? null,
    baseline_n: c.baseline?.n ?? null,
    change: c.change,
    p_value: c.p_value,
    significant: c.significant,
    trend: JSON.stringify(c.trend),
    teams_missing: list(c.teams_missing?.map((t) => t.team_id)),
    members_missed: list(c.members?.filter((m) => m.status === 'missed').map((m) => m.member)),
    agents_qualified: list(c.sustained?.qualified),
    agents_missed: list(c.sustained?.missed),
    agents_insufficient_data: list(c.sustained?.insufficient),
  };
}
