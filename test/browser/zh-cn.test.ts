import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../cli/runtime.ts';
import { PAGES } from '../../dashboards/pages.ts';
import { translator } from '../../i18n/translator.ts';
import { launchChromium, settled, signedIn, watch } from '../helpers/browser.ts';
import { dashboardServer, TOKENS } from '../helpers/dashboard.ts';
import { PROPER_NOUNS } from '../helpers/proper-nouns.ts';

/**
 * The dashboards as a Chinese reader sees them: Chromium asking for zh-CN gets every page in Chinese —
 * navigation, headings, tiles, filters, panels, chart axes and legends — with no English word left on
 * the screen outside data values and proper nouns, no console error; the language switcher turns the
 * pages English and back, and the choice is remembered across pages. Screenshots of every page in both
 * languages are kept in test-artifacts/screenshots/{zh-CN,en}/.
 */

// What the functions evaluated in the page use of the DOM (this file is type-checked without the DOM lib).
interface DomNode {
  nodeType: number;
  textContent: string | null;
}
interface DomElement extends DomNode {
  matches(s: string): boolean;
  childNodes: Iterable<DomNode>;
  getAttribute(a: string): string | null;
}
declare const document: { body: DomElement };
declare function getComputedStyle(el: DomElement): { display: string; visibility: string };

const SHOTS = path.resolve('test-artifacts', 'screenshots');

/** The centre's own names: regions and teams of the sample data, in both languages. */
const REGIONS: Record<string, [string, string]> = {
  east: ['华东', 'East'],
  south: ['华南', 'South'],
  north: ['华北', 'North'],
  southwest: ['西南', 'Southwest'],
  northwest: ['西北', 'Northwest'],
  northeast: ['东北', 'Northeast'],
};
const names = (m: Record<string, [string, string]>) =>
  Object.fromEntries(Object.entries(m).map(([k, [zh, en]]) => [k, { 'zh-CN': zh, en }]));
const TEAMS = Object.fromEntries(
  [1, 2, 3, 4, 5, 6].map((i) => [`t${i}`, [`${'一二三四五六'[i - 1]}组`, `Team ${i}`] as [string, string]]),
);

let rt: Runtime;
let base: string;
let reportsDir: string;
let browser: Browser;
let zh: BrowserContext;
const problems = new Map<Page, string[]>();

beforeAll(async () => {
  reportsDir = mkdtempSync(path.join(tmpdir(), 'cxpulse-zh-reports-'));
  writeFileSync(
    path.join(reportsDir, 'reports.yaml'),
    `reports:
  - name: 周报
    title: 服务质量周报
    locale: zh-CN
    schedule: { cron: '0 8 * * 1', timezone: Asia/Shanghai }
    period: last_week
    sections: [kpis, complaints]
    formats: [html]
    directory: { path: out }
`,
  );
  ({ rt, base } = await dashboardServer({
    REPORTS_FILE: path.join(reportsDir, 'reports.yaml'),
    DISPLAY_NAMES: JSON.stringify({ region: names(REGIONS), team_id: names(TEAMS) }),
  }));
  browser = await launchChromium([], 'zh-CN');
  zh = await signedIn(browser, base, 'editor', 'zh-CN');
  for (const l of ['zh-CN', 'en']) mkdirSync(path.join(SHOTS, l), { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
  if (reportsDir) rmSync(reportsDir, { recursive: true, force: true });
});

async function open(ctx: BrowserContext, url: string): Promise<Page> {
  const page = await ctx.newPage();
  problems.set(page, watch(page));
  await page.goto(`${base}${url}`);
  return page;
}

/**
 * The words a person reads on the page, data left out: the data tables' cells, SQL text, code, the
 * editor, and the data values the test knows (the recorded process change's title).
 */
async function readerText(page: Page): Promise<string> {
  const text = await page.evaluate(() => {
    // data cells, code, and text marked as another language (the switcher's "English")
    const skip = 'td, pre, code, textarea, [data-data], script, style, [lang]:not([lang="zh-CN"])';
    const out: string[] = [];
    const walk = (el: DomElement, hidden = false) => {
      if (el.matches(skip)) return;
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') return;
      // what assistive technology reads, except inside what is hidden from it
      const silent = hidden || el.getAttribute('aria-hidden') === 'true';
      for (const n of el.childNodes) {
        if (n.nodeType === 3) out.push(n.textContent ?? '');
        else if (n.nodeType === 1) walk(n as DomElement, silent);
      }
      if (silent) return;
      for (const a of ['placeholder', 'aria-label', 'title'])
        if (el.getAttribute(a)) out.push(el.getAttribute(a) as string);
    };
    walk(document.body);
    return out.join(' \n ');
  });
  return text;
}

const englishWords = (text: string, data: readonly string[]): string[] => {
  let t = text;
  for (const d of data) t = t.split(d).join(' ');
  return [...new Set(t.match(/[A-Za-z][A-Za-z'’-]+/g) ?? [])].filter((w) => !PROPER_NOUNS.has(w));
};

describe('the pages in 简体中文', () => {
  const zhT = translator('zh-CN');
  let changeTitles: string[] = [];
  beforeAll(async () => {
    const r = await fetch(`${base}/api/v1/changes`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    changeTitles = ((await r.json()) as { changes: { title: string }[] }).changes.map((c) => c.title);
  });

  it.each(PAGES.map((p) => [p.page, p.path]))('%s: Chinese everywhere a person reads', async (name, url) => {
    const page = await open(zh, url);
    await settled(page);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.locator('h1').textContent()).toBe(zhT.t(`nav.${name}.title`));
    expect(await page.locator('.error').allTextContents(), `${name}: panel errors`).toEqual([]);
    const english = englishWords(await readerText(page), changeTitles);
    expect(english, `${name}: English left on the page`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'zh-CN', `${name}.png`), fullPage: true });
    expect(problems.get(page), `${name}: console ${JSON.stringify(problems.get(page))}`).toEqual([]);
    await page.close();
  });

  it('draws chart axes with Chinese dates and the centre names of regions and teams', async () => {
    const page = await open(zh, '/teams');
    await settled(page);
    const svgText = (await page.locator('.chart svg text').allTextContents()).join(' ');
    expect(svgText).toMatch(/[一二三四五六]组/);
    await page.close();
    const overview = await open(zh, '/overview');
    await settled(overview);
    const axes = (await overview.locator('.chart svg text').allTextContents()).join(' ');
    expect(axes).toMatch(/\d{1,2}月\d{1,2}日/);
    await overview.close();
  });
});

describe('switching language', () => {
  it('turns the pages English and back, remembered from page to page', async () => {
    const en = translator('en');
    const page = await open(zh, '/service?channel=phone');
    await settled(page);
    await page.click('nav.lang a[data-lang=en]');
    await page.waitForURL(/\/service\?channel=phone$/);
    await settled(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe(en.t('nav.service.title'));
    // the editor's menu (every page) keeps to one line on a 1366 px screen in English too
    const tops = await page
      .locator('header nav:not(.lang) a')
      .evaluateAll((as) => as.map((a) => (a as unknown as { offsetTop: number }).offsetTop));
    expect(tops.length).toBeGreaterThanOrEqual(10);
    expect(new Set(tops).size).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'en', 'service.png'), fullPage: true });

    await page.goto(`${base}/complaints`);
    await settled(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe(en.t('nav.complaints.title'));

    await page.click('nav.lang a[data-lang=zh-CN]');
    await page.waitForURL(/\/complaints$/);
    await settled(page);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.goto(`${base}/overview`);
    await settled(page);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(problems.get(page), JSON.stringify(problems.get(page))).toEqual([]);
    await page.close();
  });

  it('refuses an unknown language naming the allowed ones', async () => {
    const res = await fetch(`${base}/lang?to=fr&next=/overview`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('zh-CN, en');
  });
});
