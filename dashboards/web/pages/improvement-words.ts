import type { Impact } from '../../wire.ts';
import { day, has, label, num, t, zoneName } from '../i18n.ts';

/**
 * The improvement page's sentences in the reader's language: a change's scope, a KPI value and a
 * difference with their units, and how an impact's windows were cut and what to keep in mind reading it
 * (the same reading as the API's English `note`, from the impact's own fields).
 */

/** Days as the reader writes them: `Oct 2, 2026`, `2026年10月2日`. */
const MEDIUM = { dateStyle: 'medium' } as const;
const DAY_MS = 86_400_000;
/** Fewer observations than this in a window make a result low-confidence (metrics/stats/target.ts). */
const LOW_CONFIDENCE_N = 30;

/** A change's scope (`{"team_id":["t2"]}`) in words: dimension names and values as people read them. */
export function scopeText(scope: Record<string, string[]>): string {
  const parts = Object.entries(scope).map(([d, values]) =>
    t('pages:improvement.scopePart', {
      dimension: has(`vocabulary:dimension.${d}`) ? t(`vocabulary:dimension.${d}`) : d,
      values: values.map((v) => label(d, v)).join(t('pages:improvement.listSeparator')),
    }),
  );
  return parts.length
    ? parts.join(t('pages:improvement.groupSeparator'))
    : t('pages:improvement.wholeCentre');
}

const withUnit = (kind: 'value' | 'diff', unit: string, value: string) =>
  has(`pages:improvement.${kind}.${unit}`) ? t(`pages:improvement.${kind}.${unit}`, { value }) : value;

/** A KPI value with its unit (`91.2 %`, `91.2%`) to `digits` decimals, `–` when there is none. */
export function valueText(v: number | null | undefined, unit: string, digits = 1): string {
  if (v === null || v === undefined) return '–';
  return withUnit('value', unit, num(v, { minimumFractionDigits: digits, maximumFractionDigits: digits }));
}

/** A difference with its sign and unit (percentage points for rates). */
export function diffText(v: number | null | undefined, unit: string, digits = 2): string {
  if (v === null || v === undefined) return '–';
  return withUnit('diff', unit, num(v, { maximumFractionDigits: digits, signDisplay: 'exceptZero' }));
}

/** A p-value: three decimals, `< 0.001` below that. */
export function pText(p: number | null): string {
  if (p === null) return '–';
  const three = { minimumFractionDigits: 3, maximumFractionDigits: 3 };
  return p < 0.001 ? `< ${num(0.001, three)}` : num(p, three);
}

/** How the windows were cut, the test, and what to keep in mind, one sentence each. */
export function impactNote(imp: Impact, metric: string): string[] {
  const timeZone = document.body.dataset['tz'] ?? 'UTC';
  const today = document.body.dataset['today'];
  const { before, after } = imp;
  const days = (count: number) => t('pages:improvement.days', { count });
  const out = [
    t('pages:improvement.note.windows', {
      beforeFrom: day(before.from, MEDIUM),
      beforeTo: day(before.to, MEDIUM),
      beforeDays: days(before.days),
      afterFrom: day(after.from, MEDIUM),
      afterTo: day(after.to, MEDIUM),
      afterDays: days(after.days),
      timeZone: zoneName(timeZone),
      scope: scopeText(imp.change.scope),
    }),
  ];
  const gap = Date.parse(`${after.from}T00:00:00Z`) - Date.parse(`${before.to}T00:00:00Z`);
  if (gap === 2 * DAY_MS) {
    const skipped = new Date(Date.parse(`${before.to}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    const time = day(imp.change.starts_at, { timeStyle: 'short', timeZone });
    out.push(t('pages:improvement.note.excluded', { time, day: day(skipped, MEDIUM) }));
  }
  if (imp.test && has(`pages:improvement.test.${imp.test}`))
    out.push(t(`pages:improvement.test.${imp.test}`));
  if (imp.diff_of === 'mean') out.push(t('pages:improvement.note.mean', { metric }));
  if (imp.unit === 'count') {
    out.push(t('pages:improvement.note.count'));
    if (before.days !== after.days)
      out.push(t('pages:improvement.note.countDays', { before: days(before.days), after: days(after.days) }));
  }
  if (today && after.to >= today)
    out.push(t('pages:improvement.note.incomplete', { day: day(today, MEDIUM) }));
  if (before.n < LOW_CONFIDENCE_N || after.n < LOW_CONFIDENCE_N)
    out.push(t('pages:improvement.note.lowN', { n: num(LOW_CONFIDENCE_N) }));
  return out;
}
