import type { Translator } from '../../i18n/translator.ts';
import { getMetric } from '../../metrics/catalog.ts';
import { CHANGE_LOOKBACK_DAYS, type ReportData } from './content.ts';
import type { Period } from './period.ts';

/**
 * The words every format of a report shows, in the recipient's language (`tr`): KPI lines,
 * process-change lines, the scope line, and how a value, a unit, a period and a p-value are written.
 * Written once, so the HTML, the PDF and the email subject agree to the character.
 */

/** The table rows every format shows, formatted once so HTML and PDF agree to the character. */
export interface KpiLine {
  metric: string;
  title: string;
  value: string;
  ci: string;
  n: string;
  target: string;
  status: string;
  change: string;
  previous: string;
}

/** A KPI's title in the reader's language: the `metrics` catalogue's, else the catalog's (English). */
export function metricTitle(tr: Translator, name: string, fallback: string): string {
  const key = `metrics:${name}.title`;
  return tr.has(key) ? tr.t(key) : fallback;
}

/** A number as the reader writes it, to `digits` decimals at most. */
export const num = (tr: Translator, v: number, digits = 1): string =>
  tr.number(v, { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** A KPI value with its unit (`91.2 %` / `91.2%`, `35 s` / `35 秒`), `–` when there is none. */
export function formatValue(tr: Translator, v: unknown, unit?: string): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v !== 'number') return String(v);
  const value = num(tr, v);
  return unit === 'percent' || unit === 'seconds' || unit === 'hours'
    ? tr.t(`reports:value.${unit}`, { value })
    : value;
}

/** A unit as written next to an axis or a value: `%`, `points` / `分`, `h` / `小时` … */
export function unitLabel(tr: Translator, unit: string): string {
  const key = `reports:unit.${unit}`;
  return tr.has(key) ? tr.t(key) : unit;
}

/** The unit of a difference: percentage points for a rate, else the KPI's own. */
const diffUnit = (tr: Translator, unit: string) =>
  unit === 'percent' ? tr.t('reports:unit.percentagePoints') : unitLabel(tr, unit);

/** A signed difference with its unit: `+1.2 pts` / `+1.2 个百分点`. */
function signedDiff(tr: Translator, diff: number, unit: string): string {
  return `${diff > 0 ? '+' : ''}${num(tr, diff)} ${diffUnit(tr, unit)}`.trim();
}

/** A day as the reader writes it: `Mar 5, 2026` / `2026年3月5日`. */
export const day = (tr: Translator, d: string): string => tr.date(d, { dateStyle: 'medium' });

/** A period: one day, or `from to to` / `起 至 止`. */
export const periodText = (tr: Translator, p: Period): string =>
  p.from === p.to ? day(tr, p.from) : tr.t('reports:period', { from: day(tr, p.from), to: day(tr, p.to) });

/** A p-value: `p < 0.001` or `p = 0.012`. */
export function pText(tr: Translator, p: number): string {
  return p < 0.001
    ? tr.t('reports:pLess', { value: tr.number(0.001) })
    : tr.t('reports:pEquals', {
        value: tr.number(p, { minimumFractionDigits: 3, maximumFractionDigits: 3 }),
      });
}

/** A 95 % interval: `89 to 93.1` / `89 至 93.1`. */
const interval = (tr: Translator, low: number, high: number) =>
  tr.t('reports:interval', { low: num(tr, low), high: num(tr, high) });

/** A status word (`met` / `达标`), `–` when there is none. */
export const statusWord = (tr: Translator, s: string | null): string =>
  s === null ? '–' : tr.label('status', s);

export function kpiLines(data: ReportData, tr: Translator): KpiLine[] {
  return (data.kpis ?? []).map((t) => {
    const d = t.change;
    const c = t.current;
    const p = d.p_value === null ? '' : ` (${pText(tr, d.p_value)})`;
    return {
      metric: t.metric,
      title: metricTitle(tr, t.metric, t.title),
      value: formatValue(tr, c.value, t.unit),
      ci: c.ci_low === null || c.ci_high === null ? '–' : interval(tr, c.ci_low, c.ci_high),
      n: tr.number(c.n),
      // a relative target (NPS +35 %, complaints −40 %): the value its baseline requires
      target:
        c.target !== null
          ? formatValue(tr, c.target, t.unit)
          : t.relative?.required != null
            ? formatValue(tr, t.relative.required, t.unit)
            : '–',
      status: statusWord(tr, c.status ?? t.relative?.status ?? null),
      change: d.diff === null ? '–' : `${signedDiff(tr, d.diff, t.unit)}${p}`,
      previous: formatValue(tr, t.previous.value, t.unit),
    };
  });
}

/** Process-change impacts as table rows: change, KPI, before, after, difference with CI, p. */
export function changeLines(data: ReportData, tr: Translator): string[][] {
  return (data.changes ?? []).map((i) => {
    const diff =
      i.diff === null
        ? '–'
        : signedDiff(tr, i.diff, i.unit) +
          (i.ci_low !== null && i.ci_high !== null ? ` (${interval(tr, i.ci_low, i.ci_high)})` : '');
    return [
      tr.t('reports:changeOn', { title: i.change.title, date: day(tr, i.change.starts_at.slice(0, 10)) }),
      metricTitle(tr, i.metric, getMetric(i.metric).title),
      formatValue(tr, i.before.value, i.unit),
      formatValue(tr, i.after.value, i.unit),
      diff,
      i.p_value === null ? '–' : pText(tr, i.p_value),
    ];
  });
}

/** The line under the title: the period and time zone, the filters, how complete the data are. */
export function scopeLine(data: ReportData, tr: Translator): string {
  const f = Object.entries(data.filters).map(([d, v]) =>
    tr.t('reports:scope.filter', {
      dimension: tr.t(`vocabulary:dimension.${d}`),
      values: v.map((x) => tr.label(d, x)).join(tr.t('reports:scope.valueSeparator')),
    }),
  );
  return [
    tr.t('reports:scope.period', { period: periodText(tr, data.period), timeZone: data.timeZone }),
    f.length > 0 ? f.join(tr.t('reports:scope.filterSeparator')) : tr.t('reports:scope.whole'),
    tr.t('reports:scope.complete', { at: instant(tr, data.completeThrough, data.timeZone) }),
  ].join(tr.t('reports:scope.separator'));
}

/** An instant in the centre's time zone, to the minute. */
export const instant = (tr: Translator, at: Date, timeZone: string): string =>
  tr.date(at, { dateStyle: 'medium', timeStyle: 'short', timeZone, hourCycle: 'h23' });

/** A funnel stage as the reader calls it (`followed up` / `已回访`). */
export const stageName = (tr: Translator, stage: string): string => {
  const key = `reports:stage.${stage.replace(/ /g, '_')}`;
  return tr.has(key) ? tr.t(key) : stage;
};

/** A retention driver's name in the reader's language: the `metrics` catalogue's, else as computed. */
export const driverTitle = (tr: Translator, feature: string, fallback: string): string => {
  const key = `metrics:drivers.${feature}`;
  return tr.has(key) ? tr.t(key) : fallback;
};

/** The KPI table's head: KPI, value, CI, n, target, status, change against the previous period. */
export const kpiHead = (data: ReportData, tr: Translator): string[] => [
  tr.t('reports:column.kpi'),
  tr.t('reports:column.value'),
  tr.t('reports:column.ci'),
  tr.t('reports:column.n'),
  tr.t('reports:column.target'),
  tr.t('reports:column.status'),
  tr.t('reports:column.change', { period: periodText(tr, data.previous) }),
];

/** The process-change table's head. */
export const changeHead = (tr: Translator): string[] => [
  tr.t('reports:column.processChange'),
  tr.t('reports:column.kpi'),
  tr.t('reports:column.before'),
  tr.t('reports:column.after'),
  tr.t('reports:column.difference'),
  tr.t('reports:column.p'),
];

/** The sentence under the retention drivers: who was counted, and that correlation is not causation. */
export const retentionNote = (r: NonNullable<ReportData['retention']>, tr: Translator): string =>
  tr.t('reports:retentionNote', {
    customers: tr.number(r.customers),
    churned: tr.number(r.churned),
    from: day(tr, r.from),
    to: day(tr, r.to),
    days: tr.number(r.horizon_days),
  });

/** What the process-change section says when no change applies. */
export const noChanges = (data: ReportData, tr: Translator): string =>
  tr.t('reports:noChanges', { days: tr.number(CHANGE_LOOKBACK_DAYS), date: day(tr, data.period.to) });
