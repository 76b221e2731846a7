import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import type { Config } from '../../infra/config.ts';
import { sendThroughSmtp } from '../../infra/smtp.ts';
import { CxError, errorMessage } from '../../infra/errors.ts';
import { checkAddress, checkHost, guardedLookup, signWebhook, verifyWebhook } from '../../infra/outbound.ts';
import type { ReportData } from './content.ts';
import type { ReportDefinition } from './definitions.ts';
import type { Chart } from './png.ts';
import type { RenderedReport } from './render.ts';

export { checkAddress, checkHost, signWebhook, verifyWebhook };

/**
 * Where reports go: an email through the configured SMTP server (HTML body with the charts inline, the
 * PDF attached), a signed webhook to an allowed host, or files in a directory. Each channel throws a
 * `CxError` that says whether retrying can help: `delivery_failed` (retriable: a server down, a 5xx)
 * or `delivery_refused` (not: a host not allowed, a 4xx, no SMTP server configured).
 */

export type Channel = 'email' | 'webhook' | 'directory';

export interface Delivery {
  runKey: string;
  slot: Date;
  trigger: string;
  def: ReportDefinition;
  data: ReportData;
  rendered: RenderedReport;
}

const refused = (message: string) => new CxError('delivery_refused', message);
const failed = (message: string, cause?: unknown) =>
  new CxError('delivery_failed', message, { retriable: true, cause });

/** A stable id per run: the same run delivered twice carries the same Message-ID and idempotency key. */
const runId = (runKey: string) => createHash('sha256').update(runKey).digest('hex').slice(0, 32);

// ----------------------------------------------------------------------------------------------- email

export async function sendEmail(smtp: Config['reports']['smtp'], d: Delivery): Promise<string[]> {
  const email = d.def.email;
  if (!email) return [];
  if (!smtp) throw refused('no SMTP server configured (SMTP_HOST)');
  const cid = (c: Chart) => `${c.id}.${runId(d.runKey)}@cxpulse`;
  const { accepted } = await sendThroughSmtp(
    smtp,
    {
      to: email.to,
      cc: email.cc,
      subject: email.subject ?? d.rendered.subject,
      messageId: `<${runId(d.runKey)}@cxpulse>`,
      headers: { 'X-Cxpulse-Run': d.runKey },
      html: d.rendered.html((c) => `cid:${cid(c)}`),
      text: d.rendered.text,
      attachments: [
        ...d.rendered.charts.map((c) => ({
          filename: `${c.id}.png`,
          content: c.png,
          contentType: 'image/png',
          cid: cid(c),
        })),
        ...(d.rendered.pdf
          ? [{ filename: fileStem(d, 'pdf'), content: d.rendered.pdf, contentType: 'application/pdf' }]
          : []),
      ],
    },
    'report',
  );
  return accepted;
}

const fileStem = (d: Delivery, ext: string) =>
  `${d.def.name}_${d.data.period.from}_${d.data.period.to}.${ext}`;

// --------------------------------------------------------------------------------------------- webhook

/** The JSON a webhook receives and a directory keeps as summary.json. */
export function summary(d: Delivery): Record<string, unknown> {
  const { data } = d;
  return {
    report: d.def.name,
    title: data.title,
    run_key: d.runKey,
    slot: d.slot.toISOString(),
    trigger: d.trigger,
    period: data.period,
    previous: data.previous,
    time_zone: data.timeZone,
    filters: data.filters,
    complete_through: data.completeThrough.toISOString(),
    kpis: (data.kpis ?? []).map((t) => ({
      metric: t.metric,
      title: t.title,
      unit: t.unit,
      value: t.current.value,
      n: t.current.n,
      target: t.current.target,
      status: t.current.status,
      previous: t.previous.value,
      change: t.change.diff,
      p_value: t.change.p_value,
      significant: t.change.significant,
    })),
    ...(data.complaints
      ? {
          complaints: {
            funnel: data.complaints.funnel,
            follow_up_48h: data.complaints.followUp.value,
            complaint_rate: data.complaints.rate.value,
          },
        }
      : {}),
    links: data.links,
  };
}

export async function postWebhook(cfg: Config['reports']['webhook'], d: Delivery): Promise<string[]> {
  const target = d.def.webhook;
  if (!target) return [];
  if (!cfg.secret)
    throw refused('WEBHOOK_SECRET is not set: webhooks are signed and cannot be sent without it');
  const url = new URL(target.url);
  checkHost(url, cfg.allowedHosts);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) checkAddress(host, cfg.allowPrivate);
  const body = JSON.stringify(summary(d));
  const lib = url.protocol === 'https:' ? https : http;
  const status = await new Promise<number>((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(cfg.allowPrivate),
        timeout: 15_000,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'cxpulse-reports',
          'x-cxpulse-signature': signWebhook(cfg.secret, body),
          'idempotency-key': runId(d.runKey),
          'x-cxpulse-run': d.runKey,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  }).catch((err: unknown) => {
    if (err instanceof CxError) throw err;
    throw failed(`webhook ${url.host}: ${errorMessage(err)}`, err);
  });
  if (status >= 200 && status < 300) return [url.origin];
  if (status === 408 || status === 429 || status >= 500)
    throw failed(`webhook ${url.host} answered ${status}`);
  // other answers (a redirect, 4xx) will not change on their own
  throw refused(`webhook ${url.host} answered ${status}`);
}

// ------------------------------------------------------------------------------------------- directory

/**
 * Files in `<directory>/<report>/<slot>/`: report.html with its charts beside it, the PDF, and
 * summary.json. Written to a temporary directory and renamed into place, so a reader never sees half a
 * report and a run delivered twice keeps the first copy.
 */
export async function writeFiles(baseDir: string, d: Delivery): Promise<string[]> {
  const target = d.def.directory;
  if (!target) return [];
  const root = path.resolve(baseDir, target.path, d.def.name);
  const stamp = d.runKey
    .slice(d.runKey.indexOf('@') + 1)
    .replace(/[:]/g, '-')
    .replace(/[^A-Za-z0-9._-]/g, '_');
  const final = path.join(root, stamp);
  if (existsSync(final)) return [final];
  const tmp = path.join(root, `.${stamp}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(path.join(tmp, 'charts'), { recursive: true });
    for (const c of d.rendered.charts) await writeFile(path.join(tmp, 'charts', `${c.id}.png`), c.png);
    if (d.def.formats.includes('html'))
      await writeFile(
        path.join(tmp, 'report.html'),
        d.rendered.html((c) => `charts/${c.id}.png`),
      );
    if (d.rendered.pdf) await writeFile(path.join(tmp, fileStem(d, 'pdf')), d.rendered.pdf);
    await writeFile(path.join(tmp, 'summary.json'), JSON.stringify(summary(d), null, 2) + '\n');
    await rename(tmp, final);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (existsSync(final)) return [final];
    throw failed(`writing ${final}: ${errorMessage(err)}`, err);
  }
  return [final];
}
