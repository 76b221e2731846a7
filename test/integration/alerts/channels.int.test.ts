import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver, type ChannelConfig } from '../../../alerts/channels/send.ts';
import type { Message, Notification } from '../../../alerts/channels/types.ts';
import { verifyWebhook } from '../../../infra/outbound.ts';
import { mailSink, type MailSink } from '../../helpers/mail-sink.ts';

/**
 * The channels against local receivers on loopback (allowed for the test, as report webhooks allow it):
 * each receiver checks its vendor's exact JSON and signature — the signature recomputed here with
 * node:crypto — a refused host fails without a retry, a 5xx is retried until it succeeds, and an email
 * reaches a local SMTP server.
 */

interface Hit {
  path: string;
  query: URLSearchParams;
  body: string;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let base: string;
const hits: Hit[] = [];
let flakyLeft = 0;
let smtp: MailSink;
let smtpPort: number;
const SECRET = 'SECtest-secret';

const answers: Record<string, (h: Hit) => [number, string]> = {
  '/wecom': () => [200, '{"errcode":0,"errmsg":"ok"}'],
  '/dingtalk': () => [200, '{"errcode":0,"errmsg":"ok"}'],
  '/feishu': () => [200, '{"code":0,"msg":"success","data":{}}'],
  '/webhook': () => [204, ''],
  '/flaky': () => (flakyLeft-- > 0 ? [503, 'busy'] : [200, '{"errcode":0,"errmsg":"ok"}']),
  '/wecom-limit': () => [200, '{"errcode":45009,"errmsg":"api freq out of limit"}'],
  '/wecom-bad-key': () => [200, '{"errcode":93000,"errmsg":"invalid webhook url"}'],
};

function note(over: Partial<Notification> = {}): Message {
  return [
    {
      rule: { id: 'follow-up-t2', name: '投诉 48 小时回访' },
      transition: 'firing',
      kpi: '投诉 48 小时回访率',
      measured: { value: 78.25, n: 212, ci: [71.2, 84.06], unit: 'percent' },
      target: 90,
      status: 'missed',
      filters: [{ label: '团队', values: ['华东二组'] }],
      group: '华东二组',
      link: 'https://cx.example.com/complaints?team_id=t2',
      at: new Date(),
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      mentions: { userIds: ['zhangsan'], mobiles: ['13800001111'] },
      ...over,
    },
  ];
}

const config = (over: Partial<ChannelConfig['webhook']> = {}): ChannelConfig => ({
  smtp: {
    host: '127.0.0.1',
    port: smtpPort,
    tls: 'none',
    user: '',
    password: '',
    from: 'cxpulse <alerts@localhost>',
  },
  webhook: { secret: 'hook-secret', allowedHosts: ['127.0.0.1', 'localhost'], allowPrivate: true, ...over },
  retry: { maxRetries: 3, initialMs: 20, maxMs: 50 },
});

const lastHit = (path: string) => hits.filter((h) => h.path === path).at(-1) as Hit;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const hit = { path: u.pathname, query: u.searchParams, body, headers: req.headers };
      hits.push(hit);
      const [status, text] = (answers[u.pathname] ?? (() => [404, 'no']))(hit);
      res.writeHead(status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  smtp = await mailSink();
  smtpPort = smtp.port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await smtp?.close();
});

describe('robots', () => {
  it('WeCom: the key stays in the URL, markdown content with <@userid>', async () => {
    const out = await deliver({ kind: 'wecom', url: `${base}/wecom?key=k-123` }, note(), config());
    expect(out).toMatchObject({ channel: 'wecom', attempts: 1 });
    const hit = lastHit('/wecom');
    expect(hit.query.get('key')).toBe('k-123');
    const body = JSON.parse(hit.body) as { msgtype: string; markdown: { content: string } };
    expect(Object.keys(body)).toEqual(['msgtype', 'markdown']);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('【告警】投诉 48 小时回访 · 华东二组');
    expect(body.markdown.content).toContain('<@zhangsan>');
  });

  it('DingTalk: timestamp and sign in the query string, verified here', async () => {
    const before = Date.now();
    await deliver(
      { kind: 'dingtalk', url: `${base}/dingtalk?access_token=t-1`, secret: SECRET },
      note(),
      config(),
    );
    const hit = lastHit('/dingtalk');
    const ts = Number(hit.query.get('timestamp'));
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
    const want = createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64');
    expect(hit.query.get('sign')).toBe(want);
    expect(hit.query.get('access_token')).toBe('t-1');
    const body = JSON.parse(hit.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['msgtype', 'markdown', 'at']);
    expect(body['at']).toEqual({ atMobiles: ['13800001111'], atUserIds: ['zhangsan'], isAtAll: false });
    expect((body['markdown'] as { title: string }).title).toBe('【告警】投诉 48 小时回访 · 华东二组');
  });

  it('Feishu: timestamp (seconds) and sign in the body, verified here; an interactive card', async () => {
    await deliver(
      { kind: 'feishu', url: `${base}/feishu`, secret: SECRET },
      note({ transition: 'resolved' }),
      config(),
    );
    const body = JSON.parse(lastHit('/feishu').body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['card', 'msg_type', 'sign', 'timestamp']);
    const ts = Number(body['timestamp']);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
    const want = createHmac('sha256', `${ts}\n${SECRET}`).update('').digest('base64');
    expect(body['sign']).toBe(want);
    expect(body['msg_type']).toBe('interactive');
    expect(body['card']).toMatchObject({
      header: { template: 'green', title: { content: '【已恢复】投诉 48 小时回访 · 华东二组' } },
    });
  });

  it('the signed webhook: X-Cxpulse-Signature verifies over the body as received', async () => {
    await deliver({ kind: 'webhook', url: `${base}/webhook` }, note({ locale: 'en' }), config());
    const hit = lastHit('/webhook');
    expect(verifyWebhook('hook-secret', String(hit.headers['x-cxpulse-signature']), hit.body)).toBe(true);
    expect(verifyWebhook('other', String(hit.headers['x-cxpulse-signature']), hit.body)).toBe(false);
    expect(JSON.parse(hit.body)).toMatchObject({ title: '[Firing] 投诉 48 小时回访 · 华东二组' });
  });
});

describe('failures', () => {
  it('a host not on the allowlist is refused without a request or a retry', async () => {
    const n = hits.length;
    const err = await deliver(
      { kind: 'wecom', url: `${base}/wecom?key=k` },
      note(),
      config({ allowedHosts: ['qyapi.weixin.qq.com'] }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'delivery_refused', details: { attempts: 1 } });
    expect(hits.length).toBe(n);
  });

  it('a loopback address is refused unless private addresses are allowed', async () => {
    const err = await deliver(
      { kind: 'dingtalk', url: `${base}/dingtalk` },
      note(),
      config({ allowPrivate: false }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'delivery_refused',
      message: expect.stringMatching(/loopback: not allowed/),
    });
  });

  it('a code that will not heal is refused at once; a rate-limit code is retried until the retries run out', async () => {
    const n = hits.length;
    await expect(
      deliver({ kind: 'wecom', url: `${base}/wecom-bad-key?key=k` }, note(), config()),
    ).rejects.toMatchObject({
      code: 'delivery_refused',
      details: { attempts: 1, errcode: 93000 },
    });
    expect(hits.length).toBe(n + 1);
    await expect(
      deliver({ kind: 'wecom', url: `${base}/wecom-limit?key=k` }, note(), config()),
    ).rejects.toMatchObject({
      code: 'delivery_failed',
      details: { attempts: 4 },
    });
    expect(hits.filter((h) => h.path === '/wecom-limit').length).toBe(4);
  });

  it('a 5xx is retried, then succeeds', async () => {
    flakyLeft = 2;
    const out = await deliver({ kind: 'wecom', url: `${base}/flaky?key=k` }, note(), config());
    expect(out.attempts).toBe(3);
    expect(hits.filter((h) => h.path === '/flaky').length).toBe(3);
  });
});

describe('email', () => {
  it('reaches the SMTP server with the title as subject', async () => {
    const out = await deliver({ kind: 'email', to: ['lead@example.com'] }, note({ locale: 'en' }), config());
    expect(out.recipients).toEqual(['lead@example.com']);
    const raw = smtp.mails.at(-1)?.toString('utf8') ?? '';
    expect(raw).toMatch(/^Subject: /m);
    expect(raw).toContain('lead@example.com');
    expect(raw).toContain('Open the dashboard');
  });
});
