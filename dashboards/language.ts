import type { Request, Router } from 'express';
import { LOCALE_COOKIE, LOCALES, pickLocale, type Locale } from '../i18n/locales.ts';
import { cookie } from './auth.ts';

/**
 * A reader's language on the pages: the choice remembered in a cookie (set by the switcher on every page,
 * `GET /lang?to=en&next=/overview`), else the browser's `Accept-Language`, else CXPULSE_LOCALE.
 */

const YEAR_MS = 365 * 24 * 3600 * 1000;

export function requestLocale(req: Request, fallback: Locale): Locale {
  return pickLocale(cookie(req, LOCALE_COOKIE), req.get('accept-language'), fallback);
}

/** Only same-site relative paths are followed after a switch or a sign-in. */
export const safeNext = (v: unknown): string =>
  typeof v === 'string' && /^\/(?!\/)[A-Za-z0-9/_\-?=&.%,+]*$/.test(v) ? v : '/overview';

/** `GET /lang?to=<locale>&next=<path>`: remember the language, back to the page; an unknown one is a 400. */
export function languageRoutes(router: Router): void {
  router.get('/lang', (req, res) => {
    const to = req.query['to'];
    const next = safeNext(req.query['next']);
    const locale = pickLocale(to, undefined, 'en');
    if (locale !== to) {
      res
        .status(400)
        .type('text')
        .send(`to: must be one of ${LOCALES.join(', ')}`);
      return;
    }
    res.cookie(LOCALE_COOKIE, locale, {
      httpOnly: true,
      sameSite: 'lax',
      secure: req.secure,
      path: '/',
      maxAge: YEAR_MS,
    });
    res.redirect(303, next);
  });
}
