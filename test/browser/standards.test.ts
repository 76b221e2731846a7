import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../cli/runtime.ts';
import type { MetricAnswer, MetricCatalog, Standards } from '../../dashboards/wire.ts';
import { CLAUSES } from '../../metrics/standards/clauses.ts';
import { dashboardServer, TOKENS } from '../helpers/dashboard.ts';

/**
 * The standards scorecard in headless Chromium over sample data: the page opens without errors, lists
 * every clause, and shows the values of `GET /api/v1/standards` for the same period and filters; the
 * absolute clauses' values and n equal `GET /api/v1/metrics/{name}` under the clause's scope.
 */

declare const document: { querySelectorAll(s: string): { length: number } };

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-artifacts', 'screenshots');

let rt: Runtime;
let base: string;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const dayBefore = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const FROM = dayBefore(90);
const TO = dayBefore(1);

const api = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};

beforeAll(async () => {
  ({ rt, base } = await dashboardServer());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}/signin?next=${encodeURIComponent('/overview')}`);
  await page.fill('#token', TOKENS.viewer);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/overview/);
  mkdirSync(SHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
});

async function settled(): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, null, {
    timeout: 60_000,
  });
}

type Shown = { clause: string; value: string | null; n: string | null; status: string | null };

async function shown(): Promise<Shown[]> {
  return page.locator('tr[data-clause]').evaluateAll((trs) =>
    trs.map((tr) => ({
      clause: tr.getAttribute('data-clause') ?? '',
      value: tr.querySelector('[data-col="value"]')?.getAttribute('data-value') ?? null,
      n: tr.querySelector('[data-col="value"]')?.getAttribute('data-n') ?? null,
      status: tr.getAttribute('data-status'),
    })),
  );
}

/** The page's rows against the scorecard API and, for absolute clauses, the metrics API. */
async function compare(filters: Record<string, string>): Promise<Standards> {
  const q = new URLSearchParams({ from: FROM, to: TO, ...filters });
  await page.goto(`${base}/standards?${q}`);
  await settled();
  const s = await api<Standards>(`/api/v1/standards?${q}`);
  const rows = await shown();
  const catalog = await api<MetricCatalog>('/api/v1/metrics');
  const dims = (name: string) => catalog.metrics.find((x) => x.name === name)?.dimensions ?? [];
  expect(rows.map((r) => r.clause)).toEqual(CLAUSES.map((c) => c.id));
  for (const r of s.rows) {
    const on = rows.find((x) => x.clause === r.id);
    expect(on?.status, r.id).toBe(r.status ?? '');
    if (!r.applies) continue;
    expect(on?.value, r.id).toBe(r.value === null ? '' : String(r.value));
    expect(on?.n, r.id).toBe(String(r.n));
    if (r.target?.kind !== 'absolute' || r.target.per) continue;
    const m = new URLSearchParams({ from: FROM, to: TO, grain: 'total' });
    // the filters the KPI takes (the scorecard leaves the others out, as the overview does), then the scope
    for (const [d, v] of Object.entries(filters)) if (dims(r.metric).includes(d)) m.set(d, v);
    for (const [d, vs] of Object.entries(r.target.scope ?? {})) m.set(d, vs.join(','));
    const metric = await api<MetricAnswer>(`/api/v1/metrics/${r.metric}?${m}`);
    const row = metric.rows[0];
    expect(String(row?.value ?? ''), `${r.id} against /api/v1/metrics`).toBe(on?.value);
    expect(row?.n, r.id).toBe(r.n);
  }
  return s;
}

describe('standards scorecard page', () => {
  it('opens without errors and shows the values of the standards and metrics APIs', async () => {
    const s = await compare({});
    // csat ≥ 90 (S000-2) is the headline target: the metric row's own status agrees
    const csat = await api<MetricAnswer>(`/api/v1/metrics/csat?from=${FROM}&to=${TO}&grain=total`);
    expect(s.rows.find((r) => r.id === 'S000-2')?.status).toBe(csat.rows[0]?.status);
    // the bonus clause (CSAT by agent): judged, every agent of the API's lists named on the page
    const bonus = s.rows.find((r) => r.id === 'S004-6');
    expect(bonus?.unavailable).toBeNull();
    const who = await page.locator('tr[data-clause="S004-6"] [data-col="who"]').innerText();
    const { qualified = [], missed = [], insufficient = [] } = bonus?.sustained ?? {};
    expect(qualified.length + missed.length + insufficient.length).toBeGreaterThan(0);
    for (const agent of [...qualified, ...missed, ...insufficient]) expect(who).toContain(agent);
    expect(await page.locator('.error').allTextContents()).toEqual([]);
    expect(await page.locator('.spark svg').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'standards.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('with a filter: the same values as the APIs under it; a clause outside it is marked', async () => {
    const s = await compare({ channel: 'phone' });
    expect(s.rows.find((r) => r.id === 'S001-4')?.applies).toBe(false);
    expect(s.rows.find((r) => r.id === 'S002-1')?.applies).toBe(true);
    expect(problems).toEqual([]);
  });
});
