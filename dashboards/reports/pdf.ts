import PDFDocument from 'pdfkit';
import { formatValue } from '../charts/format.ts';
import type { ReportData } from './content.ts';
import { changeLines, kpiLines, scopeLine, STATUS_WORD } from './lines.ts';
import { CJK_FONT_FILES, FONT_FILES, hasCjk } from './fonts.ts';
import type { Chart } from './png.ts';

/**
 * A report as a PDF (pdfkit, A4): the same tables and charts as the HTML. Text is set in DejaVu Sans; a
 * piece of text holding Chinese in Noto Sans SC (which has Latin glyphs too), of which pdfkit embeds only
 * the glyphs used — a subset, so a Chinese report stays small.
 */

type Face = 'body' | 'bold';
/** Select the font for `text` (the CJK face when it holds CJK characters) and return the document. */
const face = (doc: PDFKit.PDFDocument, f: Face, text: string) => doc.font(hasCjk(text) ? `${f}-cjk` : f);

/** The pieces every section is drawn with: the document, a heading, a table, a chart, column widths. */
interface Pdf {
  doc: PDFKit.PDFDocument;
  heading: (t: string) => void;
  table: (head: string[], rows: string[][], widths: number[]) => void;
  chart: (id: string) => void;
  /** column widths as fractions of the text width */
  frac: (...f: number[]) => number[];
}

function pdfParts(doc: PDFKit.PDFDocument, charts: Chart[]): Pdf {
  const width = doc.page.width - 96;
  const ensure = (h: number) => {
    if (doc.y + h > doc.page.height - 48) doc.addPage();
  };
  const heading = (t: string) => {
    ensure(60);
    face(doc.moveDown(0.8), 'bold', t).fontSize(14).fillColor('#111827').text(t, 48);
    doc.moveDown(0.3);
  };
  const table = (head: string[], rows: string[][], widths: number[]) => {
    const row = (cells: string[], bold: boolean) => {
      const f: Face = bold ? 'bold' : 'body';
      doc.fontSize(9);
      const h =
        Math.max(
          ...cells.map((c, i) => face(doc, f, c).heightOfString(c, { width: (widths[i] as number) - 6 })),
        ) + 6;
      ensure(h);
      const y = doc.y;
      let x = 48;
      cells.forEach((c, i) => {
        face(doc, f, c)
          .fillColor('#111827')
          .text(c, x + 3, y + 3, { width: (widths[i] as number) - 6 });
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
  return { doc, heading, table, chart, frac };
}

export async function renderPdf(data: ReportData, subject: string, charts: Chart[]): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 48, info: { Title: subject, Author: 'cxpulse' } });
  doc.registerFont('body', FONT_FILES.regular);
  doc.registerFont('bold', FONT_FILES.bold);
  doc.registerFont('body-cjk', CJK_FONT_FILES.regular);
  doc.registerFont('bold-cjk', CJK_FONT_FILES.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const pdf = pdfParts(doc, charts);

  face(doc, 'bold', data.title).fontSize(20).fillColor('#111827').text(data.title);
  const scope = scopeLine(data);
  face(doc, 'body', scope).fontSize(9).fillColor('#4b5563').text(scope);
  if (data.kpis) kpiSection(data, pdf);
  if (data.trends) {
    pdf.heading('Trends');
    for (const t of data.trends) pdf.chart(`trend-${t.metric.name}`);
  }
  if (data.complaints) complaintsSection(data.complaints, pdf);
  if (data.sla) slaSection(data.sla, pdf);
  if (data.retention) retentionSection(data.retention, pdf);
  if (data.changes) changesSection(data, data.changes, pdf);
  doc.moveDown(1).font('body').fontSize(8).fillColor('#2563eb').text('Open the dashboards for this period', {
    link: data.links.dashboard,
    underline: true,
  });
  doc.end();
  return done;
}

function kpiSection(data: ReportData, { heading, table, frac }: Pdf): void {
  heading('KPIs against targets');
  table(
    ['KPI', 'Value', 'Target', 'Status', `Change vs ${data.previous.from} to ${data.previous.to}`],
    kpiLines(data).map((l) => [l.title, l.value, l.target, l.status, l.change]),
    frac(0.32, 0.14, 0.14, 0.1, 0.3),
  );
}

function complaintsSection(
  c: NonNullable<ReportData['complaints']>,
  { heading, table, chart, frac }: Pdf,
): void {
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

function slaSection(s: NonNullable<ReportData['sla']>, { heading, table, chart, frac }: Pdf): void {
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

function retentionSection(r: NonNullable<ReportData['retention']>, { doc, heading, chart }: Pdf): void {
  heading('Retention drivers');
  const note = `${r.customers} customers active ${r.from} to ${r.to}, ${r.churned} churned within ${r.horizon_days} days. Correlation is not causation.`;
  face(doc, 'body', note).fontSize(9).fillColor('#4b5563').text(note);
  doc.moveDown(0.3);
  chart('retention-drivers');
}

function changesSection(
  data: ReportData,
  changes: NonNullable<ReportData['changes']>,
  { doc, heading, table, frac }: Pdf,
): void {
  heading('Process changes');
  const none = `No process change started in the 90 days before ${data.period.to}.`;
  if (changes.length === 0) face(doc, 'body', none).fontSize(9).text(none);
  else
    table(
      ['Change', 'KPI', 'Before', 'After', 'Difference (95 % CI)', 'p'],
      changeLines(data),
      frac(0.26, 0.2, 0.1, 0.1, 0.26, 0.08),
    );
}
