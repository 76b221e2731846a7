import { today as todayIn } from '../infra/time.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import { SESSION_COOKIE, SESSION_SECONDS, hasRole, type Auth, type Caller } from './auth.ts';

/**
 * The dashboard pages: one HTML shell per page (no inline script; the CSP forbids it), the browser
 * bundle (dashboards/web/, built with esbuild at first request: vega, vega-lite and vega-embed are
 * served by us, never from a CDN), the sign-in page with rate-limited failures, and sign-out.
 */

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

export interface Page {
  path: string;
  page: string;
  title: string;
  role: Caller['role'];
  /** what the page answers, shown under its title */
  lead: string;
}

export const PAGES: readonly Page[] = [
  {
    path: '/overview',
    page: 'overview',
    title: 'Overview',
    role: 'viewer',
    lead: 'Are we on target, where not, and is it getting better?',
  },
  {
    path: '/service',
    page: 'service',
    title: 'Service levels',
    role: 'viewer',
    lead: 'Response and resolution times against their targets.',
  },
  {
    path: '/complaints',
    page: 'complaints',
    title: 'Complaints',
    role: 'viewer',
    lead: 'Volume, severity and the closed loop of every complaint.',
  },
  {
    path: '/customers',
    page: 'customers',
    title: 'Customers and retention',
    role: 'viewer',
    lead: 'What goes together with customers leaving.',
  },
  {
    path: '/improvement',
    page: 'improvement',
    title: 'Improvement',
    role: 'viewer',
    lead: 'Did the KPI move after a process change, and is that real?',
  },
  {
    path: '/teams',
    page: 'teams',
    title: 'Teams and agents',
    role: 'viewer',
    lead: 'KPIs per team and agent, with their uncertainty.',
  },
  {
    path: '/sql',
    page: 'sql',
    title: 'SQL',
    role: 'analyst',
    lead: 'Your own questions, read-only, over the same data as the dashboards.',
  },
  {
    path: '/reports',
    page: 'reports',
    title: 'Reports',
    role: 'viewer',
    lead: 'Scheduled KPI reports: when they go out, where to, and whether they arrived.',
  },
];

let bundle: Promise<string> | undefined;
/** The browser bundle, built once per process. */
export function browserBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [path.join(WEB, 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]?.text ?? '');
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0f172a"/><path d="M2 11 6 7l3 3 5-6" stroke="#60a5fa" stroke-width="2" fill="none"/></svg>';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function shell(page: Page, caller: Caller, timeZone: string): string {
  const today = todayIn(timeZone);
  const nav = PAGES.filter((p) => hasRole(caller.role, p.role))
    .map(
      (p) => `<a href="${p.path}"${p.page === page.page ? ' aria-current="page"' : ''}>${esc(p.title)}</a>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(page.title)} · cxpulse</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body data-page="${page.page}" data-role="${caller.role}" data-today="${today}" data-tz="${esc(timeZone)}">
<a class="skip" href="#main">Skip to content</a>
<header>
<span class="brand">cxpulse</span>
<nav aria-label="pages">${nav}</nav>
<form method="post" action="/signout" class="signout"><span class="muted">${esc(caller.role)}</span> <button type="submit">Sign out</button></form>
</header>
<div class="page-head"><h1>${esc(page.title)}</h1><p class="lead">${esc(page.lead)}</p><p id="freshness" class="muted" aria-live="polite"></p></div>
<main id="main" tabindex="-1"></main>
</body>
</html>
`;
}

function signInPage(next: string, message?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · cxpulse</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="signin">
<main id="main">
<h1>cxpulse</h1>
<form method="post" action="/signin" class="panel">
<h2>Sign in</h2>
${message ? `<p class="error" role="alert">${esc(message)}</p>` : ''}
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="${esc(next)}">
<button type="submit">Sign in</button>
<p class="muted">Your administrator gives you a token (CXPULSE_API_TOKENS). With <code>cxpulse start</code> it is in the data directory, file <code>api-token</code>.</p>
</form>
</main>
</body>
</html>
`;
}

const cookieOptions = (req: Request) =>
  ({ httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' }) as const;

/** Only same-site relative paths are followed after sign-in. */
const safeNext = (v: unknown): string =>
  typeof v === 'string' && /^\/(?!\/)[A-Za-z0-9/_\-?=&.%,]*$/.test(v) ? v : '/overview';

type PagesDeps = { auth: Auth; timeZone: string; failedSignInsPerWindow?: number };

export function pagesRouter(deps: PagesDeps): Router {
  const router = express.Router();
  assetRoutes(router);
  signInRoutes(router, deps);
  pageRoutes(router, deps);
  return router;
}

/** The browser bundle, the style sheet and the icon. */
function assetRoutes(router: Router): void {
  router.get('/assets/app.js', async (_req, res) => {
    res
      .type('text/javascript')
      .set('Cache-Control', 'no-cache')
      .send(await browserBundle());
  });
  router.get('/assets/app.css', async (_req, res) => {
    res
      .type('text/css')
      .set('Cache-Control', 'no-cache')
      .send(await readFile(path.join(WEB, 'app.css'), 'utf8'));
  });

  router.get('/favicon.ico', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'max-age=86400').send(FAVICON);
  });
}

/** The sign-in page and form (failed sign-ins rate-limited), and sign-out. */
function signInRoutes(router: Router, deps: PagesDeps): void {
  const log = logger('pages');
  router.get('/signin', (req, res) => {
    res.type('html').send(signInPage(safeNext(req.query['next'])));
  });
  const limiter = rateLimit({
    windowMs: 15 * 60_000,
    limit: deps.failedSignInsPerWindow ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      log.warn({ event_name: 'signin_rate_limited', ip: req.ip }, 'too many failed sign-ins');
      res
        .status(429)
        .type('html')
        .send(signInPage('/overview', 'Too many failed sign-ins. Wait 15 minutes and try again.'));
    },
  });
  router.post('/signin', limiter, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body['next']);
    const caller = typeof body['token'] === 'string' ? deps.auth.signIn(body['token']) : null;
    if (!caller) {
      log.info({ event_name: 'signin_failed', ip: req.ip }, 'sign-in refused');
      res.status(401).type('html').send(signInPage(next, 'That token is not valid.'));
      return;
    }
    // `Secure` whenever the request came over https (through a trusted proxy: HTTP_TRUST_PROXY)
    res.cookie(SESSION_COOKIE, deps.auth.session(caller), {
      ...cookieOptions(req),
      maxAge: SESSION_SECONDS * 1000,
    });
    log.info({ event_name: 'signin', caller: caller.id, role: caller.role }, 'signed in');
    res.redirect(303, next);
  });
  // Sign-out revokes the session for good (a copy of the cookie is refused too), not only in this
  // browser; like every cookie-authenticated write it must come from this site.
  router.post('/signout', async (req, res, next) => {
    const session = deps.auth.sessionOf(req);
    const problem = session ? deps.auth.originProblem(req) : null;
    if (problem) {
      next(new CxError('forbidden', problem));
      return;
    }
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    if (session) await deps.auth.revoke(session);
    res.redirect(303, '/signin');
  });
}

/** Each page: its HTML shell for a caller with its role; sign in first otherwise. */
function pageRoutes(router: Router, deps: PagesDeps): void {
  router.get('/', (_req, res) => res.redirect(302, '/overview'));
  for (const page of PAGES) {
    router.get(page.path, (req: Request, res: Response) => {
      const caller = deps.auth.callerOf(req);
      if (!caller) {
        res.redirect(302, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      if (!hasRole(caller.role, page.role)) {
        res
          .status(403)
          .type('html')
          .send(`<!doctype html><title>Forbidden</title><p>This page needs the ${page.role} role.</p>`);
        return;
      }
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .send(shell(page, caller, deps.timeZone));
    });
  }
}
