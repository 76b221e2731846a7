import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { TopLevelSpec } from 'vega-lite';
import { CATEGORIES, CHANNELS, PRIORITIES } from '../../ingest/vocabulary.ts';
import { formatValue } from '../charts/format.ts';
import { FILTER_DIMENSIONS, filtersOf, type Filters } from '../page-requests.ts';
import type { InteractionsPage, MetricSql } from '../wire.ts';
import { day, embedLocale, has, label, labelled, num, t, zoneName } from './i18n.ts';

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

/** An API answer that is not OK: its status, the error `code` of the body (`{error:{code,message}}`), the message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

type ErrorBody = { error?: { code?: string; message?: string } };

function apiError(status: number, body: ErrorBody): ApiError {
  return new ApiError(status, body.error?.message ?? `HTTP ${status}`, body.error?.code);
}

/** An error as the reader reads it: the catalogue's words for its code, the server's message as detail. */
export function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ApiError) {
    const key = err.code ? `errors:${err.code}` : '';
    const words = key && has(key) ? t(key) : err.code ? '' : t('errors:http', { status: err.status });
    if (words)
      return words === message ? words : `${words} ${t('common:errors.detail', { detail: message })}`;
  } else if (err instanceof TypeError) {
    return `${t('errors:network')} ${t('common:errors.detail', { detail: message })}`;
  }
  return message;
}

/** The `{error: {code, message}}` body of a failed response (a download's) in the reader's words. */
export async function responseProblem(res: Response): Promise<string> {
  const b = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  return errorText(new ApiError(res.status, b.error?.message ?? `HTTP ${res.status}`, b.error?.code));
}

export async function api<T>(path: string, params: URLSearchParams = new URLSearchParams()): Promise<T> {
  const url = `${path}${[...params].length ? `?${params}` : ''}`;
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, 'signed out', 'unauthorized');
  }
  const body = (await res.json().catch(() => ({}))) as T & ErrorBody;
  if (!res.ok) throw apiError(res.status, body);
  return body;
}

export async function send<T>(method: 'POST', path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  });
  const out = (await res.json().catch(() => ({}))) as T & ErrorBody;
  if (!res.ok) throw apiError(res.status, out);
  return out;
}

// ------------------------------------------------------------------------------------------ filters

export { FILTER_DIMENSIONS, filterParams, type Filters } from '../page-requests.ts';

/** The values offered in each filter's list (the contract's vocabulary); free text where empty. */
export const VALUES: Record<(typeof FILTER_DIMENSIONS)[number], readonly string[]> = {
  channel: CHANNELS,
  category: CATEGORIES,
  priority: PRIORITIES,
  team_id: [],
  segment: [],
  region: [],
};

/** The centre's segments (keys of `/api/v1/vocabulary`) become the segment filter's list. */
export function useSegments(keys: readonly string[]): void {
  VALUES.segment = keys;
}

/** Filters from the URL; default: the last 28 days up to today in the configured time zone. */
export function readFilters(): Filters {
  return filtersOf(new URLSearchParams(location.search), document.body.dataset['today'] ?? iso(new Date()));
}

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** The filter bar: a form whose submit writes the URL (shareable) and re-renders the page. */
export function filterBar(f: Filters, onChange: () => void): HTMLElement {
  const input = (name: string, text: string, value: string, type = 'date') =>
    h('label', {}, text, h('input', { type, name, value, required: true }));
  const select = (d: (typeof FILTER_DIMENSIONS)[number]) => {
    // the stored values stay the options' values; the reader sees their names
    const values = VALUES[d];
    const text = t(`vocabulary:dimension.${d}`);
    const current = f.dims[d];
    if (values.length === 0)
      return h(
        'label',
        {},
        text,
        h('input', { name: d, value: current ?? '', placeholder: t('common:filters.all'), size: 8 }),
      );
    // a value in the URL that the list does not offer stays selectable
    const offered = current && !values.includes(current) ? [...values, current] : values;
    return h(
      'label',
      {},
      text,
      h(
        'select',
        { name: d },
        h('option', { value: '' }, t('common:filters.all')),
        ...offered.map((v) => h('option', { value: v, selected: current === v }, label(d, v))),
      ),
    );
  };
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': t('common:filters.label') },
    input('from', t('common:filters.from'), f.from),
    input('to', t('common:filters.to'), f.to),
    ...FILTER_DIMENSIONS.map(select),
    h('button', { type: 'submit' }, t('common:filters.apply')),
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
  const tz = timeZone ?? 'UTC';
  const when = day(completeThrough, { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' });
  el.textContent = t('common:freshness', { when, zone: zoneName(tz) });
}

/** A message whose values are code (JSON, ids): each set as `<code>`, not as words of the language. */
export function withCode(key: string, values: Record<string, string>): (string | HTMLElement)[] {
  const marks = Object.fromEntries(Object.keys(values).map((k, i) => [k, `\u0000${i}\u0000`]));
  const codes = Object.values(values);
  return t(key, marks)
    .split('\u0000')
    .map((part, i) => (i % 2 === 1 ? h('code', { lang: 'zxx' }, codes[Number(part)] ?? '') : part));
}

// ------------------------------------------------------------------------------------------ panels

export interface PanelOptions<R extends Record<string, unknown>> {
  title: string;
  /** what the panel is about, for screen readers and the curious */
  description?: string;
  /** the API path and parameters of the panel's rows (also the downloads) */
  source: {
    path: string;
    params: URLSearchParams;
    rowsKey?: string;
    /** the body of `path` already fetched (the overview page's one answer): drawn without a request */
    preloaded?: Record<string, unknown>;
  };
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
  /** the rows in the reader's words (a name the API writes in English), for the chart and the table */
  present?: (rows: R[]) => R[];
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
    h('p', { class: 'loading' }, t('common:panel.loading')),
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

/** The download formats as their names are written. */
const FORMAT_NAMES: Record<string, string> = { csv: 'CSV', json: 'JSON', arrow: 'Arrow', xlsx: 'XLSX' };

/** Under a panel: its rows as CSV, JSON, Arrow or XLSX, and "show SQL" for a KPI. */
function panelTools<R extends Record<string, unknown>>(opts: PanelOptions<R>): HTMLElement {
  const tools = h('div', { class: 'panel-tools' });
  const download = (format: string) => {
    const p = new URLSearchParams(opts.source.params);
    p.set('format', format);
    return h(
      'a',
      { href: `${opts.source.path}?${p}`, download: '', 'data-format': format },
      FORMAT_NAMES[format] ?? format,
    );
  };
  tools.append(
    h('span', { class: 'muted' }, `${t('common:panel.download')} `),
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
    const btn = h(
      'button',
      { type: 'button', class: 'link', 'aria-expanded': 'false' },
      t('common:panel.showSql'),
    );
    btn.addEventListener('click', async () => {
      const open = pre.hidden;
      pre.hidden = !open;
      btn.setAttribute('aria-expanded', String(open));
      btn.textContent = open ? t('common:panel.hideSql') : t('common:panel.showSql');
      if (open && !pre.textContent) {
        const r = await api<MetricSql>(`/api/v1/metrics/${sql.metric}/sql`, sql.params);
        const store = t('common:panel.sqlStore', { store: r.store });
        pre.textContent = `${store}\n${r.sql.trim()}\n${t('common:panel.sqlParams', { params: JSON.stringify(r.params) })}`;
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
    const res =
      opts.source.preloaded ?? (await api<Record<string, unknown>>(opts.source.path, opts.source.params));
    opts.onBody?.(res);
    const raw = (res[opts.source.rowsKey ?? 'rows'] ?? []) as R[];
    const rows = opts.present ? opts.present(raw) : raw;
    body.replaceChildren();
    body.setAttribute('aria-busy', 'false');
    root.dataset['rows'] = String(rows.length);
    if (rows.length === 0) {
      body.append(h('p', { class: 'empty' }, t('common:panel.empty')));
      return;
    }
    const spec = opts.spec?.(rows) ?? null;
    if (spec) {
      const chart = h('div', { class: 'chart' });
      body.append(chart);
      const drawing = performance.now();
      const result = await embed(chart, labelled(spec, t('common:panel.chartLabel', { title: opts.title })), {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: expressionInterpreter,
        tooltip: { theme: 'light' },
        ...embedLocale(),
      });
      // Vega-Lite compile, parse and first render of the chart (bench/dashboard.ts reads these)
      performance.measure('cx:chart', { start: drawing });
      root.dataset['drawn'] = 'true';
      if (opts.drill) {
        const drill = opts.drill;
        result.view.addEventListener('click', (_e, item) => {
          const datum = (item as { datum?: Record<string, unknown> } | null)?.datum;
          const p = datum ? drill(datum) : null;
          if (p) void showDrill(root, p);
        });
        chart.classList.add('clickable');
        chart.title = t('common:panel.drillHint');
      }
    }
    body.append(dataTable(rows, opts.columns, false, true));
  } catch (err) {
    body.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, t('common:panel.couldNotLoad', { reason: errorText(err) })),
    );
    body.setAttribute('aria-busy', 'false');
  }
}

/** Columns whose stored values have names for people (`label`). */
const LABELLED = new Set([
  'channel',
  'category',
  'priority',
  'severity',
  'survey',
  'outcome',
  'status',
  'segment',
  'team_id',
  'agent_id',
  'region',
]);

/** A cell as the reader reads it; numbers stay as the API gave them (the table is the data). */
function cellText(col: string, v: unknown, named: boolean): string {
  if (typeof v === 'number') return String(v);
  if (!named) return fmt(v);
  if (typeof v === 'boolean') return t(v ? 'common:values.true' : 'common:values.false');
  if (LABELLED.has(col)) return label(col, v);
  const stage = col === 'stage' && typeof v === 'string' ? `common:stage.${v.replace(' ', '_')}` : '';
  return stage && has(stage) ? t(stage) : fmt(v);
}

const columnTitle = (c: string) => (has(`common:columns.${c}`) ? t(`common:columns.${c}`) : c);

/**
 * The panel's rows as an accessible table, folded under the chart. `named`: column titles from the
 * catalogue and stored values as people read them (the panels); without it every header and cell is
 * as the rows have it (a SQL answer).
 */
export function dataTable(
  rows: readonly Record<string, unknown>[],
  columns?: string[],
  open = false,
  named = false,
): HTMLElement {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const table = h(
    'table',
    {},
    h(
      'thead',
      {},
      h('tr', {}, ...cols.map((c) => h('th', { scope: 'col', 'data-col': c }, named ? columnTitle(c) : c))),
    ),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h('tr', {}, ...cols.map((c) => h('td', { 'data-col': c }, cellText(c, r[c], named)))),
      ),
    ),
  );
  return h(
    'details',
    { class: 'data', open },
    h('summary', {}, t('common:panel.data', { count: rows.length, rows: num(rows.length) })),
    h('div', { class: 'scroll' }, table),
  );
}

/** The interactions behind a mark, paged, under the panel. */
async function showDrill(root: HTMLElement, params: URLSearchParams, page = 1): Promise<void> {
  root.querySelector('.drill')?.remove();
  const box = h(
    'div',
    { class: 'drill', role: 'region', 'aria-label': t('common:drill.label') },
    h('p', {}, t('common:panel.loading')),
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
      h('strong', {}, t('common:drill.total', { count: r.total, total: num(r.total) })),
      ` · ${t('common:drill.page', { page: num(r.page), pages: num(pages) })} `,
      h(
        'button',
        { type: 'button', disabled: r.page <= 1, onclick: () => void showDrill(root, params, r.page - 1) },
        t('common:drill.previous'),
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: r.page >= pages,
          onclick: () => void showDrill(root, params, r.page + 1),
        },
        t('common:drill.next'),
      ),
      h('button', { type: 'button', onclick: () => box.remove() }, t('common:drill.close')),
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
    box.replaceChildren(nav, dataTable(r.rows, cols, true, true));
  } catch (err) {
    box.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}
