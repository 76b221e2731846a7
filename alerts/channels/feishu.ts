import { createHmac } from 'node:crypto';
import { translator } from '../../i18n/translator.ts';
import { layout, PLAIN, type Style } from './layout.ts';
import { judgeRobot, postJson, type Outbound } from './http.ts';
import type { Message, SendResult } from './types.ts';

/**
 * Feishu / Lark (飞书) custom bot: a POST of `{"msg_type":"interactive","card":{…}}` (or
 * `{"msg_type":"text","content":{"text":…}}`) to `https://open.feishu.cn/open-apis/bot/v2/hook/…`
 * (`open.larksuite.com` for Lark). With 签名校验 the bot's secret signs the body: `timestamp` (seconds,
 * within an hour) and `sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, msg = ""))`, both in
 * the JSON. Mentions: `<at id=…></at>` in a card's lark_md, `<at user_id="…"></at>` in text (`all` for
 * everyone; mobile numbers are not supported). Documented limits: 100 requests a minute and 5 a second
 * per bot, a body of at most 20 KB. `code` 0 is taken; 9499 and 11232 (too many requests) heal on
 * their own, any other code (19021: bad signature, 19024: keyword missing …) does not.
 */

/** The card's text is kept under 16 KB so the whole body stays under Feishu's 20 KB. */
export const FEISHU_BYTES = 16 * 1024;
const RETRIABLE = new Set([9499, 11232]);

const TEMPLATE = { firing: 'red', reminder: 'orange', resolved: 'green', summary: 'blue' } as const;

const LARK_MD: Style = {
  // the card's header carries the title and its button the link
  title: () => '',
  fact: (label, colon, value) => `**${label}**${colon}${value}`,
  link: () => '',
  item: (line, url) => `- [${line}](${url})`,
};

/** The signature of a request at `timestampSeconds`: the key is `timestamp\nsecret`, the message empty. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

function mentionsOf(msg: Message, format: 'card' | 'text'): string[] {
  const m = msg[0].mentions ?? {};
  const ids = [...(m.userIds ?? []), ...(m.all ? ['all'] : [])];
  return ids.map((id) => (format === 'card' ? `<at id=${id}></at>` : `<at user_id="${id}"></at>`));
}

function card(msg: Message): object {
  const who = mentionsOf(msg, 'card');
  const laid = layout(msg, LARK_MD, FEISHU_BYTES, who.length ? [who.join(' ')] : []);
  const first = msg[0];
  return {
    config: { wide_screen_mode: true },
    header: {
      title: { tag: 'plain_text', content: laid.title },
      template: TEMPLATE[laid.transition],
    },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: laid.text } },
      {
        tag: 'action',
        actions: [
          {
            tag: 'button',
            text: { tag: 'plain_text', content: translator(first.locale).t('alerts:openDashboard') },
            type: 'primary',
            url: first.link,
          },
        ],
      },
    ],
  };
}

/** The JSON a Feishu bot receives for a message, signed when the bot has a secret. */
export function feishuPayload(
  msg: Message,
  format: 'card' | 'text',
  secret?: string,
  now = new Date(),
): object {
  const signed = secret
    ? (() => {
        const timestamp = Math.floor(now.getTime() / 1000);
        return { timestamp: String(timestamp), sign: feishuSign(secret, timestamp) };
      })()
    : {};
  if (format === 'text') {
    const who = mentionsOf(msg, 'text');
    const text = layout(msg, PLAIN, FEISHU_BYTES, who.length ? [who.join(' ')] : []).text;
    return { ...signed, msg_type: 'text', content: { text } };
  }
  return { ...signed, msg_type: 'interactive', card: card(msg) };
}

export async function sendFeishu(
  dest: { url: string; secret?: string; format?: 'card' | 'text' },
  msg: Message,
  outbound: Outbound,
  now = new Date(),
): Promise<SendResult> {
  const url = new URL(dest.url);
  const body = JSON.stringify(feishuPayload(msg, dest.format ?? 'card', dest.secret, now));
  const answer = await postJson(url, body, {}, outbound);
  const response = judgeRobot('Feishu', url, answer, 'code', RETRIABLE);
  return { channel: 'feishu', recipients: [url.origin], response };
}
