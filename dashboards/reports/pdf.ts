import PDFDocument from 'pdfkit';
import type { Translator } from '../../i18n/translator.ts';
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
import { CJK_FONT_FILES, FONT_FILES, hasCjk } from './fonts.ts';
import type { Chart } from './png.ts';
import { standardsHead, standardsLines } from './standards-lines.ts';
import { agentLines, groupHead, teamLines, teamsWords, type GroupLine } from './teams-lines.ts';

/**
 * A report as a PDF (pdfkit, A4) in the recipients' language (`tr`): the same tables and charts as the
 * HTML. Text is set in DejaVu Sans; a
 * piece of text holding Chinese in Noto Sans SC (which has Latin glyphs too), of which pdfkit embeds only
 * the glyphs used — a subset, so a Chinese report stays small.
 */

type Face = 'body' | 'bold';
/** Select the font for `text` (the CJK face when it holds CJK characters) and return the document. */
const face = (doc: PDFKit.PDFDocument, f: Face, text: string) => doc.font(hasCjk(text) ? `${f}-cjk` : f);

/** The pieces every section is drawn with: the document, a heading, a table, a chart, column widths. */
interface Pdf {
  tr: Translator;
  doc: PDFKit.PDFDocument;
  heading: (t: string) => void;
  table: (head: string[], rows: string[][], widths: number[]) => void;
  chart: (id: string) => void;
  /** column widths as fractions of the text width */
  frac: (...f: number[]) => number[];
}

function pdfParts(doc: PDFKit.PDFDocument, tr: Translator, charts: Chart[]): Pdf {
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
    // the head stays with at least its first row
    ensure(44);
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
  return { tr, doc, heading, table, chart, frac };
}

export async function renderPdf(
  data: ReportData,
  tr: Translator,
  subject: string,
  charts: Chart[],
): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 48,
    lang: tr.locale,
    info: { Title: subject, Author: 'cxpulse' },
  });
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
  const pdf = pdfParts(doc, tr, charts);

  face(doc, 'bold', data.title).fontSize(20).fillColor('#111827').text(data.title);
  const scope = scopeLine(data, tr);
  face(doc, 'body', scope).fontSize(9).fillColor('#4b5563').text(scope);
  if (data.kpis) kpiSection(data, pdf);
  if (data.trends) {
    pdf.heading(tr.t('reports:heading.trends'));
    for (const t of data.trends) pdf.chart(`trend-${t.metric.name}`);
  }
  if (data.complaints) complaintsSection(data.complaints, pdf);
  if (data.sla) slaSection(data.sla, pdf);
  if (data.teams) teamsSection(data.teams, pdf);
  if (data.retention) retentionSection(data.retention, pdf);
  if (data.changes) changesSection(data, data.changes, pdf);
  if (data.standards) standardsSection(data.standards, pdf);
  footer(data, pdf);
  doc.end();
  return done;
}

/** The links to the dashboards and the run history, and when the report was made. */
function footer(data: ReportData, { tr, doc }: Pdf): void {
  const link = (text: string, url: string) =>
    face(doc, 'body', text).fontSize(8).fillColor('#2563eb').text(text, { link: url, underline: true });
  doc.moveDown(1);
  link(tr.t('reports:link.dashboard'), data.links.dashboard);
  link(tr.t('reports:link.history'), data.links.history);
  const made = tr.t('reports:footer', { at: instant(tr, data.generatedAt, data.timeZone) });
  face(doc.moveDown(0.5), 'body', made).fontSize(8).fillColor('#6b7280').text(made, { underline: false });
}

function kpiSection(data: ReportData, { tr, heading, table, frac }: Pdf): void {
  heading(tr.t('reports:heading.kpis'));
  table(
    kpiHead(data, tr),
    kpiLines(data, tr).map((l) => [l.title, l.value, l.ci, l.n, l.target, l.status, l.change]),
    frac(0.26, 0.12, 0.14, 0.08, 0.1, 0.08, 0.22),
  );
}

function complaintsSection(
  c: NonNullable<ReportData['complaints']>,
  { tr, heading, table, chart, frac }: Pdf,
): void {
  heading(tr.t('reports:heading.complaints'));
  const measure = (row: (typeof c)['rate']) => [
    metricTitle(tr, row.metric.name, row.metric.title),
    formatValue(tr, row.value, row.metric.unit),
  ];
  table(
    [tr.t('reports:column.measure'), tr.t('reports:column.value')],
    [
      ...c.funnel.map((s) => [stageName(tr, s.stage), tr.number(s.count)]),
      measure(c.followUp),
      measure(c.rate),
    ],
    frac(0.6, 0.4),
  );
  chart('complaints-funnel');
}

function slaSection(s: NonNullable<ReportData['sla']>, { tr, heading, table, chart, frac }: Pdf): void {
  heading(tr.t('reports:chart.byChannel', { metric: metricTitle(tr, s.metric.name, s.metric.title) }));
  table(
    [
      tr.t('vocabulary:dimension.channel'),
      tr.t('reports:column.value'),
      tr.t('reports:column.n'),
      tr.t('reports:column.status'),
    ],
    s.rows.map((r) => [
      tr.label('channel', r['channel']),
      formatValue(tr, r.value, s.metric.unit),
      tr.number(r.n),
      statusWord(tr, r.status),
    ]),
    frac(0.35, 0.25, 0.2, 0.2),
  );
  chart('sla-by-channel');
}

function teamsSection(
  t: NonNullable<ReportData['teams']>,
  { tr, doc, heading, table, chart, frac }: Pdf,
): void {
  const w = teamsWords(t, tr);
  const sub = (s: string) => {
    face(doc.moveDown(0.4), 'bold', s).fontSize(11).fillColor('#111827').text(s, 48);
    doc.moveDown(0.2);
  };
  const widths = frac(0.22, 0.12, 0.18, 0.1, 0.1, 0.28);
  const group = (lines: GroupLine[], dimension: 'team_id' | 'agent_id') => {
    if (lines.length === 0) face(doc, 'body', w.none).fontSize(9).text(w.none, 48);
    else
      table(
        groupHead(tr, dimension),
        lines.map((l) => [l.name, l.value, l.ci, l.n, l.target, l.status]),
        widths,
      );
  };
  const teams = teamLines(t, tr);
  const agents = agentLines(t, tr);
  heading(w.heading);
  // the chart carries the teams' title; without teams there is no chart
  if (teams.length === 0) sub(w.byTeam);
  else chart('teams-csat');
  group(teams, 'team_id');
  sub(w.byAgent);
  group(agents, 'agent_id');
  if ([...teams, ...agents].some((l) => l.lowConfidence))
    face(doc.moveDown(0.3), 'body', w.lowNote).fontSize(8).fillColor('#6b7280').text(w.lowNote, 48);
}

function retentionSection(r: NonNullable<ReportData['retention']>, { tr, doc, heading, chart }: Pdf): void {
  heading(tr.t('reports:heading.retention'));
  const note = retentionNote(r, tr);
  face(doc, 'body', note).fontSize(9).fillColor('#4b5563').text(note);
  doc.moveDown(0.3);
  chart('retention-drivers');
}

function changesSection(
  data: ReportData,
  changes: NonNullable<ReportData['changes']>,
  { tr, doc, heading, table, frac }: Pdf,
): void {
  heading(tr.t('reports:heading.changes'));
  const none = noChanges(data, tr);
  if (changes.length === 0) face(doc, 'body', none).fontSize(9).text(none);
  else table(changeHead(tr), changeLines(data, tr), frac(0.26, 0.2, 0.1, 0.1, 0.26, 0.08));
}

function standardsSection(s: NonNullable<ReportData['standards']>, { tr, heading, table, frac }: Pdf): void {
  heading(tr.t('reports:heading.standards'));
  table(
    standardsHead(tr),
    standardsLines(s.rows, tr).map((l) => [l.clause, l.kpi, l.target, l.value, l.status, l.baseline, l.who]),
    frac(0.2, 0.12, 0.14, 0.16, 0.08, 0.16, 0.14),
  );
}
