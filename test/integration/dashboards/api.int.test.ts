import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { generateSample } from '../../../sample/index.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { getMetric } from '../../../metrics/catalog.ts';
import { readRollupState } from '../../../metrics/answer/state.ts';
import { waitFor } from '../../helpers/wait.ts';
import { computeMetric, type MetricRow } from '../../../metrics/answer/metric.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';

/** The metrics API over HTTP: roles, parameters, and the same numbers as the KPI engine. */
const VIEWER = 'viewer-token-0123456789';
const ADMIN = 'admin-token-0123456789ab';
const EDITOR = 'editor-token-0123456789a';
const ANALYST = 'analyst-token-012345678';
const INGEST = 'ingest-token-0123456789';
let rt: Runtime;
let base: string;

beforeAll(async () => {
  const cfg = testConfig(
    testEnv({
      CXPULSE_TIMEZONE: 'Asia/Shanghai',
      CXPULSE_API_TOKENS: `${VIEWER}=viewer,${ADMIN}=admin,${EDITOR}=editor,${ANALYST}=analyst`,
      METRIC_TARGETS: '{"csat":92}',
    }),
  );
  rt = new Runtime(cfg);
  const ch = await rt.clickhouseUp();
  const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  let i = 0;
  for (const e of generateSample({
    seed: 21,
    customers: 300,
    days: 40,
    start: new Date('2026-01-05T00:00:00Z'),
  })) {
    const { table, row } = toRow(e, { topic: 't', partition: 0, offset: String(i++) });
    rows[table]!.push(rowLine(row));
  }
  await new ClickHouseSink(ch, cfg.clickhouse.database).write({ rows, dlq: [] });
  await rt.kafkaUp();
  const server = await rt.startServer({
    collector: true,
    tokens: [INGEST],
    api: { tokens: cfg.http.apiTokens },
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => rt?.close());

const get = (path: string, token?: string) =>
  fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

let refreshed: ReturnType<typeof readRollupState> | undefined;
/** The scheduled rollup refresh started once, for whichever test needs it first; its first state. */
function rollupsRefreshed(): ReturnType<typeof readRollupState> {
  refreshed ??= rt.startRollupRefresh().then(() =>
    waitFor(
      'the first rollup refresh',
      () => readRollupState(rt.clickhouse!, rt.cfg.clickhouse.database),
      (s) => s !== null,
    ),
  );
  return refreshed;
}

describe('metrics API', () => {
  it('answers from the rollups once the scheduled refresh ran: same numbers as the raw tables, and how complete', async () => {
    const state = await rollupsRefreshed();
    const res = await get('/api/v1/metrics/nps?from=2026-01-05&to=2026-02-13&grain=week&by=channel', VIEWER);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: MetricRow[]; complete_through: string; time_zone: string };
    expect(body.time_zone).toBe('Asia/Shanghai');
    expect(Date.parse(body.complete_through)).toBeGreaterThanOrEqual(state!.completeThrough.getTime());
    expect(Date.parse(body.complete_through)).toBeLessThanOrEqual(Date.now());
    const raw = await computeMetric(rt.clickhouse!, rt.cfg, getMetric('nps'), {
      from: '2026-01-05',
      to: '2026-02-13',
      grain: 'week',
      by: ['channel'],
      filters: {},
      store: 'raw',
    });
    expect(body.rows.length).toBe(raw.length);
    raw.forEach((want, i) => {
      const got = body.rows[i]!;
      expect([got.period, got['channel'], got.n]).toEqual([want.period, want['channel'], want.n]);
      expect(Math.abs(got.value! - want.value!)).toBeLessThan(1e-9);
      expect(Math.abs(got.ci_low! - want.ci_low!)).toBeLessThan(1e-9);
    });
    const prom = await (await fetch(`${base}/metrics`)).text();
    expect(prom).toMatch(/^cxpulse_rollup_complete_through_seconds \d{10}/m);
  });

  it.each([
    ['no token', undefined, 401, 'unauthorized'],
    ['the ingest token', INGEST, 401, 'unauthorized'],
    ['a wrong token', 'x'.repeat(24), 401, 'unauthorized'],
  ])('refuses %s', async (_what, token, status, code) => {
    const res = await get('/api/v1/metrics', token);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('lists the catalog with targets, configured ones applied', async () => {
    const res = await get('/api/v1/metrics', VIEWER);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      metrics: { name: string; target: { value: number } | null; formula: string }[];
    };
    expect(body.metrics).toHaveLength(20);
    expect(body.metrics.find((m) => m.name === 'csat')?.target?.value).toBe(92);
    expect(body.metrics.find((m) => m.name === 'answer_rate')?.target?.value).toBe(80);
  });

  it('serves a metric with the numbers of the KPI engine', async () => {
    const res = await get(
      '/api/v1/metrics/fcr?from=2026-01-05&to=2026-02-08&grain=week&by=channel&priority=normal,high',
      VIEWER,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      metric: string;
      unit: string;
      grain: string;
      rows: Record<string, unknown>[];
    };
    expect(body).toMatchObject({
      metric: 'fcr',
      unit: 'percent',
      grain: 'week',
      from: '2026-01-05',
      to: '2026-02-08',
    });
    const direct = await computeMetric(rt.clickhouse!, rt.cfg, getMetric('fcr'), {
      from: '2026-01-05',
      to: '2026-02-08',
      grain: 'week',
      by: ['channel'],
      filters: { priority: ['normal', 'high'] },
    });
    expect(body.rows).toEqual(JSON.parse(JSON.stringify(direct)));
    expect(body.rows.length).toBeGreaterThan(5);
    for (const r of body.rows) expect(r).toHaveProperty('status');
  });

  it('answers an empty period with value null and n 0', async () => {
    const res = await get('/api/v1/metrics/csat?from=2031-01-01&to=2031-01-31&grain=total', VIEWER);
    const body = (await res.json()) as { rows: unknown[] };
    expect(body.rows).toEqual([
      expect.objectContaining({ period: 'total', value: null, n: 0, target: 92, status: null }),
    ]);
  });

  it.each([
    ['/api/v1/metrics/csat?grain=hourly', 400, /grain: must be one of/],
    ['/api/v1/metrics/churn_rate?by=team_id', 400, /by: churn_rate cannot be grouped by team_id/],
    ['/api/v1/metrics/csat?by=colour', 400, /by: colour is not a dimension/],
    ['/api/v1/metrics/csat?from=2026-02-30', 400, /from: must be a date/],
    ['/api/v1/metrics/csat?from=2026-03-01&to=2026-02-01', 400, /from: must not be after to/],
    ['/api/v1/metrics/csat?colour=red', 400, /colour: unknown parameter/],
    ['/api/v1/metrics/csat?channel=', 400, /channel: needs at least one value/],
    ['/api/v1/metrics/happiness', 404, /no metric named "happiness"/],
    ['/api/v1/retention/drivers?horizon_days=soon', 400, /horizon_days: must be a whole number/],
  ])('%s → %i naming the problem', async (path, status, message) => {
    const res = await get(path, VIEWER);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it('answers the overview page in one request, each part as its own endpoint answers it', async () => {
    // from the rollups: both answers then say the same `complete_through`
    await rollupsRefreshed();
    const q = 'from=2026-01-10&to=2026-02-10&channel=phone';
    const res = await get(`/api/v1/overview/page?${q}`, VIEWER);
    expect(res.status).toBe(200);
    expect(res.headers.get('server-timing')).toMatch(/^app;dur=\d+(\.\d+)?$/);
    const page = (await res.json()) as {
      overview: unknown;
      catalog: unknown;
      changes: unknown[];
      trends: { metric: string; grain: string }[];
      bars: { by: string; body: { metric: string } }[];
    };
    const json = async (path: string) => (await get(path, VIEWER)).json();
    expect(page.overview).toEqual(await json(`/api/v1/overview?${q}`));
    expect(page.catalog).toEqual(await json('/api/v1/metrics'));
    expect({ changes: page.changes }).toEqual(await json('/api/v1/changes'));
    expect(page.trends.map((t) => t.metric)).toEqual(['csat', 'nps', 'fcr', 'sla_compliance']);
    // 32 days: daily trends, as the page's own trend panels ask for them
    for (const t of page.trends) {
      expect(t.grain).toBe('day');
      expect(t).toEqual(await json(`/api/v1/metrics/${t.metric}?${q}&grain=day`));
    }
    expect(page.bars.map((b) => [b.by, b.body.metric])).toEqual([['team_id', 'csat']]);
    expect(page.bars[0]?.body).toEqual(await json(`/api/v1/metrics/csat?${q}&grain=total&by=team_id`));
    expect((await get(`/api/v1/overview/page?${q}`)).status).toBe(401);
  });

  it('serves the retention drivers', async () => {
    const res = await get('/api/v1/retention/drivers?from=2026-01-05&to=2026-01-20&horizon_days=20', VIEWER);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { customers: number; drivers: { feature: string }[]; note: string };
    expect(body.customers).toBeGreaterThan(0);
    expect(body.drivers.map((d) => d.feature)).toContain('contacts');
    expect(body.note).toMatch(/causation/i);
  });
});

const post = (path: string, body: unknown, token?: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('process changes API', () => {
  const change = {
    title: 'Callback script for t2',
    starts_at: '2026-01-26T00:00:00+08:00',
    scope: { team_id: ['t2'] },
  };

  it.each([
    ['no token', undefined, 401],
    ['a viewer', VIEWER, 403],
    ['an analyst', ANALYST, 403],
  ])('refuses a change from %s', async (_who, token, status) => {
    expect((await post('/api/v1/changes', change, token)).status).toBe(status);
  });

  it('an editor records a change, a viewer lists it and reads its impact', async () => {
    const res = await post('/api/v1/changes', change, EDITOR);
    expect(res.status).toBe(201);
    const saved = (await res.json()) as { id: string; title: string };
    expect(saved.title).toBe(change.title);
    const list = (await (await get('/api/v1/changes', VIEWER)).json()) as { changes: { id: string }[] };
    expect(list.changes.map((c) => c.id)).toContain(saved.id);
    const impact = await get(
      `/api/v1/changes/${saved.id}/impact?metric=fcr&before_days=14&after_days=14`,
      VIEWER,
    );
    expect(impact.status).toBe(200);
    const body = (await impact.json()) as {
      metric: string;
      test: string;
      before: { n: number };
      after: { n: number };
    };
    expect(body).toMatchObject({ test: 'two_proportion_z' });
    expect(body.before.n).toBeGreaterThan(0);
    expect(body.after.n).toBeGreaterThan(0);
  });

  it.each([
    [{ ...change, title: '' }, /title/],
    [{ ...change, starts_at: '2026-01-26T00:00:00' }, /starts_at/],
    [{ ...change, scope: { colour: ['red'] } }, /scope/],
    ['{"title": "x", ', /not valid JSON|JSON/],
  ])('refuses a bad change %#, naming the field', async (body, message) => {
    const res = await post('/api/v1/changes', body, ADMIN);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(message);
  });

  it('names a missing metric and an unknown change', async () => {
    const missing = await get('/api/v1/changes/nope/impact', VIEWER);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /metric: is required/,
    );
    expect((await get('/api/v1/changes/nope/impact?metric=fcr', VIEWER)).status).toBe(404);
  });
});
