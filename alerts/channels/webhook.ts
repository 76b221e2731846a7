import { createHash } from 'node:crypto';
import { signWebhook } from '../../infra/outbound.ts';
import { layout, PLAIN } from './layout.ts';
import { postJson, refused, failed, retriableStatus, type Outbound } from './http.ts';
import type { Message, Notification, SendResult } from './types.ts';

/**
 * The signed webhook: the notifications as JSON (the numbers as numbers, the words in the rule's
 * language), signed like report webhooks (`X-Cxpulse-Signature: t=…,v1=<hex HMAC-SHA256 of "t.body">`,
 * infra/outbound.ts). A 2xx is taken; 408, 429 and 5xx are retried, any other answer is refused.
 */

/** The same notifications carry the same key, so a receiver can drop a retried delivery it already has. */
export function idempotencyKey(msg: Message): string {
  const h = createHash('sha256');
  for (const n of msg)
    h.update(`${n.rule.id}\u0000${n.group ?? ''}\u0000${n.transition}\u0000${n.at.toISOString()}\n`);
  return h.digest('hex').slice(0, 32);
}

function one(n: Notification): Record<string, unknown> {
  return {
    rule: n.rule,
    transition: n.transition,
    kpi: n.kpi,
    value: n.measured.value,
    n: n.measured.n,
    ci: n.measured.ci ?? null,
    unit: n.measured.unit,
    target: n.target ?? null,
    status: n.status ?? null,
    filters: n.filters,
    group: n.group ?? null,
    link: n.link,
    at: n.at.toISOString(),
    locale: n.locale,
    mentions: n.mentions ?? {},
  };
}

/** The JSON a webhook receives: a title and text to show as they are, and each notification's data. */
export function webhookPayload(msg: Message): Record<string, unknown> {
  const laid = layout(msg, PLAIN, 64 * 1024);
  return { title: laid.title, text: laid.text, notifications: msg.map(one) };
}

export async function sendWebhook(
  dest: { url: string },
  msg: Message,
  cfg: Outbound & { secret: string },
  now = new Date(),
): Promise<SendResult> {
  if (!cfg.secret)
    throw refused('WEBHOOK_SECRET is not set: webhooks are signed and cannot be sent without it');
  const url = new URL(dest.url);
  const body = JSON.stringify(webhookPayload(msg));
  const answer = await postJson(
    url,
    body,
    { 'x-cxpulse-signature': signWebhook(cfg.secret, body, now), 'idempotency-key': idempotencyKey(msg) },
    cfg,
  );
  const response = `${answer.status} ${answer.body.slice(0, 500)}`.trim();
  if (answer.status >= 200 && answer.status < 300)
    return { channel: 'webhook', recipients: [url.origin], response };
  if (retriableStatus(answer.status)) throw failed(`webhook ${url.host} answered ${answer.status}`);
  throw refused(`webhook ${url.host} answered ${answer.status}`);
}
