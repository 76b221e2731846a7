import type { Config } from '../../infra/config.ts';
import { translator, type Translator } from '../../i18n/translator.ts';
import { dashboardLink } from '../channels/text.ts';
import type {
  Destination as ChannelDestination,
  Mentions,
  Notification,
  Transition,
} from '../channels/types.ts';
import type { Destination } from '../rules/destinations.ts';
import type { AlertRule } from '../rules/types.ts';
import type { GroupObservation } from './observation.ts';

/**
 * A notice owed by a rule × group as the channels send it: the {@link Notification} in the rule's
 * language (the KPI's or check's title from the catalogue, value with n and CI, target, status, the
 * filters and the group by their display names, the dashboard already filtered), and a destination of
 * alerts.yaml as a channel address with its mentions. Pure.
 */

/** The centre's names (segments, DISPLAY_NAMES) in a language. */
export const centreTranslator = (cfg: Config, locale: Notification['locale']): Translator =>
  translator(locale, { segments: cfg.vocabulary.segments, display_names: cfg.vocabulary.displayNames });

/** What the rule watches, in words: the KPI's title, or the service or pipeline check's. */
export function watchedTitle(tr: Translator, rule: AlertRule): string {
  if (rule.kind === 'kpi' || rule.kind === 'anomaly') {
    const key = `metrics:${rule.metric}.title`;
    return tr.has(key) ? tr.t(key) : rule.metric;
  }
  return tr.t(`alerts:check.${rule.check}`);
}

/** The page a rule's link opens. */
export function pageOf(rule: AlertRule): string {
  if (rule.kind === 'pipeline') return '/overview';
  if (rule.kind === 'service') return rule.check === 'breaching_now' ? '/service' : '/complaints';
  return /complaint|follow_up/.test(rule.metric) ? '/complaints' : '/overview';
}

export function notification(
  cfg: Config,
  rule: AlertRule,
  seen: GroupObservation,
  transition: Transition,
  at: Date,
): Notification {
  const tr = centreTranslator(cfg, rule.locale);
  const filters = 'filters' in rule ? rule.filters : {};
  const query: Record<string, readonly string[]> = { ...filters };
  if (seen.member) query[seen.member.dimension] = [seen.member.value];
  return {
    rule: { id: rule.name, name: rule.title },
    transition,
    kpi: watchedTitle(tr, rule),
    measured: {
      value: seen.obs.value,
      n: seen.obs.n ?? 0,
      ci: seen.ci,
      unit: seen.unit,
    },
    target: seen.target,
    status: seen.status,
    filters: Object.entries(filters).map(([d, values]) => ({
      label: tr.t(`vocabulary:dimension.${d}`),
      values: (values ?? []).map((v) => tr.label(d, v)),
    })),
    group: seen.member ? tr.label(seen.member.dimension, seen.member.value) : null,
    link: dashboardLink(cfg.publicUrl, pageOf(rule), query),
    at,
    timeZone: cfg.timeZone,
    locale: rule.locale,
  };
}

/** `all` mentions everyone, digits a mobile number, anything else a user id. */
export function mentionsOf(list: readonly string[]): Mentions | undefined {
  if (list.length === 0) return undefined;
  const mobiles = list.filter((m) => /^\+?\d{6,15}$/.test(m));
  const userIds = list.filter((m) => m !== 'all' && !mobiles.includes(m));
  return { all: list.includes('all'), mobiles, userIds };
}

/** A destination of alerts.yaml as the senders take it; the webhook's secret is its own. */
export function channelDestination(d: Destination): { dest: ChannelDestination; secret?: string } {
  switch (d.kind) {
    case 'email':
      return { dest: { kind: 'email', to: d.to } };
    case 'webhook':
      return { dest: { kind: 'webhook', url: d.url }, secret: d.secret };
    case 'wecom':
      return { dest: { kind: 'wecom', url: d.url } };
    case 'dingtalk':
      return { dest: { kind: 'dingtalk', url: d.url, secret: d.secret } };
    case 'feishu':
      return { dest: { kind: 'feishu', url: d.url, secret: d.secret } };
  }
}
