import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import PDFDocument from 'pdfkit';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { STATUS_COLOURS } from '../charts/base.ts';
import { formatValue, UNIT_LABEL } from '../charts/format.ts';
import { barsSpec, correlationSpec, funnelSpec } from '../charts/groups.ts';
import { trendSpec } from '../charts/time.ts';
import { getMetric } from '../../metrics/catalog.ts';
import type { ReportData } from './content.ts';

/**
 * A report rendered three ways from one set of rows: email-safe HTML (tables and inline styles, charts
 * as PNG images), a PDF with the same tables and charts, and the charts themselves — PNGs drawn on the
 * server from the dashboards' own Vega-Lite specs (vega's SVG output, rasterised by resvg). Fonts are
 * the DejaVu files shipped with the `dejavu-fonts-ttf` package, so a report looks the same on every
 * machine.
 */

const require = createRequire(import.meta.url);
const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
};
const FONT = 'DejaVu Sans';
const CHART_WIDTH = 640;

export interface Chart {
  /** file name stem and email content id */
  id: string;
  title: string;
  png: Buffer;
  width: number;
  height: number;
}

export interface RenderedReport {
  subject: string;
  charts: Chart[];
  /** HTML with each chart's `src` made by `imageSrc` (a `cid:` in email, a file name in a directory). */
  html: (imageSrc: (chart: Chart) => string) => string;
  pdf?: Buffer;
}

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

const STATUS_WORD: Record<string, string> = { met: 'met', at_risk: 'at risk', missed: 'missed' };

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

/** Draw one spec as a PNG: Vega-Lite → Vega → SVG (no browser) → PNG at twice the size, for sharp print. */
export async function chartPng(spec: TopLevelSpec): Promise<{ png: Buffer; width: number; height: number }> {
  const s = spec as unknown as Record<string, unknown>;
  const title = s['title'] as Record<string, unknown> | undefined;
  const fixed = {
    ...s,
    width: s['width'] === 'container' ? CHART_WIDTH : s['width'],
    title: title ? { ...title, font: FONT } : title,
    background: 'white',
    config: { ...(s['config'] as object), font: FONT },
  } as unknown as TopLevelSpec;
  const view = new View(parseVega(compile(fixed).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const image = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: Object.values(FONT_FILES), defaultFontFamily: FONT },
      fitTo: { mode: 'zoom', value: 2 },
    }).render();
    return { png: image.asPng(), width: image.width / 2, height: image.height / 2 };
  } finally {
    view.finalize();
  }
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

// ------------------------------------------------------------------------------------------------ HTML

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

function scopeLine(data: ReportData): string {
  const f = Object.entries(data.filters).map(([d, v]) => `${d.replace('_id', '')} ${v.join(', ')}`);
  return [
    `${data.period.from} to ${data.period.to} (${data.timeZone})`,
    f.length > 0 ? f.join('; ') : 'whole centre',
    `data complete through ${data.completeThrough.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  ].join(' · ');
}

function renderHtml(
  data: ReportData,
  subject: string,
  charts: Chart[],
  imageSrc: (c: Chart) => string,
): string {
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
  const parts: string[] = [];
  if (data.kpis) {
    parts.push(h2('KPIs against targets'));
    parts.push(
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
    );
  }
  if (data.trends) {
    parts.push(h2('Trends'));
    for (const t of data.trends) parts.push(chartOf(`trend-${t.metric.name}`));
  }
  if (data.complaints) {
    const c = data.complaints;
    parts.push(h2('Complaints: closed loop'));
    parts.push(
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
    );
    parts.push(chartOf('complaints-funnel'));
  }
  if (data.sla) {
    const s = data.sla;
    parts.push(h2(`${s.metric.title} by channel`));
    parts.push(
      table(
        ['Channel', 'Value', 'n', 'Status'],
        s.rows.map((r) => [
          esc(String(r['channel'])),
          `<b style="white-space:nowrap;">${esc(formatValue(r.value, s.metric.unit))}</b>`,
          esc(String(r.n)),
          esc(r.status === null ? '–' : (STATUS_WORD[r.status] ?? r.status)),
        ]),
      ),
    );
    parts.push(chartOf('sla-by-channel'));
  }
  if (data.retention) {
    const r = data.retention;
    parts.push(h2('Retention drivers'));
    parts.push(
      `<p style="font-size:13px;color:#4b5563;">${esc(`${r.customers} customers active ${r.from} to ${r.to}, ${r.churned} churned within ${r.horizon_days} days. Correlation is not causation.`)}</p>`,
    );
    parts.push(chartOf('retention-drivers'));
  }
  if (data.changes) {
    parts.push(h2('Process changes'));
    parts.push(
      data.changes.length === 0
        ? `<p style="font-size:14px;">No process change started in the 90 days before ${esc(data.period.to)}.</p>`
        : table(
            ['Change', 'KPI', 'Before', 'After', 'Difference (95 % CI)', 'p'],
            changeLines(data).map((l) => l.map(esc)),
          ),
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(subject)}</title></head>
<body style="margin:0;padding:0;background:#ffffff;">
<table role="presentation" cellpadding="0" cellspacing="0" width="100%"><tr><td align="center">
<table role="presentation" cellpadding="0" cellspacing="0" width="680" style="max-width:680px;font-family:Arial,Helvetica,sans-serif;color:#111827;">
<tr><td style="padding:16px;">
<h1 style="font-size:22px;margin:0 0 4px 0;">${esc(data.title)}</h1>
<p style="font-size:13px;color:#4b5563;margin:0 0 8px 0;">${esc(scopeLine(data))}</p>
${parts.join('\n')}
<p style="font-size:13px;margin-top:24px;"><a href="${esc(data.links.dashboard)}">Open the dashboards for this period</a> · <a href="${esc(data.links.history)}">Report history</a></p>
</td></tr></table>
</td></tr></table>
</body></html>`;
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

// ------------------------------------------------------------------------------------------------- PDF

async function renderPdf(data: ReportData, subject: string, charts: Chart[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: subject, Author: 'cxpulse' } });
  doc.registerFont('body', FONT_FILES.regular);
  doc.registerFont('bold', FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 96;
  const ensure = (h: number) => {
    if (doc.y + h > doc.page.height - 48) doc.addPage();
  };
  const heading = (t: string) => {
    ensure(60);
    doc.moveDown(0.8).font('bold').fontSize(14).fillColor('#111827').text(t, 48);
    doc.moveDown(0.3);
  };
  const table = (head: string[], rows: string[][], widths: number[]) => {
    const row = (cells: string[], bold: boolean) => {
      doc.font(bold ? 'bold' : 'body').fontSize(9);
      const h =
        Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: (widths[i] as number) - 6 }))) + 6;
      ensure(h);
      const y = doc.y;
      let x = 48;
      cells.forEach((c, i) => {
        doc.fillColor('#111827').text(c, x + 3, y + 3, { width: (widths[i] as number) - 6 });
        x += widths[i] as number;
      });
      doc
        .moveTo(48, y + h)
        .lineTo(48 + width, y + h)
        .lineWidth(0.5)
        .strokeColor('#d1d5db')
        .stroke();
      doc.x = 48;
      doc.y = y + h;
    };
    row(head, true);
    for (const r of rows) row(r, false);
  };
  const chart = (id: string) => {
    for (const c of charts.filter((x) => x.id === id)) {
      const w = Math.min(width, c.width * 0.78);
      const h = (c.height / c.width) * w;
      ensure(h + 10);
      doc.image(c.png, 48, doc.y, { width: w });
      doc.y += h + 10;
    }
  };
  const frac = (...f: number[]) => f.map((x) => x * width);

  doc.font('bold').fontSize(20).fillColor('#111827').text(data.title);
  doc.font('body').fontSize(9).fillColor('#4b5563').text(scopeLine(data));
  if (data.kpis) {
    heading('KPIs against targets');
    table(
      ['KPI', 'Value', 'Target', 'Status', `Change vs ${data.previous.from} to ${data.previous.to}`],
      kpiLines(data).map((l) => [l.title, l.value, l.target, l.status, l.change]),
      frac(0.32, 0.14, 0.14, 0.1, 0.3),
    );
  }
  if (data.trends) {
    heading('Trends');
    for (const t of data.trends) chart(`trend-${t.metric.name}`);
  }
  if (data.complaints) {
    const c = data.complaints;
    heading('Complaints: closed loop');
    table(
      ['Measure', 'Value'],
      [
        ...c.funnel.map((s) => [s.stage, String(s.count)]),
        [c.followUp.metric.title, formatValue(c.followUp.value, c.followUp.metric.unit)],
        [c.rate.metric.title, formatValue(c.rate.value, c.rate.metric.unit)],
      ],
      frac(0.6, 0.4),
    );
    chart('complaints-funnel');
  }
  if (data.sla) {
    const s = data.sla;
    heading(`${s.metric.title} by channel`);
    table(
      ['Channel', 'Value', 'n', 'Status'],
      s.rows.map((r) => [
        String(r['channel']),
        formatValue(r.value, s.metric.unit),
        String(r.n),
        r.status === null ? '–' : (STATUS_WORD[r.status] ?? r.status),
      ]),
      frac(0.35, 0.25, 0.2, 0.2),
    );
    chart('sla-by-channel');
  }
  if (data.retention) {
    const r = data.retention;
    heading('Retention drivers');
    doc
      .font('body')
      .fontSize(9)
      .fillColor('#4b5563')
      .text(
        `${r.customers} customers active ${r.from} to ${r.to}, ${r.churned} churned within ${r.horizon_days} days. Correlation is not causation.`,
      );
    doc.moveDown(0.3);
    chart('retention-drivers');
  }
  if (data.changes) {
    heading('Process changes');
    if (data.changes.length === 0)
      doc.font('body').fontSize(9).text(`No process change started in the 90 days before ${data.period.to}.`);
    else
      table(
        ['Change', 'KPI', 'Before', 'After', 'Difference (95 % CI)', 'p'],
        changeLines(data),
        frac(0.26, 0.2, 0.1, 0.1, 0.26, 0.08),
      );
  }
  doc.moveDown(1).font('body').fontSize(8).fillColor('#2563eb').text('Open the dashboards for this period', {
    link: data.links.dashboard,
    underline: true,
  });
  doc.end();
  return done;
}
