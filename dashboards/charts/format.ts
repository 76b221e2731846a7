import type { Locale } from '../../i18n/locales.ts';
import { translator, type Translator } from '../../i18n/translator.ts';

/** How values are written next to a chart, on a tile and in a report, in the reader's language. */

/** How each catalog unit is written next to a value in English (kept for callers that want the symbol). */
export const UNIT_LABEL: Record<string, string> = {
  percent: '%',
  points: 'points',
  score: 'score',
  seconds: 's',
  hours: 'h',
  count: 'count',
};

/** A catalog unit as the reader writes it (`charts:unit.<unit>`: `%`, `秒`, `points` …); unknown units as given. */
export function unitLabel(unit: string, tr: Translator = translator('en')): string {
  const key = `charts:unit.${unit}`;
  return tr.has(key) ? tr.t(key) : unit;
}

/** Units written after the number (`91.2 %`, `12 秒`); the others stand alone (`35`, `1,204`). */
const SUFFIXED = new Set(['percent', 'seconds', 'hours']);

/**
 * A KPI value as pages and reports show it (the API never rounds), through `Intl` in the reader's
 * locale (English when none): `91.2 %` / `91.2%`, `–` when there is none.
 */
export function formatValue(v: unknown, unit?: string, digits = 1, locale?: Locale): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v !== 'number') return String(v);
  const tr = translator(locale ?? 'en');
  const value = tr.number(v, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit && SUFFIXED.has(unit) ? tr.t(`charts:valueWithUnit.${unit}`, { value }) : value;
}
