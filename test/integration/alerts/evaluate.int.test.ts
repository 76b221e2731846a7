import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../../../alerts/evaluate/evaluator.ts';
import type { PipelineProbe } from '../../../alerts/evaluate/probe.ts';
import { channelConfig } from '../../../alerts/channels/send.ts';
import { parseRules, type AlertRules } from '../../../alerts/rules/definitions.ts';
import { silence, initialState } from '../../../alerts/state/machine.ts';
import { AlertStore } from '../../../alerts/state/store.ts';
import { translator } from '../../../i18n/translator.ts';
import { verifyWebhook } from '../../../infra/outbound.ts';
import type { ClickHouseClient } from '../../../infra/clickhouse.ts';
import type { Config } from '../../../infra/config.ts';
import type { CxEvent } from '../../../ingest/events.ts';
import { Runtime } from '../../../cli/runtime.ts';
import { alertsConfig, migratedEngine } from '../../helpers/alerts.ts';
import { mailSink, type MailSink } from '../../helpers/mail-sink.ts';
import { planter, type Plant } from '../../helpers/plant.ts';
import { jsonReply, receiver, type Receiver } from '../../helpers/receiver.ts';

/**
 * The alert evaluator end to end, on the real engine: planted complaint events push a team's 48-hour
 * follow-up rate below the rule's bar and back, and every channel — a signed webhook, WeCom, DingTalk,
 * Feishu and email, local receivers that check the signatures — gets one firing and one resolved
 * message in the rule's language (zh-CN, the text taken from the catalogue here); the rule filtered to a
 * team that is fine sends nothing. Two evaluators over one store and a restart deliver each transition
 * once; a pipeline rule follows the runtime's real ingester stopping and running again; a silenced rule
 * and one with too small an n send nothing; a refused host fails with its reason and no retry, a 5xx is
 * retried.
 */

const SECRET = 'SECtest-secret';
const HOOK_SECRET = 'alert-hook-secret';
let inbox: Receiver;
let flakyLeft = 0;
let smtp: MailSink;
let cfg: Config;
let ch: ClickHouseClient;
let db: string;
let plant: Plant;

const store = (owner: string) => new AlertStore(ch, { database: db, owner, settleMs: 200 });

/** Where each vendor's robot of a test lives: its own paths, so tests never count each other's hits. */
function channels(prefix: string) {
  return {
    [`${prefix}-hook`]: { webhook: { url: `${inbox.base}/${prefix}/webhook`, secret: HOOK_SECRET } },
    [`${prefix}-wecom`]: { wecom: { url: `${inbox.base}/${prefix}/wecom?key=k-1`, mentions: ['zhangsan'] } },
    [`${prefix}-ding`]: {
      dingtalk: {
        url: `${inbox.base}/${prefix}/dingtalk?access_token=t-1`,
        secret: SECRET,
        mentions: ['13800001111'],
      },
    },
    [`${prefix}-feishu`]: { feishu: { url: `${inbox.base}/${prefix}/hook/f-1`, secret: SECRET } },
    [`${prefix}-mail`]: { email: [`${prefix}@example.com`] },
  };
}

function rules(doc: Record<string, unknown>): AlertRules {
  return parseRules(doc, { locale: 'en', allowHttp: true });
}

function evaluator(r: AlertRules, owner: string, probe?: PipelineProbe): AlertEvaluator {
  const noProbe: PipelineProbe = {
    ingester: () => ({ state: 'absent' }),
    consumerLag: () => Promise.resolve(null),
    dlqLastHour: () => Promise.resolve(0),
    dataAgeMinutes: () => Promise.resolve(null),
    lastReportFailed: () => Promise.resolve(null),
  };
  return new AlertEvaluator({
    client: ch,
    cfg,
    rules: r,
    store: store(owner),
    probe: probe ?? noProbe,
    channels: channelConfig(cfg),
  });
}

/** Complaints of a team opened 3 h ago and resolved 2 h ago; the first `followed` followed up 1 h ago. */
function complaints(team: string, count: number, followed: number, tag: string): CxEvent[] {
  const t = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3_600_000).toISOString();
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${tag}-${team}-${i}`;
    const e = (type: string, at: string, extra: Record<string, unknown> = {}) =>
      out.push({
        event_id: randomUUID(),
        type,
        occurred_at: at,
        interaction_id: id,
        schema_version: 1,
        ...extra,
      });
    e('interaction.opened', t(3), {
      customer_id: `cust-${id}`,
      channel: 'phone',
      category: 'complaint',
      priority: 'normal',
      team_id: team,
    });
    e('interaction.resolved', t(2));
    if (i < followed) e('interaction.followed_up', t(1));
  }
  return out as unknown as CxEvent[];
}

/** The follow-ups of the complaints not followed up yet. */
function followUps(team: string, from: number, to: number, tag: string): CxEvent[] {
  const at = new Date(Date.now() - 30 * 60_000).toISOString();
  const out: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++)
    out.push({
      event_id: randomUUID(),
      type: 'interaction.followed_up',
      occurred_at: at,
      interaction_id: `${tag}-${team}-${i}`,
      schema_version: 1,
    });
  return out as unknown as CxEvent[];
}

const at = (prefix: string, vendor: string) =>
  inbox.hits.filter((h) => h.path.startsWith(`/${prefix}/${vendor}`));

beforeAll(async () => {
  inbox = await receiver((hit) =>
    hit.path.endsWith('/flaky') && flakyLeft-- > 0
      ? { status: 503, body: 'busy' }
      : jsonReply('{"errcode":0,"errmsg":"ok","code":0,"msg":"success","data":{}}'),
  );
  smtp = await mailSink();
  cfg = alertsConfig({
    REPORT_RETRIES: '3',
    REPORT_RETRY_INITIAL_MS: '20',
    REPORT_RETRY_MAX_MS: '50',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_TLS: 'none',
  });
  ({ ch, db } = await migratedEngine(cfg));
  plant = planter(ch, db);
});

afterAll(async () => {
  await ch.close();
  await inbox.close();
  await smtp?.close();
});

describe('a KPI rule on 48-hour follow-up for one team', () => {
  it('fires once below the bar, resolves once back above it, on every channel, in Chinese', async () => {
    const kpi = (name: string, team: string) => ({
      name,
      title: '华东二组投诉回访率低于 90%',
      locale: 'zh-CN',
      kind: 'kpi',
      metric: 'follow_up_48h',
      filters: { team_id: team },
      window: 'last_7d',
      condition: { below: 90 },
      min_n: 5,
      for: '0s',
      channels: team === 't2' ? Object.keys(channels('kpi')) : Object.keys(channels('other')),
    });
    const r = rules({
      channels: { ...channels('kpi'), ...channels('other') },
      alerts: [kpi('回访-t2', 't2'), kpi('回访-t3', 't3')],
    });
    // t2: 10 resolved complaints, 4 followed up within 48 h → 40 % (computed here: 4 / 10); t3: all 8
    await plant([...complaints('t2', 10, 4, 'a'), ...complaints('t3', 8, 8, 'a')]);
    const ev = evaluator(r, 'kpi-eval');
    await ev.evaluate('all');
    await ev.evaluate('all'); // still firing: nothing more (the reminder is hours away)
    const s = await store('reader').read('回访-t2', '');
    expect(s).toMatchObject({ phase: 'firing', value: 40, n: 10 });
    expect(await store('reader').read('回访-t3', '')).toMatchObject({ phase: 'ok', value: 100, n: 8 });

    // the rest are followed up → 10 / 10 = 100 %
    await plant(followUps('t2', 4, 10, 'a'));
    await ev.evaluate('all');
    await ev.evaluate('all');
    await ev.stop();
    expect(await store('reader').read('回访-t2', '')).toMatchObject({ phase: 'ok', value: 100, n: 10 });

    const tr = translator('zh-CN');
    const title = (t: 'firing' | 'resolved') =>
      tr.t('alerts:title', {
        transition: tr.t(`alerts:transition.${t}`),
        rule: '华东二组投诉回访率低于 90%',
      });
    const firing = title('firing');
    const resolved = title('resolved');
    for (const vendor of ['webhook', 'wecom', 'dingtalk', 'hook']) {
      const got = at('kpi', vendor);
      expect(got, vendor).toHaveLength(2);
      expect(got[0]!.body, vendor).toContain(firing);
      expect(got[1]!.body, vendor).toContain(resolved);
    }
    // the webhook's numbers, signed with the destination's secret
    const [first] = at('kpi', 'webhook');
    const payload = JSON.parse(first!.body) as { notifications: Record<string, unknown>[] };
    expect(payload.notifications[0]).toMatchObject({
      transition: 'firing',
      value: 40,
      n: 10,
      kpi: tr.t('metrics:follow_up_48h.title'),
      filters: [{ label: tr.t('vocabulary:dimension.team_id'), values: ['t2'] }],
      link: 'https://cx.example.com/complaints?team_id=t2',
      locale: 'zh-CN',
    });
    expect(verifyWebhook(HOOK_SECRET, String(first!.headers['x-cxpulse-signature']), first!.body)).toBe(true);
    // DingTalk signed in the query, Feishu in the body
    const ding = at('kpi', 'dingtalk')[0]!;
    const ts = ding.query.get('timestamp');
    expect(ding.query.get('sign')).toBe(
      createHmac('sha256', SECRET).update(`${ts}\n${SECRET}`).digest('base64'),
    );
    const feishu = JSON.parse(at('kpi', 'hook')[0]!.body) as { timestamp: string; sign: string };
    expect(feishu.sign).toBe(
      createHmac('sha256', `${feishu.timestamp}\n${SECRET}`).update('').digest('base64'),
    );
    // email: one firing and one resolved
    const ours = await Promise.all(smtp.mails.map((m) => simpleParser(m)));
    const subjects = ours
      .filter((m) => m.to && JSON.stringify(m.to).includes('kpi@example.com'))
      .map((m) => m.subject);
    expect(subjects).toEqual([firing, resolved]);
    // the team that is fine: nothing anywhere
    for (const vendor of ['webhook', 'wecom', 'dingtalk', 'hook'])
      expect(at('other', vendor)).toHaveLength(0);
    expect(ours.filter((m) => JSON.stringify(m.to).includes('other@example.com'))).toHaveLength(0);
    // every delivery recorded as owed (queued) before it was sent, then as sent
    const history = (await store('reader').events({ rule: '回访-t2' })).filter((e) => e.what === 'delivery');
    expect(history.filter((e) => e.result === 'queued')).toHaveLength(10);
    const deliveries = history.filter((e) => e.result !== 'queued');
    expect(deliveries).toHaveLength(10);
    expect(deliveries.every((e) => e.result === 'sent' && e.attempt === 1)).toBe(true);
  });
});

/** A probe whose ingester state the test sets. */
function toggleProbe(): PipelineProbe & { state: 'running' | 'stopped' } {
  const p = {
    state: 'running' as 'running' | 'stopped',
    ingester: () => ({ state: p.state }),
    consumerLag: () => Promise.resolve(0),
    dlqLastHour: () => Promise.resolve(0),
    dataAgeMinutes: () => Promise.resolve(0),
    lastReportFailed: () => Promise.resolve(null),
  };
  return p;
}

describe('exactly once', () => {
  it('two evaluators at once, then a restart: each transition delivered once', async () => {
    const r = rules({
      channels: { 'once-hook': { webhook: { url: `${inbox.base}/once/webhook`, secret: HOOK_SECRET } } },
      alerts: [
        { name: 'once', kind: 'pipeline', check: 'ingester_down', for: '0s', channels: ['once-hook'] },
      ],
    });
    const probe = toggleProbe();
    probe.state = 'stopped';
    const [a, b] = [evaluator(r, 'eval-a', probe), evaluator(r, 'eval-b', probe)];
    await Promise.all([a.evaluate('live'), b.evaluate('live')]);
    await Promise.all([a.evaluate('live'), b.evaluate('live')]);
    // a restart: a new evaluator over the same store
    const c = evaluator(r, 'eval-c', probe);
    await c.evaluate('live');
    probe.state = 'running';
    await Promise.all([a.evaluate('live'), b.evaluate('live'), c.evaluate('live')]);
    const d = evaluator(r, 'eval-d', probe);
    await d.evaluate('live');
    await Promise.all([a.stop(), b.stop(), c.stop(), d.stop()]);
    const got = at('once', 'webhook').map(
      (h) => JSON.parse(h.body) as { notifications: { transition: string }[] },
    );
    expect(got.map((p) => p.notifications.map((n) => n.transition))).toEqual([['firing'], ['resolved']]);
  });
});

describe('a pipeline rule over the runtime’s real ingester', () => {
  it('fires when the ingester stops and resolves when it runs again', async () => {
    const rt = new Runtime(cfg);
    rt.clickhouse = ch;
    try {
      await rt.startIngester();
      const r = rules({
        channels: { 'pipe-hook': { webhook: { url: `${inbox.base}/pipe/webhook`, secret: HOOK_SECRET } } },
        alerts: [
          { name: 'ingester', kind: 'pipeline', check: 'ingester_down', for: '0s', channels: ['pipe-hook'] },
        ],
      });
      const ev = evaluator(r, 'pipe', rt.pipelineProbe());
      await ev.evaluate('live');
      expect(await store('reader').read('ingester', '')).toMatchObject({ phase: 'ok' });
      await rt.ingester!.stop();
      expect(rt.health().ok).toBe(false);
      await ev.evaluate('live');
      expect(await store('reader').read('ingester', '')).toMatchObject({ phase: 'firing' });
      await rt.startIngester();
      await ev.evaluate('live');
      await ev.stop();
      expect(await store('reader').read('ingester', '')).toMatchObject({ phase: 'ok' });
      const got = at('pipe', 'webhook').map(
        (h) => JSON.parse(h.body) as { notifications: { transition: string }[] },
      );
      expect(got.map((p) => p.notifications[0]!.transition)).toEqual(['firing', 'resolved']);
    } finally {
      rt.clickhouse = undefined;
      await rt.close();
    }
  }, 120_000);
});

describe('rules that must stay quiet', () => {
  it('a silenced rule sends nothing and shows its silence; too small an n does not fire', async () => {
    const r = rules({
      channels: { 'quiet-hook': { webhook: { url: `${inbox.base}/quiet/webhook`, secret: HOOK_SECRET } } },
      alerts: [
        { name: 'silenced', kind: 'pipeline', check: 'ingester_down', for: '0s', channels: ['quiet-hook'] },
        {
          name: 'few',
          kind: 'kpi',
          metric: 'follow_up_48h',
          filters: { team_id: 't2' },
          window: 'last_7d',
          condition: { below: 101 },
          min_n: 1000,
          for: '0s',
          channels: ['quiet-hook'],
        },
      ],
    });
    const until = new Date(Date.now() + 3_600_000);
    await store('admin').write(
      'silenced',
      '',
      silence(initialState(new Date()), { until, by: 'li', why: 'maintenance' }),
    );
    const probe = toggleProbe();
    probe.state = 'stopped';
    const ev = evaluator(r, 'quiet', probe);
    await ev.evaluate('all');
    await ev.stop();
    expect(await store('reader').read('silenced', '')).toMatchObject({
      phase: 'firing',
      silence: { by: 'li', why: 'maintenance' },
    });
    expect((await store('reader').events({ rule: 'silenced' })).map((e) => e.what)).toContain('suppressed');
    // the planted t2 complaints are 10, far below min_n 1000: unknown, never firing
    expect(await store('reader').read('few', '')).toMatchObject({ phase: 'ok', n: 10 });
    expect(at('quiet', 'webhook')).toHaveLength(0);
  });
});

describe('deliveries that fail', () => {
  it('a refused host fails once with its reason; a 5xx is retried until taken', async () => {
    const r = rules({
      channels: {
        refused: { webhook: { url: 'http://receiver.invalid/hook', secret: HOOK_SECRET } },
        flaky: { webhook: { url: `${inbox.base}/fail/flaky`, secret: HOOK_SECRET } },
      },
      alerts: [
        { name: 'to-refused', kind: 'pipeline', check: 'ingester_down', for: '0s', channels: ['refused'] },
        { name: 'to-flaky', kind: 'pipeline', check: 'ingester_down', for: '0s', channels: ['flaky'] },
      ],
    });
    const probe = toggleProbe();
    probe.state = 'stopped';
    flakyLeft = 2;
    const ev = evaluator(r, 'fail', probe);
    await ev.evaluate('live');
    await ev.stop();
    const [refused] = (await store('reader').events({ rule: 'to-refused' })).filter(
      (e) => e.what === 'delivery',
    );
    expect(refused).toMatchObject({ result: 'refused', attempt: 1, channel: 'refused', notice: 'firing' });
    expect(refused!.detail).toMatch(/delivery_refused: .*receiver\.invalid/);
    const [flaky] = (await store('reader').events({ rule: 'to-flaky' })).filter((e) => e.what === 'delivery');
    expect(flaky).toMatchObject({ result: 'sent', attempt: 3, channel: 'flaky' });
    expect(at('fail', 'flaky')).toHaveLength(3);
  });
});

describe('the runtime starts the evaluator from ALERTS_FILE', () => {
  const file = (text: string) => {
    const p = path.join(mkdtempSync(path.join(tmpdir(), 'alerts-')), 'alerts.yaml');
    writeFileSync(p, text);
    return p;
  };
  const runtime = (f: string) => {
    const rt = new Runtime({ ...cfg, alerts: { file: f, intervalMs: 60_000 } });
    rt.clickhouse = ch;
    return rt;
  };

  it('a mistake stops it naming the place; a missing file names the key', async () => {
    const bad = file(
      'channels: {}\nalerts:\n  - {name: x, kind: pipeline, check: ingester_down, for: soon, channels: []}\n',
    );
    await expect(runtime(bad).startAlerts()).rejects.toMatchObject({
      code: 'alert_invalid',
      message: expect.stringMatching(/alerts\[0\]\.for: .*alerts\[0\]\.channels/s) as unknown,
    });
    await expect(runtime('/nonexistent/alerts.yaml').startAlerts()).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('ALERTS_FILE') as unknown,
    });
  });

  it('a valid file: evaluated at once, shown by /healthz and /metrics', async () => {
    const ok = file(
      `channels:\n  h: {webhook: {url: "${inbox.base}/rt/webhook", secret: s}}\nalerts:\n  - {name: rt-stale, kind: pipeline, check: data_stale, minutes: 30, channels: [h]}\n`,
    );
    const rt = runtime(ok);
    try {
      const ev = await rt.startAlerts();
      await ev!.evaluate('live');
      expect(rt.health()['alerts']).toMatchObject({ running: true, errors: 0 });
      const text = await rt.metrics.registry.metrics();
      expect(text).toMatch(/cxpulse_alerts_evaluator_up 1/);
      expect(Number(/cxpulse_alerts_evaluations_total (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/cxpulse_alerts_errors_total 0/);
    } finally {
      rt.clickhouse = undefined;
      await rt.close();
    }
  });
});
