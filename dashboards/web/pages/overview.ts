import { STATUS_COLOURS } from '../../charts/base.ts';
import { sparklineSpec } from '../../charts/time.ts';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { Overview, OverviewTile } from '../../wire.ts';
import { fmtP, trendPanel, UNIT } from '../kpi.ts';
import { api, filterParams, fmt, h, setFreshness, type Filters } from '../ui.ts';

/** `/overview`: a tile per KPI (value, target, status, change vs the previous period), then the trends. */

export async function overview(main: HTMLElement, f: Filters): Promise<void> {
  const tiles = h('div', { class: 'tiles', 'aria-live': 'polite' }, h('p', { class: 'loading' }, 'Loading…'));
  main.append(tiles);
  const trends = h('div', { class: 'grid' });
  main.append(trends);
  const o = await api<Overview>('/api/v1/overview', filterParams(f));
  setFreshness(o.complete_through, o.time_zone);
  tiles.replaceChildren(...o.tiles.map((t) => tile(t, o.previous)));
  for (const name of ['csat', 'nps', 'fcr', 'sla_compliance']) trends.append(await trendPanel(f, name));
}

function tile(t: OverviewTile, prev: { from: string; to: string }): HTMLElement {
  const status = t.current.status ?? 'none';
  const colour = STATUS_COLOURS[status as keyof typeof STATUS_COLOURS] ?? STATUS_COLOURS.none;
  const better =
    t.change.diff === null ? null : t.direction === 'higher' ? t.change.diff > 0 : t.change.diff < 0;
  const arrow = t.change.diff === null ? '' : t.change.diff > 0 ? '▲' : t.change.diff < 0 ? '▼' : '■';
  const unitWord = t.unit === 'percent' ? 'pts' : (UNIT[t.unit] ?? '');
  const spark = h('div', { class: 'spark', 'aria-hidden': 'true' });
  const el = h(
    'article',
    { class: `tile status-${status}`, 'data-metric': t.metric, style: `border-top-color:${colour}` },
    h('h2', {}, t.title),
    h(
      'p',
      { class: 'value', 'data-value': t.current.value === null ? '' : String(t.current.value) },
      fmt(t.current.value, t.unit),
    ),
    h(
      'p',
      { class: 'target' },
      t.current.target === null ? 'no absolute target' : `target ${fmt(t.current.target, t.unit)} · `,
      t.current.status ? h('strong', { class: 'status' }, t.current.status.replace('_', ' ')) : '',
    ),
    h(
      'p',
      { class: `change ${better === null ? '' : better ? 'better' : 'worse'}` },
      t.change.diff === null
        ? 'no comparison'
        : `${arrow} ${fmt(Math.abs(t.change.diff), undefined, 2)} ${unitWord} vs ${prev.from} – ${prev.to}`,
      h(
        'span',
        { class: 'sig' },
        t.change.significant === null
          ? ''
          : t.change.significant
            ? ` · significant (p ${fmtP(t.change.p_value)})`
            : ` · not significant (p ${fmtP(t.change.p_value)})`,
      ),
    ),
    h(
      'p',
      { class: 'n muted' },
      `n = ${t.current.n.toLocaleString('en-US')}${t.current.low_confidence ? ' · small sample' : ''}`,
    ),
    spark,
  );
  if (t.series.length > 1)
    void embed(spark, sparklineSpec(t.series, colour) as VisualizationSpec, {
      actions: false,
      renderer: 'svg',
      ast: true,
      expr: expressionInterpreter,
    });
  return el;
}
