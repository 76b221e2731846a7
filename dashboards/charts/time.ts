import type { TopLevelSpec } from 'vega-lite';
import type { Translator } from '../../i18n/translator.ts';
import { base, clean, spec, type SeriesRow } from './base.ts';

/** Charts of a KPI over time: the trend with its CI band and annotations, the tile's sparkline, the control chart. */

export interface Annotation {
  date: string;
  title: string;
}

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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
export function sparklineSpec(rows: readonly SeriesRow[], colour: string, _tr?: Translator): TopLevelSpec {
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
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
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
