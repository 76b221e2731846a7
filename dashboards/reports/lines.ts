import { formatValue, UNIT_LABEL } from '../charts/format.ts';
import { getMetric } from '../../metrics/catalog.ts';
import type { ReportData } from './content.ts';

/** The text every format of a report shows: KPI lines, process-change lines, the scope line. */

/** The table rows every format shows, formatted once so HTML and PDF agree to the character. */
export interface KpiLine {
  metric: string;
  title: string;
  value: string;
  target: string;
  status: string;
  change: string;
  previous: string;
}

export const STATUS_WORD: Record<string, string> = { met: 'met', at_risk: 'at risk', missed: 'missed' };

export function kpiLines(data: ReportData): KpiLine[] {
  return (data.kpis ?? []).map((t) => {
    const d = t.change;
    const unit = t.unit === 'percent' ? 'pts' : (UNIT_LABEL[t.unit] ?? '');
    const sign = d.diff !== null && d.diff > 0 ? '+' : '';
    const p = d.p_value === null ? '' : ` (p ${d.p_value < 0.001 ? '< 0.001' : `= ${d.p_value.toFixed(3)}`})`;
    return {
      metric: t.metric,
      title: t.title,
      value: formatValue(t.current.value, t.unit),
      target: t.current.target === null ? '–' : formatValue(t.current.target, t.unit),
      status: t.current.status === null ? '–' : (STATUS_WORD[t.current.status] ?? t.current.status),
      change: d.diff === null ? '–' : `${sign}${formatValue(d.diff, undefined)} ${unit}${p}`.trim(),
      previous: formatValue(t.previous.value, t.unit),
    };
  });
}

/** Process-change impacts as table rows: change, KPI, before, after, difference with CI, p. */
export function changeLines(data: ReportData): string[][] {
  return (data.changes ?? []).map((i) => {
    const unit = i.unit === 'percent' ? 'pts' : (UNIT_LABEL[i.unit] ?? '');
    const diff =
      i.diff === null
        ? '–'
        : `${i.diff > 0 ? '+' : ''}${formatValue(i.diff, undefined)} ${unit}` +
          (i.ci_low !== null && i.ci_high !== null
            ? ` (${formatValue(i.ci_low, undefined)} to ${formatValue(i.ci_high, undefined)})`
            : '');
    return [
      `${i.change.title} (${i.change.starts_at.slice(0, 10)})`,
      getMetric(i.metric).title,
      formatValue(i.before.value, i.unit),
      formatValue(i.after.value, i.unit),
      diff,
      i.p_value === null ? '–' : i.p_value < 0.001 ? '< 0.001' : i.p_value.toFixed(3),
    ];
  });
}

/** The line under the title: the period and time zone, the filters, how complete the data are. */
export function scopeLine(data: ReportData): string {
  const f = Object.entries(data.filters).map(([d, v]) => `${d.replace('_id', '')} ${v.join(', ')}`);
  return [
    `${data.period.from} to ${data.period.to} (${data.timeZone})`,
    f.length > 0 ? f.join('; ') : 'whole centre',
    `data complete through ${data.completeThrough.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  ].join(' · ');
}
