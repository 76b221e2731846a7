import { layout, PLAIN, type Style } from './layout.ts';
import { judgeRobot, postJson, type Outbound } from './http.ts';
import type { Message, Mentions, SendResult } from './types.ts';

/**
 * WeCom (企业微信) group robot: a POST of `{"msgtype":"markdown","markdown":{"content":…}}` (or
 * `"text"`) to the robot's webhook URL, whose `key` is the credential. Documented limits: markdown
 * content ≤ 4096 bytes, text ≤ 2048 bytes (UTF-8), 20 messages a minute per robot. Mentions:
 * `<@userid>` inside the content (markdown and text), or `mentioned_list` / `mentioned_mobile_list`
 * (text only; `@all` for everyone). `errcode` 0 is taken; 45009 (calls over the limit) and -1 (busy)
 * heal on their own, any other code does not. See alerts/README.md for the sources.
 */

export const WECOM_MARKDOWN_BYTES = 4096;
export const WECOM_TEXT_BYTES = 2048;
/** 45009: API calls over the limit (the robot's 20 a minute); -1: system busy. */
const RETRIABLE = new Set([45009, -1]);

const COLOR = { firing: 'warning', reminder: 'warning', resolved: 'info', summary: 'comment' } as const;

const MARKDOWN: Style = {
  title: (text, t) => `**<font color="${COLOR[t]}">${text}</font>**`,
  fact: (label, colon, value) => `> ${label}${colon}<font color="comment">${value}</font>`,
  link: (label, url) => `[${label}](${url})`,
  item: (line, url) => `- [${line}](${url})`,
};

/** The JSON a WeCom robot receives for a message. */
export function wecomPayload(msg: Message, format: 'markdown' | 'text' = 'markdown'): object {
  const m: Mentions = msg[0].mentions ?? {};
  if (format === 'text') {
    const laid = layout(msg, PLAIN, WECOM_TEXT_BYTES);
    const users = [...(m.userIds ?? []), ...(m.all ? ['@all'] : [])];
    const mobiles = [...(m.mobiles ?? [])];
    return {
      msgtype: 'text',
      text: {
        content: laid.text,
        ...(users.length ? { mentioned_list: users } : {}),
        ...(mobiles.length ? { mentioned_mobile_list: mobiles } : {}),
      },
    };
  }
  // markdown mentions by user id only; mobile numbers need the text format
  const tail = m.userIds?.length ? [m.userIds.map((u) => `<@${u}>`).join(' ')] : [];
  return {
    msgtype: 'markdown',
    markdown: { content: layout(msg, MARKDOWN, WECOM_MARKDOWN_BYTES, tail).text },
  };
}

export async function sendWecom(
  dest: { url: string; format?: 'markdown' | 'text' },
  msg: Message,
  outbound: Outbound,
): Promise<SendResult> {
  const url = new URL(dest.url);
  const answer = await postJson(url, JSON.stringify(wecomPayload(msg, dest.format)), {}, outbound);
  const response = judgeRobot('WeCom', url, answer, 'errcode', RETRIABLE);
  return { channel: 'wecom', recipients: [url.origin], response };
}
