import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../cli/runtime.ts';
import type { TargetSetInfo } from '../../dashboards/wire.ts';
import { translator } from '../../i18n/translator.ts';
import { launchChromium, settled, signedIn } from '../helpers/browser.ts';
import { dashboardServer, TOKENS } from '../helpers/dashboard.ts';

/**
 * The targets page in headless Chromium: a viewer reads the targets without a form; an admin's JSON
 * edit is refused in the reader's language naming the field, then saved as the next version; and the
 * trend chart of the KPI whose target changed marks the day it changed.
 */

let rt: Runtime;
let base: string;
let browser: Browser;

beforeAll(async () => {
  ({ rt, base } = await dashboardServer());
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
});

/** A browser signed in with `role`'s token, reading `locale`. */
const signedInAs = (role: keyof typeof TOKENS, locale: 'en' | 'zh-CN'): Promise<BrowserContext> =>
  signedIn(browser, base, role, locale);

const currentSet = async (): Promise<TargetSetInfo> => {
  const res = await fetch(`${base}/api/v1/targets`, {
    headers: { authorization: `Bearer ${TOKENS.viewer}` },
  });
  return (await res.json()) as TargetSetInfo;
};

describe('the targets page', () => {
  it('shows a viewer every KPI with targets, the baseline and the history, without a form', async () => {
    const ctx = await signedInAs('viewer', 'en');
    const page = await ctx.newPage();
    await page.goto(`${base}/targets`);
    await settled(page);
    const set = await currentSet();
    expect(await page.locator('h1').textContent()).toBe('Targets');
    expect(await page.locator('tr[data-target]').count()).toBe(set.targets.length);
    const metrics = new Set(set.targets.map((t) => t.metric));
    expect(await page.locator('section[data-metric]').count()).toBe(metrics.size);
    expect(await page.locator('tr[data-version]').count()).toBe(1);
    expect(await page.locator('form').count()).toBe(1); // sign-out only
    expect(await page.locator('textarea').count()).toBe(0);
    await ctx.close();
  });

  it("refuses an admin's bad edit in the reader's language, naming the field, then saves a good one", async () => {
    const zh = translator('zh-CN');
    const ctx = await signedInAs('admin', 'zh-CN');
    const page = await ctx.newPage();
    await page.goto(`${base}/targets`);
    await settled(page);
    const set = await currentSet();
    const i = set.targets.findIndex((t) => t.id === 'csat:S000-2');
    const edit = (value: number) =>
      JSON.stringify({
        targets: set.targets.map((t, j) => (j === i ? { ...t, value } : t)),
        baseline: null,
      });
    await page.fill('textarea[name=set]', edit(140));
    await page.click('form.change-form button[type=submit]');
    const msg = page.locator('[data-message]');
    await expect.poll(() => msg.textContent(), { timeout: 30_000 }).toContain(`targets[${i}].value`);
    const text = (await msg.textContent()) ?? '';
    expect(text).toContain(zh.t('pages:targets.form.notSaved', { reason: '' }).trim());
    expect(text).toContain(zh.t('pages:targets.form.field', { field: `targets[${i}].value` }));
    expect(text).toContain(zh.t('errors:bad_parameter'));
    expect((await currentSet()).version).toBe(set.version);

    await page.fill('textarea[name=set]', edit(93));
    await page.fill('input[name=comment]', '浏览器测试');
    await page.click('form.change-form button[type=submit]');
    await page.waitForSelector(`tr[data-version="${set.version + 1}"]`, { timeout: 30_000 });
    const saved = await currentSet();
    expect(saved.version).toBe(set.version + 1);
    expect(saved.targets[i]?.value).toBe(93);
    expect(saved.comment).toBe('浏览器测试');
    await ctx.close();
  });

  it('marks the day the target changed on the trend chart of that KPI, and not on the others', async () => {
    const ctx = await signedInAs('viewer', 'en');
    const page = await ctx.newPage();
    await page.goto(`${base}/overview`);
    await settled(page);
    const marker = translator('en').t('charts:definitionChange.targets');
    const trend = (title: string) =>
      page.locator('.panel', { has: page.locator('h2', { hasText: title }) }).locator('.chart svg text');
    const csat = (await trend('Customer satisfaction (CSAT)').allTextContents()).join(' | ');
    expect(csat).toContain(marker);
    const fcr = (await trend('First-contact resolution').allTextContents()).join(' | ');
    expect(fcr).not.toContain(marker);
    await ctx.close();
  });
});
