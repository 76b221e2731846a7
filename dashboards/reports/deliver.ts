import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import nodemailer from 'nodemailer';
import type { Config } from '../../infra/config.ts';
import { CxError, errorMessage } from '../../infra/errors.ts';
import type { ReportData } from './content.ts';
import type { ReportDefinition } from './definitions.ts';
import type { Chart } from './png.ts';
import type { RenderedReport } from './render.ts';

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
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
  });
  const cid = (c: Chart) => `${c.id}.${runId(d.runKey)}@cxpulse`;
  let info: { accepted: unknown[]; rejected: unknown[] };
  try {
    info = await transport.sendMail({
      from: smtp.from,
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
    });
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    // a 5xx reply is permanent; a refused connection, a timeout or a 4xx reply may pass on retry
    if (code !== undefined && code >= 500)
      throw new CxError(
        'delivery_refused',
        `SMTP ${smtp.host}:${smtp.port} refused the report: ${errorMessage(err)}`,
      );
    throw failed(`SMTP ${smtp.host}:${smtp.port}: ${errorMessage(err)}`, err);
  } finally {
    transport.close();
  }
  // the server takes a message when it accepts at least one recipient: the others are named, not retried
  // (a retry would send it again to those who have it)
  const address = (a: unknown) => (typeof a === 'string' ? a : String((a as { address?: string }).address));
  const accepted = info.accepted.map(address);
  if (info.rejected.length > 0)
    throw new CxError(
      'delivery_refused',
      `SMTP ${smtp.host}:${smtp.port} refused ${info.rejected.map(address).join(', ')}; delivered to ${accepted.join(', ') || 'nobody'}`,
      { details: { delivered: accepted } },
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

/** `X-Cxpulse-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the body as sent). */
export function signWebhook(secret: string, body: string, at = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** For receivers: true when the header signs this body with this secret within `toleranceSeconds`. */
export function verifyWebhook(
  secret: string,
  header: string,
  body: string,
  toleranceSeconds = 300,
  now = new Date(),
): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  const sig = parts['v1'] ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const got = Buffer.from(sig, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** Address ranges a webhook may never reach, whatever the configuration. */
const NEVER = new Set(['unspecified', 'multicast', 'broadcast', 'reserved']);
/** Cloud instance metadata services: refused even when private addresses are allowed. */
const METADATA = ['169.254.169.254', '169.254.170.2', 'fd00:ec2::254'].map((a) => ipaddr.parse(a).toString());

/** Refuse an address that is not public (loopback, private, link-local, …) unless private ones are allowed. */
export function checkAddress(address: string, allowPrivate: boolean): void {
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated "compatible" form) carry an IPv4 address
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else if (v6.parts.slice(0, 6).every((p) => p === 0) && v6.range() === 'unicast')
      ip = ipaddr.fromByteArray(v6.toByteArray().slice(12));
  }
  const range = ip.range();
  if (METADATA.includes(ip.toString()))
    throw refused(`webhook address ${address} is a cloud metadata service: never allowed`);
  if (range === 'unicast') return;
  if (NEVER.has(range) || !allowPrivate)
    throw refused(`webhook address ${address} is ${range}: not allowed (WEBHOOK_ALLOW_PRIVATE)`);
}

/** Refuse a URL whose host is not on the allowlist (exact name, or `*.example.com` for its subdomains). */
export function checkHost(url: URL, allowed: readonly string[]): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw refused(`webhook ${url.protocol} is not http or https`);
  if (url.username || url.password) throw refused('webhook URL must not carry credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const ok = allowed.some((a) => {
    const rule = a.toLowerCase();
    return rule.startsWith('*.')
      ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1
      : host === rule;
  });
  if (!ok) throw refused(`webhook host ${host} is not in WEBHOOK_ALLOWED_HOSTS`);
}

/**
 * The DNS lookup a webhook request connects through: every address the name resolves to is checked
 * when the connection is made, so a name that resolves to a private address (or is re-bound to one
 * after a check) is refused.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      try {
        for (const a of addresses) checkAddress(a.address, allowPrivate);
      } catch (e) {
        return callback(e as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
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
