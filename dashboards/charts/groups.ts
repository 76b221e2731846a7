import type { TopLevelSpec } from 'vega-lite';
import type { Translator } from '../../i18n/translator.ts';
import { base, clean, spec, type SeriesRow } from './base.ts';

/**
 * Charts that compare groups or stages: bars with CIs, stacked counts, the weekday × hour heat map, the
 * funnel, quantiles against a target, correlations with their CIs.
 */

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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
