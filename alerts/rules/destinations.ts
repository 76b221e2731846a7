import { z } from 'zod';

/**
 * Where alerts go: named destinations (`channels:` of alerts.yaml), each one kind — email recipients,
 * a signed webhook, a WeCom group robot, a DingTalk custom robot or a Feishu/Lark custom bot. A rule
 * names the destinations it notifies. Only the shape is checked here: addresses are https (plain http
 * only when the loader allows it, e.g. for local receivers), carry no user name or password, a robot's
 * URL holds its credential (`key`, `access_token`, the hook id), and robots that sign their messages
 * have their secret.
 */

export const DESTINATION_KINDS = ['email', 'webhook', 'wecom', 'dingtalk', 'feishu'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** `all` mentions everyone in the group (WeCom `@all`, DingTalk `isAtAll`, Feishu `user_id="all"`). */
export type Mentions = string[];

export type Destination =
  | { name: string; kind: 'email'; to: string[] }
  | { name: string; kind: 'webhook'; url: string; secret: string }
  | { name: string; kind: 'wecom'; url: string; mentions: Mentions }
  | { name: string; kind: 'dingtalk'; url: string; secret: string; mentions: Mentions }
  | { name: string; kind: 'feishu'; url: string; secret: string; mentions: Mentions };

export interface UrlRules {
  /** accept plain http (local test receivers); https only otherwise */
  allowHttp: boolean;
}

/** An address: https (or http when allowed), no credentials in it, and `check` for what it must carry. */
function address(rules: UrlRules, check?: { ok: (u: URL) => boolean; message: string }) {
  return z.string().superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a URL' });
      return;
    }
    const protocols = rules.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!protocols.includes(u.protocol))
      ctx.addIssue({
        code: 'custom',
        message: rules.allowHttp ? 'must be an https or http URL' : 'must be an https URL',
      });
    else if (u.username || u.password)
      ctx.addIssue({ code: 'custom', message: 'must not carry a user name or password' });
    else if (check && !check.ok(u)) ctx.addIssue({ code: 'custom', message: check.message });
  });
}

const mentions = z.array(z.string().trim().min(1, 'must not be empty')).max(50).default([]);
const secret = z
  .string({ error: 'is required: this robot signs its messages with it' })
  .min(1, 'must not be empty');
const query = (name: string) => (u: URL) => (u.searchParams.get(name) ?? '') !== '';

function destinationSchema(rules: UrlRules) {
  return z
    .object({
      email: z.array(z.email('must be an email address')).min(1, 'needs at least one address').optional(),
      webhook: z
        .object({ url: address(rules), secret })
        .strict()
        .optional(),
      wecom: z
        .object({
          url: address(rules, {
            ok: query('key'),
            message: 'must carry the robot key (…/cgi-bin/webhook/send?key=…)',
          }),
          mentions,
        })
        .strict()
        .optional(),
      dingtalk: z
        .object({
          url: address(rules, {
            ok: query('access_token'),
            message: 'must carry the access token (…/robot/send?access_token=…)',
          }),
          secret,
          mentions,
        })
        .strict()
        .optional(),
      feishu: z
        .object({
          url: address(rules, {
            ok: (u) => /\/hook\/[^/]+$/.test(u.pathname),
            message: 'must be the bot webhook address (…/open-apis/bot/v2/hook/…)',
          }),
          secret,
          mentions,
        })
        .strict()
        .optional(),
    })
    .strict()
    .refine((d) => Object.values(d).filter((v) => v !== undefined).length === 1, {
      message: `must be exactly one of ${DESTINATION_KINDS.join(', ')}`,
    });
}

/** The `channels:` map of named destinations. */
export function destinationsSchema(rules: UrlRules) {
  return z.record(
    z
      .string()
      .regex(/^[\p{L}\p{Nd}][\p{L}\p{Nd}_-]{0,62}$/u, 'must be letters (any script), digits, _ and -'),
    destinationSchema(rules),
  );
}

type Parsed = z.output<ReturnType<typeof destinationSchema>>;

/** A parsed entry of `channels:` as a tagged destination. */
export function toDestination(name: string, d: Parsed): Destination {
  if (d.email) return { name, kind: 'email', to: d.email };
  if (d.webhook) return { name, kind: 'webhook', ...d.webhook };
  if (d.wecom) return { name, kind: 'wecom', url: d.wecom.url, mentions: d.wecom.mentions };
  if (d.dingtalk) return { name, kind: 'dingtalk', ...d.dingtalk };
  return { name, kind: 'feishu', ...d.feishu! };
}
