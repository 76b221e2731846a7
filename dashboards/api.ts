import express, { type Request, type RequestHandler, type Router } from 'express';
import { parseMetricRequest as parseQuery } from '../metrics/query/parse.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config, Role } from '../infra/config.ts';
import { CxError, badParameter } from '../infra/errors.ts';
import { catalogWithTargets } from '../metrics/catalog.ts';
import { answerMetric } from '../metrics/answer/metric.ts';
import { chooseStore } from '../metrics/query/store.ts';
import {
  breachingNow,
  complaintFunnel,
  drillInteractions,
  repeatComplainers,
  slaHeatmap,
} from '../metrics/answer/explore.ts';
import { computeOverview } from '../metrics/answer/overview.ts';
import { buildMetricQuery } from '../metrics/query/builder.ts';
import { readRollupState } from '../metrics/answer/state.ts';
import { parseFormat, sendRows } from './export.ts';
import { getChange, listChanges, saveChange, type SaveChangeInput } from '../metrics/answer/changes.ts';
import { changeImpact } from '../metrics/answer/impact.ts';
import { retentionDrivers } from '../metrics/answer/retention.ts';
import type { Caller } from './auth.ts';
import type { MetricCatalog } from './wire.ts';
import type { MetricRequest } from '../metrics/query/request.ts';

export interface ApiDeps {
  clickhouse: ClickHouseClient;
  cfg: Config;
  requireRole: (minimum: Role) => RequestHandler;
}

/** `GET /api/v1/metrics` (the catalog) and `GET /api/v1/metrics/{name}` (docs/api.md). */
export function metricsRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const catalog = catalogWithTargets(deps.cfg.targets);
  const byName = new Map(catalog.map((m) => [m.name, m]));

  router.get('/api/v1/metrics', deps.requireRole('viewer'), (_req, res) => {
    res.json({
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
      })),
      // the service-level policy the SLA KPIs are judged by (an addition to the first specification, see docs/api.md)
      policy: {
        first_response_seconds: deps.cfg.policy.firstResponseSeconds,
        urgent_seconds: deps.cfg.policy.urgentSeconds,
        resolution_target_hours: deps.cfg.policy.resolutionTargetHours,
        fcr_repeat_window_days: deps.cfg.policy.fcrRepeatWindowDays,
      },
    } satisfies MetricCatalog);
  });

  router.get('/api/v1/metrics/:name', deps.requireRole('viewer'), async (req, res) => {
    const m = byName.get(String(req.params['name']));
    if (!m)
      throw new CxError(
        'not_found',
        `no metric named ${JSON.stringify(req.params['name'])}; GET /api/v1/metrics lists them`,
      );
    const request = parseMetricRequest(req, deps.cfg.timeZone, ['format']);
    const format = parseFormat(req.query['format']);
    const answer = await answerMetric(deps.clickhouse, deps.cfg, m, request);
    sendRows(res, format, `${m.name}_${request.from}_${request.to}`, answer.rows, () => ({
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
    const request = parseMetricRequest(req, deps.cfg.timeZone);
    const state = await readRollupState(deps.clickhouse, deps.cfg.clickhouse.database);
    const store = chooseStore(m, request, deps.cfg, state);
    const q = buildMetricQuery(m, request, deps.cfg, store);
    res.json({ metric: m.name, store, sql: q.sql.replace(/^\n+/, ''), params: q.params });
  });

  router.get('/api/v1/overview', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone);
    const o = await computeOverview(deps.clickhouse, deps.cfg, {
      from: r.from,
      to: r.to,
      filters: r.filters,
    });
    res.json({ ...o, complete_through: o.completeThrough.toISOString(), time_zone: deps.cfg.timeZone });
  });

  router.get('/api/v1/interactions', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone, [
      'metric',
      'counted',
      'page',
      'page_size',
      'format',
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
    sendRows(res, parseFormat(q['format']), `interactions_${scope.from}_${scope.to}`, page.rows, () => page);
  });

  router.get('/api/v1/sla/heatmap', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone, ['format']);
    const cells = await slaHeatmap(deps.clickhouse, deps.cfg, r);
    sendRows(
      res,
      parseFormat(req.query['format']),
      'sla_heatmap',
      cells as unknown as Record<string, unknown>[],
      () => ({ cells }),
    );
  });

  router.get('/api/v1/sla/breaching', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone, ['format', 'limit']);
    const q = req.query as Record<string, string | undefined>;
    const rows = await breachingNow(deps.clickhouse, deps.cfg, { ...r, limit: limitOf(q['limit']) });
    sendRows(res, parseFormat(q['format']), 'breaching', rows, () => ({ rows }));
  });

  router.get('/api/v1/complaints/funnel', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone, ['format']);
    const stages = await complaintFunnel(deps.clickhouse, deps.cfg, r);
    sendRows(res, parseFormat(req.query['format']), 'complaint_funnel', stages, () => ({ stages }));
  });

  router.get('/api/v1/complaints/repeat', deps.requireRole('viewer'), async (req, res) => {
    const r = parseMetricRequest(req, deps.cfg.timeZone, ['format', 'limit']);
    const q = req.query as Record<string, string | undefined>;
    const rows = await repeatComplainers(deps.clickhouse, deps.cfg, { ...r, limit: limitOf(q['limit']) });
    sendRows(res, parseFormat(q['format']), 'repeat_complainers', rows, () => ({ rows }));
  });
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

function localToday(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date());
}

/** A drill-down's dates: the request's, or one period of it (`period` = its first day, with `grain`). */
/** A route's metric request from its query string (metrics/query/parse.ts). */
const parseMetricRequest = (req: Request, timeZone: string, extra: readonly string[] = []): MetricRequest =>
  parseQuery(req.query as Record<string, unknown>, timeZone, extra);

function periodScope(r: MetricRequest, period: string | undefined): MetricRequest {
  if (period === undefined || period === 'total') return r;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(period)) throw badParameter('period', 'must be a date YYYY-MM-DD or total');
  const last =
    r.grain === 'day'
      ? period
      : r.grain === 'week'
        ? shiftDays(period, 6)
        : shiftDays(shiftDays(`${period.slice(0, 8)}01`, 32).slice(0, 8) + '01', -1);
  return { ...r, from: period > r.from ? period : r.from, to: last < r.to ? last : r.to };
}

function booleanOf(name: string, v: string): boolean {
  if (v !== 'true' && v !== 'false') throw badParameter(name, 'must be true or false');
  return v === 'true';
}

function wholeNumber(name: string, v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw badParameter(name, 'must be a whole number');
  return Number(v);
}

function limitOf(v: string | undefined): number {
  const n = wholeNumber('limit', v ?? '50');
  if (n < 1 || n > 1000) throw badParameter('limit', 'must be 1–1000');
  return n;
}

function shiftDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw badParameter('to', 'must be a date YYYY-MM-DD');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
