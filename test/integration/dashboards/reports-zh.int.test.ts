import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { barsSpec } from '../../../dashboards/charts/groups.ts';
import type { ReportData } from '../../../dashboards/reports/content.ts';
import { FONT_FILES } from '../../../dashboards/reports/fonts.ts';
import { chartPng } from '../../../dashboards/reports/png.ts';
import { renderReport } from '../../../dashboards/reports/render.ts';
import type { RunRecord } from '../../../dashboards/reports/runs.ts';
import { translator } from '../../../i18n/translator.ts';
import { OVERVIEW_METRICS } from '../../../metrics/answer/overview.ts';
import { toRow } from '../../../ingest/rows.ts';
import { ClickHouseSink, rowLine } from '../../../ingest/sink.ts';
import { generateSample } from '../../../sample/index.ts';
import { refreshRollups } from '../../../transforms/refresh.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';
import { waitFor } from '../../helpers/wait.ts';
import { mailSink, type MailSink } from '../../helpers/mail-sink.ts';

/**
 * Chinese in reports: a report with `locale: zh-CN` (on a server whose CXPULSE_LOCALE is English),
 * named and titled in Chinese, filtered on a Chinese region, over events whose regions and teams are
 * Chinese, run by the real engine and emailed to a real SMTP server on loopback. Its subject, headings,
 * KPI titles and status words are the zh-CN catalogue's; the PDF's text reads back with pdftotext and
 * embeds a Noto Sans SC subset; the PNG charts draw the characters with real glyphs and Chinese formats.
 */

const ARTIFACTS = path.resolve('test-artifacts/reports');
const NAME = '周报';
const TITLE = '客户满意度周报 华北';
const REGIONS = ['华北', '华南'] as const;
const TEAMS = ['华北一组', '华南二组'] as const;

let rt: Runtime;
let base: string;
let dir: string;
let smtp: MailSink;
/** The zh-CN catalogue: what the report must say, looked up independently of the renderer. */
const zh = translator('zh-CN');
const zhDay = (d: string) =>
  new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium', timeZone: 'UTC' }).format(
    new Date(`${d}T00:00:00Z`),
  );

const today = new Date().toISOString().slice(0, 10);
const shift = (d: string, k: number) => new Date(Date.parse(d) + k * 86_400_000).toISOString().slice(0, 10);
const FROM = shift(today, -28);
const TO = shift(today, -1);

/** A few weeks of the sample centre's events, renamed: customers in 华北 or 华南, teams 华北一组 or 华南二组. */
async function loadChineseEvents(): Promise<void> {
  const ch = await rt.clickhouseUp();
  const start = new Date(Date.now() - 40 * 86_400_000);
  start.setUTCHours(0, 0, 0, 0);
  const rows: Record<string, string[]> = { interactions: [], surveys: [], customers: [] };
  let i = 0;
  for (const e of generateSample({ seed: 23, customers: 80, days: 40, start, timeZone: rt.cfg.timeZone })) {
    if (Date.parse(e.occurred_at) > Date.now()) continue;
    const r = { ...e } as unknown as Record<string, unknown>;
    for (const k of ['event_id', 'customer_id', 'interaction_id'])
      if (typeof r[k] === 'string') r[k] = `zh-${r[k] as string}`;
    if ('region' in r) r['region'] = REGIONS[i % 2];
    for (const k of ['team_id', 'to_team_id', 'from_team_id'])
      // the sample's t1…t6: odd to 华南二组, even to 华北一组
      if (typeof r[k] === 'string' && r[k] !== '') r[k] = TEAMS[(Number((r[k] as string).slice(1)) + 1) % 2];
    const { table, row } = toRow(r as unknown as typeof e, { topic: 't', partition: 0, offset: String(i++) });
    rows[table]!.push(rowLine(row));
  }
  await new ClickHouseSink(ch, rt.cfg.clickhouse.database).write({ rows, dlq: [] });
  await refreshRollups(ch, rt.cfg, { overlapMs: 0 });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cxpulse-reports-zh-'));
  smtp = await mailSink();
  const file = path.join(dir, 'reports.yaml');
  writeFileSync(
    file,
    `reports:
  - name: ${NAME}
    title: ${TITLE}
    locale: zh-CN
    schedule: { cron: '0 8 * * 1', timezone: Asia/Shanghai }
    period: last_week
    sections: [kpis, trends, complaints, sla, teams]
    trends: [csat]
    filters: { region: 华北 }
    formats: [html, pdf]
    email: { to: [zongjian@example.com] }
    directory: { path: out }
`,
  );
  ({ rt, base } = await dashboardServer({
    REPORTS_FILE: file,
    // the report's own locale wins over the centre's default
    CXPULSE_LOCALE: 'en',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_TLS: 'none',
  }));
  await loadChineseEvents();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await rt?.close();
  await smtp?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a report titled in Chinese, filtered on a Chinese region', () => {
  let root: string;
  let pdfFile: string;
  let pdfText: string;
  let mail: ParsedMail;

  beforeAll(async () => {
    const res = await fetch(`${base}/api/v1/reports/${encodeURIComponent(NAME)}/run?period=${FROM}..${TO}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.editor}` },
    });
    expect(res.status).toBe(202);
    const runKey = ((await res.json()) as { run_key: string }).run_key;
    const done = await waitFor(
      'the Chinese report run',
      async () => {
        const r = await fetch(`${base}/api/v1/reports/runs?run_key=${encodeURIComponent(runKey)}`, {
          headers: { authorization: `Bearer ${TOKENS.viewer}` },
        });
        return ((await r.json()) as { runs: RunRecord[] }).runs[0];
      },
      (r) => r !== undefined && (r.status === 'succeeded' || r.status === 'failed'),
      { timeoutMs: 120_000 },
    );
    expect(done?.error).toBe('');
    expect(done?.status).toBe('succeeded');
    const reportDir = path.join(dir, 'out', NAME);
    root = path.join(reportDir, readdirSync(reportDir)[0] as string);
    pdfFile = path.join(ARTIFACTS, 'zh.pdf');
    copyFileSync(path.join(root, `${NAME}_${FROM}_${TO}.pdf`), pdfFile);
    pdfText = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    expect(smtp.mails).toHaveLength(1);
    mail = await simpleParser(smtp.mails[0] as Buffer, { skipImageLinks: true });
  }, 180_000);

  const period = () => zh.t('reports:period', { from: zhDay(FROM), to: zhDay(TO) });

  it('emails it with the subject in Chinese: the title and the period in Chinese dates', () => {
    expect(mail.subject).toBe(zh.t('reports:subject', { title: TITLE, period: period() }));
    expect(mail.subject).toMatch(/年.*月.*日 至 .*年.*月.*日$/);
    expect(mail.text).toContain(zh.t('reports:link.dashboard'));
    expect(String(mail.html)).toContain('<html lang="zh-CN">');
  });

  it('writes a PDF whose text reads back in Chinese: title, period, region, headings, columns', () => {
    expect(pdfText).toContain(TITLE);
    expect(pdfText).toContain(period());
    const region = zh.t('reports:scope.filter', {
      dimension: zh.t('vocabulary:dimension.region'),
      values: '华北',
    });
    expect(region).toBe('地区：华北');
    expect(pdfText).toContain(region);
    for (const key of ['kpis', 'trends', 'complaints'])
      expect(pdfText, key).toContain(zh.t(`reports:heading.${key}`));
    for (const key of ['value', 'target', 'status'])
      expect(pdfText, key).toContain(zh.t(`reports:column.${key}`));
    for (const stage of ['accepted', 'resolved', 'followed_up'])
      expect(pdfText, stage).toContain(zh.t(`reports:stage.${stage}`));
    expect(pdfText).not.toMatch(/KPIs against targets|Trends|whole centre|data complete through/);
  });

  it('names each KPI by its catalogue title and writes its status word in Chinese', async () => {
    const res = await fetch(
      `${base}/api/v1/overview?from=${FROM}&to=${TO}&region=${encodeURIComponent('华北')}`,
      { headers: { authorization: `Bearer ${TOKENS.viewer}` } },
    );
    expect(res.status).toBe(200);
    const tiles = (
      (await res.json()) as { tiles: { metric: string; title: string; current: { status: string | null } }[] }
    ).tiles;
    expect(tiles.map((t) => t.metric)).toEqual([...OVERVIEW_METRICS]);
    const flat = pdfText.replace(/\s+/g, '');
    for (const t of tiles) {
      const key = `metrics:${t.metric}.title`;
      const title = zh.has(key) ? zh.t(key) : t.title;
      // a long title wraps in its column: its first characters are on one line
      expect(flat, t.metric).toContain(title.replace(/\s+/g, '').slice(0, 6));
      if (t.current.status)
        expect(pdfText, t.metric).toContain(zh.t(`vocabulary:status.${t.current.status}`));
    }
    expect(tiles.some((t) => t.current.status !== null)).toBe(true);
  });

  it('shows CSAT by team under the zh-CN heading, the teams by their Chinese names', () => {
    const csat = zh.has('metrics:csat.title') ? zh.t('metrics:csat.title') : 'CSAT';
    const flat = pdfText.replace(/\s+/g, '');
    expect(flat).toContain(zh.t('reports:heading.teams', { metric: csat }).replace(/\s+/g, ''));
    expect(flat).toContain(zh.t('reports:teams.byAgent', { metric: csat }).replace(/\s+/g, ''));
    const section = pdfText.slice(pdfText.indexOf(zh.t('reports:heading.teams', { metric: csat })));
    for (const team of TEAMS) expect(section, team).toContain(team);
    expect(section).toContain(zh.t('vocabulary:dimension.team_id'));
    expect(section).toContain(zh.t('vocabulary:dimension.agent_id'));
  });

  it('embeds a subset of the CJK font, and stays small', () => {
    const fonts = execFileSync('pdffonts', [pdfFile], { encoding: 'utf8' }).split('\n').slice(2);
    const cjk = fonts.filter((l) => /^[A-Z]{6}\+NotoSansSC/.test(l));
    expect(cjk.length, fonts.join('\n')).toBeGreaterThanOrEqual(1);
    // columns: name type encoding emb sub uni object ID
    for (const l of cjk) expect(l.split(/\s+/).slice(-5, -2), l).toEqual(['yes', 'yes', 'yes']);
    const size = readFileSync(pdfFile).length;
    console.info(`zh.pdf: ${size} bytes`);
    expect(size).toBeLessThan(1_000_000);
  });

  it('draws the PDF page to PNG for a person to look at', () => {
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '70',
      '-f',
      '1',
      '-l',
      '1',
      pdfFile,
      path.join(ARTIFACTS, 'zh-page'),
    ]);
    expect(readdirSync(ARTIFACTS).some((f) => f.startsWith('zh-page') && f.endsWith('.png'))).toBe(true);
  });

  it('writes the HTML with the Chinese title and a CJK-capable font stack', () => {
    const html = readFileSync(path.join(root, 'report.html'), 'utf8');
    expect(html).toContain(TITLE);
    expect(html).toContain(zh.t('reports:heading.kpis'));
    expect(html).toMatch(/font-family:[^;"]*'Noto Sans SC'/);
  });
});

describe('PNG charts draw Chinese with real glyphs', () => {
  const rows = TEAMS.map((team, k) => ({
    period: 'total',
    team_id: team,
    value: 0.8 - k * 0.05,
    n: 100,
    ci_low: 0.75 - k * 0.05,
    ci_high: 0.85 - k * 0.05,
  }));
  const bars = (title: string, teams: readonly string[]) =>
    barsSpec({
      title,
      unit: '%',
      rows: rows.map((r, k) => ({ ...r, team_id: teams[k] })),
      by: 'team_id',
      target: 0.8,
      horizontal: true,
    });

  it('differs from the same text drawn with DejaVu alone and from a drawing of boxes', async () => {
    const title = '客户满意度 按团队';
    const withCjk = await chartPng(bars(title, TEAMS));
    const dejavuOnly = await chartPng(bars(title, TEAMS), { fontFiles: Object.values(FONT_FILES) });
    // the same chart with each character a box (two box shapes, so the two bars stay apart)
    const box = (t: string, c = '□') => t.replace(/\S/gu, c);
    const boxes = await chartPng(bars(box(title), [box(TEAMS[0]), box(TEAMS[1], '▯')]));
    writeFileSync(path.join(ARTIFACTS, 'zh-bars.png'), withCjk.png);
    writeFileSync(path.join(ARTIFACTS, 'zh-bars-dejavu-only.png'), dejavuOnly.png);
    writeFileSync(path.join(ARTIFACTS, 'zh-bars-boxes.png'), boxes.png);
    expect(withCjk.png.equals(dejavuOnly.png)).toBe(false);
    expect(withCjk.png.equals(boxes.png)).toBe(false);
    // the Latin text and the frame are the same: only the glyphs of the Chinese text differ
    expect(withCjk.width).toBe(dejavuOnly.width);
  });
});

describe('report charts in the language of the report', () => {
  const day = (k: number) => shift(FROM, k);
  const data = (locale: 'zh-CN' | 'en'): ReportData => ({
    report: NAME,
    title: TITLE,
    locale,
    names: {},
    period: { from: FROM, to: day(13) },
    previous: { from: shift(FROM, -14), to: shift(FROM, -1) },
    filters: { region: ['华北'] },
    timeZone: 'Asia/Shanghai',
    generatedAt: new Date(),
    completeThrough: new Date(),
    trends: [
      {
        metric: { name: 'csat', title: 'CSAT', unit: 'percent', target: 80 },
        grain: 'day',
        rows: Array.from({ length: 14 }, (_, k) => ({
          period: day(k),
          value: 80 + (k % 5),
          n: 120,
          ci_low: 76 + (k % 5),
          ci_high: 84 + (k % 5),
          target: 80,
          status: 'met' as const,
          low_confidence: false,
        })),
      },
    ],
    links: { dashboard: 'https://cx.example.com/overview', history: 'https://cx.example.com/reports' },
  });

  it('titles a trend from the catalogue and draws it differently from the English one', async () => {
    const [zhChart] = (await renderReport(data('zh-CN'), { pdf: false })).charts;
    const [enChart] = (await renderReport(data('en'), { pdf: false })).charts;
    const csat = zh.has('metrics:csat.title') ? zh.t('metrics:csat.title') : 'CSAT';
    expect(zhChart?.title).toBe(
      zh.t('reports:chart.trend', { metric: csat, grain: zh.t('reports:grain.day') }),
    );
    expect(enChart?.title).toMatch(/ by day$/);
    writeFileSync(path.join(ARTIFACTS, 'zh-trend.png'), (zhChart as { png: Buffer }).png);
    writeFileSync(path.join(ARTIFACTS, 'en-trend.png'), (enChart as { png: Buffer }).png);
    expect(zhChart?.png.equals((enChart as { png: Buffer }).png)).toBe(false);
  });
});
