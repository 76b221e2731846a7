import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { RULE_ISSUE_CODES, type RuleIssue } from '../../../alerts/rules/issues.ts';
import enAlerts from '../../../i18n/locales/en/alerts.json' with { type: 'json' };
import zhAlerts from '../../../i18n/locales/zh-CN/alerts.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { parseRules } from '../../../alerts/rules/definitions.ts';
import { parseDuration } from '../../../alerts/rules/duration.ts';

const channels = { team: { email: ['lead@example.com'] } };
const kpi = {
  name: 'csat-low',
  kind: 'kpi',
  metric: 'csat',
  window: 'today',
  condition: { below: 85 },
  channels: ['team'],
};
const parse = (alerts: unknown[], extra: Record<string, unknown> = {}, allowHttp = false) =>
  parseRules({ channels: { ...channels, ...extra }, alerts }, { locale: 'zh-CN', allowHttp });
const fails = (alerts: unknown[], extra: Record<string, unknown> = {}) => {
  try {
    parse(alerts, extra);
  } catch (err) {
    // each mistake: its place, a code for the page's words, and the English message
    return (err as { details: RuleIssue[] }).details.map((d) => `${d.place}: ${d.message}`);
  }
  throw new Error('parsed');
};

describe('alert rule definitions', () => {
  it('fills the defaults: title = name, CXPULSE_LOCALE, for 5m, repeat 4h, min_n 30, no filters', () => {
    const { rules, destinations } = parse([kpi]);
    expect(rules[0]).toMatchObject({
      name: 'csat-low',
      title: 'csat-low',
      locale: 'zh-CN',
      forMs: 5 * 60_000,
      repeatMs: 4 * 3_600_000,
      min_n: 30,
      filters: {},
    });
    expect(destinations).toEqual([{ name: 'team', kind: 'email', to: ['lead@example.com'] }]);
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('5 minutes')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });

  it('the example alerts.yaml is valid', () => {
    const { rules, destinations } = parseRules(parseYaml(readFileSync('alerts.yaml', 'utf8')), {
      locale: 'en',
    });
    expect(rules.map((r) => r.kind)).toEqual(['kpi', 'kpi', 'anomaly', 'service', 'pipeline', 'pipeline']);
    expect(rules[0]).toMatchObject({
      title: '投诉 48 小时回访率未达标',
      locale: 'zh-CN',
      by: 'team_id',
      forMs: 600_000,
    });
    expect(rules[2]?.locale).toBe('en');
    expect(destinations.map((d) => d.kind).sort()).toEqual(['dingtalk', 'email', 'feishu', 'wecom']);
  });

  it('names every mistake of the fields with its place, all at once; then the cross-references', () => {
    const details = fails([
      kpi,
      { ...kpi, name: 'Bad Name', for: '5 minutes', repeat: '10s' },
      { ...kpi, name: 'x', metric: 'happiness' },
      { ...kpi, name: 'y', filters: { colour: 'red' } },
      { ...kpi, name: 'z', condition: { below: 80, above: 90 } },
    ]);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\[1\]\.name: must be lower-case letters/),
        'alerts[1].for: must be a duration such as 30s, 5m, 4h or 1d',
        'alerts[1].repeat: must be between 1m and 30d',
        'alerts[2].metric: is not a KPI of the catalog (GET /api/v1/metrics lists them)',
        'alerts[3].filters: Unrecognized key: "colour"',
        'alerts[4].condition: must be exactly one of {below: number}, {above: number}, {status: missed}',
      ]),
    );
    expect(fails([kpi, { ...kpi, channels: ['nobody'] }])).toEqual([
      'alerts[1].name: csat-low is defined twice',
      'alerts[1].channels[0]: nobody is not a destination under channels:',
    ]);
  });

  it('checks filters and the breakdown against the KPI dimensions, and a target status against its targets', () => {
    // churn is computed over customers: no team, no channel
    const details = fails([
      { ...kpi, metric: 'churn_rate', filters: { team_id: 't2' }, by: 'channel' },
      { ...kpi, name: 'count', metric: 'interactions', condition: { status: 'missed' } },
    ]);
    expect(details).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alerts\[0\]\.filters\.team_id: team_id is not a dimension of churn_rate/),
        expect.stringMatching(/^alerts\[0\]\.by: channel is not a dimension of churn_rate/),
        'alerts[1].condition.status: interactions has no target to be missed; use below or above',
      ]),
    );
    expect(
      parse([{ ...kpi, metric: 'follow_up_48h', condition: { status: 'missed' }, by: 'team_id' }]),
    ).toBeTruthy();
  });

  it('asks each pipeline check for its own threshold and no other', () => {
    const p = { name: 'p', kind: 'pipeline', channels: ['team'] };
    expect(fails([{ ...p, check: 'dlq_growth' }])).toEqual([
      'alerts[0].per_hour: is required by check dlq_growth',
    ]);
    expect(fails([{ ...p, check: 'ingester_down', minutes: 5 }])).toEqual([
      'alerts[0].minutes: does not apply to check ingester_down',
    ]);
    expect(parse([{ ...p, check: 'consumer_lag', messages: 10000 }]).rules[0]).toMatchObject({
      messages: 10000,
    });
    expect(fails([{ ...p, check: 'disk_full' }])[0]).toMatch(
      /^alerts\[0\]\.check: must be one of ingester_down/,
    );
    expect(fails([{ ...p, kind: 'weather' }])[0]).toMatch(
      /kind must be one of kpi, anomaly, service, pipeline/,
    );
  });

  it('validates destinations: https, the robot credential in the URL, secrets of signed robots', () => {
    const details = fails([kpi], {
      plain: { webhook: { url: 'http://hooks.example.com/x', secret: 's' } },
      creds: { webhook: { url: 'https://u:p@hooks.example.com/x', secret: 's' } },
      wecom: { wecom: { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send' } },
      ding: { dingtalk: { url: 'https://oapi.dingtalk.com/robot/send?access_token=abc' } },
      lark: { feishu: { url: 'https://open.feishu.cn/open-apis/bot/v2/hook/abc', secret: '' } },
      both: { email: ['a@example.com'], wecom: { url: 'https://qyapi.weixin.qq.com/x?key=k' } },
      slack: { slack: { url: 'https://hooks.slack.com/x' } },
    });
    expect(details).toEqual(
      expect.arrayContaining([
        'channels.plain.webhook.url: must be an https URL',
        'channels.creds.webhook.url: must not carry a user name or password',
        'channels.wecom.wecom.url: must carry the robot key (…/cgi-bin/webhook/send?key=…)',
        'channels.ding.dingtalk.secret: is required: this robot signs its messages with it',
        'channels.lark.feishu.secret: must not be empty',
        'channels.both: must be exactly one of email, webhook, wecom, dingtalk, feishu',
        expect.stringMatching(/^channels\.slack: .*slack/),
      ]),
    );
    const local = parse(
      [kpi],
      {
        recv: {
          dingtalk: { url: 'http://127.0.0.1:9/robot/send?access_token=t', secret: 'x', mentions: ['all'] },
        },
      },
      true,
    );
    expect(local.destinations).toContainEqual({
      name: 'recv',
      kind: 'dingtalk',
      url: 'http://127.0.0.1:9/robot/send?access_token=t',
      secret: 'x',
      mentions: ['all'],
    });
  });
});

describe('rule mistakes as codes with parameters', () => {
  const issues = (alerts: unknown[]) => {
    try {
      parse(alerts);
    } catch (err) {
      return (err as { details: RuleIssue[] }).details.map(({ place, code, params }) => ({
        place,
        code,
        params,
      }));
    }
    throw new Error('parsed');
  };

  it('names each kind of mistake with a code the catalogues translate', () => {
    const got = issues([
      {
        name: 'a',
        kind: 'kpi',
        metric: 'nope',
        window: 'yesterday',
        condition: { below: 1 },
        channels: ['x'],
      },
      {
        name: 'b',
        kind: 'kpi',
        metric: 'csat',
        window: 'today',
        by: 'region',
        condition: { below: 1 },
        for: 'soon',
        channels: ['team'],
      },
      { name: 'c', kind: 'service', channels: ['team'] },
    ]);
    expect(got).toEqual(
      expect.arrayContaining([
        { place: 'alerts[0].metric', code: 'unknown_metric', params: { value: 'nope' } },
        {
          place: 'alerts[0].window',
          code: 'invalid_enum',
          params: { allowed: 'today, last_24h, this_week, last_7d' },
        },
        { place: 'alerts[1].for', code: 'invalid_duration', params: { value: 'soon' } },
        { place: 'alerts[2].check', code: 'required', params: {} },
      ]),
    );
    for (const { code } of got) expect(code === null || RULE_ISSUE_CODES.includes(code)).toBe(true);
  });

  it('every code has words in both catalogues', () => {
    for (const code of RULE_ISSUE_CODES) {
      expect(enAlerts.errors).toHaveProperty(code);
      expect(zhAlerts.errors).toHaveProperty(code);
    }
  });
});
