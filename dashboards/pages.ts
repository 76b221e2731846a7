import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import express, { type Request, type Response, type Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { CxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import type { Locale } from '../i18n/locales.ts';
import { translator } from '../i18n/translator.ts';
import { asset, sendAsset, type Asset } from './assets.ts';
import { SESSION_COOKIE, SESSION_SECONDS, hasRole, type Auth } from './auth.ts';
import { languageRoutes, requestLocale, safeNext } from './language.ts';
import { forbiddenPage, PAGES, pageShell, signInPage } from './shell.ts';

/**
 * The dashboard pages: one HTML shell per page (no inline script; the CSP forbids it), the browser
 * bundle (dashboards/web/, built with esbuild at first request: vega, vega-lite and vega-embed are
 * served by us, never from a CDN), the sign-in page with rate-limited failures, and sign-out.
 */

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), 'web');

export { PAGES, type Page } from './shell.ts';

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

const cookieOptions = (req: Request) =>
  ({ httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' }) as const;

type PagesDeps = { auth: Auth; timeZone: string; locale: Locale; failedSignInsPerWindow?: number };

const readerOf = (req: Request, deps: PagesDeps) => translator(requestLocale(req, deps.locale));

export function pagesRouter(deps: PagesDeps): Router {
  const router = express.Router();
  assetRoutes(router);
  languageRoutes(router);
  signInRoutes(router, deps);
  pageRoutes(router, deps);
  return router;
}

let bundleAsset: Promise<Asset> | undefined;
let cssAsset: Promise<Asset> | undefined;

/** The browser bundle, the style sheet (each compressed once, revalidated by ETag) and the icon. */
function assetRoutes(router: Router): void {
  router.get('/assets/app.js', async (req, res) => {
    bundleAsset ??= browserBundle().then((js) => asset('text/javascript', js));
    bundleAsset.catch(() => (bundleAsset = undefined));
    sendAsset(req, res, await bundleAsset);
  });
  router.get('/assets/app.css', async (req, res) => {
    cssAsset ??= readFile(path.join(WEB, 'app.css'), 'utf8').then((css) => asset('text/css', css));
    cssAsset.catch(() => (cssAsset = undefined));
    sendAsset(req, res, await cssAsset);
  });

  router.get('/favicon.ico', (_req, res) => {
    res.type('image/svg+xml').set('Cache-Control', 'max-age=86400').send(FAVICON);
  });
}

/** The sign-in page and form (failed sign-ins rate-limited), and sign-out. */
function signInRoutes(router: Router, deps: PagesDeps): void {
  const log = logger('pages');
  router.get('/signin', (req, res) => {
    res
      .type('html')
      .set('Vary', 'Accept-Language, Cookie')
      .send(signInPage(readerOf(req, deps), safeNext(req.query['next'])));
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
        .send(signInPage(readerOf(req, deps), '/overview', readerOf(req, deps).t('signin.tooMany')));
    },
  });
  router.post('/signin', limiter, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body['next']);
    const caller = typeof body['token'] === 'string' ? deps.auth.signIn(body['token']) : null;
    if (!caller) {
      log.info({ event_name: 'signin_failed', ip: req.ip }, 'sign-in refused');
      const tr = readerOf(req, deps);
      res
        .status(401)
        .type('html')
        .send(signInPage(tr, next, tr.t('signin.invalid')));
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
          .send(forbiddenPage(readerOf(req, deps), page.role));
        return;
      }
      res
        .type('html')
        .set('Cache-Control', 'no-store')
        .set('Vary', 'Accept-Language, Cookie')
        .send(pageShell(page, caller, deps.timeZone, readerOf(req, deps), req.originalUrl));
    });
  }
}
