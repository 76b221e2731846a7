import { STATUS_COLOURS } from '../charts/base.ts';
import { formatValue } from '../charts/format.ts';
import type { ReportData } from './content.ts';
import { changeLines, kpiLines, scopeLine, STATUS_WORD } from './lines.ts';
import type { Chart } from './png.ts';

/** A report as email-safe HTML: tables and inline styles, charts as images (`imageSrc` names them). */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The pieces every section is written with: a table, a heading, the images of a chart. */
interface Html {
  table: (head: string[], rows: string[][]) => string;
  h2: (t: string) => string;
  chartOf: (id: string) => string;
}

function htmlParts(charts: Chart[], imageSrc: (c: Chart) => string): Html {
  const td = 'padding:6px 10px;border-bottom:1px solid #e5e7eb;font-size:14px;';
  const th = `${td}text-align:left;color:#374151;font-weight:bold;background:#f3f4f6;`;
  const table = (head: string[], rows: string[][]) =>
    `<table role="presentation" cellpadding="0" cellspacing="0" width="100%" style="border-collapse:collapse;margin:8px 0 20px 0;">` +
    `<tr>${head.map((h) => `<th style="${th}">${esc(h)}</th>`).join('')}</tr>` +
    rows.map((r) => `<tr>${r.map((c) => `<td style="${td}">${c}</td>`).join('')}</tr>`).join('') +
    `</table>`;
  const h2 = (t: string) => `<h2 style="font-size:18px;margin:24px 0 4px 0;color:#111827;">${esc(t)}</h2>`;
  const img = (c: Chart) =>
    `<img src="${esc(imageSrc(c))}" alt="${esc(c.title)}" width="${c.width}" style="display:block;max-width:100%;height:auto;border:0;margin:8px 0 16px 0;">`;
  const chartOf = (id: string) =>
    charts
      .filter((c) => c.id === id)
      .map(img)
      .join('');
  return { table, h2, chartOf };
}

export function renderHtml(
  data: ReportData,
  subject: string,
  charts: Chart[],
  imageSrc: (c: Chart) => string,
): string {
  const html = htmlParts(charts, imageSrc);
  const parts: string[] = [];
  if (data.kpis) parts.push(...kpiSection(data, html));
  if (data.trends) {
    parts.push(html.h2('Trends'));
    for (const t of data.trends) parts.push(html.chartOf(`trend-${t.metric.name}`));
  }
  if (data.complaints) parts.push(...complaintsSection(data.complaints, html));
  if (data.sla) parts.push(...slaSection(data.sla, html));
  if (data.retention) parts.push(...retentionSection(data.retention, html));
  if (data.changes) parts.push(...changesSection(data, data.changes, html));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:0;background:#ffffff;">
<table role="presentation" cellpadding="0" cellspacing="0" width="100%"><tr><td align="center">
<table role="presentation" cellpadding="0" cellspacing="0" width="680" style="max-width:680px;font-family:Arial,Helvetica,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC',sans-serif;color:#111827;">
<tr><td style="padding:16px;">
<h1 style="font-size:22px;margin:0 0 4px 0;">${esc(data.title)}</h1>
<p style="font-size:13px;color:#4b5563;margin:0 0 8px 0;">${esc(scopeLine(data))}</p>
${parts.join('\n')}
<p style="font-size:13px;margin-top:24px;"><a href="${esc(data.links.dashboard)}">Open the dashboards for this period</a> · <a href="${esc(data.links.history)}">Report history</a></p>
</td></tr></table>
</td></tr></table>
</body></html>`;
}

function kpiSection(data: ReportData, { table, h2 }: Html): string[] {
  return [
    h2('KPIs against targets'),
    table(
      ['KPI', 'Value', 'Target', 'Status', `Change vs ${data.previous.from} to ${data.previous.to}`],
      kpiLines(data).map((l) => {
        const tile = data.kpis?.find((t) => t.metric === l.metric);
        const colour = STATUS_COLOURS[(tile?.current.status ?? 'none') as keyof typeof STATUS_COLOURS];
        return [
          esc(l.title),
          `<b style="white-space:nowrap;">${esc(l.value)}</b>`,
          esc(l.target),
          `<span style="color:${colour};font-weight:bold;">${esc(l.status)}</span>`,
          esc(l.change),
        ];
      }),
    ),
  ];
}

function complaintsSection(c: NonNullable<ReportData['complaints']>, { table, h2, chartOf }: Html): string[] {
  return [
    h2('Complaints: closed loop'),
    table(
      ['Measure', 'Value'],
      [
        ...c.funnel.map((s) => [esc(s.stage), esc(String(s.count))]),
        [
          esc(c.followUp.metric.title),
          `<b style="white-space:nowrap;">${esc(formatValue(c.followUp.value, c.followUp.metric.unit))}</b>`,
        ],
        [
          esc(c.rate.metric.title),
          `<b style="white-space:nowrap;">${esc(formatValue(c.rate.value, c.rate.metric.unit))}</b>`,
        ],
      ],
    ),
    chartOf('complaints-funnel'),
  ];
}

function slaSection(s: NonNullable<ReportData['sla']>, { table, h2, chartOf }: Html): string[] {
  return [
    h2(`${s.metric.title} by channel`),
    table(
      ['Channel', 'Value', 'n', 'Status'],
      s.rows.map((r) => [
        esc(String(r['channel'])),
        `<b style="white-space:nowrap;">${esc(formatValue(r.value, s.metric.unit))}</b>`,
        esc(String(r.n)),
        esc(r.status === null ? '–' : (STATUS_WORD[r.status] ?? r.status)),
      ]),
    ),
    chartOf('sla-by-channel'),
  ];
}

function retentionSection(r: NonNullable<ReportData['retention']>, { h2, chartOf }: Html): string[] {
  return [
    h2('Retention drivers'),
    `<p style="font-size:13px;color:#4b5563;">${esc(`${r.customers} customers active ${r.from} to ${r.to}, ${r.churned} churned within ${r.horizon_days} days. Correlation is not causation.`)}</p>`,
    chartOf('retention-drivers'),
  ];
}

function changesSection(
  data: ReportData,
  changes: NonNullable<ReportData['changes']>,
  { table, h2 }: Html,
): string[] {
  return [
    h2('Process changes'),
    changes.length === 0
      ? `<p style="font-size:14px;">No process change started in the 90 days before ${esc(data.period.to)}.</p>`
      : table(
          ['Change', 'KPI', 'Before', 'After', 'Difference (95 % CI)', 'p'],
          changeLines(data).map((l) => l.map(esc)),
        ),
  ];
}
