import type { TopLevelSpec } from 'vega-lite';

/**
 * The Vega-Lite specs of every chart cxpulse draws, as pure functions of the rows the API returns.
 * The same functions run in the browser (pages) and on the server (report PNGs), so a chart in a report
 * is the chart on the page. Every spec here is validated against the Vega-Lite JSON schema by a test.
 */

export interface SeriesRow {
  period: string;
  value: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
  [key: string]: unknown;
}

export interface Annotation {
  date: string;
  title: string;
}

/** How each catalog unit is written next to a value (axes, tiles, reports). */
export const UNIT_LABEL: Record<string, string> = {
  percent: '%',
  points: 'points',
  score: 'score',
  seconds: 's',
  hours: 'h',
  count: 'count',
};

/** A KPI value as pages and reports show it (the API never rounds): `91.2 %`, `–` when there is none. */
export function formatValue(v: unknown, unit?: string, digits = 1): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'number') {
    const s = v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    return unit === 'percent' ? `${s} %` : unit === 'seconds' ? `${s} s` : unit === 'hours' ? `${s} h` : s;
  }
  return String(v);
}

/** The specs are checked against the Vega-Lite JSON schema by a test; TypeScript sees them as plain objects. */
const spec = (s: object): TopLevelSpec => s as TopLevelSpec;

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Colours chosen for contrast on white and for colour-blind readers (Okabe–Ito). */
export const STATUS_COLOURS = { met: '#009E73', at_risk: '#E69F00', missed: '#D55E00', none: '#6b7280' };
const CATEGORY_PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
];

const base = (title: string, width: number | 'container' = 'container', height = 220) =>
  ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 14, font: FONT },
    width,
    height,
    config: {
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eceff3' },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom' },
      view: { stroke: null },
      range: { category: CATEGORY_PALETTE },
    },
  }) as const;

const clean = (rows: readonly SeriesRow[]) =>
  rows.map((r) => ({ ...r, value: r.value ?? null, ci_low: r.ci_low ?? null, ci_high: r.ci_high ?? null }));

/**
 * A KPI over time: line with its 95 % CI band, the target as a rule, process changes as annotated
 * rules; one line per group when `by` is given.
 */
export function trendSpec(opts: {
  title: string;
  unit: string;
  rows: readonly SeriesRow[];
  by?: string;
  target?: number | null;
  annotations?: readonly Annotation[];
  timeUnit?: 'day' | 'week' | 'month';
}): TopLevelSpec {
  const { rows, by, target, annotations = [] } = opts;
  const colour = by
    ? { color: { field: by, type: 'nominal' as const, title: by.replace('_id', '') } }
    : { color: { value: '#0072B2' } };
  const x = { field: 'period', type: 'temporal' as const, title: null, axis: { format: '%b %d' } };
  const y = { field: 'value', type: 'quantitative' as const, title: opts.unit, scale: { zero: false } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'area', opacity: 0.18 },
      encoding: {
        x,
        y: { field: 'ci_low', type: 'quantitative', title: opts.unit },
        y2: { field: 'ci_high' },
        ...colour,
      },
    },
    {
      mark: { type: 'line', point: { size: 28 }, strokeWidth: 2 },
      encoding: {
        x,
        y,
        ...colour,
        tooltip: [
          { field: 'period', type: 'temporal', title: 'period' },
          ...(by ? [{ field: by, type: 'nominal', title: by }] : []),
          { field: 'value', type: 'quantitative', title: opts.unit, format: '.2f' },
          { field: 'ci_low', type: 'quantitative', title: 'CI low', format: '.2f' },
          { field: 'ci_high', type: 'quantitative', title: 'CI high', format: '.2f' },
          { field: 'n', type: 'quantitative', title: 'n', format: ',' },
        ],
      },
    },
  ];
  if (target !== undefined && target !== null) {
    layers.push({
      data: { values: [{ target }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#374151' },
      encoding: { y: { field: 'target', type: 'quantitative' } },
    });
    layers.push({
      data: { values: [{ target, label: `target ${target}` }] },
      mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#374151', fontSize: 11 },
      encoding: { y: { field: 'target', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
    });
  }
  if (annotations.length > 0) {
    layers.push({
      data: { values: annotations.map((a) => ({ period: a.date, title: a.title })) },
      mark: { type: 'rule', color: '#CC79A7', strokeWidth: 2 },
      encoding: { x: { field: 'period', type: 'temporal' }, tooltip: [{ field: 'title', title: 'change' }] },
    });
    layers.push({
      data: { values: annotations.map((a) => ({ period: a.date, title: a.title })) },
      mark: {
        type: 'text',
        angle: 0,
        align: 'left',
        baseline: 'top',
        dx: 3,
        y: 2,
        color: '#8b3a6e',
        fontSize: 10,
      },
      encoding: { x: { field: 'period', type: 'temporal' }, text: { field: 'title' } },
    });
  }
  return spec({ ...base(opts.title), data: { values: clean(rows) }, layer: layers });
}

/** A tiny trend for a KPI tile. */
export function sparklineSpec(rows: readonly SeriesRow[], colour: string): TopLevelSpec {
  return spec({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 'container',
    height: 36,
    data: { values: clean(rows) },
    mark: { type: 'line', color: colour, strokeWidth: 1.5, interpolate: 'monotone' },
    encoding: {
      x: { field: 'period', type: 'temporal', axis: null },
      y: { field: 'value', type: 'quantitative', axis: null, scale: { zero: false } },
    },
    config: { view: { stroke: null } },
  });
}

/**
 * One bar per group with its CI as an error bar, the target as a rule; groups with few observations
 * drawn pale (low confidence). Sorted by name, not by value: ranking groups whose CIs overlap ranks noise.
 */
export function barsSpec(opts: {
  title: string;
  unit: string;
  rows: readonly SeriesRow[];
  by: string;
  target?: number | null;
  horizontal?: boolean;
}): TopLevelSpec {
  const { rows, by, target } = opts;
  const cat = {
    field: by,
    type: 'nominal' as const,
    title: by.replace('_id', ''),
    sort: 'ascending' as const,
  };
  const val = { field: 'value', type: 'quantitative' as const, title: opts.unit };
  const [c, v] = opts.horizontal ? (['y', 'x'] as const) : (['x', 'y'] as const);
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'bar', cornerRadiusEnd: 2 },
      encoding: {
        [c]: cat,
        [v]: val,
        color: { value: '#0072B2' },
        opacity: { condition: { test: 'datum.low_confidence', value: 0.35 }, value: 0.9 },
        tooltip: [
          { field: by, title: by },
          { field: 'value', type: 'quantitative', title: opts.unit, format: '.2f' },
          { field: 'ci_low', type: 'quantitative', title: 'CI low', format: '.2f' },
          { field: 'ci_high', type: 'quantitative', title: 'CI high', format: '.2f' },
          { field: 'n', type: 'quantitative', title: 'n', format: ',' },
        ],
      },
    },
    {
      mark: { type: 'rule', color: '#111827' },
      encoding: {
        [c]: cat,
        [v]: { field: 'ci_low', type: 'quantitative' },
        [`${v}2`]: { field: 'ci_high' },
      },
    },
  ];
  if (target !== undefined && target !== null)
    layers.push({
      data: { values: [{ target }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#374151' },
      encoding: { [v]: { field: 'target', type: 'quantitative' } },
    });
  return spec({
    ...base(opts.title, 'container', opts.horizontal ? Math.max(120, rows.length * 22) : 220),
    data: { values: clean(rows) },
    layer: layers,
  });
}

/** Counts per group, stacked by a second field (e.g. complaints by category × severity). */
export function stackedCountSpec(opts: {
  title: string;
  rows: readonly Record<string, unknown>[];
  x: string;
  stack: string;
  value?: string;
}): TopLevelSpec {
  const value = opts.value ?? 'value';
  return spec({
    ...base(opts.title),
    data: { values: opts.rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: opts.x, type: 'nominal', title: opts.x.replace('_id', ''), sort: 'ascending' },
      y: { field: value, type: 'quantitative', title: 'count', stack: 'zero' },
      color: { field: opts.stack, type: 'nominal', title: opts.stack },
      tooltip: [
        { field: opts.x, title: opts.x },
        { field: opts.stack, title: opts.stack },
        { field: value, type: 'quantitative', title: 'count', format: ',' },
      ],
    },
  });
}

/** A heat map of a rate over weekday × hour of day. */
export function heatmapSpec(opts: {
  title: string;
  unit: string;
  rows: readonly { weekday: number; hour: number; value: number | null; n: number }[];
}): TopLevelSpec {
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  return spec({
    ...base(opts.title, 'container', 200),
    data: { values: opts.rows.map((r) => ({ ...r, day: days[r.weekday - 1] ?? String(r.weekday) })) },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'hour', type: 'ordinal', title: 'hour of day' },
      y: { field: 'day', type: 'ordinal', title: null, sort: days },
      color: { field: 'value', type: 'quantitative', title: opts.unit, scale: { scheme: 'blues' } },
      tooltip: [
        { field: 'day', title: 'day' },
        { field: 'hour', title: 'hour' },
        { field: 'value', type: 'quantitative', title: opts.unit, format: '.1f' },
        { field: 'n', type: 'quantitative', title: 'n', format: ',' },
      ],
    },
  });
}

/** Stages of a process as descending bars with the share of the first stage. */
export function funnelSpec(opts: {
  title: string;
  rows: readonly { stage: string; count: number }[];
}): TopLevelSpec {
  const first = opts.rows[0]?.count ?? 0;
  const values = opts.rows.map((r, i) => ({
    ...r,
    order: i,
    share: first > 0 ? (r.count / first) * 100 : null,
  }));
  return spec({
    ...base(opts.title, 'container', Math.max(120, values.length * 34)),
    data: { values },
    layer: [
      {
        mark: { type: 'bar', color: '#0072B2' },
        encoding: {
          y: { field: 'stage', type: 'nominal', sort: null, title: null },
          x: { field: 'count', type: 'quantitative', title: 'complaints' },
          tooltip: [
            { field: 'stage', title: 'stage' },
            { field: 'count', type: 'quantitative', title: 'count', format: ',' },
            { field: 'share', type: 'quantitative', title: '% of opened', format: '.1f' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: {
          y: { field: 'stage', type: 'nominal', sort: null },
          x: { field: 'count', type: 'quantitative' },
          text: { field: 'share', type: 'quantitative', format: '.1f' },
        },
      },
    ],
  });
}

/** Quantiles (p50, p90) of a duration per group against a target (service-level distributions). */
export function quantileSpec(opts: {
  title: string;
  unit: string;
  rows: readonly { group: string; p50: number | null; p90: number | null; target?: number | null }[];
}): TopLevelSpec {
  const targets = opts.rows.some((r) => typeof r.target === 'number');
  return spec({
    ...base(opts.title, 'container', Math.max(140, opts.rows.length * 26)),
    data: { values: opts.rows },
    layer: [
      {
        mark: { type: 'rule', color: '#56B4E9', strokeWidth: 6 },
        encoding: {
          y: { field: 'group', type: 'nominal', title: null },
          x: { field: 'p50', type: 'quantitative', title: opts.unit, scale: { type: 'symlog' } },
          x2: { field: 'p90' },
        },
      },
      {
        mark: { type: 'point', filled: true, color: '#0072B2', size: 60 },
        encoding: {
          y: { field: 'group', type: 'nominal' },
          x: { field: 'p50', type: 'quantitative' },
          tooltip: [
            { field: 'group', title: 'group' },
            { field: 'p50', type: 'quantitative', title: 'median', format: ',.1f' },
            { field: 'p90', type: 'quantitative', title: 'p90', format: ',.1f' },
            { field: 'target', type: 'quantitative', title: 'target', format: ',.0f' },
          ],
        },
      },
      ...(targets
        ? [
            {
              mark: { type: 'tick', color: '#D55E00', thickness: 2, size: 18 },
              encoding: {
                y: { field: 'group', type: 'nominal' },
                x: { field: 'target', type: 'quantitative' },
              },
            },
          ]
        : []),
    ],
  });
}

/** A control chart: the series with its centre line and 3σ limits, points outside the limits marked. */
export function controlChartSpec(opts: {
  title: string;
  unit: string;
  points: readonly {
    period: string;
    value: number | null;
    centre: number;
    lcl: number | null;
    ucl: number | null;
    out: boolean;
  }[];
  changeDate?: string;
}): TopLevelSpec {
  const x = { field: 'period', type: 'temporal' as const, title: null };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 3] },
      encoding: { x, y: { field: 'ucl', type: 'quantitative' } },
    },
    {
      mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 3] },
      encoding: { x, y: { field: 'lcl', type: 'quantitative' } },
    },
    {
      mark: { type: 'line', color: '#374151' },
      encoding: { x, y: { field: 'centre', type: 'quantitative' } },
    },
    {
      mark: { type: 'line', point: true, color: '#0072B2' },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: opts.unit, scale: { zero: false } },
        tooltip: [
          { field: 'period', type: 'temporal', title: 'period' },
          { field: 'value', type: 'quantitative', title: opts.unit, format: '.2f' },
          { field: 'lcl', type: 'quantitative', title: 'lower limit', format: '.2f' },
          { field: 'ucl', type: 'quantitative', title: 'upper limit', format: '.2f' },
        ],
      },
    },
  ];
  if (opts.points.some((p) => p.out))
    layers.push({
      transform: [{ filter: 'datum.out' }],
      mark: { type: 'point', color: '#D55E00', size: 90, filled: true },
      encoding: { x, y: { field: 'value', type: 'quantitative' } },
    });
  if (opts.changeDate)
    layers.push({
      data: { values: [{ period: opts.changeDate }] },
      mark: { type: 'rule', color: '#CC79A7', strokeWidth: 2 },
      encoding: { x: { field: 'period', type: 'temporal' } },
    });
  return spec({ ...base(opts.title), data: { values: opts.points }, layer: layers });
}

/** Correlations with their CIs (retention drivers): a dot per feature, a bar for the CI, zero marked. */
export function correlationSpec(opts: {
  title: string;
  rows: readonly {
    feature: string;
    r: number | null;
    ci_low: number | null;
    ci_high: number | null;
    p: number | null;
    n: number;
  }[];
}): TopLevelSpec {
  return spec({
    ...base(opts.title, 'container', Math.max(140, opts.rows.length * 28)),
    data: { values: opts.rows },
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#9ca3af' },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
      {
        mark: { type: 'rule', strokeWidth: 2, color: '#56B4E9' },
        encoding: {
          y: { field: 'feature', type: 'nominal', title: null, sort: null },
          x: { field: 'ci_low', type: 'quantitative', title: 'correlation with later churn (r, 95 % CI)' },
          x2: { field: 'ci_high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, color: '#0072B2' },
        encoding: {
          y: { field: 'feature', type: 'nominal', sort: null },
          x: { field: 'r', type: 'quantitative' },
          tooltip: [
            { field: 'feature', title: 'feature' },
            { field: 'r', type: 'quantitative', format: '.3f' },
            { field: 'ci_low', type: 'quantitative', title: 'CI low', format: '.3f' },
            { field: 'ci_high', type: 'quantitative', title: 'CI high', format: '.3f' },
            { field: 'p', type: 'quantitative', format: '.2g' },
            { field: 'n', type: 'quantitative', format: ',' },
          ],
        },
      },
    ],
  });
}

/**
 * A first look at an ad-hoc result: bars of the first numeric column by the first other column, or a
 * line when that column holds dates. Null when the result has no numeric column to draw.
 */
export function quickChartSpec(
  columns: readonly { name: string; type: string }[],
  rows: readonly unknown[][],
): TopLevelSpec | null {
  const numeric = (t: string) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(t);
  const y = columns.findIndex((c) => numeric(c.type));
  if (y < 0 || rows.length === 0) return null;
  const x = columns.findIndex((c, i) => i !== y && !numeric(c.type));
  const xName = x >= 0 ? (columns[x] as { name: string }).name : '#';
  const yName = (columns[y] as { name: string }).name;
  const temporal = x >= 0 && /^(Nullable\()?(Date|DateTime)/.test((columns[x] as { type: string }).type);
  const values = rows
    .slice(0, 500)
    .map((r, i) => ({ x: x >= 0 ? r[x] : i + 1, y: r[y] === null ? null : Number(r[y]) }));
  return spec({
    ...base('', 'container', 240),
    data: { values },
    mark: temporal ? { type: 'line', point: true } : { type: 'bar' },
    encoding: {
      x: { field: 'x', type: temporal ? 'temporal' : 'nominal', title: xName, sort: null },
      y: { field: 'y', type: 'quantitative', title: yName },
      tooltip: [
        { field: 'x', title: xName },
        { field: 'y', title: yName, type: 'quantitative' },
      ],
    },
  });
}
