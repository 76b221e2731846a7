import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../cli/runtime.ts';
import type { AlertStore } from '../../alerts/state/store.ts';
import type { AlertEventList, AlertList } from '../../dashboards/wire.ts';
import { translator } from '../../i18n/translator.ts';
import { launchChromium, settled, signedIn, watch } from '../helpers/browser.ts';
import { TOKENS } from '../helpers/dashboard.ts';
import { alertsServer, FOLLOW_UP } from '../helpers/alerts.ts';

/**
 * The alerts page in headless Chromium: a viewer reads the rules and each group's state without a form;
 * an editor reading Chinese submits a broken rule and sees each place named in Chinese, then a good one
 * saved as the next version; a silence shows who, why and until on the page and in the API. No console
 * errors; screenshots in test-artifacts/screenshots/alerts-*.png.
 */

const SHOTS = path.resolve('test-artifacts', 'screenshots');

let rt: Runtime;
let base: string;
let browser: Browser;

beforeAll(async () => {
  let store: AlertStore;
  ({ rt, base, store } = await alertsServer());
  const timing = { forMs: 0, repeatMs: 3_600_000 };
  const t0 = new Date(Date.now() - 60_000);
  await store.advance(FOLLOW_UP, 't1', { value: 71.5, n: 40, condition: true }, timing, t0);
  await store.advance(FOLLOW_UP, 't2', { value: 93, n: 52, condition: false }, timing, t0);
  // a Chinese reader's browser: its own date and time boxes in Chinese (the screenshots show them)
  browser = await launchChromium([], 'zh-CN');
  mkdirSync(SHOTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await rt?.close();
});

/** The caller id the API records: the first 8 hex digits of the token's SHA-256 (written out here). */
const callerId = (role: keyof typeof TOKENS) =>
  createHash('sha256').update(TOKENS[role]).digest('hex').slice(0, 8);

async function get<T>(p: string): Promise<T> {
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } });
  return (await res.json()) as T;
}
const list = () => get<AlertList>('/api/v1/alerts');

async function open(role: keyof typeof TOKENS, locale: 'en' | 'zh-CN') {
  const ctx = await signedIn(browser, base, role, locale);
  const page = await ctx.newPage();
  const problems = watch(page);
  await page.goto(`${base}/alerts`);
  await settled(page);
  return { ctx, page, problems };
}

const rule = (page: Page, name: string) => page.locator(`section[data-rule="${name}"]`);

describe('the alerts page', () => {
  it('shows a viewer every rule with each group’s state, without the edit or silence forms', async () => {
    const { ctx, page, problems } = await open('viewer', 'en');
    const l = await list();
    expect(await page.locator('section[data-rule]').count()).toBe(l.rules.length);
    expect(l.rules.length).toBe(3);
    const follow = rule(page, FOLLOW_UP);
    expect(await follow.locator('tr[data-group="t1"]').getAttribute('data-phase')).toBe('firing');
    expect(await follow.locator('tr[data-group="t1"] td').nth(1).textContent()).toBe('firing');
    expect(await follow.locator('tr[data-group="t1"] td').nth(3).textContent()).toBe('71.5');
    expect(await follow.locator('tr[data-group="t1"] td').nth(4).textContent()).toBe('40');
    expect(await follow.locator('tr[data-group="t2"]').getAttribute('data-phase')).toBe('ok');
    expect(await follow.locator('tr[data-group="t2"] td').nth(3).textContent()).toBe('93');
    // the rules nobody evaluated yet say so
    expect(await rule(page, 'csat-t1').locator('tr[data-group=""]').textContent()).toBe('Not evaluated yet.');
    expect(await page.locator('form[data-form]').count()).toBe(0);
    expect(await page.locator('textarea').count()).toBe(0);
    expect(await page.locator('[data-action]').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'alerts-viewer-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('names each place of a broken rule in Chinese, then saves a good one as the next version', async () => {
    const zh = translator('zh-CN');
    const { ctx, page, problems } = await open('editor', 'zh-CN');
    const before = (await list()).version;
    const form = page.locator('form[data-form="rule"]');
    const broken = [
      'name: csat-chat',
      'kind: kpi',
      'metric: csat',
      'window: yesterday',
      'condition: { below: 80 }',
      'channels: [managers]',
      'for: soon',
    ].join('\n');
    await form.locator('textarea[name=rule]').fill(broken);
    await form.locator('button[type=submit]').click();
    const msg = form.locator('[data-message]');
    await expect.poll(() => msg.locator('li').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    const text = (await msg.textContent()) ?? '';
    expect(text).toContain(zh.t('pages:alerts.form.notDone'));
    expect(text).toContain(zh.t('pages:alerts.form.invalid'));
    const items = await msg.locator('li').allTextContents();
    // the new rule is the 4th of the document: each mistake is named with its place, in Chinese
    for (const place of ['alerts[3].window', 'alerts[3].for'])
      expect(items.some((li) => li.startsWith(zh.t('pages:alerts.form.place', { place })))).toBe(true);
    for (const li of items) expect(li).toMatch(/^位置 alerts\[\d+\]\S*：/);
    // and each explained in Chinese from the catalogue, not the server's English
    const said = (place: string) =>
      items.find((li) => li.startsWith(zh.t('pages:alerts.form.place', { place })));
    expect(said('alerts[3].window')).toContain(
      zh.t('alerts:errors.invalid_enum', { allowed: 'today, last_24h, this_week, last_7d' }),
    );
    expect(said('alerts[3].for')).toContain(zh.t('alerts:errors.invalid_duration'));
    expect(await msg.locator('li code').count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, 'alerts-editor-invalid-zh-CN.png'), fullPage: true });
    expect((await list()).version).toBe(before);

    await form
      .locator('textarea[name=rule]')
      .fill(broken.replace('yesterday', 'today').replace('soon', '10m'));
    await form.locator('input[name=comment]').fill('在线渠道满意度');
    await form.locator('button[type=submit]').click();
    await expect.poll(async () => (await list()).version, { timeout: 30_000 }).toBe(before + 1);
    await page.locator('section[data-rule="csat-chat"]').waitFor({ timeout: 30_000 });
    await settled(page);
    const l = await list();
    expect(l.changed_by).toBe(callerId('editor'));
    expect(l.comment).toBe('在线渠道满意度');
    expect(l.rules.map((r) => r.name)).toEqual([FOLLOW_UP, 'csat-t1', 'ingester-down', 'csat-chat']);
    expect(await page.locator('section[data-rule]').count()).toBe(4);
    expect(await page.locator('[role=note]').textContent()).toContain(`第 ${before + 1} 版`);
    // the one broken rule's 400 (its response and the console's line about it), nothing else
    expect([...problems].sort()).toEqual([
      `HTTP 400 ${base}/api/v1/alerts`,
      'error: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    await ctx.close();
  });

  it('shows a silence with who, why and until on the page and in the API', async () => {
    const zh = translator('zh-CN');
    const { ctx, page, problems } = await open('editor', 'zh-CN');
    // two hours from now on the reader's clock (this process and the browser share the machine's zone)
    const at = new Date(Date.now() + 2 * 3_600_000);
    const pad = (x: number) => String(x).padStart(2, '0');
    const local = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
    const until = new Date(local).toISOString();
    const silence = rule(page, FOLLOW_UP).locator('form[data-form="silence"]');
    await silence.locator('input[name=until]').fill(local);
    await silence.locator('input[name=why]').fill('系统切换');
    await silence.locator('button[type=submit]').click();

    const info = async () => (await list()).rules.find((r) => r.name === FOLLOW_UP)!;
    await expect
      .poll(async () => (await info()).states.every((s) => s.silence !== null), { timeout: 30_000 })
      .toBe(true);
    for (const s of (await info()).states)
      expect(s.silence).toEqual({ until, by: callerId('editor'), why: '系统切换' });
    const events = await get<AlertEventList>(`/api/v1/alerts/events?rule=${encodeURIComponent(FOLLOW_UP)}`);
    const silences = events.events.filter((e) => e.what === 'silence');
    expect(silences.map((e) => [e.group, e.who, e.why]).sort()).toEqual([
      ['t1', callerId('editor'), '系统切换'],
      ['t2', callerId('editor'), '系统切换'],
    ]);

    // the page redraws with the silence on each group: who, why and until (in the reader's words)
    const cellOf = (g: string) => rule(page, FOLLOW_UP).locator(`tr[data-group="${g}"] td[data-silence]`);
    await expect.poll(() => cellOf('t1').textContent(), { timeout: 30_000 }).toContain('系统切换');
    await settled(page);
    const untilText = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeStyle: 'short' }).format(
      new Date(until),
    );
    for (const g of ['t1', 't2'])
      expect(await cellOf(g).textContent()).toBe(
        zh.t('pages:alerts.silencedUntil', { who: callerId('editor'), why: '系统切换', until: untilText }),
      );
    const history = page.locator('table[data-table="events"] tr[data-event="silence"]');
    expect(await history.count()).toBe(2);
    expect(await history.first().textContent()).toContain(`${callerId('editor')}：系统切换`);
    await page.screenshot({ path: path.join(SHOTS, 'alerts-editor-silenced-zh-CN.png'), fullPage: true });
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('asks before deleting a rule: a cancelled delete changes nothing, a confirmed one saves a version', async () => {
    const zh = translator('zh-CN');
    const { ctx, page, problems } = await open('editor', 'zh-CN');
    const before = await list();
    const section = rule(page, 'csat-t1');
    const ask = section.locator('[data-confirm]');
    expect(await ask.isVisible()).toBe(false);
    await section.locator('button[data-action=delete]').click();
    expect(await ask.textContent()).toContain(zh.t('pages:alerts.form.deleteQuestion', { name: 'csat-t1' }));
    await ask.locator('button[data-action=cancel-delete]').click();
    expect(await ask.isVisible()).toBe(false);
    await settled(page);
    const after = await list();
    expect([after.version, after.rules.map((r) => r.name)]).toEqual([
      before.version,
      before.rules.map((r) => r.name),
    ]);
    await section.locator('button[data-action=delete]').click();
    await ask.locator('button[data-action=confirm-delete]').click();
    await expect.poll(async () => (await list()).version, { timeout: 30_000 }).toBe(before.version + 1);
    expect((await list()).rules.map((r) => r.name)).not.toContain('csat-t1');
    await expect.poll(() => rule(page, 'csat-t1').count(), { timeout: 30_000 }).toBe(0);
    expect(problems).toEqual([]);
    await ctx.close();
  });
});
