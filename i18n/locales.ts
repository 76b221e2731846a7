/**
 * The languages cxpulse speaks and how a reader's language is chosen. Pure (no Node, no DOM): the
 * server, the report renderer and the browser bundle share it.
 */

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** The cookie that remembers a reader's choice (the switcher on every page sets it). */
export const LOCALE_COOKIE = 'cxpulse_lang';

/** Each language's name in itself, as the switcher offers it. */
export const LOCALE_NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', en: 'English' };

export const isLocale = (v: unknown): v is Locale =>
  typeof v === 'string' && (LOCALES as readonly string[]).includes(v);

/** The supported language a language tag stands for: any Chinese → zh-CN, any English → en. */
export function localeOfTag(tag: string): Locale | null {
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
  if (primary === 'zh') return 'zh-CN';
  if (primary === 'en') return 'en';
  return null;
}

/**
 * The best supported language of an `Accept-Language` header (RFC 9110 §12.5.4: q-values, `*`), or
 * null when it names none of ours. Ties keep the header's order.
 */
export function localeOfAcceptLanguage(header: string | undefined): Locale | null {
  if (!header) return null;
  const ranges = header
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.tag !== '' && Number.isFinite(r.q) && r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    const l = localeOfTag(r.tag);
    if (l) return l;
  }
  return null;
}

/** A reader's language: the remembered choice, else the browser's `Accept-Language`, else the centre's default. */
export function pickLocale(choice: unknown, acceptLanguage: string | undefined, fallback: Locale): Locale {
  if (isLocale(choice)) return choice;
  return localeOfAcceptLanguage(acceptLanguage) ?? fallback;
}
