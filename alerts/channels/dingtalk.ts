import { createHmac } from 'node:crypto';
import { layout, type Style } from './layout.ts';
import { judgeRobot, postJson, type Outbound } from './http.ts';
import type { Message, SendResult } from './types.ts';

/**
 * DingTalk (钉钉) custom robot: a POST of `{"msgtype":"markdown","markdown":{"title","text"},"at":{…}}`
 * to `https://oapi.dingtalk.com/robot/send?access_token=…`. With 加签 (signing) the robot's `SEC…`
 * secret signs the request: `timestamp` (milliseconds, within an hour of DingTalk's clock) and
 * `sign = urlencode(base64(HMAC-SHA256(key = secret, msg = timestamp + "\n" + secret)))` in the query
 * string. Mentions: `at.atMobiles` / `at.atUserIds` / `at.isAtAll`, and the `@…` written in the text
 * (DingTalk shows the mention only when the text carries it). 20 messages a minute per robot; `errcode`
 * 0 is taken, 130101 (sent too fast) and -1 (busy) heal on their own, any other code does not.
 */

/** DingTalk documents no markdown limit we could confirm; we keep to WeCom's 4096 bytes. */
export const DINGTALK_BYTES = 4096;
/** 130101: sent too fast (over 20 a minute); -1: system busy. */
const RETRIABLE = new Set([130101, -1]);

const COLOR = { firing: '#D9363E', reminder: '#D9363E', resolved: '#2BA471', summary: '#555555' } as const;

// DingTalk's markdown needs a blank line between paragraphs
const MARKDOWN: Style = {
  title: (text, t) => `### <font color="${COLOR[t]}">${text}</font>`,
  fact: (label, colon, value) => `- **${label}**${colon}${value}`,
  link: (label, url) => `[${label}](${url})`,
  item: (line, url) => `- [${line}](${url})`,
};

/** The signature of a request at `timestampMs` (base64, before URL-encoding). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The robot's URL with `timestamp` and `sign` added when it has a secret. */
export function dingtalkUrl(url: string, secret: string | undefined, now: Date): URL {
  const u = new URL(url);
  if (secret) {
    const ts = now.getTime();
    u.searchParams.set('timestamp', String(ts));
    // URLSearchParams encodes as application/x-www-form-urlencoded: `+` → %2B, `/` → %2F, `=` → %3D
    u.searchParams.set('sign', dingtalkSign(secret, ts));
  }
  return u;
}

/** The JSON a DingTalk robot receives for a message. */
export function dingtalkPayload(msg: Message): object {
  const m = msg[0].mentions ?? {};
  const who = [...(m.mobiles ?? []), ...(m.userIds ?? [])].map((x) => `@${x}`);
  const laid = layout(
    msg,
    { ...MARKDOWN, separator: '\n\n' },
    DINGTALK_BYTES,
    who.length ? [who.join(' ')] : [],
  );
  return {
    msgtype: 'markdown',
    markdown: { title: laid.title, text: laid.text },
    at: { atMobiles: [...(m.mobiles ?? [])], atUserIds: [...(m.userIds ?? [])], isAtAll: m.all === true },
  };
}

export async function sendDingtalk(
  dest: { url: string; secret?: string },
  msg: Message,
  outbound: Outbound,
  now = new Date(),
): Promise<SendResult> {
  const url = dingtalkUrl(dest.url, dest.secret, now);
  const answer = await postJson(url, JSON.stringify(dingtalkPayload(msg)), {}, outbound);
  const response = judgeRobot('DingTalk', url, answer, 'errcode', RETRIABLE);
  return { channel: 'dingtalk', recipients: [url.origin], response };
}
