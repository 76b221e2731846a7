import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { TOKENS } from './dashboard.ts';

/**
 * What the browser tests share: headless Chromium (Debian's, driven by playwright-core), a context
 * signed in with a role's token, the problems a page reports (console errors and warnings, uncaught
 * errors, failed requests), and waiting until a page has drawn every panel.
 */

// What the functions evaluated in the page use of the DOM (the tests are type-checked without the DOM lib;
// string evaluation would be refused by the pages' CSP, which forbids eval).
declare const document: { querySelectorAll(s: string): { length: number } };

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Headless Chromium, in `language` when given: the browser's own language, as a reader's Chromium in that
 * language has it, so its own controls (the date and time boxes of `<input type=datetime-local>`) are drawn
 * in it. Chromium on Linux takes it from `LANGUAGE` (and needs Debian's `chromium-l10n`; `.ci/run`
 * installs it); `--lang` alone does not reach the form controls.
 */
export function launchChromium(args: string[] = [], language?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', ...(language ? [`--lang=${language}`] : []), ...args],
    ...(language ? { env: { ...process.env, LANGUAGE: language.replace('-', '_') } } : {}),
  });
}

/** A browser context reading `locale`, signed in through the sign-in form's POST with `role`'s token. */
export async function signedIn(
  browser: Browser,
  base: string,
  role: keyof typeof TOKENS,
  locale: string,
): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale });
  const res = await fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
    body: new URLSearchParams({ token: TOKENS[role], next: '/overview' }),
  });
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const [name = '', value = ''] = cookie.split(/=(.*)/s);
  await ctx.addCookies([{ name, value, url: base }]);
  return ctx;
}

/**
 * The problems `page` reports from now on: console errors and warnings, uncaught errors, responses of
 * 400 or more (but those of URLs `ignore` matches).
 */
export function watch(page: Page, ignore?: RegExp): string[] {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') seen.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => seen.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !(ignore && ignore.test(r.url()))) seen.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return seen;
}

/** Wait until the page script is done and every panel has loaded (drawn, empty or failed). */
export async function settled(page: Page): Promise<void> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll('[aria-busy="true"]').length === 0, null, {
    timeout: 60_000,
  });
}
