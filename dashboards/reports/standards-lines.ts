import type { Translator } from '../../i18n/translator.ts';
import type { ClauseRow } from '../../metrics/answer/standards.ts';
import { formatValue, metricTitle, num, pText, statusWord } from './lines.ts';

/**
 * The standards section of a report in the recipient's language: one line per clause (the clause in
 * Chinese for zh-CN readers, in English otherwise), its KPI, target, value with CI and n, status, the
 * baseline of a relative target, and who misses it. Written once, so the HTML and the PDF agree.
 */

export interface StandardsLine {
  id: string;
  clause: string;
  kpi: string;
  target: string;
  value: string;
  status: string;
  /** the clause's status key (`met` …) for colours; `none` without one */
  statusKey: string;
  baseline: string;
  who: string;
}

const bar = (tr: Translator, r: ClauseRow, v: number) =>
  `${r.direction === 'higher' ? '≥' : '≤'} ${formatValue(tr, v, r.unit)}`;

/** "≥ 95 % · each priority · Channel: chat, social" */
export function targetText(tr: Translator, r: ClauseRow): string {
  const tg = r.target;
  if (!tg) return tr.t('pages:standards.noTarget');
  const parts: string[] = [];
  if (tg.kind === 'absolute') parts.push(bar(tr, r, tg.value));
  if (tg.kind === 'relative')
    parts.push(
      tr.t('pages:standards.target.relative', {
        change: `${tg.value > 0 ? '+' : '−'}${num(tr, Math.abs(tg.value))}`,
      }),
    );
  if (tg.kind === 'sustained')
    parts.push(
      tr.t('pages:standards.target.sustained', {
        bar: bar(tr, r, tg.value),
        months: num(tr, tg.months ?? 1),
      }),
    );
  if (tg.per)
    parts.push(tr.t('pages:standards.target.per', { dimension: tr.t(`vocabulary:dimension.${tg.per}`) }));
  const sep = tr.t('pages:standards.separator');
  for (const [d, vs] of Object.entries(tg.scope ?? {}))
    parts.push(`${tr.t(`vocabulary:dimension.${d}`)}: ${vs.map((v) => tr.label(d, v)).join(sep)}`);
  return parts.join(' · ');
}

function valueText(tr: Translator, r: ClauseRow): string {
  if (!r.applies) return tr.t('pages:standards.notApplicable');
  const ci =
    r.ci_low === null || r.ci_high === null
      ? ''
      : ` ${tr.t('pages:standards.ci', { low: num(tr, r.ci_low), high: num(tr, r.ci_high) })}`;
  return `${formatValue(tr, r.value, r.unit)}${ci} · ${tr.t('pages:overview.tile.n', { n: tr.number(r.n) })}`;
}

function baselineText(tr: Translator, r: ClauseRow): string {
  const b = r.baseline;
  if (!b) return r.target?.kind === 'relative' ? tr.t('pages:standards.noBaseline') : '';
  const parts = [
    tr.t('pages:standards.baseline', {
      value: formatValue(tr, b.value, r.unit),
      n: tr.number(b.n),
      from: tr.date(b.from, { dateStyle: 'medium' }),
      to: tr.date(b.to, { dateStyle: 'medium' }),
    }),
  ];
  if (r.required !== null)
    parts.push(tr.t('pages:standards.required', { value: formatValue(tr, r.required, r.unit) }));
  if (r.significant !== null && r.p_value !== null)
    parts.push(
      tr.t(r.significant ? 'pages:overview.tile.significant' : 'pages:overview.tile.notSignificant', {
        p: pText(tr, r.p_value),
      }),
    );
  return parts.join(' · ');
}

function whoText(tr: Translator, r: ClauseRow): string {
  const sep = tr.t('pages:standards.separator');
  const names = (d: string, xs: readonly string[]) => xs.map((x) => tr.label(d, x)).join(sep) || '–';
  const out: string[] = [];
  if (r.teams_missing && r.teams_missing.length > 0)
    out.push(
      tr.t('pages:standards.teamsMissing', {
        teams: names(
          'team_id',
          r.teams_missing.map((x) => x.team_id),
        ),
      }),
    );
  const per = r.target?.per;
  const missed = (r.members ?? []).filter((m) => m.status === 'missed').map((m) => m.member);
  if (per && missed.length > 0)
    out.push(tr.t('pages:standards.membersMissed', { members: names(per, missed) }));
  const s = r.sustained;
  if (s && per) {
    out.push(tr.t('pages:standards.qualified', { count: s.qualified.length, who: names(per, s.qualified) }));
    out.push(tr.t('pages:standards.missed', { count: s.missed.length, who: names(per, s.missed) }));
    out.push(
      tr.t('pages:standards.insufficient', { count: s.insufficient.length, who: names(per, s.insufficient) }),
    );
  }
  if (r.unavailable && per)
    out.push(tr.t('pages:standards.unavailable', { dimension: tr.t(`vocabulary:dimension.${per}`) }));
  return out.join('; ');
}

export function standardsLines(rows: readonly ClauseRow[], tr: Translator): StandardsLine[] {
  return rows.map((r) => ({
    id: r.id,
    clause: `${r.id} ${tr.locale === 'zh-CN' ? r.zh : r.en}`,
    kpi: metricTitle(tr, r.metric, r.title),
    target: targetText(tr, r),
    value: valueText(tr, r),
    status: r.status === null ? '–' : statusWord(tr, r.status),
    statusKey: r.status ?? 'none',
    baseline: baselineText(tr, r),
    who: whoText(tr, r),
  }));
}

/** The standards table's head. */
export const standardsHead = (tr: Translator): string[] =>
  ['clause', 'kpi', 'target', 'value', 'status', 'baseline', 'who'].map((c) =>
    tr.t(`pages:standards.column.${c}`),
  );
