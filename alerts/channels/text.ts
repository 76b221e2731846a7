import { translator, type Translator } from '../../i18n/translator.ts';
import type { Message, MeasuredValue, Notification, Transition } from './types.ts';

/**
 * A notification in words, through the `alerts` catalogue in the notification's language: its title
 * (`[告警] 投诉 48 小时回访率 · 华东二组`), its facts (KPI, value with n and CI, target, status, filters,
 * group, time) and the link to the dashboard; a summary's title and one line per notification. The
 * vendor files lay these out in their markdown, card or text. Pure.
 */

export interface Fact {
  label: string;
  value: string;
}

export interface Words {
  title: string;
  transition: Transition;
  facts: Fact[];
  link: { label: string; url: string };
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

/** A number as the reader writes it, one decimal at most. */
const num = (tr: Translator, v: number) =>
  tr.number(v, { maximumFractionDigits: 1, minimumFractionDigits: 0 });

/** A value in the KPI's unit (`91.2 %` / `91.2%`, `35 s` / `35 秒`), or "no value". */
export function formatValue(
  tr: Translator,
  v: number | null | undefined,
  unit: MeasuredValue['unit'],
): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return tr.t('alerts:noValue');
  return tr.t(`alerts:value.${unit}`, { value: num(tr, v) });
}

/** The value with its interval and n: `78.3 % (95 % CI 71.2 % – 84.1 %, n = 212)`; "no data" for none. */
export function formatMeasured(tr: Translator, m: MeasuredValue): string {
  const value = formatValue(tr, m.value, m.unit);
  if (m.value === null && m.n === 0) return tr.t('alerts:noData');
  const n = tr.number(m.n);
  if (m.value === null || !m.ci) return tr.t('alerts:measured', { value, n });
  return tr.t('alerts:measuredCi', {
    value,
    n,
    low: formatValue(tr, m.ci[0], m.unit),
    high: formatValue(tr, m.ci[1], m.unit),
  });
}

/** The rule's filters as people read them (`团队 华东二组；渠道 电话、在线`), or "whole centre". */
export function formatFilters(tr: Translator, n: Notification): string {
  if (n.filters.length === 0) return tr.t('alerts:wholeCentre');
  return n.filters
    .map((f) =>
      tr.t('alerts:filter', {
        label: clean(f.label),
        values: f.values.map(clean).join(tr.t('alerts:valueSeparator')),
      }),
    )
    .join(tr.t('alerts:filterSeparator'));
}

export function titleOf(tr: Translator, n: Notification): string {
  const transition = tr.t(`alerts:transition.${n.transition}`);
  const rule = clean(n.rule.name);
  return n.group
    ? tr.t('alerts:titleGroup', { transition, rule, group: clean(n.group) })
    : tr.t('alerts:title', { transition, rule });
}

/** One notification in words. */
export function wordsOf(n: Notification): Words {
  const tr = translator(n.locale);
  const fact = (key: string, value: string) => ({ label: tr.t(`alerts:fact.${key}`), value });
  const facts = [
    fact('kpi', clean(n.kpi)),
    fact('value', formatMeasured(tr, n.measured)),
    ...(n.target !== undefined && n.target !== null
      ? [fact('target', formatValue(tr, n.target, n.measured.unit))]
      : []),
    ...(n.status ? [fact('status', tr.t(`vocabulary:status.${n.status}`))] : []),
    fact('filters', formatFilters(tr, n)),
    ...(n.group ? [fact('group', clean(n.group))] : []),
    fact(
      'at',
      tr.date(n.at, { dateStyle: 'medium', timeStyle: 'short', timeZone: n.timeZone, hour12: false }),
    ),
  ];
  return {
    title: titleOf(tr, n),
    transition: n.transition,
    facts,
    link: { label: tr.t('alerts:openDashboard'), url: n.link },
  };
}

/** A summary's title: `5 条告警通知：3 条告警，2 条恢复`. */
export function summaryTitle(msg: Message): string {
  const tr = translator(msg[0].locale);
  const count = (t: Transition) => msg.filter((n) => n.transition === t).length;
  return tr.t('alerts:summary.title', {
    count: msg.length,
    firing: count('firing') + count('reminder'),
    resolved: count('resolved'),
  });
}

/** A summary's line for one notification: `[告警] 规则 · 组 — 值 (n)`. */
export function summaryLine(n: Notification): string {
  const tr = translator(n.locale);
  return tr.t('alerts:summary.line', { title: titleOf(tr, n), value: formatMeasured(tr, n.measured) });
}

/** The line that stands for summary lines left out to fit the vendor's limit. */
export function moreLine(msg: Message, dropped: number): string {
  return translator(msg[0].locale).t('alerts:summary.more', { count: dropped });
}

/** The link of a summary: the first notification's dashboard, labelled as the alerts of several. */
export function summaryLink(msg: Message): { label: string; url: string } {
  return { label: translator(msg[0].locale).t('alerts:openDashboard'), url: msg[0].link };
}

/**
 * The dashboard a notification links to, filtered as the rule is: `CXPULSE_PUBLIC_URL` + the page +
 * the filters as query parameters (`?team_id=t2&channel=phone,chat`), the way the pages read them.
 */
export function dashboardLink(
  publicUrl: string,
  page: string,
  query: Readonly<Record<string, string | readonly string[]>>,
): string {
  const url = new URL(page.replace(/^\/+/, ''), publicUrl.replace(/\/+$/, '') + '/');
  for (const [k, v] of Object.entries(query)) {
    const value = typeof v === 'string' ? v : v.join(',');
    if (value !== '') url.searchParams.set(k, value);
  }
  return url.toString();
}
