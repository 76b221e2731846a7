import { STATUS_COLOURS, type SeriesRow } from '../charts/base.ts';
import { UNIT_LABEL } from '../charts/format.ts';
import {
  barsSpec,
  correlationSpec,
  funnelSpec,
  heatmapSpec,
  quantileSpec,
  stackedCountSpec,
} from '../charts/groups.ts';
import { quickChartSpec } from '../charts/quick.ts';
import { controlChartSpec, sparklineSpec, trendSpec, type Annotation } from '../charts/time.ts';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import {
  api,
  dataTable,
  filterBar,
  filterParams,
  fmt,
  h,
  panel,
  readFilters,
  send,
  setFreshness,
  type Filters,
} from './ui.ts';
import type {
  ChangeList,
  Impact,
  MetricCatalog,
  MetricInfo,
  Overview,
  OverviewTile,
  ProcessChange,
  ReportInfo,
  ReportList,
  RetentionDriver,
  RunInfo,
  RunList,
  RunStarted,
  SlaPolicy,
  SqlAnswer,
  SqlSchema,
} from '../wire.ts';

/**
 * The pages. The server sends the same shell for each (`<body data-page=…>`); this script draws the
 * page from the API. Everything the page shows comes from `/api/v1` with the filters of the URL.
 */

let catalog: Map<string, MetricInfo> | undefined;
let policy: SlaPolicy | undefined;
async function metricInfo(name: string): Promise<MetricInfo> {
  if (!catalog) {
    const r = await api<MetricCatalog>('/api/v1/metrics');
    catalog = new Map(r.metrics.map((m) => [m.name, m]));
    policy = r.policy;
  }
  const m = catalog.get(name);
  if (!m) throw new Error(`unknown metric ${name}`);
  return m;
}

const UNIT = UNIT_LABEL;

let annotationsOnce: Promise<Annotation[]> | undefined;
/** The process changes as chart annotations, fetched once per page view. */
function changesAnnotations(): Promise<Annotation[]> {
  annotationsOnce ??= api<ChangeList>('/api/v1/changes')
    .then((r) => r.changes.map((c) => ({ date: c.starts_at.slice(0, 10), title: c.title })))
    .catch(() => []);
  return annotationsOnce;
}

/** A KPI's trend panel: line, CI band, target rule, process-change annotations; drill by period. */
async function trendPanel(
  f: Filters,
  name: string,
  opts: { by?: string; grain?: string; wide?: boolean } = {},
): Promise<HTMLElement> {
  const m = await metricInfo(name);
  const params = filterParams(f, m.dimensions);
  const grain = opts.grain ?? (daysOf(f) <= 45 ? 'day' : 'week');
  params.set('grain', grain);
  if (opts.by) params.set('by', opts.by);
  const annotations = (await changesAnnotations().catch(() => [])).filter(
    (a) => a.date >= f.from && a.date <= f.to,
  );
  return panel<SeriesRow>({
    title: `${m.title}${opts.by ? ` by ${opts.by.replace('_id', '')}` : ''}`,
    source: { path: `/api/v1/metrics/${name}`, params },
    sql: { metric: name, params },
    wide: opts.wide,
    onBody: (b) => setFreshness(b['complete_through'] as string, b['time_zone'] as string),
    spec: (rows) =>
      trendSpec({
        title: '',
        unit: UNIT[m.unit] ?? m.unit,
        rows,
        by: opts.by,
        target: m.target?.basis === 'absolute' ? m.target.value : null,
        annotations,
      }),
    drill: (d) => {
      const p = filterParams(f, m.dimensions);
      if (typeof d['period'] !== 'number' && typeof d['period'] !== 'string') return null;
      const period =
        typeof d['period'] === 'number' ? new Date(d['period']).toISOString().slice(0, 10) : d['period'];
      p.set('period', period);
      p.set('grain', grain);
      p.set('metric', name);
      if (opts.by && typeof d[opts.by] === 'string') p.set(opts.by, d[opts.by] as string);
      return m.dimensions.includes('agent_id') ? p : null;
    },
  });
}

/** Bars per group with CIs (sorted by name); drill to the group's interactions. */
async function barsPanel(
  f: Filters,
  name: string,
  by: string,
  opts: { horizontal?: boolean; wide?: boolean; title?: string } = {},
) {
  const m = await metricInfo(name);
  const params = filterParams(f, m.dimensions);
  params.set('grain', 'total');
  params.set('by', by);
  return panel<SeriesRow>({
    title: opts.title ?? `${m.title} by ${by.replace('_id', '')}`,
    description: 'Bars with their 95 % confidence interval; pale bars rest on fewer than 30 observations.',
    source: { path: `/api/v1/metrics/${name}`, params },
    sql: { metric: name, params },
    wide: opts.wide,
    spec: (rows) =>
      barsSpec({
        title: '',
        unit: UNIT[m.unit] ?? m.unit,
        rows,
        by,
        horizontal: opts.horizontal,
        target: m.target?.basis === 'absolute' ? m.target.value : null,
      }),
    columns: [by, 'value', 'ci_low', 'ci_high', 'n', 'low_confidence', 'target', 'status'],
    drill: (d) => {
      if (!m.dimensions.includes('agent_id') || typeof d[by] !== 'string') return null;
      const p = filterParams(f, m.dimensions);
      p.set(by, d[by] as string);
      p.set('metric', name);
      return p;
    },
  });
}

const daysOf = (f: Filters) => (Date.parse(f.to) - Date.parse(f.from)) / 86_400_000 + 1;

// ------------------------------------------------------------------------------------------ pages

async function overview(main: HTMLElement, f: Filters): Promise<void> {
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

const fmtP = (p: number | null) => (p === null ? '–' : p < 0.001 ? '< 0.001' : p.toFixed(3));

async function service(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  const frt = await metricInfo('first_response_time');
  const p1 = filterParams(f, frt.dimensions);
  p1.set('grain', 'total');
  p1.set('by', 'channel');
  grid.append(
    panel<SeriesRow & { p90: number | null; channel: string }>({
      title: 'First response time by channel (median to p90)',
      description:
        'Seconds from opening to the first response: the dot is the median, the bar reaches the 90th percentile.',
      source: { path: '/api/v1/metrics/first_response_time', params: p1 },
      sql: { metric: 'first_response_time', params: p1 },
      spec: (rows) =>
        quantileSpec({
          title: '',
          unit: 'seconds',
          rows: rows.map((r) => ({
            group: r.channel,
            p50: r.value,
            p90: r.p90,
            // the channel's target (complaints and urgent requests have a stricter one)
            target: policy?.first_response_seconds[r.channel] ?? policy?.first_response_seconds['*'] ?? null,
          })),
        }),
      columns: ['channel', 'value', 'p90', 'mean', 'n'],
    }),
  );
  const res = await metricInfo('resolution_time');
  const p2 = filterParams(f, res.dimensions);
  p2.set('grain', 'total');
  p2.set('by', 'priority');
  grid.append(
    panel<SeriesRow & { p90: number | null; priority: string }>({
      title: 'Resolution time by priority (median to p90)',
      description: 'Hours from opening to resolution; the red tick is the resolution target.',
      source: { path: '/api/v1/metrics/resolution_time', params: p2 },
      sql: { metric: 'resolution_time', params: p2 },
      spec: (rows) =>
        quantileSpec({
          title: '',
          unit: 'hours',
          rows: rows.map((r) => ({
            group: r.priority,
            p50: r.value,
            p90: r.p90,
            target: policy?.resolution_target_hours ?? null,
          })),
        }),
      columns: ['priority', 'value', 'p90', 'mean', 'n'],
    }),
  );
  grid.append(await barsPanel(f, 'sla_compliance', 'channel'));
  grid.append(await trendPanel(f, 'sla_compliance', { by: 'priority' }));
  grid.append(
    panel<{ weekday: number; hour: number; value: number | null; n: number }>({
      title: 'SLA compliance by weekday × hour of opening',
      source: { path: '/api/v1/sla/heatmap', params: filterParams(f), rowsKey: 'cells' },
      spec: (rows) => heatmapSpec({ title: '', unit: '%', rows }),
      wide: true,
    }),
  );
  const pb = filterParams(f);
  pb.set('limit', '100');
  grid.append(
    panel({
      title: 'Breaching now: unanswered past their response target',
      source: { path: '/api/v1/sla/breaching', params: pb },
      spec: null,
      wide: true,
    }),
  );
}

async function complaints(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  const m = await metricInfo('complaints');
  const p = filterParams(f, m.dimensions);
  p.set('grain', 'total');
  p.set('by', 'category,severity');
  grid.append(
    panel<SeriesRow & { category: string; severity: string }>({
      title: 'Complaints by category and severity',
      source: { path: '/api/v1/metrics/complaints', params: p },
      sql: { metric: 'complaints', params: p },
      spec: (rows) =>
        stackedCountSpec({
          title: '',
          rows: rows.filter((r) => r.category === 'complaint' || r.value),
          x: 'severity',
          stack: 'category',
        }),
      columns: ['category', 'severity', 'value'],
    }),
  );
  grid.append(await trendPanel(f, 'complaint_rate'));
  grid.append(
    panel<{ stage: string; count: number }>({
      title: 'Closed loop: accepted → responded → resolved → followed up in 48 h',
      source: { path: '/api/v1/complaints/funnel', params: filterParams(f), rowsKey: 'stages' },
      spec: (rows) => funnelSpec({ title: '', rows }),
    }),
  );
  grid.append(await barsPanel(f, 'follow_up_48h', 'severity', { title: '48 h follow-up by severity' }));
  const missed = filterParams(f, m.dimensions);
  missed.set('metric', 'follow_up_48h');
  missed.set('counted', 'false');
  missed.set('page_size', '100');
  grid.append(
    panel({
      title: 'Complaints that missed their 48 h follow-up',
      description: 'Resolved complaints not followed up within 48 hours of their resolution, newest first.',
      source: { path: '/api/v1/interactions', params: missed },
      spec: null,
      columns: ['interaction_id', 'customer_id', 'opened_at', 'severity', 'team_id', 'agent_id'],
      wide: true,
    }),
  );
  const pr = filterParams(f);
  pr.set('limit', '50');
  grid.append(
    panel({
      title: 'Repeat complainers',
      source: { path: '/api/v1/complaints/repeat', params: pr },
      spec: null,
    }),
  );
}

async function customers(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(
    h(
      'p',
      { class: 'note wide', role: 'note' },
      'Correlation is not causation: these features go together with later churn; they do not prove that changing them changes churn. Use process changes (Improvement) to test that.',
    ),
  );
  const p = new URLSearchParams();
  grid.append(
    panel<RetentionDriver & Record<string, unknown>>({
      title: 'Retention drivers: correlation of experience with later churn',
      source: { path: '/api/v1/retention/drivers', params: p, rowsKey: 'drivers' },
      spec: (rows) =>
        !rows.some((r) => r.r !== null)
          ? null
          : correlationSpec({
              title: '',
              rows: rows
                .filter((r) => r.r !== null)
                .map((r) => ({
                  feature: r.title,
                  r: r.r,
                  ci_low: r.ci_low,
                  ci_high: r.ci_high,
                  p: r.p_value,
                  n: r.n,
                })),
            }),
      columns: ['title', 'r', 'ci_low', 'ci_high', 'p_value', 'n', 'spearman', 'odds_ratio'],
      onBody: (b) => {
        if (typeof b['note'] === 'string') grid.append(h('p', { class: 'note wide muted' }, b['note']));
      },
      wide: true,
    }),
  );
  grid.append(await barsPanel(f, 'churn_rate', 'segment'));
  grid.append(await barsPanel(f, 'churn_rate', 'region'));
}

async function improvement(main: HTMLElement, f: Filters, role: string): Promise<void> {
  const r = await api<ChangeList>('/api/v1/changes');
  const q = new URLSearchParams(location.search);
  const chosen = r.changes.find((c) => c.id === q.get('change')) ?? r.changes[0];
  const metric = q.get('metric') ?? 'fcr';
  const list = h(
    'section',
    { class: 'panel wide', 'aria-label': 'process changes' },
    h('h2', {}, 'Process changes'),
    r.changes.length === 0
      ? h('p', { class: 'empty' }, 'No process changes recorded yet.')
      : h(
          'ul',
          { class: 'changes' },
          ...r.changes.map((c) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `?${new URLSearchParams({ ...Object.fromEntries(q), change: c.id, metric })}` },
                c.title,
              ),
              ` — from ${c.starts_at.slice(0, 10)}, scope ${Object.keys(c.scope).length ? JSON.stringify(c.scope) : 'whole centre'}`,
            ),
          ),
        ),
  );
  main.append(list);
  if (chosen) {
    const sel = h(
      'form',
      { class: 'filters', 'aria-label': 'impact metric' },
      h(
        'label',
        {},
        'metric',
        h(
          'select',
          { name: 'metric' },
          ...[
            'fcr',
            'csat',
            'nps',
            'sla_compliance',
            'reopen_rate',
            'transfer_rate',
            'first_response_time',
          ].map((n) => h('option', { value: n, selected: n === metric }, n)),
        ),
      ),
      h('input', { type: 'hidden', name: 'change', value: chosen.id }),
      h('button', { type: 'submit' }, 'Show impact'),
    );
    main.append(sel);
    const box = h(
      'section',
      { class: 'panel wide', 'aria-live': 'polite' },
      h('h2', {}, `Impact of “${chosen.title}” on ${metric}`),
      h('p', { class: 'loading' }, 'Loading…'),
    );
    main.append(box);
    try {
      const imp = await api<Impact>(
        `/api/v1/changes/${encodeURIComponent(chosen.id)}/impact`,
        new URLSearchParams({ metric }),
      );
      box.querySelector('.loading')?.remove();
      box.append(
        dataTable(
          [
            {
              window: 'before',
              from: imp.before.from,
              to: imp.before.to,
              value: imp.before.value,
              n: imp.before.n,
            },
            {
              window: 'after',
              from: imp.after.from,
              to: imp.after.to,
              value: imp.after.value,
              n: imp.after.n,
            },
          ],
          undefined,
          true,
        ),
        h(
          'p',
          { class: 'verdict' },
          `Difference ${fmt(imp.diff, undefined, 2)} (95 % CI ${fmt(imp.ci_low, undefined, 2)} to ${fmt(imp.ci_high, undefined, 2)}), p ${fmtP(imp.p_value)} — `,
          h(
            'strong',
            {},
            imp.test === null
              ? 'no test'
              : imp.significant
                ? 'a real change'
                : 'not distinguishable from noise',
          ),
        ),
        h('p', { class: 'muted' }, imp.note),
      );
      if (imp.control_chart && imp.control_chart.center !== null) {
        const cc = imp.control_chart;
        const points = cc.points.map((p) => ({ ...p, centre: cc.center as number }));
        const chart = h('div', { class: 'chart', role: 'img', 'aria-label': 'control chart' });
        box.append(chart);
        await embed(
          chart,
          controlChartSpec({
            title: 'Control chart (3σ limits)',
            unit: metric,
            points,
            changeDate: chosen.starts_at.slice(0, 10),
          }) as VisualizationSpec,
          {
            actions: false,
            renderer: 'svg',
            ast: true,
            expr: expressionInterpreter,
          },
        );
        box.dataset['drawn'] = 'true';
      }
    } catch (err) {
      box.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
    const grid = h('div', { class: 'grid' });
    main.append(grid);
    grid.append(
      await trendPanel(f, metric === 'first_response_time' ? 'sla_compliance' : metric, { wide: true }),
    );
  }
  if (['editor', 'admin'].includes(role)) main.append(changeForm(chosen));
}

function changeForm(existing?: ProcessChange): HTMLElement {
  const msg = h('p', { role: 'status' });
  const form = h(
    'form',
    { class: 'panel wide change-form', 'aria-label': 'record a process change' },
    h('h2', {}, 'Record or edit a process change'),
    h('label', {}, 'id (empty for a new change)', h('input', { name: 'id', value: '' })),
    h('label', {}, 'title', h('input', { name: 'title', required: true, maxlength: 200 })),
    h('label', {}, 'starts at', h('input', { name: 'starts_at', type: 'datetime-local', required: true })),
    h('label', {}, 'scope (JSON, e.g. {"team_id":["t2"]})', h('input', { name: 'scope', value: '{}' })),
    h('label', {}, 'description', h('textarea', { name: 'description', rows: 2 })),
    h('button', { type: 'submit' }, 'Save'),
    msg,
  );
  if (existing) (form.elements.namedItem('id') as HTMLInputElement).placeholder = existing.id;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    try {
      const scope = JSON.parse(String(d.get('scope') || '{}')) as unknown;
      const body: Record<string, unknown> = {
        title: d.get('title'),
        starts_at: new Date(String(d.get('starts_at'))).toISOString(),
        scope,
        description: d.get('description') || undefined,
      };
      if (d.get('id')) body['id'] = d.get('id');
      const saved = await send<ProcessChange>('POST', '/api/v1/changes', body);
      msg.textContent = `Saved ${saved.id}.`;
    } catch (err) {
      msg.textContent = `Not saved: ${(err as Error).message}`;
    }
  });
  return form;
}

async function teams(main: HTMLElement, f: Filters): Promise<void> {
  const q = new URLSearchParams(location.search);
  const metric = q.get('metric') ?? 'fcr';
  main.append(
    h(
      'p',
      { class: 'note', role: 'note' },
      'Groups are listed by name, each with its 95 % interval and n. Where intervals overlap, the groups are not shown to differ; pale bars rest on fewer than 30 observations. There is no ranking on purpose.',
    ),
  );
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(await barsPanel(f, metric, 'team_id'));
  grid.append(await barsPanel(f, metric, 'agent_id', { horizontal: true }));
}

// ------------------------------------------------------------------------------------------ SQL

const EXAMPLE = `SELECT channel, count() AS interactions, round(avg(first_contact_resolved) * 100, 1) AS fcr_percent
FROM v_interactions
WHERE day >= today() - 28 AND resolved
GROUP BY channel
ORDER BY channel`;

const SAVED_KEY = 'cxpulse.saved-queries';
type Saved = { name: string; sql: string }[];
const savedQueries = (): Saved => {
  try {
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]') as Saved;
  } catch {
    return [];
  }
};

async function sqlPage(main: HTMLElement): Promise<void> {
  main.replaceChildren();
  const q = new URLSearchParams(location.search);
  const editor = h('textarea', {
    id: 'sql',
    class: 'sql-editor',
    rows: 10,
    spellcheck: 'false',
    'aria-label': 'SQL query (Ctrl+Enter runs it)',
  });
  editor.value = q.get('q') ?? EXAMPLE;
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const result = h('section', { class: 'panel wide', 'aria-label': 'result', 'aria-busy': 'false' });
  const schema = h(
    'aside',
    { class: 'panel schema', 'aria-label': 'tables' },
    h('h2', {}, 'Tables'),
    h('p', { class: 'loading' }, 'Loading…'),
  );
  const savedList = h('ul', { class: 'saved' });
  const renderSaved = () =>
    savedList.replaceChildren(
      ...savedQueries().map((s) =>
        h('li', {}, h('a', { href: `?${new URLSearchParams({ q: s.sql })}` }, s.name)),
      ),
    );
  const download = async (format: 'csv' | 'arrow') => {
    status.textContent = `Preparing ${format.toUpperCase()}…`;
    const res = await fetch('/api/v1/sql', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: editor.value, format }),
    });
    if (!res.ok) {
      const b = (await res.json().catch(() => ({}))) as { error?: { message: string } };
      status.textContent = `Not downloaded: ${b.error?.message ?? res.status}`;
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = h('a', { href: url, download: format === 'csv' ? 'result.csv' : 'result.arrows' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = `${format.toUpperCase()} downloaded.`;
  };
  const run = async () => {
    result.setAttribute('aria-busy', 'true');
    result.replaceChildren(h('p', { class: 'loading' }, 'Running…'));
    history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
    try {
      const r = await send<SqlAnswer>('POST', '/api/v1/sql', { sql: editor.value, format: 'json' });
      result.replaceChildren(
        h('h2', {}, `Result: ${r.row_count.toLocaleString('en-US')} rows in ${r.elapsed_ms} ms`),
      );
      result.dataset['rows'] = String(r.row_count);
      const spec = quickChartSpec(r.columns, r.rows);
      if (spec) {
        const chart = h('div', {
          class: 'chart',
          role: 'img',
          'aria-label': 'a quick chart of the result; the rows are in the table below',
        });
        result.append(chart);
        await embed(chart, spec as VisualizationSpec, {
          actions: false,
          renderer: 'svg',
          ast: true,
          expr: expressionInterpreter,
        });
      }
      const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
      result.append(
        dataTable(
          rows,
          r.columns.map((c) => c.name),
          true,
        ),
      );
    } catch (err) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    } finally {
      result.setAttribute('aria-busy', 'false');
    }
  };
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  });
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('button', { type: 'submit', onclick: () => void run() }, 'Run'),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
          void navigator.clipboard?.writeText(location.href).catch(() => undefined);
          status.textContent = 'The link to this query is in the address bar (and copied).';
        },
      },
      'Share link',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          const name = prompt('Name of the saved query?');
          if (!name) return;
          localStorage.setItem(
            SAVED_KEY,
            JSON.stringify([...savedQueries().filter((x) => x.name !== name), { name, sql: editor.value }]),
          );
          renderSaved();
          status.textContent = `Saved as “${name}” in this browser.`;
        },
      },
      'Save',
    ),
    h('button', { type: 'button', onclick: () => void download('csv') }, 'Download CSV'),
    h('button', { type: 'button', onclick: () => void download('arrow') }, 'Download Arrow'),
  );
  main.append(
    h(
      'div',
      { class: 'sql-layout' },
      schema,
      h(
        'div',
        { class: 'sql-main' },
        editor,
        toolbar,
        status,
        h('details', { class: 'saved-box' }, h('summary', {}, 'Saved queries'), savedList),
      ),
    ),
    result,
  );
  renderSaved();
  void api<SqlSchema>('/api/v1/sql/schema')
    .then((r) => {
      schema.replaceChildren(
        h('h2', {}, 'Tables'),
        ...r.tables.map((t) =>
          h(
            'details',
            {},
            h('summary', {}, t.name),
            h('p', { class: 'muted' }, t.description),
            h(
              'ul',
              { class: 'columns' },
              ...t.columns.map((c) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      title: `insert ${c.name}`,
                      onclick: () => {
                        editor.setRangeText(c.name, editor.selectionStart, editor.selectionEnd, 'end');
                        editor.focus();
                      },
                    },
                    c.name,
                  ),
                  h('span', { class: 'muted' }, ` ${c.type}`),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: Error) => schema.replaceChildren(h('p', { class: 'error' }, err.message)));
  await run();
}

// ------------------------------------------------------------------------------------------ reports

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ') + ' UTC';

async function reportsPage(main: HTMLElement, role: string): Promise<void> {
  const [{ reports }, { runs }] = await Promise.all([
    api<ReportList>('/api/v1/reports'),
    api<RunList>('/api/v1/reports/runs', new URLSearchParams({ limit: '200' })),
  ]);
  const canRun = role === 'editor' || role === 'admin';
  const status = h('p', { class: 'note', role: 'status', 'aria-live': 'polite' });
  const runNow = (r: ReportInfo) => {
    const period = h(
      'select',
      { 'aria-label': `period of ${r.name}` },
      ...['yesterday', 'last_week', 'last_month', 'month_to_date'].map((p) =>
        h('option', p === r.period ? { value: p, selected: 'selected' } : { value: p }, p.replace(/_/g, ' ')),
      ),
    );
    const button = h('button', { type: 'button' }, 'Run now');
    button.addEventListener('click', () => {
      button.setAttribute('disabled', 'disabled');
      send<RunStarted>(
        'POST',
        `/api/v1/reports/${encodeURIComponent(r.name)}/run?period=${encodeURIComponent(period.value)}`,
        {},
      )
        .then((a) => {
          status.textContent = `Started ${a.run_key}; its outcome appears in the history below.`;
          void follow(a.run_key);
        })
        .catch((err: Error) => (status.textContent = err.message))
        .finally(() => button.removeAttribute('disabled'));
    });
    return h('span', { class: 'run-now' }, period, button);
  };
  const targets = (r: ReportInfo) =>
    [
      r.email ? `email ${[...r.email.to, ...r.email.cc].join(', ')}` : '',
      r.webhook ? `webhook ${r.webhook.host}` : '',
      r.directory ? `files ${r.directory.path}` : '',
    ]
      .filter((x) => x)
      .join('; ');
  /** A titled table of rows, or a sentence when there are none. */
  const listing = (name: string, head: string[], rows: HTMLElement[], none: string) =>
    rows.length === 0
      ? h('p', { class: 'empty' }, none)
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { 'data-table': name },
            h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, ...rows),
          ),
        );
  main.append(
    h(
      'section',
      { class: 'panel wide' },
      h('h2', {}, 'Reports'),
      listing(
        'reports',
        ['Report', 'Schedule', 'Period', 'Next', 'Delivers to', ...(canRun ? [''] : [])],
        reports.map((r) =>
          h(
            'tr',
            { 'data-report': r.name },
            h('td', {}, h('b', {}, r.title), h('br'), r.name),
            h('td', {}, `${r.schedule.cron} (${r.schedule.timezone})`),
            h('td', {}, r.period.replace(/_/g, ' ')),
            h('td', {}, when(r.next_slot)),
            h('td', {}, targets(r)),
            ...(canRun ? [h('td', {}, runNow(r))] : []),
          ),
        ),
        'No reports are defined (REPORTS_FILE).',
      ),
      status,
    ),
  );
  const history = h('section', { class: 'panel wide' });
  main.append(history);
  const draw = (list: RunInfo[]) =>
    history.replaceChildren(
      h('h2', {}, 'Run history'),
      listing(
        'runs',
        ['Slot', 'Report', 'Trigger', 'Period', 'Status', 'Attempts', 'Duration', 'Recipients', 'Error'],
        list.map((r) =>
          h(
            'tr',
            { 'data-run': r.run_key, class: `run-${r.status}` },
            h('td', {}, when(r.slot)),
            h('td', {}, r.report),
            h('td', {}, r.trigger === 'late' ? 'late (missed slot)' : r.trigger),
            h('td', {}, `${r.period_from} to ${r.period_to}`),
            h('td', { 'data-col': 'status' }, h('b', {}, r.status)),
            h('td', {}, String(r.attempt)),
            h('td', {}, `${fmt(r.duration_ms / 1000)} s`),
            h('td', { class: 'wrap' }, r.recipients.join(', ')),
            h('td', { class: 'wrap' }, r.error),
          ),
        ),
        'No report has run yet.',
      ),
    );
  /** Redraw the history every 2 s until the run has finished (or 10 minutes have passed). */
  const follow = async (key: string) => {
    for (let i = 0; i < 300; i++) {
      const list = (await api<RunList>('/api/v1/reports/runs', new URLSearchParams({ limit: '200' }))).runs;
      draw(list);
      const run = list.find((r) => r.run_key === key);
      if (run && (run.status === 'succeeded' || run.status === 'failed')) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  draw(runs);
}

// ------------------------------------------------------------------------------------------ start

const PAGES: Record<string, (main: HTMLElement, f: Filters, role: string) => Promise<void>> = {
  overview,
  service,
  complaints,
  customers,
  improvement,
  teams,
  sql: (main) => sqlPage(main),
  reports: (main, _f, role) => reportsPage(main, role),
};

async function render(): Promise<void> {
  const page = document.body.dataset['page'] ?? 'overview';
  const role = document.body.dataset['role'] ?? 'viewer';
  const main = document.getElementById('main') as HTMLElement;
  if (page === 'sql' || page === 'reports') {
    main.setAttribute('aria-busy', 'true');
    await (PAGES[page] as (typeof PAGES)[string])(main, readFilters(), role)
      .catch((err: Error) =>
        main.append(
          h('p', { class: 'error', role: 'alert' }, `This page could not be drawn: ${err.message}`),
        ),
      )
      .finally(() => {
        main.setAttribute('aria-busy', 'false');
        document.body.dataset['ready'] = 'true';
      });
    return;
  }
  const f = readFilters();
  main.replaceChildren(
    filterBar(f, () => {
      annotationsOnce = undefined;
      void render();
    }),
  );
  main.setAttribute('aria-busy', 'true');
  try {
    await (PAGES[page] ?? overview)(main, f, role);
  } catch (err) {
    main.append(
      h('p', { class: 'error', role: 'alert' }, `This page could not be drawn: ${(err as Error).message}`),
    );
  } finally {
    main.setAttribute('aria-busy', 'false');
    document.body.dataset['ready'] = 'true';
  }
}

window.addEventListener('popstate', () => {
  annotationsOnce = undefined;
  void render();
});
void render();
