import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { TopLevelSpec } from 'vega-lite';
import { CATEGORIES, CHANNELS, PRIORITIES } from '../../ingest/vocabulary.ts';
import { windowEnding } from '../../infra/time.ts';
import { formatValue } from '../charts/format.ts';
import type { InteractionsPage, MetricSql } from '../wire.ts';

/**
 * The building blocks of every page: DOM helpers, the API client, filters kept in the URL, and the panel
 * (title, chart, data table, downloads, "show SQL", loading / empty / error states, drill-down).
 */

// ------------------------------------------------------------------------------------------ DOM

type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

// ------------------------------------------------------------------------------------------ API

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, params: URLSearchParams = new URLSearchParams()): Promise<T> {
  const url = `${path}${[...params].length ? `?${params}` : ''}`;
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'signed out');
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

export async function send<T>(method: 'POST', path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const out = (await res.json().catch(() => ({}))) as T & { error?: { message: string } };
  if (!res.ok) throw new ApiError(res.status, out.error?.message ?? `HTTP ${res.status}`);
  return out;
}

// ------------------------------------------------------------------------------------------ filters

export const FILTER_DIMENSIONS = ['channel', 'category', 'priority', 'team_id', 'segment', 'region'] as const;
/** The values offered in each filter's list (the contract's vocabulary); free text where empty. */
export const VALUES: Record<(typeof FILTER_DIMENSIONS)[number], readonly string[]> = {
  channel: CHANNELS,
  category: CATEGORIES,
  priority: PRIORITIES,
  team_id: [],
  segment: [],
  region: [],
};

export interface Filters {
  from: string;
  to: string;
  dims: Partial<Record<(typeof FILTER_DIMENSIONS)[number], string>>;
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** Filters from the URL; default: the last 28 days up to today in the configured time zone. */
export function readFilters(): Filters {
  const q = new URLSearchParams(location.search);
  const to = q.get('to') ?? document.body.dataset['today'] ?? iso(new Date());
  const from = q.get('from') ?? windowEnding(to).from;
  const dims: Filters['dims'] = {};
  for (const d of FILTER_DIMENSIONS) {
    const v = q.get(d);
    if (v) dims[d] = v;
  }
  return { from, to, dims };
}

/** The API parameters of the filters, only the dimensions `allowed` (a KPI's own). */
export function filterParams(f: Filters, allowed?: readonly string[]): URLSearchParams {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  for (const [d, v] of Object.entries(f.dims)) if (v && (!allowed || allowed.includes(d))) p.set(d, v);
  return p;
}

/** The filter bar: a form whose submit writes the URL (shareable) and re-renders the page. */
export function filterBar(f: Filters, onChange: () => void): HTMLElement {
  const input = (name: string, label: string, value: string, type = 'date') =>
    h('label', {}, label, h('input', { type, name, value, required: true }));
  const select = (d: (typeof FILTER_DIMENSIONS)[number]) => {
    const values = VALUES[d];
    const label = d.replace('_id', '');
    if (values.length === 0)
      return h(
        'label',
        {},
        label,
        h('input', { name: d, value: f.dims[d] ?? '', placeholder: 'all', size: 8 }),
      );
    return h(
      'label',
      {},
      label,
      h(
        'select',
        { name: d },
        h('option', { value: '' }, 'all'),
        ...values.map((v) => h('option', { value: v, selected: f.dims[d] === v }, v.replace('_', ' '))),
      ),
    );
  };
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'filters' },
    input('from', 'from', f.from),
    input('to', 'to', f.to),
    ...FILTER_DIMENSIONS.map(select),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const q = new URLSearchParams(location.search);
    for (const [k, v] of data) {
      if (typeof v === 'string' && v !== '') q.set(k, v);
      else q.delete(k);
    }
    history.pushState(null, '', `${location.pathname}?${q}`);
    onChange();
  });
  return form;
}

// ------------------------------------------------------------------------------------------ formatting

/** Values as pages show them; the same function formats reports. */
export const fmt = formatValue;

/** The "data complete through" line shown on every page. */
export function setFreshness(completeThrough: string | undefined, timeZone: string | undefined): void {
  const el = document.getElementById('freshness');
  if (!el || !completeThrough) return;
  const t = new Date(completeThrough);
  el.textContent = `Data complete through ${t.toLocaleString('en-GB', { timeZone: timeZone ?? 'UTC', dateStyle: 'medium', timeStyle: 'short' })} · times in ${timeZone ?? 'UTC'}`;
}

// ------------------------------------------------------------------------------------------ panels

export interface PanelOptions<R extends Record<string, unknown>> {
  title: string;
  /** what the panel is about, for screen readers and the curious */
  description?: string;
  /** the API path and parameters of the panel's rows (also the downloads) */
  source: { path: string; params: URLSearchParams; rowsKey?: string };
  /** the chart spec of the rows; null draws only the table */
  spec: ((rows: R[]) => TopLevelSpec | null) | null;
  /** columns of the data table (default: every key of the rows) */
  columns?: string[];
  /** the metric whose SQL "show SQL" reveals */
  sql?: { metric: string; params: URLSearchParams };
  /** drill from a chart mark to the interactions behind it */
  drill?: (datum: Record<string, unknown>) => URLSearchParams | null;
  /** a class for the grid (wide panels span the page) */
  wide?: boolean;
  /** called with the whole API body (freshness and the like) */
  onBody?: (body: Record<string, unknown>) => void;
}

let panelCount = 0;

/** A panel: fetches its rows, draws the chart and the data table; downloads, SQL, drill-down. */
export function panel<R extends Record<string, unknown>>(opts: PanelOptions<R>): HTMLElement {
  const id = `panel-${++panelCount}`;
  const body = h(
    'div',
    { class: 'panel-body', 'aria-busy': 'true' },
    h('p', { class: 'loading' }, 'Loading…'),
  );
  const tools = panelTools(opts);
  const root = h(
    'section',
    {
      class: `panel${opts.wide ? ' wide' : ''}`,
      id,
      'aria-labelledby': `${id}-title`,
      'data-panel': opts.title,
    },
    h('h2', { id: `${id}-title` }, opts.title),
    opts.description ? h('p', { class: 'panel-desc' }, opts.description) : null,
    body,
    tools,
  );
  void fillPanel(root, body, opts);
  return root;
}

/** Under a panel: its rows as CSV, JSON, Arrow or XLSX, and "show SQL" for a KPI. */
function panelTools<R extends Record<string, unknown>>(opts: PanelOptions<R>): HTMLElement {
  const tools = h('div', { class: 'panel-tools' });
  const download = (format: string) => {
    const p = new URLSearchParams(opts.source.params);
    p.set('format', format);
    return h(
      'a',
      { href: `${opts.source.path}?${p}`, download: '', 'data-format': format },
      format.toUpperCase(),
    );
  };
  tools.append(
    h('span', { class: 'muted' }, 'Download '),
    download('csv'),
    ' ',
    download('json'),
    ' ',
    download('arrow'),
    ' ',
    download('xlsx'),
  );
  if (opts.sql) {
    const sql = opts.sql;
    const pre = h('pre', { class: 'sql', hidden: true });
    const btn = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false' }, 'Show SQL');
    btn.addEventListener('click', async () => {
      const open = pre.hidden;
      pre.hidden = !open;
      btn.setAttribute('aria-expanded', String(open));
      btn.textContent = open ? 'Hide SQL' : 'Show SQL';
      if (open && !pre.textContent) {
        const r = await api<MetricSql>(`/api/v1/metrics/${sql.metric}/sql`, sql.params);
        pre.textContent = `-- answered from: ${r.store}\n${r.sql.trim()}\n-- parameters: ${JSON.stringify(r.params)}`;
      }
    });
    tools.append(' · ', btn, pre);
  }
  return tools;
}

/** Fetch the panel's rows, then draw its chart (with drill-down) and its data table. */
async function fillPanel<R extends Record<string, unknown>>(
  root: HTMLElement,
  body: HTMLElement,
  opts: PanelOptions<R>,
): Promise<void> {
  try {
    const res = await api<Record<string, unknown>>(opts.source.path, opts.source.params);
    opts.onBody?.(res);
    const rows = (res[opts.source.rowsKey ?? 'rows'] ?? []) as R[];
    body.replaceChildren();
    body.setAttribute('aria-busy', 'false');
    root.dataset['rows'] = String(rows.length);
    if (rows.length === 0) {
      body.append(h('p', { class: 'empty' }, 'No data for these filters and dates.'));
      return;
    }
    const spec = opts.spec?.(rows) ?? null;
    if (spec) {
      const chart = h('div', {
        class: 'chart',
        role: 'img',
        'aria-label': `${opts.title} chart; the data is in the table below`,
      });
      body.append(chart);
      const result = await embed(chart, spec as VisualizationSpec, {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: expressionInterpreter,
        tooltip: { theme: 'light' },
      });
      root.dataset['drawn'] = 'true';
      if (opts.drill) {
        const drill = opts.drill;
        result.view.addEventListener('click', (_e, item) => {
          const datum = (item as { datum?: Record<string, unknown> } | null)?.datum;
          const p = datum ? drill(datum) : null;
          if (p) void showDrill(root, p);
        });
        chart.classList.add('clickable');
        chart.title = 'Click a mark to list the interactions behind it';
      }
    }
    body.append(dataTable(rows, opts.columns));
  } catch (err) {
    body.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, `Could not load: ${(err as Error).message}`),
    );
    body.setAttribute('aria-busy', 'false');
  }
}

/** The panel's rows as an accessible table, folded under the chart. */
export function dataTable(
  rows: readonly Record<string, unknown>[],
  columns?: string[],
  open = false,
): HTMLElement {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const table = h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          {},
          ...cols.map((c) => h('td', { 'data-col': c }, typeof r[c] === 'number' ? String(r[c]) : fmt(r[c]))),
        ),
      ),
    ),
  );
  return h(
    'details',
    { class: 'data', open },
    h('summary', {}, `Data (${rows.length} rows)`),
    h('div', { class: 'scroll' }, table),
  );
}

/** The interactions behind a mark, paged, under the panel. */
async function showDrill(root: HTMLElement, params: URLSearchParams, page = 1): Promise<void> {
  root.querySelector('.drill')?.remove();
  const box = h(
    'div',
    { class: 'drill', role: 'region', 'aria-label': 'interactions behind the selection' },
    h('p', {}, 'Loading…'),
  );
  root.append(box);
  const p = new URLSearchParams(params);
  p.set('page', String(page));
  p.set('page_size', '25');
  try {
    const r = await api<InteractionsPage>('/api/v1/interactions', p);
    const pages = Math.max(1, Math.ceil(r.total / r.page_size));
    const nav = h(
      'div',
      { class: 'pager' },
      h('strong', {}, `${r.total.toLocaleString('en-US')} interactions`),
      ` · page ${r.page} of ${pages} `,
      h(
        'button',
        { type: 'button', disabled: r.page <= 1, onclick: () => void showDrill(root, params, r.page - 1) },
        '‹ previous',
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: r.page >= pages,
          onclick: () => void showDrill(root, params, r.page + 1),
        },
        'next ›',
      ),
      h('button', { type: 'button', onclick: () => box.remove() }, 'close'),
    );
    const cols = [
      'interaction_id',
      'opened_at',
      'channel',
      'category',
      'priority',
      'team_id',
      'agent_id',
      'counted',
    ];
    box.replaceChildren(nav, dataTable(r.rows, cols, true));
  } catch (err) {
    box.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}
