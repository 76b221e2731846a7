import type { Translator } from '../../i18n/translator.ts';
import { STATUS_COLOURS } from '../charts/base.ts';
import type { ReportData } from './content.ts';
import {
  changeHead,
  changeLines,
  formatValue,
  instant,
  kpiHead,
  kpiLines,
  metricTitle,
  noChanges,
  retentionNote,
  scopeLine,
  stageName,
  statusWord,
} from './lines.ts';
import type { Chart } from './png.ts';
import { standardsHead, standardsLines } from './standards-lines.ts';
import { agentLines, groupHead, teamLines, teamsWords, type GroupLine } from './teams-lines.ts';

/**
 * A report as email-safe HTML in the recipients' language (`tr`; `lang` on the document): tables and
 * inline styles, charts as images (`imageSrc` names them).
 */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The pieces every section is written with: the words, a table, a heading, the images of a chart. */
interface Html {
  tr: Translator;
  table: (head: string[], rows: string[][]) => string;
  h2: (t: string) => string;
  chartOf: (id: string) => string;
}

function htmlParts(tr: Translator, charts: Chart[], imageSrc: (c: Chart) => string): Html {
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
  return { tr, table, h2, chartOf };
}

export function renderHtml(
  data: ReportData,
  tr: Translator,
  subject: string,
  charts: Chart[],
  imageSrc: (c: Chart) => string,
): string {
  const html = htmlParts(tr, charts, imageSrc);
  const parts: string[] = [];
  if (data.kpis) parts.push(...kpiSection(data, html));
  if (data.trends) {
    parts.push(html.h2(tr.t('reports:heading.trends')));
    for (const t of data.trends) parts.push(html.chartOf(`trend-${t.metric.name}`));
  }
  if (data.complaints) parts.push(...complaintsSection(data.complaints, html));
  if (data.sla) parts.push(...slaSection(data.sla, html));
  if (data.teams) parts.push(...teamsSection(data.teams, html));
  if (data.retention) parts.push(...retentionSection(data.retention, html));
  if (data.changes) parts.push(...changesSection(data, data.changes, html));
  if (data.standards) parts.push(...standardsSection(data.standards, html));
  return `<!doctype html>
<html lang="${esc(tr.locale)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:0;background:#ffffff;">
<table role="presentation" cellpadding="0" cellspacing="0" width="100%"><tr><td align="center">
<table role="presentation" cellpadding="0" cellspacing="0" width="680" style="max-width:680px;font-family:Arial,Helvetica,'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans SC','Noto Sans CJK SC','Source Han Sans SC',sans-serif;color:#111827;">
<tr><td style="padding:16px;">
<h1 style="font-size:22px;margin:0 0 4px 0;">${esc(data.title)}</h1>
<p style="font-size:13px;color:#4b5563;margin:0 0 8px 0;">${esc(scopeLine(data, tr))}</p>
${parts.join('\n')}
<p style="font-size:13px;margin-top:24px;"><a href="${esc(data.links.dashboard)}">${esc(tr.t('reports:link.dashboard'))}</a> · <a href="${esc(data.links.history)}">${esc(tr.t('reports:link.history'))}</a></p>
<p style="font-size:12px;color:#6b7280;">${esc(tr.t('reports:footer', { at: instant(tr, data.generatedAt, data.timeZone) }))}</p>
</td></tr></table>
</td></tr></table>
</body></html>`;
}

function kpiSection(data: ReportData, { tr, table, h2 }: Html): string[] {
  return [
    h2(tr.t('reports:heading.kpis')),
    table(
      kpiHead(data, tr),
      kpiLines(data, tr).map((l) => {
        const tile = data.kpis?.find((t) => t.metric === l.metric);
        const status = tile?.current.status ?? tile?.relative?.status ?? 'none';
        const colour = STATUS_COLOURS[status as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
        return [
          esc(l.title),
          `<b style="white-space:nowrap;">${esc(l.value)}</b>`,
          esc(l.ci),
          esc(l.n),
          esc(l.target),
          `<span style="color:${colour};font-weight:bold;">${esc(l.status)}</span>`,
          esc(l.change),
        ];
      }),
    ),
  ];
}

function complaintsSection(
  c: NonNullable<ReportData['complaints']>,
  { tr, table, h2, chartOf }: Html,
): string[] {
  const measure = (row: (typeof c)['rate']) => [
    esc(metricTitle(tr, row.metric.name, row.metric.title)),
    `<b style="white-space:nowrap;">${esc(formatValue(tr, row.value, row.metric.unit))}</b>`,
  ];
  return [
    h2(tr.t('reports:heading.complaints')),
    table(
      [tr.t('reports:column.measure'), tr.t('reports:column.value')],
      [
        ...c.funnel.map((s) => [esc(stageName(tr, s.stage)), esc(tr.number(s.count))]),
        measure(c.followUp),
        measure(c.rate),
      ],
    ),
    chartOf('complaints-funnel'),
  ];
}

function slaSection(s: NonNullable<ReportData['sla']>, { tr, table, h2, chartOf }: Html): string[] {
  return [
    h2(tr.t('reports:chart.byChannel', { metric: metricTitle(tr, s.metric.name, s.metric.title) })),
    table(
      [
        tr.t('vocabulary:dimension.channel'),
        tr.t('reports:column.value'),
        tr.t('reports:column.n'),
        tr.t('reports:column.status'),
      ],
      s.rows.map((r) => [
        esc(tr.label('channel', r['channel'])),
        `<b style="white-space:nowrap;">${esc(formatValue(tr, r.value, s.metric.unit))}</b>`,
        esc(tr.number(r.n)),
        esc(statusWord(tr, r.status)),
      ]),
    ),
    chartOf('sla-by-channel'),
  ];
}

function teamsSection(t: NonNullable<ReportData['teams']>, { tr, table, h2, chartOf }: Html): string[] {
  const w = teamsWords(t, tr);
  const h3 = (s: string) => `<h3 style="font-size:15px;margin:16px 0 4px 0;color:#111827;">${esc(s)}</h3>`;
  const rows = (lines: GroupLine[]) =>
    lines.map((l) => {
      const colour = STATUS_COLOURS[l.statusKey as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
      const pale = l.lowConfidence ? 'color:#6b7280;' : '';
      return [
        `<span style="${pale}">${esc(l.name)}</span>`,
        `<b style="white-space:nowrap;${pale}">${esc(l.value)}</b>`,
        esc(l.ci),
        esc(l.n),
        esc(l.target),
        `<span style="color:${colour};font-weight:bold;">${esc(l.status)}</span>`,
      ];
    });
  const none = `<p style="font-size:14px;">${esc(w.none)}</p>`;
  const teams = teamLines(t, tr);
  const agents = agentLines(t, tr);
  const low = [...teams, ...agents].some((l) => l.lowConfidence)
    ? `<p style="font-size:12px;color:#6b7280;">${esc(w.lowNote)}</p>`
    : '';
  return [
    h2(w.heading),
    // the chart carries the teams' title; without teams there is no chart
    teams.length === 0 ? h3(w.byTeam) : chartOf('teams-csat'),
    teams.length === 0 ? none : table(groupHead(tr, 'team_id'), rows(teams)),
    h3(w.byAgent),
    agents.length === 0 ? none : table(groupHead(tr, 'agent_id'), rows(agents)),
    low,
  ];
}

function retentionSection(r: NonNullable<ReportData['retention']>, { tr, h2, chartOf }: Html): string[] {
  return [
    h2(tr.t('reports:heading.retention')),
    `<p style="font-size:13px;color:#4b5563;">${esc(retentionNote(r, tr))}</p>`,
    chartOf('retention-drivers'),
  ];
}

function changesSection(
  data: ReportData,
  changes: NonNullable<ReportData['changes']>,
  { tr, table, h2 }: Html,
): string[] {
  return [
    h2(tr.t('reports:heading.changes')),
    changes.length === 0
      ? `<p style="font-size:14px;">${esc(noChanges(data, tr))}</p>`
      : table(
          changeHead(tr),
          changeLines(data, tr).map((l) => l.map(esc)),
        ),
  ];
}

function standardsSection(s: NonNullable<ReportData['standards']>, { tr, table, h2 }: Html): string[] {
  return [
    h2(tr.t('reports:heading.standards')),
    table(
      standardsHead(tr),
      standardsLines(s.rows, tr).map((l) => {
        const colour = STATUS_COLOURS[l.statusKey as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
        return [
          esc(l.clause),
          esc(l.kpi),
          esc(l.target),
          esc(l.value),
          `<span style="color:${colour};font-weight:bold;">${esc(l.status)}</span>`,
          esc(l.baseline),
          esc(l.who),
        ];
      }),
    ),
  ];
}
