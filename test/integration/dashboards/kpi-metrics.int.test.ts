import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import type { Overview, OverviewTile } from '../../../dashboards/wire.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';
import { testConfig, testEnv } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * The overview KPIs on `/metrics` (METRICS_KPIS=on): each gauge equals what `GET /api/v1/overview`
 * answers for the same period (fetched separately, the periods worked out here), the series are a
 * fixed, small set whatever the data holds; with the key off there is none of them.
 */

/** The eight KPIs of the overview page, written out. */
const KPIS = [
  'csat',
  'nps',
  'fcr',
  'complaint_rate',
  'sla_compliance',
  'answer_rate',
  'follow_up_48h',
  'churn_rate',
];
const STATUSES = ['met', 'at_risk', 'missed', 'insufficient_data'];
const FAMILY = /^cxpulse_kpi_/;

interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (only the forms prom-client writes). */
function parse(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unreadable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(base: string): Promise<Series[]> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  return parse(await res.text());
}

/** Today in the centre's time zone, and the day `days` before it. */
const localToday = () =>
  new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', dateStyle: 'short' }).format(new Date());
const daysBefore = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

describe('METRICS_KPIS=on', () => {
  let rt: Runtime;
  let base: string;
  beforeAll(async () => {
    ({ rt, base } = await dashboardServer({ METRICS_KPIS: 'on' }));
  }, 240_000);
  afterAll(() => rt?.close());

  async function overview(from: string, to: string): Promise<Overview> {
    const res = await fetch(`${base}/api/v1/overview?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Overview;
  }

  /** The series once the first computation is served. */
  const served = () =>
    waitFor(
      'the KPI gauges',
      () => scrape(base),
      (s) => s.some((x) => x.name === 'cxpulse_kpi_computed_seconds'),
      { timeoutMs: 120_000, intervalMs: 500 },
    );

  it('serves each KPI of today and of the last 7 days as the overview answers it', async () => {
    const series = (await served()).filter((s) => FAMILY.test(s.name));
    const day = localToday();
    const periods = { today: [day, day], '7d': [daysBefore(day, 6), day] } as const;
    const one = (name: string, labels: Record<string, string>) =>
      series.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    for (const [period, [from, to]] of Object.entries(periods)) {
      const o = await overview(from, to);
      expect(o.tiles.map((t) => t.metric).sort()).toEqual([...KPIS].sort());
      for (const t of o.tiles) {
        const at = `${t.metric} ${period}`;
        const value = one('cxpulse_kpi_value', { metric: t.metric, period });
        if (t.current.value === null) expect(value, at).toEqual([]);
        else
          expect(
            value.map((s) => s.value),
            at,
          ).toEqual([t.current.value]);
        expect(
          one('cxpulse_kpi_n', { metric: t.metric, period }).map((s) => s.value),
          at,
        ).toEqual([t.current.n]);
        const { status, target } = judged(t);
        const statuses = one('cxpulse_kpi_status', { metric: t.metric, period });
        expect(
          statuses.filter((s) => s.value === 1).map((s) => s.labels['status']),
          at,
        ).toEqual([status]);
        expect(statuses.map((s) => s.labels['status']).sort(), at).toEqual([...STATUSES].sort());
        expect(
          one('cxpulse_kpi_target', { metric: t.metric }).map((s) => [s.labels['kind'], s.value]),
          at,
        ).toEqual([target]);
      }
    }
  }, 180_000);

  it('keeps the series a small fixed set: only metric, period, kind and status labels', async () => {
    const series = (await served()).filter((s) => FAMILY.test(s.name));
    const count = (name: string) => series.filter((s) => s.name === name).length;
    // value: at most 8 KPIs × 2 periods (none for a KPI without answers); n: exactly that
    expect(count('cxpulse_kpi_value')).toBeLessThanOrEqual(16);
    // the sample data answers every KPI over the last 7 days
    expect(series.filter((s) => s.name === 'cxpulse_kpi_value' && s.labels['period'] === '7d')).toHaveLength(
      8,
    );
    expect(count('cxpulse_kpi_n')).toBe(16);
    expect(count('cxpulse_kpi_status')).toBe(8 * 2 * 4);
    expect(count('cxpulse_kpi_target')).toBeLessThanOrEqual(8);
    expect(count('cxpulse_kpi_computed_seconds')).toBe(1);
    expect(series.length).toBeLessThanOrEqual(16 + 16 + 64 + 8 + 1);
    const labels = new Set(series.flatMap((s) => Object.keys(s.labels)));
    expect([...labels].sort()).toEqual(['kind', 'metric', 'period', 'status']);
    expect(new Set(series.map((s) => s.labels['metric']).filter(Boolean))).toEqual(new Set(KPIS));
    expect(new Set(series.map((s) => s.labels['period']).filter(Boolean))).toEqual(new Set(['today', '7d']));
  }, 180_000);
});

/** The tile's status and its target as [kind, value], read from the overview answer. */
function judged(t: OverviewTile): { status: string; target: [string, number] } {
  if (t.current.target !== null)
    return { status: t.current.status ?? 'insufficient_data', target: ['absolute', t.current.target] };
  const r = t.relative;
  if (!r || r.required === null) throw new Error(`${t.metric}: no target in the overview`);
  return { status: r.status, target: ['relative', r.required] };
}

describe('METRICS_KPIS off (the default)', () => {
  let rt: Runtime;
  let base: string;
  beforeAll(async () => {
    const cfg = testConfig(
      testEnv({
        CXPULSE_API_TOKENS: `${TOKENS.viewer}=viewer`,
        ROLLUP_REFRESH_SCHEDULE: 'off',
      }),
    );
    expect(cfg.rollups.kpiMetrics).toBe(false);
    rt = new Runtime(cfg);
    const server = await rt.startServer({
      collector: false,
      tokens: [],
      api: { tokens: cfg.http.apiTokens },
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 240_000);
  afterAll(() => rt?.close());

  it('serves none of the KPI gauges', async () => {
    const series = await scrape(base);
    expect(series.some((s) => s.name === 'cxpulse_rollup_refresh_failures_total')).toBe(true);
    expect(series.filter((s) => FAMILY.test(s.name))).toEqual([]);
  });
});
