import { LOCALE_NAMES, LOCALES } from '../i18n/locales.ts';
import type { Translator } from '../i18n/translator.ts';
import { today as todayIn } from '../infra/time.ts';
import { hasRole, type Caller } from './auth.ts';
import { filtersOf, overviewPagePath, VOCABULARY_PATH } from './page-requests.ts';

/**
 * The HTML the server writes in the reader's language: each page's shell (navigation, title, lead, the
 * language switcher; the browser bundle draws the rest) and the sign-in page. No inline script: the CSP
 * forbids it.
 */

export interface Page {
  path: string;
  page: string;
  role: Caller['role'];
}

/** The pages in navigation order; their titles, leads and (shorter) menu labels are `common:nav.<page>` in the catalogues. */
export const PAGES: readonly Page[] = [
  { path: '/overview', page: 'overview', role: 'viewer' },
  { path: '/standards', page: 'standards', role: 'viewer' },
  { path: '/service', page: 'service', role: 'viewer' },
  { path: '/complaints', page: 'complaints', role: 'viewer' },
  { path: '/customers', page: 'customers', role: 'viewer' },
  { path: '/improvement', page: 'improvement', role: 'viewer' },
  { path: '/teams', page: 'teams', role: 'viewer' },
  { path: '/sql', page: 'sql', role: 'analyst' },
  { path: '/reports', page: 'reports', role: 'viewer' },
  { path: '/targets', page: 'targets', role: 'viewer' },
  { path: '/alerts', page: 'alerts', role: 'viewer' },
];

export const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** Links to the other languages, back to `here` (the browser keeps `next` up to date as filters change). */
function switcher(tr: Translator, here: string): string {
  const links = LOCALES.filter((l) => l !== tr.locale)
    .map(
      (l) =>
        `<a href="/lang?to=${l}&amp;next=${encodeURIComponent(here)}" hreflang="${l}" lang="${l}" data-lang="${l}">${esc(LOCALE_NAMES[l])}</a>`,
    )
    .join(' ');
  return `<nav class="lang" aria-label="${esc(tr.t('shell.language'))}">${links}</nav>`;
}

/**
 * The head; `fetchEarly`: the API requests the page's script makes first, asked of the browser as soon
 * as the HTML arrives (the script's own `fetch` of the same URL takes the answer) instead of once the
 * bundle has loaded.
 */
const head = (
  tr: Translator,
  title: string,
  script: boolean,
  fetchEarly: readonly string[] = [],
) => `<!doctype html>
<html lang="${tr.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · cxpulse</title>
<link rel="stylesheet" href="/assets/app.css">
${fetchEarly.map((u) => `<link rel="preload" href="${esc(u)}" as="fetch" crossorigin>\n`).join('')}${script ? '<script type="module" src="/assets/app.js"></script>\n' : ''}</head>`;

export function pageShell(
  page: Page,
  caller: Caller,
  timeZone: string,
  tr: Translator,
  here: string,
): string {
  const today = todayIn(timeZone);
  const nav = PAGES.filter((p) => hasRole(caller.role, p.role))
    .map(
      (p) =>
        `<a href="${p.path}"${p.page === page.page ? ' aria-current="page"' : ''}>${esc(tr.t(`nav.${p.page}.menu`))}</a>`,
    )
    .join('');
  const title = tr.t(`nav.${page.page}.title`);
  // every page's script asks for the vocabulary first (web/main.ts); the overview also for its one
  // answer, with the filters its script reads from the same URL
  const early = [
    VOCABULARY_PATH,
    ...(page.page === 'overview'
      ? [overviewPagePath(filtersOf(new URL(here, 'http://cxpulse.invalid').searchParams, today))]
      : []),
  ];
  return `${head(tr, title, true, early)}
<body data-page="${page.page}" data-role="${caller.role}" data-today="${today}" data-tz="${esc(timeZone)}">
<a class="skip" href="#main">${esc(tr.t('shell.skip'))}</a>
<header>
<span class="brand">cxpulse</span>
<nav aria-label="${esc(tr.t('shell.pages'))}">${nav}</nav>
${switcher(tr, here)}
<form method="post" action="/signout" class="signout"><span class="muted">${esc(tr.t(`role.${caller.role}`))}</span> <button type="submit">${esc(tr.t('shell.signOut'))}</button></form>
</header>
<div class="page-head"><h1>${esc(title)}</h1><p class="lead">${esc(tr.t(`nav.${page.page}.lead`))}</p><p id="freshness" class="muted" aria-live="polite"></p></div>
<main id="main" tabindex="-1"></main>
</body>
</html>
`;
}

export function signInPage(tr: Translator, next: string, message?: string): string {
  const here = `/signin?next=${encodeURIComponent(next)}`;
  return `${head(tr, tr.t('signin.title'), false)}
<body class="signin">
<main id="main">
<h1>cxpulse</h1>
${switcher(tr, here)}
<form method="post" action="/signin" class="panel">
<h2>${esc(tr.t('signin.title'))}</h2>
${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
<label for="token">${esc(tr.t('signin.token'))}</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${esc(next)}">
<button type="submit">${esc(tr.t('signin.submit'))}</button>
<p class="muted">${esc(tr.t('signin.helpBefore'))} <code>cxpulse start</code> ${esc(tr.t('signin.helpMiddle'))} <code>api-token</code>.</p>
</form>
</main>
</body>
</html>
`;
}

export function forbiddenPage(tr: Translator, role: Caller['role']): string {
  return `${head(tr, tr.t('shell.forbiddenTitle'), false)}
<body><main id="main"><p>${esc(tr.t('shell.forbidden', { role: tr.t(`role.${role}`) }))}</p></main></body>
</html>
`;
}
