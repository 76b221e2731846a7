import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import { createClickHouse } from '../../../infra/clickhouse.ts';
import { OVERVIEW_METRICS } from '../../../metrics/answer/overview.ts';
import { loadDefinitions, type ReportDefinition } from '../../../dashboards/reports/definitions.ts';
import { verifyWebhook } from '../../../dashboards/reports/deliver.ts';
import { ReportRunner } from '../../../dashboards/reports/runner.ts';
import type { RunRecord } from '../../../dashboards/reports/runs.ts';
import { ReportScheduler } from '../../../dashboards/reports/scheduler.ts';
import { nextSlot } from '../../../dashboards/reports/slots.ts';
import { dashboardServer, TOKENS } from '../../helpers/dashboard.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Scheduled reports against a real SMTP server on loopback (smtp-server), a webhook receiver, the real
 * engine with sample data and the running API: what arrives, that its numbers are the API's, that a slot
 * runs exactly once around restarts and with two schedulers, that failures are retried then recorded.
 */

const ARTIFACTS = path.resolve('test-artifacts/reports');
const SECRET = 'webhook-secret-for-the-test';
const TEAM_NAMES = {
  t1: { 'zh-CN': '一组', en: 'Desk One' },
  t2: { 'zh-CN': '二组', en: 'Desk Two' },
} as Record<string, { 'zh-CN': string; en: string }>;

let rt: Runtime;
let base: string;
let dir: string;
let smtp: SMTPServer;
let smtpPort: number;
/** 0 = accept; otherwise the reply code every DATA gets */
let smtpFailWith = 0;
let smtpAttempts = 0;
let rejectedRcpt = 0;
const mails: { envelope: string[]; raw: Buffer }[] = [];
let hook: http.Server;
let hookPort: number;
let busyHits = 0;
const hooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let defs: ReportDefinition[];

const today = new Date().toISOString().slice(0, 10);
const shift = (d: string, k: number) => new Date(Date.parse(d) + k * 86_400_000).toISOString().slice(0, 10);
// the period the tests ask for: 28 whole days ending yesterday (Asia/Shanghai days; data covers them)
const FROM = shift(today, -28);
const TO = shift(today, -1);
/** A day as an English reader reads it (`Mar 5, 2026`), written here with Intl directly. */
const enDay = (d: string) =>
  new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${d}T00:00:00Z`));

function definitions(): string {
  return `
reports:
  - name: weekly
    title: Weekly service review
    locale: en
    schedule: { cron: '0 8 * * 1', timezone: Asia/Shanghai }
    period: last_week
    sections: [kpis, trends, complaints, sla, teams, retention, changes]
    formats: [html, pdf]
    email: { to: [director@example.com], cc: [quality@example.com] }
    webhook: { url: 'http://127.0.0.1:${hookPort}/hook' }
    directory: { path: out }
  - name: flaky-mail
    schedule: '0 8 * * *'
    period: yesterday
    sections: [kpis]
    email: { to: [someone@example.com] }
  - name: to-private
    schedule: '0 8 * * *'
    period: yesterday
    sections: [kpis]
    webhook: { url: 'http://10.11.12.13/hook' }
  - name: to-localhost
    schedule: '0 8 * * *'
    period: yesterday
    sections: [kpis]
    webhook: { url: 'http://localhost:${hookPort}/hook' }
  - name: half-rejected
    schedule: '0 8 * * *'
    period: yesterday
    sections: [kpis]
    email: { to: [ok@example.com, nobody@example.com] }
  - name: mixed
    schedule: '0 8 * * *'
    period: yesterday
    sections: [kpis]
    email: { to: [nobody@example.com] }
    webhook: { url: 'http://127.0.0.1:${hookPort}/busy' }
  - name: ticker
    schedule: { cron: '*/4 * * * * *', timezone: UTC }
    period: yesterday
    sections: [kpis]
    formats: [html]
    directory: { path: ticks }
`;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cxpulse-reports-'));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address !== 'nobody@example.com') return callback();
      rejectedRcpt++;
      const err = new Error('no such mailbox') as Error & { responseCode: number };
      err.responseCode = 550;
      callback(err);
    },
    onData(stream, session, callback) {
      smtpAttempts++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (smtpFailWith) {
          const err = new Error('mailbox busy, try later') as Error & { responseCode: number };
          err.responseCode = smtpFailWith;
          return callback(err);
        }
        mails.push({ envelope: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/busy') {
        busyHits++;
        res.writeHead(503).end();
        return;
      }
      hooks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;
  const file = path.join(dir, 'reports.yaml');
  writeFileSync(file, definitions());
  ({ rt, base } = await dashboardServer({
    REPORTS_FILE: file,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    SMTP_TLS: 'none',
    SMTP_FROM: 'cxpulse <reports@cxpulse.test>',
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost,10.11.12.13',
    // the receiver is on loopback; the refusals below run with this switched off
    WEBHOOK_ALLOW_PRIVATE: 'true',
    REPORT_RETRIES: '2',
    REPORT_RETRY_INITIAL_MS: '200',
    REPORT_RETRY_MAX_MS: '400',
    REPORT_CLAIM_SETTLE_MS: '300',
    CXPULSE_PUBLIC_URL: 'https://cx.example.com',
    // teams are shown by display name where one is configured, else as stored
    DISPLAY_NAMES: JSON.stringify({ team_id: TEAM_NAMES }),
  }));
  defs = loadDefinitions(file, { timeZone: rt.cfg.timeZone, locale: rt.cfg.vocabulary.locale });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 240_000);

afterAll(async () => {
  await rt?.close();
  await new Promise<void>((r) => (smtp ? smtp.close(r) : r()));
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Poll until `probe` gives a value (not undefined / false). */
const until = async <T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
) =>
  (await waitFor(
    what,
    async () => probe(),
    (v) => v !== undefined && v !== false,
    { timeoutMs },
  )) as T;

const def = (name: string) => defs.find((d) => d.name === name) as ReportDefinition;
const get = async <T>(p: string, token: string = TOKENS.viewer): Promise<T> => {
  const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, `${p}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
};
const runs = async (q: string) => (await get<{ runs: RunRecord[] }>(`/api/v1/reports/runs?${q}`)).runs;

describe('a report run from the API, delivered three ways', () => {
  let runKey: string;
  let mail: ParsedMail;
  let pdfText: string;

  beforeAll(async () => {
    const res = await fetch(`${base}/api/v1/reports/weekly/run?period=${FROM}..${TO}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.editor}` },
    });
    expect(res.status).toBe(202);
    runKey = ((await res.json()) as { run_key: string }).run_key;
    const done = await until(
      'the weekly report run',
      async () => {
        const [r] = await runs(`run_key=${encodeURIComponent(runKey)}`);
        return r && (r.status === 'succeeded' || r.status === 'failed') ? r : undefined;
      },
      120_000,
    );
    expect(done.error).toBe('');
    expect(done.status).toBe('succeeded');
    expect(mails).toHaveLength(1);
    // keep cid: links as sent (the parser would inline them as data: URLs)
    mail = await simpleParser((mails[0] as { raw: Buffer }).raw, { skipImageLinks: true });
    const pdf = mail.attachments.find((a) => a.contentType === 'application/pdf');
    expect(pdf).toBeDefined();
    const pdfFile = path.join(ARTIFACTS, 'weekly.pdf');
    writeFileSync(pdfFile, (pdf as { content: Buffer }).content);
    pdfText = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
  }, 180_000);

  it('refuses a run from a viewer, an unknown report and a bad period, naming the problem', async () => {
    const post = (p: string, token: string) =>
      fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await post('/api/v1/reports/weekly/run', TOKENS.viewer)).status).toBe(403);
    const unknown = await post('/api/v1/reports/nope/run', TOKENS.editor);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(
      /no report named "nope"/,
    );
    const badPeriod = await post('/api/v1/reports/weekly/run?period=last_year', TOKENS.editor);
    expect(badPeriod.status).toBe(400);
    expect(((await badPeriod.json()) as { error: { message: string } }).error.message).toMatch(
      /period: "last_year"/,
    );
  });

  it('emails the recipients with the subject, the HTML and its PNG charts inline', async () => {
    expect(mail.subject).toBe(`Weekly service review: ${enDay(FROM)} to ${enDay(TO)}`);
    expect(mail.text).toContain(`Open the dashboards for this period: https://cx.example.com/overview?`);
    expect((mails[0] as { envelope: string[] }).envelope.sort()).toEqual([
      'director@example.com',
      'quality@example.com',
    ]);
    const addresses = (a: typeof mail.to) =>
      (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));
    expect(addresses(mail.to)).toEqual(['director@example.com']);
    expect(addresses(mail.cc)).toEqual(['quality@example.com']);
    expect(mail.from?.value[0]?.address).toBe('reports@cxpulse.test');
    const html = String(mail.html);
    const cids = [...html.matchAll(/<img src="cid:([^"]+)"/g)].map((m) => m[1]);
    // four trends, the complaints funnel, SLA by channel, CSAT by team, retention drivers
    expect(cids.length).toBe(8);
    for (const cid of cids) {
      const img = mail.attachments.find((a) => a.cid === cid);
      expect(img?.contentType, `image ${cid}`).toBe('image/png');
      const png = (img as { content: Buffer }).content;
      expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      // IHDR width and height: a real picture, not an empty canvas
      expect(png.readUInt32BE(16)).toBeGreaterThan(400);
      expect(png.readUInt32BE(20)).toBeGreaterThan(100);
      writeFileSync(path.join(ARTIFACTS, `${(img as { filename: string }).filename}`), png);
    }
    expect(html).toContain(`https://cx.example.com/overview?from=${FROM}&amp;to=${TO}`);
    expect(mail.messageId).toMatch(/@cxpulse>$/);
    expect(html).toContain('<html lang="en">');
  });

  it('attaches a PDF whose KPI table holds the values the metrics API returns for the period', async () => {
    const catalog = await get<{ metrics: { name: string; title: string }[] }>('/api/v1/metrics');
    const lines = pdfText.split('\n');
    for (const name of OVERVIEW_METRICS) {
      const title = catalog.metrics.find((m) => m.name === name)?.title as string;
      const api = await get<{ rows: { value: number | null }[] }>(
        `/api/v1/metrics/${name}?from=${FROM}&to=${TO}&grain=total`,
      );
      const value = api.rows[0]?.value ?? null;
      const line = lines.find((l) => l.trimStart().startsWith(title.slice(0, 18)));
      expect(line, `the PDF has a line for ${title}`).toBeDefined();
      const rest = (line as string).slice(
        (line as string).indexOf(title.slice(0, 18)) + title.slice(0, 18).length,
      );
      const shown = /(-?[\d,]+(?:\.\d+)?|–)/.exec(rest.replace(title.slice(18), ''))?.[1];
      if (value === null) expect(shown, name).toBe('–');
      else
        expect(
          Math.abs(Number(String(shown).replace(/,/g, '')) - value),
          `${name}: PDF ${shown}, API ${value}`,
        ).toBeLessThanOrEqual(0.05 + 1e-9);
    }
    expect(pdfText).toContain(`${enDay(FROM)} to ${enDay(TO)}`);
    for (const heading of ['KPIs against targets', 'Trends', 'Complaints: closed loop', 'Process changes'])
      expect(pdfText).toContain(heading);
  });

  it('shows CSAT by team and agent, each team with the value, CI, n and status of the metrics API', async () => {
    const api = await get<{ rows: Record<string, unknown>[] }>(
      `/api/v1/metrics/csat?from=${FROM}&to=${TO}&by=team_id&grain=total`,
    );
    const teams = api.rows.filter((r) => r['team_id'] !== '');
    expect(teams.length).toBeGreaterThanOrEqual(2);
    // as an English report writes them, formatted here with Intl directly
    const one = (v: number) => new Intl.NumberFormat('en', { maximumFractionDigits: 1 }).format(v);
    const words = JSON.parse(readFileSync('i18n/locales/en/vocabulary.json', 'utf8')) as {
      status: Record<string, string>;
    };
    const section = pdfText.slice(pdfText.indexOf('by team and agent'));
    const byAgent = section.indexOf('by agent');
    expect(byAgent).toBeGreaterThan(0);
    const teamPart = section.slice(0, byAgent).split('\n');
    const html = String(mail.html);
    for (const r of teams) {
      const id = r['team_id'] as string;
      const name = TEAM_NAMES[id]?.en ?? id;
      const value = `${one(r['value'] as number)} %`;
      const n = new Intl.NumberFormat('en').format(r['n'] as number);
      const ci = `${one(r['ci_low'] as number)} to ${one(r['ci_high'] as number)}`;
      const line = teamPart.find((l) => l.trimStart().startsWith(`${name} `));
      expect(line, `the PDF has a line for team ${name}`).toBeDefined();
      const cells = (line as string).trim().split(/\s{2,}/);
      expect(cells.slice(0, 4), name).toEqual([name, value, ci, n]);
      if (r['status']) expect(line, name).toContain(words.status[r['status'] as string]);
      expect(html, name).toMatch(
        new RegExp(
          `<span style="[^"]*">${name}</span></td><td[^>]*><b[^>]*>${value}</b></td><td[^>]*>${ci}</td><td[^>]*>${n}</td>`,
        ),
      );
    }
    // agents by name, those with fewer than 30 answers marked
    const agents = await get<{ rows: Record<string, unknown>[] }>(
      `/api/v1/metrics/csat?from=${FROM}&to=${TO}&by=agent_id&grain=total`,
    );
    const agentPart = section.slice(byAgent);
    for (const r of agents.rows.filter((a) => a['agent_id'] !== '')) {
      const line = agentPart.split('\n').find((l) => l.trimStart().startsWith(`${r['agent_id'] as string} `));
      expect(line, `the PDF has a line for agent ${r['agent_id'] as string}`).toBeDefined();
      expect(line).toContain(`${one(r['value'] as number)} %`);
      if ((r['n'] as number) < 30) expect(line).toContain('low confidence');
      else expect(line).not.toContain('low confidence');
    }
  });

  it('renders the PDF pages to PNG for a person to look at', () => {
    const prefix = path.join(ARTIFACTS, 'weekly-page');
    execFileSync('pdftoppm', ['-png', '-r', '70', path.join(ARTIFACTS, 'weekly.pdf'), prefix]);
    const pages = readdirSync(ARTIFACTS).filter((f) => f.startsWith('weekly-page') && f.endsWith('.png'));
    expect(pages.length).toBeGreaterThanOrEqual(2);
  });

  it('posts a JSON summary to the webhook, signed with an HMAC that verifies', () => {
    expect(hooks).toHaveLength(1);
    const { headers, body } = hooks[0] as { headers: http.IncomingHttpHeaders; body: string };
    const sig = String(headers['x-cxpulse-signature']);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig) ?? [];
    // an independent computation of the signature
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex'));
    expect(verifyWebhook(SECRET, sig, body)).toBe(true);
    expect(verifyWebhook(SECRET, sig, body.replace('"weekly"', '"weekly2"'))).toBe(false);
    expect(verifyWebhook('another-secret', sig, body)).toBe(false);
    const summary = JSON.parse(body) as {
      report: string;
      run_key: string;
      period: { from: string; to: string };
      kpis: { metric: string; value: number | null }[];
      links: { dashboard: string };
    };
    expect(summary.report).toBe('weekly');
    expect(summary.run_key).toBe(runKey);
    expect(summary.period).toEqual({ from: FROM, to: TO });
    expect(summary.kpis.map((k) => k.metric)).toEqual([...OVERVIEW_METRICS]);
    expect(summary.links.dashboard).toMatch(/^https:\/\/cx\.example\.com\/overview\?/);
    expect(headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes the files: HTML with its charts, the PDF and the summary', () => {
    const root = path.join(dir, 'out', 'weekly');
    const [run] = readdirSync(root);
    const files = readdirSync(path.join(root, run as string));
    expect(files.sort()).toEqual(
      ['charts', 'report.html', 'summary.json', `weekly_${FROM}_${TO}.pdf`].sort(),
    );
    const html = readFileSync(path.join(root, run as string, 'report.html'), 'utf8');
    for (const m of html.matchAll(/<img src="([^"]+)"/g))
      expect(existsSync(path.join(root, run as string, m[1] as string)), m[1]).toBe(true);
  });

  it('records the run: recipients, every channel delivered', async () => {
    const [r] = await runs(`run_key=${encodeURIComponent(runKey)}`);
    expect(r).toMatchObject({
      report: 'weekly',
      trigger: 'manual',
      status: 'succeeded',
      attempt: 1,
      period_from: FROM,
      period_to: TO,
    });
    expect(r?.deliveries).toEqual({ email: 'delivered', webhook: 'delivered', directory: 'delivered' });
    expect(r?.recipients).toEqual(expect.arrayContaining(['director@example.com', 'quality@example.com']));
  });
});

describe('failures are retried, then recorded; never dropped', () => {
  it('retries a failing SMTP server, then records the run as failed with the error', async () => {
    smtpFailWith = 451;
    smtpAttempts = 0;
    const before = mails.length;
    const runner = new ReportRunner(rt.clickhouse!, rt.cfg);
    const r = await runner.runNow(def('flaky-mail'), { from: TO, to: TO });
    smtpFailWith = 0;
    expect(r.status).toBe('failed');
    expect(r.attempt).toBe(3); // the first attempt and REPORT_RETRIES=2
    expect(smtpAttempts).toBe(3);
    expect(mails.length).toBe(before);
    expect(r.error).toMatch(/email: SMTP 127\.0\.0\.1:\d+: .*451/);
    const rs = await rt.clickhouse!.query({
      query: `SELECT status, attempt FROM ${rt.cfg.clickhouse.database}.report_runs WHERE run_key = {k:String} ORDER BY recorded_at`,
      query_params: { k: r.run_key },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { status: 'running', attempt: 1 },
      { status: 'retrying', attempt: 1 },
      { status: 'retrying', attempt: 2 },
      { status: 'failed', attempt: 3 },
    ]);
    const [listed] = await runs(`run_key=${encodeURIComponent(r.run_key)}`);
    expect(listed?.status).toBe('failed');
  });

  it('delivers once the SMTP server recovers between retries', async () => {
    smtpFailWith = 451;
    smtpAttempts = 0;
    const runner = new ReportRunner(rt.clickhouse!, rt.cfg);
    const run = runner.runNow(def('flaky-mail'), { from: TO, to: TO });
    await until('a first SMTP attempt', () => smtpAttempts >= 1, 30_000);
    smtpFailWith = 0;
    const r = await run;
    expect(r.status).toBe('succeeded');
    expect(r.attempt).toBeGreaterThanOrEqual(2);
  });

  it('names the recipients a server refused while delivering to the others, and does not send it again', async () => {
    const before = mails.length;
    rejectedRcpt = 0;
    const r = await new ReportRunner(rt.clickhouse!, rt.cfg).runNow(def('half-rejected'), {
      from: TO,
      to: TO,
    });
    expect(r.status).toBe('failed');
    expect(r.attempt).toBe(1);
    expect(r.recipients).toEqual(['ok@example.com']);
    expect(r.deliveries.email).toMatch(/refused nobody@example\.com; delivered to ok@example\.com/);
    expect(mails.length).toBe(before + 1);
    expect((mails.at(-1) as { envelope: string[] }).envelope).toEqual(['ok@example.com']);
    expect(rejectedRcpt).toBe(1);
  });

  it('retries only what may pass on retry: a refused channel is tried once while a busy one is retried', async () => {
    rejectedRcpt = 0;
    busyHits = 0;
    const r = await new ReportRunner(rt.clickhouse!, rt.cfg).runNow(def('mixed'), { from: TO, to: TO });
    expect(r.status).toBe('failed');
    expect(r.attempt).toBe(3);
    expect(rejectedRcpt).toBe(1); // the 550 was not retried …
    expect(busyHits).toBe(3); // … the 503 was, REPORT_RETRIES=2 times
    expect(r.error).toMatch(
      /email: SMTP .* refused the report: .*550.*; webhook: webhook 127\.0\.0\.1:\d+ answered 503/,
    );
  });

  it('authenticates to an SMTP server that requires it; a wrong password is a permanent refusal, not retried', async () => {
    const received: string[] = [];
    let tries = 0;
    const authed = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        tries++;
        if (auth.username === 'cx' && auth.password === 'right') return callback(null, { user: 'cx' });
        return callback(new Error('bad credentials'));
      },
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          received.push(String(session.user));
          callback();
        });
      },
    });
    await new Promise<void>((r) => authed.listen(0, '127.0.0.1', r));
    try {
      const port = (authed.server.address() as AddressInfo).port;
      const withAuth = (password: string) => ({
        ...rt.cfg,
        reports: { ...rt.cfg.reports, smtp: { ...rt.cfg.reports.smtp!, port, user: 'cx', password } },
      });
      const ok = await new ReportRunner(rt.clickhouse!, withAuth('right')).runNow(def('flaky-mail'), {
        from: TO,
        to: TO,
      });
      expect(ok.status).toBe('succeeded');
      expect(received).toEqual(['cx']);
      tries = 0;
      const bad = await new ReportRunner(rt.clickhouse!, withAuth('wrong')).runNow(def('flaky-mail'), {
        from: TO,
        to: TO,
      });
      expect(bad.status).toBe('failed');
      expect(bad.attempt).toBe(1);
      expect(tries).toBe(1);
      expect(bad.error).toMatch(/refused the report: .*535/);
    } finally {
      await new Promise<void>((r) => authed.close(r));
    }
  });

  it('records as failed a run whose scheduler stopped mid-run, and a slot claimed but never started', async () => {
    const db = rt.cfg.clickhouse.database;
    await rt.clickhouse!.insert({
      table: `${db}.report_runs`,
      values: [
        {
          run_key: 'weekly@2020-01-06T00:00:00.000Z',
          report: 'weekly',
          slot: '2020-01-06 00:00:00',
          trigger: 'schedule',
          owner: 'ghost',
          period_from: '2019-12-30',
          period_to: '2020-01-05',
          status: 'retrying',
          attempt: 2,
          started_at: '2020-01-06 00:00:00',
          duration_ms: 1000,
          recipients: [],
          deliveries: '{}',
          error: 'email: SMTP down',
          recorded_at: '2020-01-06 00:01:00',
        },
      ],
      format: 'JSONEachRow',
    });
    await rt.clickhouse!.insert({
      table: `${db}.report_claims`,
      values: [
        {
          run_key: 'weekly@2020-01-13T00:00:00.000Z',
          report: 'weekly',
          slot: '2020-01-13 00:00:00',
          owner: 'ghost2',
          claimed_at: '2020-01-13 00:00:00',
        },
      ],
      format: 'JSONEachRow',
    });
    const runner = new ReportRunner(rt.clickhouse!, rt.cfg);
    const found = await runner.recoverAbandoned(defs, 3_600_000);
    expect(found.map((r) => r.run_key).sort()).toEqual([
      'weekly@2020-01-06T00:00:00.000Z',
      'weekly@2020-01-13T00:00:00.000Z',
    ]);
    const [mid] = await runs(`run_key=${encodeURIComponent('weekly@2020-01-06T00:00:00.000Z')}`);
    expect(mid?.status).toBe('failed');
    expect(mid?.error).toMatch(
      /^abandoned: ghost stopped while the run was retrying \(email: SMTP down\); run it again with cxpulse report weekly --period 2019-12-30\.\.2020-01-05$/,
    );
    const [never] = await runs(`run_key=${encodeURIComponent('weekly@2020-01-13T00:00:00.000Z')}`);
    expect(never?.status).toBe('failed');
    expect(never?.error).toMatch(
      /^abandoned: ghost2 claimed the slot but stopped before running it; .* --period 2020-01-06\.\.2020-01-12$/,
    );
    // the runs still in progress here are not touched, and a second pass finds nothing
    expect(await runner.recoverAbandoned(defs, 3_600_000)).toEqual([]);
  });

  it('refuses a webhook to a private address without retrying, and one whose name resolves to loopback', async () => {
    const strict = {
      ...rt.cfg,
      reports: { ...rt.cfg.reports, webhook: { ...rt.cfg.reports.webhook, allowPrivate: false } },
    };
    const runner = new ReportRunner(rt.clickhouse!, strict);
    const before = hooks.length;
    const priv = await runner.runNow(def('to-private'), { from: TO, to: TO });
    expect(priv.status).toBe('failed');
    expect(priv.attempt).toBe(1);
    expect(priv.error).toMatch(/webhook address 10\.11\.12\.13 is private: not allowed/);
    const local = await runner.runNow(def('to-localhost'), { from: TO, to: TO });
    expect(local.status).toBe('failed');
    expect(local.attempt).toBe(1);
    expect(local.error).toMatch(/is loopback: not allowed/);
    expect(hooks.length).toBe(before);
  });
});

describe('cxpulse report', () => {
  it('runs a report through the running server, waits for it and describes the outcome; names an unknown one', async () => {
    const { runReport, describeRun } = await import('../../../cli/report.ts');
    const before = mails.length;
    const r = await runReport(rt, {
      name: 'flaky-mail',
      period: `${TO}..${TO}`,
      url: base,
      token: TOKENS.editor,
    });
    expect(r).toMatchObject({
      report: 'flaky-mail',
      status: 'succeeded',
      trigger: 'manual',
      period_from: TO,
    });
    expect(mails.length).toBe(before + 1);
    expect(describeRun(r)).toMatch(
      /^flaky-mail .* succeeded after 1 attempt\(s\)[\s\S]*email: delivered[\s\S]*someone@example\.com/,
    );
    await expect(runReport(rt, { name: 'nope', url: base, token: TOKENS.editor })).rejects.toThrow(
      /no report named "nope"/,
    );
    await expect(runReport(rt, { name: 'flaky-mail', url: base, token: TOKENS.viewer })).rejects.toThrow(
      /editor/,
    );
  });
});

describe('exactly one run per slot', () => {
  const ticker = () => def('ticker');
  const slotRuns = async () => {
    const rs = await rt.clickhouse!.query({
      query: `SELECT toString(slot) AS slot, groupUniqArray(run_key) AS keys, argMax(status, recorded_at) AS status,
                     argMax(trigger, recorded_at) AS trigger, uniqExact(owner) AS owners
              FROM ${rt.cfg.clickhouse.database}.report_runs WHERE report = 'ticker'
              GROUP BY slot ORDER BY slot`,
      format: 'JSONEachRow',
    });
    return rs.json<{ slot: string; keys: string[]; status: string; trigger: string; owners: string }>();
  };
  const untilDone = async (slot: Date) =>
    until(
      `slot ${slot.toISOString()}`,
      async () =>
        (await slotRuns()).find(
          (r) => r.slot === slot.toISOString().replace('T', ' ').replace('Z', '') && r.status === 'succeeded',
        ),
      30_000,
    );
  const waitUntil = async (t: number) => {
    if (t > Date.now()) await sleep(t - Date.now());
  };

  it('a scheduler stopped before a slot and started after it runs that slot once, late; a restart after a slot does not run it again', async () => {
    const a = new ReportScheduler(new ReportRunner(rt.clickhouse!, rt.cfg, 'A'), rt.cfg, [ticker()]);
    await a.start();
    const s1 = nextSlot(ticker(), new Date(Date.now() + 500));
    await untilDone(s1);
    // at least 2 s ahead, so A is stopped before it
    const s2 = nextSlot(ticker(), new Date(Date.now() + 2000));
    await waitUntil(s2.getTime() - 1200);
    await a.stop();
    await waitUntil(s2.getTime() + 1500); // s2 passes with no scheduler running
    const b = new ReportScheduler(new ReportRunner(rt.clickhouse!, rt.cfg, 'B'), rt.cfg, [ticker()]);
    await b.start();
    const late = await untilDone(s2);
    expect(late.trigger).toBe('late');
    const s3 = nextSlot(ticker(), new Date());
    await untilDone(s3);
    await b.stop();
    // started again right after s3 ran: nothing to catch up
    const c = new ReportScheduler(new ReportRunner(rt.clickhouse!, rt.cfg, 'C'), rt.cfg, [ticker()]);
    await c.start();
    await sleep(1500);
    await c.stop();
    const all = await slotRuns();
    for (const r of all) {
      expect(r.keys, r.slot).toHaveLength(1);
      expect(Number(r.owners), r.slot).toBe(1);
      expect(r.status, r.slot).toBe('succeeded');
    }
    const at = (s: Date) => all.find((r) => r.slot === s.toISOString().replace('T', ' ').replace('Z', ''));
    expect(at(s1)?.trigger).toBe('schedule');
    expect(at(s2)?.trigger).toBe('late');
    expect(at(s3)?.trigger).toBe('schedule');
    // one directory per slot: delivered once
    const dirs = readdirSync(path.join(dir, 'ticks', 'ticker')).filter((d) => !d.startsWith('.'));
    expect(dirs.length).toBe(all.length);
  }, 90_000);

  it('a slot whose tick was missed (the event loop blocked over it) still runs, late', async () => {
    const d = new ReportScheduler(new ReportRunner(rt.clickhouse!, rt.cfg, 'D'), rt.cfg, [ticker()]);
    await d.start();
    try {
      const slot = nextSlot(ticker(), new Date(Date.now() + 1500));
      await waitUntil(slot.getTime() - 1000);
      const end = slot.getTime() + 2000;
      while (Date.now() < end); // busy: no timer can fire over the slot
      const r = await untilDone(slot);
      expect(r.trigger).toBe('late');
    } finally {
      await d.stop();
    }
  }, 60_000);

  it('two schedulers on their own connections to the store run each slot once', async () => {
    const second = createClickHouse(rt.cfg.clickhouse);
    try {
      /** A runner that notes every slot it tries to claim. */
      class Counting extends ReportRunner {
        readonly tried = new Set<string>();
        override async claim(d: ReportDefinition, slot: Date): Promise<boolean> {
          this.tried.add(slot.toISOString().replace('T', ' ').replace('Z', ''));
          return super.claim(d, slot);
        }
      }
      const rx = new Counting(rt.clickhouse!, rt.cfg, 'X');
      const ry = new Counting(second, rt.cfg, 'Y');
      const x = new ReportScheduler(rx, rt.cfg, [ticker()]);
      const y = new ReportScheduler(ry, rt.cfg, [ticker()]);
      await Promise.all([x.start(), y.start()]);
      const first = nextSlot(ticker(), new Date(Date.now() + 500));
      const last = nextSlot(ticker(), new Date(first.getTime() + 8000));
      await untilDone(last);
      await Promise.all([x.stop(), y.stop()]);
      const rs = await rt.clickhouse!.query({
        query: `SELECT toString(slot) AS slot_text, count() AS claims, uniqExact(owner) AS claimants
                FROM ${rt.cfg.clickhouse.database}.report_claims
                WHERE report = 'ticker' AND slot >= {first:DateTime64(3)} AND slot <= {last:DateTime64(3)}
                GROUP BY slot_text ORDER BY slot_text`,
        query_params: { first: first.getTime() / 1000, last: last.getTime() / 1000 },
        format: 'JSONEachRow',
      });
      const claims = (await rs.json<{ slot_text: string; claims: string; claimants: string }>()).map((c) => ({
        slot: c.slot_text,
        claimants: Number(c.claimants),
      }));
      expect(claims.length).toBeGreaterThanOrEqual(3);
      // both schedulers tried every slot (one that finds a claim already there does not add its own) …
      for (const c of claims) {
        expect(rx.tried.has(c.slot) && ry.tried.has(c.slot), c.slot).toBe(true);
        expect(c.claimants, c.slot).toBeGreaterThanOrEqual(1);
      }
      // … and each slot ran once
      const ran = (await slotRuns()).filter((r) => claims.some((c) => c.slot === r.slot));
      expect(ran.length).toBe(claims.length);
      for (const r of ran) {
        expect(r.keys).toHaveLength(1);
        expect(Number(r.owners)).toBe(1);
        expect(r.status).toBe('succeeded');
      }
    } finally {
      await second.close();
    }
  }, 60_000);
});
