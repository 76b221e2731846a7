import type { TopLevelSpec } from 'vega-lite';
import { UNIT_LABEL } from '../charts/format.ts';
import { barsSpec, correlationSpec, funnelSpec } from '../charts/groups.ts';
import { trendSpec } from '../charts/time.ts';
import type { ReportData } from './content.ts';
import { renderHtml } from './html.ts';
import { renderPdf } from './pdf.ts';
import { chartPng, type Chart } from './png.ts';

/**
 * A report rendered three ways from one set of rows: email-safe HTML (tables and inline styles, charts
 * as PNG images; html.ts), a PDF with the same tables and charts (pdf.ts), and the charts themselves —
 * PNGs drawn on the server from the dashboards' own Vega-Lite specs (png.ts). The text the formats
 * share is written once (lines.ts).
 */

export interface RenderedReport {
  subject: string;
  charts: Chart[];
  /** HTML with each chart's `src` made by `imageSrc` (a `cid:` in email, a file name in a directory). */
  html: (imageSrc: (chart: Chart) => string) => string;
  pdf?: Buffer;
}

/** The charts of the report's sections, as Vega-Lite specs (the dashboards' builders). */
export function reportSpecs(data: ReportData): { id: string; title: string; spec: TopLevelSpec }[] {
  const out: { id: string; title: string; spec: TopLevelSpec }[] = [];
  for (const t of data.trends ?? []) {
    out.push({
      id: `trend-${t.metric.name}`,
      title: `${t.metric.title} by ${t.grain}`,
      spec: trendSpec({
        title: `${t.metric.title} by ${t.grain}`,
        unit: UNIT_LABEL[t.metric.unit] ?? t.metric.unit,
        rows: t.rows,
        target: t.metric.target,
        timeUnit: t.grain === 'total' ? 'day' : t.grain,
      }),
    });
  }
  if (data.complaints) {
    out.push({
      id: 'complaints-funnel',
      title: 'Complaints: closed loop',
      spec: funnelSpec({
        title: 'Complaints: accepted → responded → resolved → followed up',
        rows: data.complaints.funnel,
      }),
    });
  }
  if (data.sla && data.sla.rows.length > 0) {
    out.push({
      id: 'sla-by-channel',
      title: `${data.sla.metric.title} by channel`,
      spec: barsSpec({
        title: `${data.sla.metric.title} by channel`,
        unit: UNIT_LABEL[data.sla.metric.unit] ?? data.sla.metric.unit,
        rows: data.sla.rows,
        by: 'channel',
        target: data.sla.metric.target,
        horizontal: true,
      }),
    });
  }
  const drivers = (data.retention?.drivers ?? []).filter((d) => d.r !== null);
  if (drivers.length > 0) {
    out.push({
      id: 'retention-drivers',
      title: 'Retention drivers',
      spec: correlationSpec({
        title: 'Correlation of each experience with churn',
        rows: drivers.map((d) => ({
          feature: d.title,
          r: d.r,
          ci_low: d.ci_low,
          ci_high: d.ci_high,
          p: d.p_value,
          n: d.n,
        })),
      }),
    });
  }
  return out;
}

export async function renderReport(
  data: ReportData,
  opts: { pdf: boolean; subject?: string },
): Promise<RenderedReport> {
  const charts: Chart[] = [];
  for (const c of reportSpecs(data)) charts.push({ id: c.id, title: c.title, ...(await chartPng(c.spec)) });
  const subject =
    opts.subject ??
    `${data.title}: ${data.period.from === data.period.to ? data.period.from : `${data.period.from} to ${data.period.to}`}`;
  return {
    subject,
    charts,
    html: (imageSrc) => renderHtml(data, subject, charts, imageSrc),
    ...(opts.pdf ? { pdf: await renderPdf(data, subject, charts) } : {}),
  };
}
