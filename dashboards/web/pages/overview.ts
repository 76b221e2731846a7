import { STATUS_COLOURS } from '../../charts/base.ts';
import type { MetricAnswer, MetricCatalog, Overview, OverviewTile, ProcessChange } from '../../wire.ts';
import { day, num, t } from '../i18n.ts';
import { barsPanel, fmtP, metricTitle, trendPanel, unitWord, useCatalog, useChanges } from '../kpi.ts';
import { sparkline } from '../sparkline.ts';
import { overviewPagePath } from '../../page-requests.ts';
import { api, filterParams, fmt, h, setFreshness, type Filters } from '../ui.ts';

/**
 * `/overview`: a tile per KPI (value, target, status, change vs the previous period), then the trends
 * and CSAT by team — all from one request (`/api/v1/overview/page`), started before the vocabulary
 * (`prefetchOverview`); the tiles are drawn first, then each chart.
 */

/**
 * `GET /api/v1/overview/page` (dashboards/routes/overview.ts, docs/api.md): the tiles, the catalog, the
 * process changes, each trend and each bar chart as `GET /api/v1/metrics/{name}` answers them.
 */
interface OverviewPage {
  overview: Overview;
  catalog: MetricCatalog;
  changes: ProcessChange[];
  trends: MetricAnswer[];
  bars: { by: string; body: MetricAnswer }[];
}

let early: { key: string; answer: Promise<OverviewPage> } | undefined;

/** Start the page's one request now (main.ts, before the vocabulary): `overview` takes it if its filters match. */
export function prefetchOverview(f: Filters): void {
  const params = filterParams(f);
  // the URL the shell preloads (dashboards/page-requests.ts): the browser hands this request its answer
  early = { key: String(params), answer: api<OverviewPage>(overviewPagePath(f)) };
  early.answer.catch(() => undefined); // taken, and its error shown, by `overview`
}

function pageAnswer(f: Filters): Promise<OverviewPage> {
  const params = filterParams(f);
  const taken = early?.key === String(params) ? early.answer : undefined;
  early = undefined;
  return taken ?? api<OverviewPage>('/api/v1/overview/page', params);
}

export async function overview(main: HTMLElement, f: Filters): Promise<void> {
  const tiles = h(
    'div',
    { class: 'tiles', 'aria-live': 'polite' },
    h('p', { class: 'loading' }, t('common:panel.loading')),
  );
  main.append(tiles);
  const trends = h('div', { class: 'grid' });
  main.append(trends);
  performance.mark('cx:overview:request');
  const page = await pageAnswer(f);
  performance.mark('cx:overview:answer');
  const o = page.overview;
  useCatalog(page.catalog);
  useChanges(page.changes);
  setFreshness(o.complete_through, o.time_zone);
  tiles.replaceChildren(...o.tiles.map((k) => tile(k, o.previous)));
  performance.mark('cx:overview:tiles');
  for (const body of page.trends) trends.append(await trendPanel(f, body.metric, { preloaded: body }));
  // satisfaction where it is earned: by team (answers take their interaction's team)
  for (const b of page.bars)
    trends.append(await barsPanel(f, b.body.metric, b.by, { wide: true, preloaded: b.body }));
}

/** "target 85 % · met"; a relative target: "target −40 % on the baseline 8.8 % → 5.3 % · met" */
function targetLine(k: OverviewTile): HTMLElement {
  const r = k.relative;
  if (k.current.target === null && r)
    return h(
      'p',
      { class: 'target', 'data-relative-status': r.status },
      `${t('pages:overview.tile.relativeTarget', {
        change: `${r.value > 0 ? '+' : '−'}${num(Math.abs(r.value))}`,
        baseline: fmt(r.baseline.value, k.unit),
        required: fmt(r.required, k.unit),
        from: day(r.baseline.from),
        to: day(r.baseline.to),
      })} · `,
      h('strong', { class: 'status' }, t(`vocabulary:status.${r.status}`)),
    );
  return h(
    'p',
    { class: 'target' },
    k.current.target === null
      ? t('pages:overview.tile.noTarget')
      : `${t('pages:overview.tile.target', { value: fmt(k.current.target, k.unit) })} · `,
    k.current.status ? h('strong', { class: 'status' }, t(`vocabulary:status.${k.current.status}`)) : '',
  );
}

/** "▲ 1.2 pts vs 1 Mar 2026 – 28 Mar 2026 · significant (p 0.012)" */
function changeLine(k: OverviewTile, prev: { from: string; to: string }): HTMLElement {
  const { diff, significant, p_value } = k.change;
  const better = diff === null ? null : k.direction === 'higher' ? diff > 0 : diff < 0;
  const arrow = diff === null ? '' : diff > 0 ? '▲' : diff < 0 ? '▼' : '■';
  const unit = k.unit === 'percent' ? t('common:units.percentPoints') : unitWord(k.unit);
  const p = fmtP(p_value);
  return h(
    'p',
    { class: `change ${better === null ? '' : better ? 'better' : 'worse'}` },
    diff === null
      ? t('pages:overview.tile.noComparison')
      : t('pages:overview.tile.change', {
          arrow,
          diff: fmt(Math.abs(diff), undefined, 2),
          unit,
          from: day(prev.from),
          to: day(prev.to),
        }),
    h(
      'span',
      { class: 'sig' },
      significant === null
        ? ''
        : ` · ${significant ? t('pages:overview.tile.significant', { p }) : t('pages:overview.tile.notSignificant', { p })}`,
    ),
  );
}

function tile(k: OverviewTile, prev: { from: string; to: string }): HTMLElement {
  const status = k.current.status ?? k.relative?.status ?? 'none';
  const colour = STATUS_COLOURS[status as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
  const spark = h('div', { class: 'spark', 'aria-hidden': 'true' });
  const n = t('pages:overview.tile.n', { n: num(k.current.n) });
  const el = h(
    'article',
    { class: `tile status-${status}`, 'data-metric': k.metric, style: `border-top-color:${colour}` },
    h('h2', {}, metricTitle({ name: k.metric, title: k.title })),
    h(
      'p',
      { class: 'value', 'data-value': k.current.value === null ? '' : String(k.current.value) },
      fmt(k.current.value, k.unit),
    ),
    targetLine(k),
    changeLine(k, prev),
    h(
      'p',
      { class: 'n muted' },
      k.current.low_confidence ? `${n} · ${t('pages:overview.tile.smallSample')}` : n,
    ),
    spark,
  );
  if (k.series.length > 1) {
    const drawing = performance.now();
    spark.append(sparkline(k.series, colour));
    performance.measure('cx:spark', { start: drawing });
  }
  return el;
}
