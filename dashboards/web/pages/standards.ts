import { STATUS_COLOURS } from '../../charts/base.ts';
import { sparklineSpec } from '../../charts/time.ts';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { Standards, StandardsRow, TargetSpec } from '../../wire.ts';
import { day, embedLocale, label, LOCALE, num, t, translatorNow } from '../i18n.ts';
import { fmtP, metricTitle } from '../kpi.ts';
import { api, filterParams, fmt, h, setFreshness, type Filters } from '../ui.ts';

/**
 * `/standards`: the standards scorecard — one row per clause, in the reader's language: the clause, its
 * KPI and target, the value with CI and n, the status, the baseline and its test (relative targets), the
 * monthly trend, the teams that miss it, and for the sustained clause the agents who qualify, miss or
 * lack data. The rows are those of `GET /api/v1/standards` (downloads below).
 */

const FORMATS: Record<string, string> = { csv: 'CSV', json: 'JSON', arrow: 'Arrow', xlsx: 'XLSX' };

export async function standards(main: HTMLElement, f: Filters): Promise<void> {
  const box = h('div', { class: 'panel standards' }, h('p', { class: 'loading' }, t('common:panel.loading')));
  main.append(box);
  const params = filterParams(f);
  const s = await api<Standards>('/api/v1/standards', params);
  setFreshness(s.complete_through, s.time_zone);
  // the sparklines are drawn before the page says it is ready
  const drawn: Promise<unknown>[] = [];
  const head = ['clause', 'kpi', 'target', 'value', 'status', 'baseline', 'trend', 'who'].map((c) =>
    h('th', { scope: 'col' }, t(`pages:standards.column.${c}`)),
  );
  const table = h(
    'table',
    { class: 'scorecard' },
    h('thead', {}, h('tr', {}, ...head)),
    h('tbody', {}, ...s.rows.map((r) => row(r, drawn))),
  );
  box.replaceChildren(
    h(
      'p',
      { class: 'muted' },
      t('pages:standards.baselineNote', { from: day(s.baseline.from), to: day(s.baseline.to) }),
    ),
    h('div', { class: 'wide' }, table),
    downloads(params),
  );
  await Promise.all(drawn);
}

function downloads(params: URLSearchParams): HTMLElement {
  const links = Object.entries(FORMATS).flatMap(([format, name]) => {
    const p = new URLSearchParams(params);
    p.set('format', format);
    return [' ', h('a', { href: `/api/v1/standards?${p}`, download: '', 'data-format': format }, name)];
  });
  return h(
    'div',
    { class: 'panel-tools' },
    h('span', { class: 'muted' }, t('common:panel.download')),
    ...links,
  );
}

const sep = () => t('pages:standards.separator');
const bar = (r: StandardsRow, v: number) =>
  `${r.direction === 'higher' ? '≥' : '≤'} ${fmt(v, r.unit, 1, LOCALE)}`;

/** "≥ 95 % · each priority · chat, social" */
function targetText(r: StandardsRow, tg: TargetSpec | null): string {
  if (!tg) return t('pages:standards.noTarget');
  const parts: string[] = [];
  if (tg.kind === 'absolute') parts.push(bar(r, tg.value));
  if (tg.kind === 'relative')
    parts.push(
      t('pages:standards.target.relative', {
        change: `${tg.value > 0 ? '+' : '−'}${num(Math.abs(tg.value))}`,
      }),
    );
  if (tg.kind === 'sustained')
    parts.push(t('pages:standards.target.sustained', { bar: bar(r, tg.value), months: num(tg.months ?? 1) }));
  if (tg.per) parts.push(t('pages:standards.target.per', { dimension: t(`vocabulary:dimension.${tg.per}`) }));
  for (const [d, vs] of Object.entries(tg.scope ?? {}))
    parts.push(`${t(`vocabulary:dimension.${d}`)}: ${vs.map((v) => label(d, v)).join(sep())}`);
  return parts.join(' · ');
}

/** "96.2 % (95 % CI 95.1–97.0) · n = 1,234" */
function valueCell(r: StandardsRow): HTMLElement {
  const ci =
    r.ci_low === null || r.ci_high === null
      ? ''
      : ` ${t('pages:standards.ci', { low: fmt(r.ci_low, undefined, 1, LOCALE), high: fmt(r.ci_high, undefined, 1, LOCALE) })}`;
  const n = t('pages:overview.tile.n', { n: num(r.n) });
  return h(
    'td',
    { 'data-col': 'value', 'data-value': r.value === null ? '' : String(r.value), 'data-n': String(r.n) },
    h('strong', {}, fmt(r.value, r.unit, 1, LOCALE)),
    ci,
    h('br'),
    h('span', { class: 'muted' }, r.low_confidence ? `${n} · ${t('pages:overview.tile.smallSample')}` : n),
  );
}

function baselineCell(r: StandardsRow): HTMLElement {
  const b = r.baseline;
  if (!b)
    return h(
      'td',
      { 'data-col': 'baseline' },
      r.target?.kind === 'relative' ? t('pages:standards.noBaseline') : '',
    );
  const p = fmtP(r.p_value);
  return h(
    'td',
    { 'data-col': 'baseline', 'data-baseline': b.value === null ? '' : String(b.value) },
    t('pages:standards.baseline', {
      value: fmt(b.value, r.unit, 1, LOCALE),
      n: num(b.n),
      from: day(b.from),
      to: day(b.to),
    }),
    h('br'),
    r.required === null ? '' : t('pages:standards.required', { value: fmt(r.required, r.unit, 1, LOCALE) }),
    r.significant === null
      ? ''
      : ` · ${r.significant ? t('pages:overview.tile.significant', { p }) : t('pages:overview.tile.notSignificant', { p })}`,
  );
}

/** The teams that miss it, the members of `per` that miss, the agents of the sustained clause. */
function whoCell(r: StandardsRow): HTMLElement {
  const lines: (string | HTMLElement)[] = [];
  const names = (d: string, xs: readonly string[]) => xs.map((x) => label(d, x)).join(sep());
  if (r.teams_missing && r.teams_missing.length > 0)
    lines.push(
      t('pages:standards.teamsMissing', {
        teams: names(
          'team_id',
          r.teams_missing.map((x) => x.team_id),
        ),
      }),
    );
  const per = r.target?.per;
  const missed = (r.members ?? []).filter((m) => m.status === 'missed');
  if (per && missed.length > 0)
    lines.push(
      t('pages:standards.membersMissed', {
        members: names(
          per,
          missed.map((m) => m.member),
        ),
      }),
    );
  const s = r.sustained;
  if (s && per) {
    lines.push(
      t('pages:standards.qualified', { count: s.qualified.length, who: names(per, s.qualified) || '–' }),
    );
    lines.push(t('pages:standards.missed', { count: s.missed.length, who: names(per, s.missed) || '–' }));
    lines.push(
      t('pages:standards.insufficient', {
        count: s.insufficient.length,
        who: names(per, s.insufficient) || '–',
      }),
    );
  }
  if (r.unavailable && per)
    lines.push(t('pages:standards.unavailable', { dimension: t(`vocabulary:dimension.${per}`) }));
  return h('td', { 'data-col': 'who' }, ...lines.flatMap((l, i) => (i === 0 ? [l] : [h('br'), l])));
}

function row(r: StandardsRow, drawn: Promise<unknown>[]): HTMLElement {
  const status = r.status ?? 'none';
  const colour = STATUS_COLOURS[status as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
  const spark = h('div', { class: 'spark chart', 'aria-hidden': 'true' });
  const tr = h(
    'tr',
    { 'data-clause': r.id, 'data-status': r.status ?? '', class: `status-${status}` },
    h(
      'td',
      { 'data-col': 'clause' },
      h('code', { lang: 'zxx' }, r.id),
      ` ${r.standard}`,
      h('br'),
      LOCALE === 'zh-CN' ? r.zh : r.en,
    ),
    h('td', { 'data-col': 'kpi' }, metricTitle({ name: r.metric, title: r.title })),
    h('td', { 'data-col': 'target' }, targetText(r, r.target)),
    r.applies ? valueCell(r) : h('td', { 'data-col': 'value' }, t('pages:standards.notApplicable')),
    h(
      'td',
      { 'data-col': 'status', style: `color:${colour}` },
      r.status ? h('strong', {}, t(`vocabulary:status.${r.status}`)) : '–',
    ),
    baselineCell(r),
    h('td', { 'data-col': 'trend' }, spark),
    whoCell(r),
  );
  const points = r.trend.filter((p) => p.value !== null);
  if (points.length > 1)
    drawn.push(
      embed(
        spark,
        sparklineSpec(
          r.trend.map((p) => ({ ...p, ci_low: null, ci_high: null })),
          colour,
          translatorNow(),
        ) as VisualizationSpec,
        { actions: false, renderer: 'svg', ast: true, expr: expressionInterpreter, ...embedLocale() },
      ),
    );
  return tr;
}
