import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import ExcelJS from 'exceljs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../cli/runtime.ts';
import { PAGES } from '../../dashboards/pages.ts';
import { dashboardServer, TOKENS } from '../helpers/dashboard.ts';

/**
 * The dashboards in headless Chromium (Debian's `chromium`, driven by playwright-core) over sample
 * data: every page opens without console errors and draws its charts; the numbers drawn are the API's;
 * filters change the data and the URL; drill-down and downloads work. A screenshot of every page is
 * kept in test-artifacts/screenshots/ for a person to look at.
 */

// What the functions evaluated in the page use of the DOM (this file is type-checked without the DOM lib;
// string evaluation would be refused by the pages' CSP, which forbids eval).
declare const document: {
  querySelectorAll(s: string): { length: number };
  documentElement: { scrollWidth: number };
};
declare const window: { innerWidth: number };

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = path.resolve('test-artifacts', 'screenshots');

let rt: Runtime;
let base: string;
let reportsDir: string;
let browser: Browser;
let context: BrowserContext;
const problems = new Map<Page, string[]>();

beforeAll(async () => {
  reportsDir = mkdtempSync(path.join(tmpdir(), 'cxpulse-browser-reports-'));
  writeFileSync(
    path.join(reportsDir, 'reports.yaml'),
    `reports:
  - name: weekly-files
    title: Weekly review to files
    schedule: { cron: '0 8 * * 1', timezone: Asia/Shanghai }
    period: last_week
    sections: [kpis, complaints]
    formats: [html]
    directory: { path: out }
`,
  );
  ({ rt, base } = await dashboardServer({ REPORTS_FILE: path.join(reportsDir, 'reports.yaml') }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  mkdirSync(SHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  if (reportsDir) rmSync(reportsDir, { recursive: true, force: true });
});

async function open(url: string): Promise<Page> {
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().includes('/signin')) seen.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}${url}`);
  return page;
}

/** Wait until the page script is done and every panel has loaded (drawn, empty or failed). */
async function settled(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, null, {
    timeout: 60_000,
  });
}

const api = async <T>(p: string): Promise<T> => {
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  expect(res.status, p).toBe(200);
  return (await res.json()) as T;
};

describe('sign-in', () => {
  it('sends a signed-out visitor to the sign-in page, refuses a bad token, and lets a good one in', async () => {
    const page = await open('/overview?channel=phone');
    await page.waitForURL(/\/signin\?next=/);
    await page.fill('#token', 'not-a-token');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toContain('not valid');
    await page.fill('#token', TOKENS.editor);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/overview\?channel=phone$/);
    await settled(page);
    // the refused token's 401 is expected
    expect(
      problems.get(page)!.filter((p) => !/401/.test(p)),
      JSON.stringify(problems.get(page)),
    ).toEqual([]);
    await page.close();
  });
});

describe('every page', () => {
  it.each(PAGES.map((p) => [p.page, p.path]))(
    '%s opens without errors and draws its charts (the reports, targets and alerts pages have none)',
    async (name, url) => {
      const page = await open(url);
      await settled(page);
      const errors = await page.locator('.error').allTextContents();
      expect(errors, `${name}: panel errors`).toEqual([]);
      const charts = await page.locator('.chart svg').count();
      if (!['reports', 'targets', 'alerts'].includes(name))
        expect(charts, `${name}: charts drawn`).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
      expect(problems.get(page), `${name}: console ${JSON.stringify(problems.get(page))}`).toEqual([]);
      await page.close();
    },
  );

  it('the overview on a phone-sized screen keeps everything inside the viewport', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const cookies = await context.cookies();
    await phone.addCookies(cookies);
    const page = await phone.newPage();
    await page.goto(`${base}/overview`);
    await settled(page);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, 'overview-phone.png'), fullPage: true });
    await phone.close();
  });
});

describe('numbers, filters, drill-down and downloads', () => {
  it('the tiles show the values the overview API returns, and a filter changes both and the URL', async () => {
    const page = await open('/overview');
    await settled(page);
    const shown = async () =>
      Object.fromEntries(
        await page
          .locator('.tile')
          .evaluateAll((els) =>
            els.map((e) => [
              e.getAttribute('data-metric'),
              e.querySelector('.value')?.getAttribute('data-value'),
            ]),
          ),
      ) as Record<string, string>;
    const from = new URL(page.url()).searchParams;
    const q = (extra: string) => `/api/v1/overview?${from}${extra}`;
    const all = await api<{ tiles: { metric: string; current: { value: number | null } }[] }>(q(''));
    const before = await shown();
    for (const t of all.tiles)
      expect(before[t.metric], t.metric).toBe(t.current.value === null ? '' : String(t.current.value));

    await page.selectOption('select[name=channel]', 'phone');
    await page.click('form.filters button[type=submit]');
    await page.waitForURL(/channel=phone/);
    await settled(page);
    const phone = await api<{ tiles: { metric: string; current: { value: number | null } }[] }>(
      q(
        `&from=${await page.inputValue('input[name=from]')}&to=${await page.inputValue('input[name=to]')}&channel=phone`,
      ),
    );
    const after = await shown();
    for (const t of phone.tiles)
      expect(after[t.metric], t.metric).toBe(t.current.value === null ? '' : String(t.current.value));
    expect(after['fcr']).not.toBe(before['fcr']);
    expect(problems.get(page)).toEqual([]);
    await page.close();
  });

  it('the overview asks for the vocabulary and its answer once each: the requests its HTML started', async () => {
    for (const url of ['/overview', '/overview?priority=high&channel=phone']) {
      const page = await context.newPage();
      const asked: string[] = [];
      page.on('request', (r) => {
        if (r.url().includes('/api/')) asked.push(r.url());
      });
      await page.goto(`${base}${url}`);
      await settled(page);
      const early = await page
        .locator('link[rel=preload][as=fetch]')
        .evaluateAll((ls) => ls.map((l) => l.getAttribute('href')));
      expect(early[0], url).toBe('/api/v1/vocabulary');
      expect(early[1], url).toMatch(/^\/api\/v1\/overview\/page\?from=/);
      expect(asked.sort(), url).toEqual(early.map((e) => `${base}${e}`).sort());
      expect(await page.locator('.tile').count(), url).toBe(8);
      expect(await page.locator('.error').count(), url).toBe(0);
      await page.close();
    }
  });

  it('a chart draws the rows of its API response (data table = API)', async () => {
    const page = await open('/teams');
    await settled(page);
    const panel = page.locator('section.panel', { hasText: 'by team' }).first();
    const cells = await panel
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.querySelector('[data-col="team_id"]')?.textContent,
          Number(tr.querySelector('[data-col="value"]')?.textContent),
          Number(tr.querySelector('[data-col="n"]')?.textContent),
        ]),
      );
    const href = await panel.locator('a[data-format=json]').getAttribute('href');
    const body = await api<{ rows: { team_id: string; value: number; n: number }[] }>(
      href!.replace('format=json', 'format=json'),
    );
    expect(cells).toEqual(body.rows.map((r) => [r.team_id, r.value, r.n]));
    // and the SVG has one bar per row
    expect(await panel.locator('.chart svg .mark-rect path').count()).toBe(body.rows.length);
    await page.close();
  });

  it('clicking a bar lists the interactions behind it, paged', async () => {
    const page = await open('/teams');
    await settled(page);
    const panel = page.locator('section.panel', { hasText: 'by team' }).first();
    await panel.locator('.chart svg .mark-rect path').first().click();
    await page.waitForSelector('.drill table');
    const text = await panel.locator('.drill .pager strong').textContent();
    const total = Number(text!.replace(/[^0-9]/g, ''));
    const team = await panel.locator('tbody tr').first().locator('[data-col="team_id"]').textContent();
    const n = Number(await panel.locator('tbody tr').first().locator('[data-col="n"]').textContent());
    // FCR's denominator is the resolved interactions: the drill lists exactly those of the team
    expect(total).toBe(n);
    const listed = await panel.locator('.drill tbody tr').count();
    expect(listed).toBe(Math.min(25, total));
    const teams = await panel.locator('.drill tbody [data-col="team_id"]').allTextContents();
    expect(new Set(teams)).toEqual(new Set([team]));
    await page.close();
  });

  it('downloads a panel as CSV, JSON, Arrow and XLSX with the same rows', async () => {
    const page = await open('/teams');
    await settled(page);
    const panel = page.locator('section.panel', { hasText: 'by team' }).first();
    const get = async (format: string) => {
      const href = await panel.locator(`a[data-format=${format}]`).getAttribute('href');
      const res = await page.request.get(`${base}${href}`);
      expect(res.status()).toBe(200);
      return res;
    };
    const json = (await (await get('json')).json()) as { rows: Record<string, unknown>[] };
    const csv = (await (await get('csv')).text()).trim().split('\r\n');
    const arrow = tableFromIPC(await (await get('arrow')).body());
    expect(csv.length - 1).toBe(json.rows.length);
    expect(csv[0]!.split(',')).toContain('team_id');
    expect(arrow.numRows).toBe(json.rows.length);
    expect(arrow.getChild('value')!.toArray()).toEqual(
      Float64Array.from(json.rows.map((r) => r['value'] as number)),
    );
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await (await get('xlsx')).body()) as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1);
    expect(sheet.rowCount - 1).toBe(json.rows.length);
    expect(
      json.rows.map((_, i) => sheet.getRow(i + 2).getCell(header.indexOf('value') + 1).value ?? null),
    ).toEqual(json.rows.map((r) => r['value'] ?? null));
    await page.close();
  });

  it('the SQL page runs a query, shows the rows the API returns and a chart, and says why a query is refused', async () => {
    const q = 'SELECT channel, count() AS n FROM v_interactions GROUP BY channel ORDER BY channel';
    const page = await open(`/sql?q=${encodeURIComponent(q)}`);
    await settled(page);
    const res = await fetch(`${base}/api/v1/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: q, format: 'json' }),
    });
    const want = (await res.json()) as { rows: [string, string | number][] };
    const shown = await page
      .locator('section[aria-label=result] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [tr.children[0]?.textContent, tr.children[1]?.textContent]));
    expect(shown).toEqual(want.rows.map(([c, n]) => [c, String(n)]));
    expect(await page.locator('section[aria-label=result] .chart svg').count()).toBe(1);
    expect(await page.locator('.schema details').count()).toBeGreaterThanOrEqual(4);
    await page.fill('#sql', 'DROP TABLE v_interactions');
    await page.click('.toolbar button[type=submit]');
    await expect
      .poll(() => page.locator('section[aria-label=result] .error').textContent())
      .toMatch(/not DROP/);
    expect(new URL(page.url()).searchParams.get('q')).toBe('DROP TABLE v_interactions');
    await page.close();
  });

  it('the reports page lists the reports, runs one now and shows its run as the history API does', async () => {
    const page = await open('/reports');
    await settled(page);
    const row = page.locator('table[data-table=reports] tr[data-report=weekly-files]');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('0 8 * * 1 (Asia/Shanghai)');
    await row.locator('select').selectOption('yesterday');
    await row.locator('button').click();
    await expect
      .poll(() => page.locator('[role=status]').textContent())
      .toMatch(/^Started weekly-files@manual-/);
    const key = /Started (\S+);/.exec(
      (await page.locator('[role=status]').textContent()) ?? '',
    )?.[1] as string;
    const done = page.locator(`table[data-table=runs] tr[data-run="${key}"].run-succeeded`);
    await expect.poll(() => done.count(), { timeout: 30_000 }).toBe(1);
    const { runs } = await api<{
      runs: { run_key: string; period_from: string; period_to: string; status: string }[];
    }>(`/api/v1/reports/runs?run_key=${encodeURIComponent(key)}`);
    expect(runs[0]?.status).toBe('succeeded');
    const [from, to] = [runs[0]?.period_from, runs[0]?.period_to];
    expect(await done.locator(`time[datetime="${from}"] + time[datetime="${to}"]`).count()).toBe(1);
    expect(runs[0]?.period_from).toBe(runs[0]?.period_to); // yesterday
    await page.screenshot({ path: path.join(SHOTS, 'reports-after-run.png'), fullPage: true });
    expect(problems.get(page)).toEqual([]);
    await page.close();
  });

  it('the drill-down splits a rate into what its numerator counts and what it misses', async () => {
    const range = 'from=2026-01-01&to=2099-12-31';
    const [kpi] = (
      await api<{ rows: { value: number; n: number }[] }>(
        `/api/v1/metrics/follow_up_48h?${range}&grain=total`,
      )
    ).rows;
    const total = async (counted: string) =>
      (
        await api<{ total: number }>(
          `/api/v1/interactions?${range}&metric=follow_up_48h&counted=${counted}&page_size=1`,
        )
      ).total;
    const met = Math.round((kpi!.value / 100) * kpi!.n);
    expect(await total('true')).toBe(met);
    expect(await total('false')).toBe(kpi!.n - met);
    const bad = await fetch(`${base}/api/v1/interactions?${range}&counted=maybe`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    expect(bad.status).toBe(400);
    const page = await open('/complaints');
    await settled(page);
    const panel = page.locator('section.panel', { hasText: 'missed their 48 h follow-up' }).first();
    expect(Number(await panel.getAttribute('data-rows'))).toBeGreaterThan(0);
    await page.close();
  });

  it('service levels draw each distribution against its target', async () => {
    const page = await open('/service');
    await settled(page);
    for (const title of ['First response time by channel', 'Resolution time by priority']) {
      const panel = page.locator('section.panel', { hasText: title }).first();
      const rows = Number(await panel.getAttribute('data-rows'));
      expect(rows, title).toBeGreaterThan(0);
      // one target tick per group (Vega draws ticks as rects; the quantile bars are rules, the medians symbols)
      expect(await panel.locator('.chart svg .mark-rect path').count(), title).toBe(rows);
    }
    await page.close();
  });

  it('"show SQL" reveals the parameterised query', async () => {
    const page = await open('/overview');
    await settled(page);
    const panel = page.locator('section.panel').first();
    await panel.locator('button', { hasText: 'Show SQL' }).click();
    await expect.poll(() => panel.locator('pre.sql').textContent()).toMatch(/SELECT[\s\S]*\{from:Date\}/);
    await page.close();
  });
});

// Last: it ends the browser's session.
describe('sign-out', () => {
  it('the Sign out button (a same-origin form POST) revokes the session: a copy of the cookie is refused', async () => {
    const session = (await context.cookies()).find((c) => c.name === 'cxpulse_session');
    expect(session).toBeDefined();
    const cookie = `cxpulse_session=${session!.value}`;
    expect((await fetch(`${base}/api/v1/metrics`, { headers: { cookie } })).status).toBe(200);
    const page = await open('/overview');
    await settled(page);
    await page.click('form.signout button[type=submit]');
    await page.waitForURL(/\/signin$/);
    expect((await context.cookies()).find((c) => c.name === 'cxpulse_session')).toBeUndefined();
    expect((await fetch(`${base}/api/v1/metrics`, { headers: { cookie } })).status).toBe(401);
    expect(problems.get(page), JSON.stringify(problems.get(page))).toEqual([]);
    await page.close();
  });
});
