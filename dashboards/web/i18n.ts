import type { EmbedOptions, VisualizationSpec } from 'vega-embed';
import { isLocale, type Locale } from '../../i18n/locales.ts';
import { translator, type CentreNames, type Translator } from '../../i18n/translator.ts';
import { vegaLocale } from '../../i18n/vega.ts';

/**
 * The page's language (the `lang` the server wrote on `<html>`) and its translator: every word a page
 * writes goes through `t`, every stored value through `label`, numbers and dates through `num` and
 * `day`. The centre's display names (`/api/v1/vocabulary`) join once they are loaded (`useNames`).
 */

const lang = document.documentElement.lang;
export const LOCALE: Locale = isLocale(lang) ? lang : 'en';

let tr: Translator = translator(LOCALE);

/** Add the centre's segment and display names to `label`. */
export function useNames(names: CentreNames): void {
  tr = translator(LOCALE, names);
}

export const t = (key: string, values?: Record<string, unknown>): string => tr.t(key, values);
export const has = (key: string): boolean => tr.has(key);
export const label = (dimension: string, value: unknown): string => tr.label(dimension, value);
export const num = (v: number, opts?: Intl.NumberFormatOptions): string => tr.number(v, opts);
export const day = (v: Date | string | number, opts?: Intl.DateTimeFormatOptions): string => tr.date(v, opts);
export const translatorNow = (): Translator => tr;

/** vega-embed's locale options for this page's language. */
export function embedLocale(): Pick<EmbedOptions, 'formatLocale' | 'timeFormatLocale'> {
  const l = vegaLocale(LOCALE);
  return l ? { formatLocale: { ...l.number }, timeFormatLocale: { ...l.time } } : {};
}

/** Keep each language link's `next` on the page as it is now (filters live in the URL). */
export function keepSwitcherCurrent(): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[data-lang]')) {
    a.addEventListener('click', () => {
      const u = new URL(a.href);
      u.searchParams.set('next', location.pathname + location.search);
      a.href = u.toString();
    });
  }
}

/**
 * A chart spec carrying its label in the reader's words: Vega makes the chart's container a labelled
 * graphics document from the spec's `description` (its own default is English).
 */
export const labelled = (spec: object, label: string): VisualizationSpec =>
  ({ ...spec, description: label }) as VisualizationSpec;

/** A time zone as the reader says it (中国标准时间, China Standard Time); its IANA id when Intl has no name. */
export function zoneName(tz: string): string {
  const parts = new Intl.DateTimeFormat(LOCALE, { timeZone: tz, timeZoneName: 'long' }).formatToParts(
    new Date(),
  );
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? tz;
}
