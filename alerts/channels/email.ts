import type { Config } from '../../infra/config.ts';
import { sendThroughSmtp } from '../../infra/smtp.ts';
import { CxError } from '../../infra/errors.ts';
import { layout, PLAIN, type Style } from './layout.ts';
import { idempotencyKey } from './webhook.ts';
import type { Message, SendResult } from './types.ts';

/**
 * Email through the reports' SMTP server (`SMTP_*`): the subject is the title, the body the facts and
 * the link, as text and as simple HTML. As for reports, a 5xx reply or a rejected recipient is
 * refused (a retry would not help, or would send again to those who have it); a refused connection, a
 * timeout or a 4xx reply is retried.
 */

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

const HTML: Style = {
  title: (text) => `<h2 style="font-size:16px;">${esc(text)}</h2>`,
  fact: (label, colon, value) => `<div><b>${esc(label)}</b>${esc(colon)}${esc(value)}</div>`,
  link: (label, url) => `<p><a href="${esc(url)}">${esc(label)}</a></p>`,
  item: (line, url) => `<li><a href="${esc(url)}">${esc(line)}</a></li>`,
};

/** Subject, text and HTML of an alert email. */
export function emailContent(msg: Message): { subject: string; text: string; html: string } {
  const text = layout(msg, PLAIN, 256 * 1024);
  const html = layout(msg, HTML, 256 * 1024).text;
  const lang = msg[0].locale;
  return {
    subject: text.title,
    text: text.text,
    html: `<!doctype html><html lang="${lang}"><body style="font-family:sans-serif;">${msg.length > 1 ? html.replace(/(<li>[\s\S]*<\/li>)/, '<ul>$1</ul>') : html}</body></html>`,
  };
}

export async function sendEmail(
  smtp: Config['reports']['smtp'],
  dest: { to: readonly string[]; cc?: readonly string[] },
  msg: Message,
): Promise<SendResult> {
  if (!smtp) throw new CxError('delivery_refused', 'no SMTP server configured (SMTP_HOST)');
  const { accepted, response } = await sendThroughSmtp(
    smtp,
    {
      to: [...dest.to],
      cc: dest.cc ? [...dest.cc] : undefined,
      messageId: `<alert-${idempotencyKey(msg)}@cxpulse>`,
      ...emailContent(msg),
    },
    'alert',
  );
  return { channel: 'email', recipients: accepted, response };
}
