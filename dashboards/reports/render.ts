import type { TopLevelSpec } from 'vega-lite';
import { translator, type Translator } from '../../i18n/translator.ts';
import { barsSpec, correlationSpec, funnelSpec } from '../charts/groups.ts';
import { trendSpec } from '../charts/time.ts';
import type { ReportData } from './content.ts';
import { renderHtml } from './html.ts';
import { driverTitle, metricTitle, periodText, stageName, unitLabel } from './lines.ts';
import { renderPdf } from './pdf.ts';
import { chartPng, type Chart } from './png.ts';
import { teamsWords } from './teams-lines.ts';

/**
 * A report rendered three ways from one set of rows, in the recipients' language (the definition's
 * `locale`): email-safe HTML (tables and inline styles, charts as PNG images; html.ts), a PDF with the
 * same tables and charts (pdf.ts), and the charts themselves — PNGs drawn on the server from the
 * dashboards' own Vega-Lite specs with the language's number and time formats (png.ts). The text the
 * formats share is written once (lines.ts).
 */

export interface RenderedReport {
  subject: string;
  charts: Chart[];
  /** HTML with each chart's `src` made by `imageSrc` (a `cid:` in email, a file name in a directory). */
  html: (imageSrc: (chart: Chart) => string) => string;
  /** the plain-text part of an email: the subject and the link to the dashboards */
  text: string;
  pdf?: Buffer;
}

type ReportChart = { id: string; title: string; spec: TopLevelSpec };

/** The charts of the report's sections, as Vega-Lite specs (the dashboards' builders) in `tr`'s words. */
export function reportSpecs(data: ReportData, tr: Translator): ReportChart[] {
  const out: ReportChart[] = [];
  for (const t of data.trends ?? []) {
    const title = tr.t('reports:chart.trend', {
      metric: metricTitle(tr, t.metric.name, t.metric.title),
      grain: tr.t(`reports:grain.${t.grain}`),
    });
    out.push({
      id: `trend-${t.metric.name}`,
      title,
      spec: trendSpec({
        title,
        unit: unitLabel(tr, t.metric.unit),
        rows: t.rows,
        target: t.metric.target,
        timeUnit: t.grain === 'total' ? 'day' : t.grain,
        annotations: (t.definitionChanges ?? []).map((c) => ({
          date: c.day,
          title: tr.t(`charts:definitionChange.${c.what}`),
        })),
        tr,
      }),
    });
  }
  if (data.complaints) out.push(funnelChart(data.complaints.funnel, tr));
  if (data.sla && data.sla.rows.length > 0) {
    const m = data.sla.metric;
    const title = tr.t('reports:chart.byChannel', { metric: metricTitle(tr, m.name, m.title) });
    out.push({
      id: 'sla-by-channel',
      title,
      spec: barsSpec({
        title,
        unit: unitLabel(tr, m.unit),
        rows: data.sla.rows,
        by: 'channel',
        target: m.target,
        horizontal: true,
        tr,
      }),
    });
  }
  if (data.teams && data.teams.teams.length > 0) out.push(teamsChart(data.teams, tr));
  const drivers = (data.retention?.drivers ?? []).filter((d) => d.r !== null);
  if (drivers.length > 0) out.push(retentionChart(drivers, tr));
  return out;
}

function funnelChart(funnel: { stage: string; count: number }[], tr: Translator): ReportChart {
  return {
    id: 'complaints-funnel',
    title: tr.t('reports:chart.funnelShort'),
    spec: funnelSpec({
      title: tr.t('reports:chart.funnel'),
      rows: funnel.map((s) => ({ ...s, stage: stageName(tr, s.stage) })),
      tr,
    }),
  };
}

function teamsChart(t: NonNullable<ReportData['teams']>, tr: Translator): ReportChart {
  const title = teamsWords(t, tr).byTeam;
  return {
    id: 'teams-csat',
    title,
    spec: barsSpec({
      title,
      unit: unitLabel(tr, t.metric.unit),
      // the answers without a team are in the table, not drawn as a nameless bar
      rows: t.teams.filter((r) => r['team_id'] !== '' && r['team_id'] != null),
      by: 'team_id',
      target: t.metric.target,
      horizontal: true,
      tr,
    }),
  };
}

function retentionChart(
  drivers: NonNullable<ReportData['retention']>['drivers'],
  tr: Translator,
): ReportChart {
  return {
    id: 'retention-drivers',
    title: tr.t('reports:chart.retentionShort'),
    spec: correlationSpec({
      title: tr.t('reports:chart.retention'),
      rows: drivers.map((d) => ({
        feature: driverTitle(tr, d.feature, d.title),
        r: d.r,
        ci_low: d.ci_low,
        ci_high: d.ci_high,
        p: d.p_value,
        n: d.n,
      })),
      tr,
    }),
  };
}

export async function renderReport(
  data: ReportData,
  opts: { pdf: boolean; subject?: string },
): Promise<RenderedReport> {
  const tr = translator(data.locale, data.names);
  const charts: Chart[] = [];
  for (const c of reportSpecs(data, tr))
    charts.push({ id: c.id, title: c.title, ...(await chartPng(c.spec, { locale: data.locale })) });
  const subject =
    opts.subject ?? tr.t('reports:subject', { title: data.title, period: periodText(tr, data.period) });
  return {
    subject,
    charts,
    html: (imageSrc) => renderHtml(data, tr, subject, charts, imageSrc),
    text: `${subject}\n\n${tr.t('reports:link.dashboard')}: ${data.links.dashboard}\n`,
    ...(opts.pdf ? { pdf: await renderPdf(data, tr, subject, charts) } : {}),
  };
}
