import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  dingtalkPayload,
  dingtalkSign,
  dingtalkUrl,
  DINGTALK_BYTES,
} from '../../../alerts/channels/dingtalk.ts';
import { emailContent } from '../../../alerts/channels/email.ts';
import { feishuPayload, feishuSign } from '../../../alerts/channels/feishu.ts';
import { truncateBytes, utf8Bytes } from '../../../alerts/channels/fit.ts';
import { judgeRobot } from '../../../alerts/channels/http.ts';
import { dashboardLink } from '../../../alerts/channels/text.ts';
import type { Message } from '../../../alerts/channels/types.ts';
import { webhookPayload } from '../../../alerts/channels/webhook.ts';
import { wecomPayload, WECOM_MARKDOWN_BYTES, WECOM_TEXT_BYTES } from '../../../alerts/channels/wecom.ts';
import { notification } from './fixtures.ts';

/**
 * Each vendor's message format, its signature against the vendor's published worked example, and its
 * size limit; the words in the rule's language.
 */

const one = (over = {}): Message => [notification(over)];

describe('signatures', () => {
  it('DingTalk: the documented example (secret "this is secret", 1600000000000)', () => {
    expect(dingtalkSign('this is secret', 1600000000000)).toBe(
      'MYEtKC4/NfMR1l4prX++ai6oOf70X1xOf6UlnyUhJH4=',
    );
  });

  it('DingTalk: timestamp and the URL-encoded sign in the query string, the token kept', () => {
    const u = dingtalkUrl(
      'https://oapi.dingtalk.com/robot/send?access_token=abc',
      'this is secret',
      new Date(1600000000000),
    );
    expect(u.searchParams.get('access_token')).toBe('abc');
    expect(u.searchParams.get('timestamp')).toBe('1600000000000');
    expect(u.search).toContain('sign=MYEtKC4%2FNfMR1l4prX%2B%2Bai6oOf70X1xOf6UlnyUhJH4%3D');
    expect(
      dingtalkUrl('https://oapi.dingtalk.com/robot/send?access_token=abc', undefined, new Date()).search,
    ).toBe('?access_token=abc');
  });

  it('Feishu: the documented example (same secret, 1600000000)', () => {
    expect(feishuSign('this is secret', 1600000000)).toBe('KPGy2t/of6Xra/AnHPcFkxvTtTVcBl/AnCo8A9Y2Tto=');
  });

  it('Feishu: timestamp (seconds, as a string) and sign in the body', () => {
    const at = new Date(1600000000_500);
    const body = feishuPayload(one(), 'card', 'this is secret', at) as Record<string, unknown>;
    expect(body['timestamp']).toBe('1600000000');
    const want = createHmac('sha256', '1600000000\nthis is secret').update('').digest('base64');
    expect(body['sign']).toBe(want);
    expect(feishuPayload(one(), 'card', undefined, at)).not.toHaveProperty('sign');
  });
});

describe('WeCom', () => {
  it('markdown: the rule, KPI, value with CI and n, target, status, filters, link, <@userid> mentions', () => {
    const p = wecomPayload(one({ mentions: { userIds: ['zhangsan'], mobiles: ['13800001111'] } })) as {
      msgtype: string;
      markdown: { content: string };
    };
    expect(p.msgtype).toBe('markdown');
    const c = p.markdown.content;
    expect(c).toContain('【告警】投诉 48 小时回访 · 华东二组');
    expect(c).toContain('投诉 48 小时回访率');
    expect(c).toContain('78.3%（95% CI 71.2% – 84.1%，n = 212）');
    expect(c).toContain('目标：<font color="comment">90%</font>');
    expect(c).toContain('达标状态：<font color="comment">未达标</font>');
    expect(c).toContain('团队 华东二组');
    expect(c).toContain('[打开看板](https://cx.example.com/complaints?team_id=t2)');
    expect(c).toContain('<@zhangsan>');
    expect(c).toContain('2026年3月2日 09:15');
    expect(Object.keys(p)).toEqual(['msgtype', 'markdown']);
  });

  it('text: mentioned_list and mentioned_mobile_list, @all', () => {
    const p = wecomPayload(
      one({ mentions: { userIds: ['zhangsan'], mobiles: ['13800001111'], all: true } }),
      'text',
    );
    expect(p).toEqual({
      msgtype: 'text',
      text: {
        content: expect.stringContaining('【告警】'),
        mentioned_list: ['zhangsan', '@all'],
        mentioned_mobile_list: ['13800001111'],
      },
    });
  });

  it('stays within 4096 bytes (markdown) and 2048 (text): a long summary drops lines and says how many', () => {
    const many = Array.from({ length: 120 }, (_, i) =>
      notification({ rule: { id: `r${i}`, name: `规则 ${i} ${'很长的名字'.repeat(5)}` } }),
    ) as unknown as Message;
    const md = (wecomPayload(many) as { markdown: { content: string } }).markdown.content;
    expect(utf8Bytes(md)).toBeLessThanOrEqual(WECOM_MARKDOWN_BYTES);
    expect(md).toContain('120 条告警通知：120 条告警，0 条恢复');
    const shown = md.split('\n').filter((l) => l.startsWith('- [')).length;
    expect(shown).toBeGreaterThan(3);
    expect(md).toContain(`……另有 ${120 - shown} 条（见告警页）`);
    const text = (wecomPayload(many, 'text') as { text: { content: string } }).text.content;
    expect(utf8Bytes(text)).toBeLessThanOrEqual(WECOM_TEXT_BYTES);
  });
});

describe('DingTalk', () => {
  it('markdown with title and text; at lists; the @ written in the text', () => {
    const p = dingtalkPayload(
      one({ locale: 'en', mentions: { mobiles: ['13800001111'], userIds: ['user123'] } }),
    ) as { msgtype: string; markdown: { title: string; text: string }; at: Record<string, unknown> };
    expect(p.msgtype).toBe('markdown');
    expect(p.markdown.title).toBe('[Firing] 投诉 48 小时回访 · 华东二组');
    expect(p.markdown.text).toContain('**Value**: 78.3 % (95 % CI 71.2 % – 84.1 %, n = 212)');
    expect(p.markdown.text).toContain('**Status**: missed');
    expect(p.markdown.text).toContain('@13800001111 @user123');
    expect(p.at).toEqual({ atMobiles: ['13800001111'], atUserIds: ['user123'], isAtAll: false });
    expect(utf8Bytes(p.markdown.text)).toBeLessThanOrEqual(DINGTALK_BYTES);
  });
});

describe('Feishu', () => {
  it('an interactive card: header coloured by transition, lark_md facts, a button to the dashboard', () => {
    const p = feishuPayload(one({ transition: 'resolved', mentions: { userIds: ['ou_1'] } }), 'card') as {
      msg_type: string;
      card: { header: { title: { content: string }; template: string }; elements: unknown[] };
    };
    expect(p.msg_type).toBe('interactive');
    expect(p.card.header).toEqual({
      title: { tag: 'plain_text', content: '【已恢复】投诉 48 小时回访 · 华东二组' },
      template: 'green',
    });
    const [div, action] = p.card.elements as [
      { text: { tag: string; content: string } },
      { actions: { url: string; text: { content: string } }[] },
    ];
    expect(div.text.tag).toBe('lark_md');
    expect(div.text.content).toContain('**当前值**：78.3%');
    expect(div.text.content).toContain('<at id=ou_1></at>');
    expect(action.actions[0]).toMatchObject({ url: 'https://cx.example.com/complaints?team_id=t2' });
    expect(action.actions[0]?.text.content).toBe('打开看板');
  });

  it('text with <at user_id>', () => {
    const p = feishuPayload(one({ mentions: { all: true } }), 'text') as { content: { text: string } };
    expect(p).toMatchObject({ msg_type: 'text' });
    expect(p.content.text).toContain('<at user_id="all"></at>');
  });
});

describe('webhook and email', () => {
  it('the webhook carries the numbers as numbers', () => {
    const p = webhookPayload(one()) as { notifications: Record<string, unknown>[] };
    expect(p.notifications[0]).toMatchObject({
      rule: { id: 'follow-up-t2' },
      transition: 'firing',
      value: 78.25,
      n: 212,
      ci: [71.2, 84.06],
      target: 90,
      status: 'missed',
      group: '华东二组',
      at: '2026-03-02T01:15:00.000Z',
    });
  });

  it('an email in English: subject, text and escaped HTML', () => {
    const e = emailContent(one({ locale: 'en', rule: { id: 'x', name: 'Follow-up <team>' } }));
    expect(e.subject).toBe('[Firing] Follow-up <team> · 华东二组');
    expect(e.text).toContain('Target: 90 %');
    expect(e.html).toContain('Follow-up &lt;team&gt;');
    expect(e.html).toContain('<a href="https://cx.example.com/complaints?team_id=t2">Open the dashboard</a>');
  });
});

describe('text', () => {
  it('truncates at a character boundary', () => {
    expect(truncateBytes('华东二组', 7)).toBe('华…');
    expect(utf8Bytes(truncateBytes('华东二组'.repeat(100), 100))).toBeLessThanOrEqual(100);
    expect(truncateBytes('abc', 3)).toBe('abc');
  });

  it('a value without CI or without value', () => {
    const p = dingtalkPayload(
      one({ locale: 'en', measured: { value: null, n: 0, unit: 'hours' }, target: null, status: null }),
    ) as { markdown: { text: string } };
    // nothing measured at all: no data in the window (a KPI group with no service)
    expect(p.markdown.text).toContain('**Value**: no data in the window');
    expect(p.markdown.text).not.toContain('Target');
    const some = dingtalkPayload(
      one({ locale: 'en', measured: { value: null, n: 3, unit: 'hours' }, target: null, status: null }),
    ) as { markdown: { text: string } };
    expect(some.markdown.text).toContain('**Value**: no value (n = 3)');
  });

  it('builds the dashboard link under the public URL with the filters', () => {
    expect(
      dashboardLink('https://cx.example.com/base/', '/complaints', {
        team_id: 't2',
        channel: ['phone', 'chat'],
      }),
    ).toBe('https://cx.example.com/base/complaints?team_id=t2&channel=phone%2Cchat');
  });
});

describe('robot answers', () => {
  const url = new URL('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-key');
  const judge = (status: number, body: string) =>
    judgeRobot('WeCom', url, { status, body }, 'errcode', new Set([45009]));

  it('0 is taken, a rate-limit code is retriable, another code refused, the key never in the message', () => {
    expect(judge(200, '{"errcode":0,"errmsg":"ok"}')).toContain('"errcode":0');
    expect(() => judge(200, '{"errcode":45009,"errmsg":"api freq out of limit"}')).toThrow(
      expect.objectContaining({ code: 'delivery_failed', retriable: true }),
    );
    const refusedErr = (() => {
      try {
        judge(200, '{"errcode":93000,"errmsg":"invalid webhook url"}');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(refusedErr).toMatchObject({ code: 'delivery_refused', retriable: false });
    expect(refusedErr?.message).not.toContain('secret-key');
    expect(() => judge(502, 'bad gateway')).toThrow(expect.objectContaining({ code: 'delivery_failed' }));
    expect(() => judge(404, 'not found')).toThrow(expect.objectContaining({ code: 'delivery_refused' }));
  });
});
