import type { TargetStatus } from '../../metrics/targets/types.ts';
import type { Unit } from '../../metrics/types.ts';
import type { Locale } from '../../i18n/locales.ts';

/**
 * What an alert says and where it goes. A {@link Notification} is one transition of one rule (for one
 * group, e.g. a team), with everything a person needs to act on it: the KPI, its value with `n` and the
 * confidence interval, the target and its status, the filters in words, a link to the dashboard already
 * filtered, the language to write it in and whom to mention. A {@link Destination} is one channel's
 * address and credentials. Types only; `text.ts` writes a notification, the vendor files send it.
 */

/** `firing`: the rule started firing; `resolved`: it stopped; `reminder`: still firing after the repeat interval. */
export type Transition = 'firing' | 'resolved' | 'reminder';
export const TRANSITIONS: readonly Transition[] = ['firing', 'resolved', 'reminder'];

/** A KPI's value as measured when the rule was evaluated. */
export interface MeasuredValue {
  /** null when there was nothing to measure */
  value: number | null;
  /** the observations behind it (answers, interactions …) */
  n: number;
  /** the 95 % confidence interval, when the KPI has one */
  ci?: readonly [number, number] | null;
  unit: Unit;
}

/** A filter of the rule as a person reads it (`Team: East 2`), already translated by the caller. */
export interface ReadableFilter {
  /** the dimension's name in the notification's language (`团队`) */
  label: string;
  /** its values in the notification's language (`华东二组`) */
  values: readonly string[];
}

/** Whom a robot message mentions. Each vendor uses the lists it understands and ignores the others. */
export interface Mentions {
  /** user ids: WeCom `userid`, DingTalk `userId`, Feishu `open_id` / `user_id` */
  userIds?: readonly string[];
  /** mobile numbers (WeCom, DingTalk) */
  mobiles?: readonly string[];
  /** everyone in the group */
  all?: boolean;
}

export interface Notification {
  rule: { id: string; name: string };
  transition: Transition;
  /** the KPI's title in the notification's language */
  kpi: string;
  measured: MeasuredValue;
  /** the bar, in the KPI's unit; absent for rules judged on status only */
  target?: number | null;
  /** `met` / `at_risk` / `missed` / `insufficient_data`, when the rule judges a target */
  status?: TargetStatus | null;
  filters: readonly ReadableFilter[];
  /** the group the state is kept for (a team's name), when the rule has a breakdown */
  group?: string | null;
  /** the dashboard, filtered as the rule is: see `dashboardLink` in text.ts */
  link: string;
  /** when the transition happened */
  at: Date;
  /** the time zone `at` is written in (the centre's, `CXPULSE_TIME_ZONE`) */
  timeZone: string;
  locale: Locale;
  mentions?: Mentions;
}

/** The signed webhook's, WeCom's, DingTalk's and Feishu's addresses; email's recipients. */
export type Destination =
  | { kind: 'email'; to: readonly string[]; cc?: readonly string[] }
  | { kind: 'webhook'; url: string }
  /** `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`: the key is the credential */
  | { kind: 'wecom'; url: string; format?: 'markdown' | 'text' }
  /** `https://oapi.dingtalk.com/robot/send?access_token=…`, with the robot's `SEC…` secret when signed */
  | { kind: 'dingtalk'; url: string; secret?: string }
  /** `https://open.feishu.cn/open-apis/bot/v2/hook/…` (or larksuite.com), with the bot's secret when signed */
  | { kind: 'feishu'; url: string; secret?: string; format?: 'card' | 'text' };

export type ChannelKind = Destination['kind'];

/**
 * One message to one destination: a single notification, or — when a robot's rate limit would be
 * exceeded (limiter.ts) — a summary of several in one message.
 */
export type Message = readonly [Notification, ...Notification[]];

/** What a delivery returns: who took it and the provider's answer, for the delivery history. */
export interface SendResult {
  channel: ChannelKind;
  /** the recipients an SMTP server accepted, or the robot's origin */
  recipients: string[];
  /** the provider's answer as received (HTTP status and body, or the SMTP reply) */
  response: string;
}
