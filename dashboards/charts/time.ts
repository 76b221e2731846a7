import type { TopLevelSpec } from 'vega-lite';
import type { Translator } from '../../i18n/translator.ts';
import { dayAxisFormat } from '../../i18n/vega.ts';
import { base, clean, spec, type SeriesRow } from './base.ts';
import { dimensionTitle, labelField, reader, unitTitle, withLabels } from './labels.ts';

/** Charts of a KPI over time: the trend with its CI band and annotations, the tile's sparkline, the control chart. */

export interface Annotation {
  date: string;
  title: string;
}

/**
 * A KPI over time: line with its 95 % CI band, the target as a rule, process changes as annotated
 * rules; one line per group when `by` is given (coloured by the group's label, its stored value kept
 * in the datum).
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
  const tr = reader(opts.tr);
  const unit = unitTitle(opts.unit, tr);
  const colour = by
    ? { color: { field: labelField(by), type: 'nominal' as const, title: dimensionTitle(by, tr) } }
    : { color: { value: '#0072B2' } };
  const x = {
    field: 'period',
    type: 'temporal' as const,
    title: null,
    axis: { format: dayAxisFormat(tr.locale) },
  };
  const y = { field: 'value', type: 'quantitative' as const, title: unit, scale: { zero: false } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'area', opacity: 0.18 },
      encoding: {
        x,
        y: { field: 'ci_low', type: 'quantitative', title: unit },
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
          { field: 'period', type: 'temporal', title: tr.t('charts:period') },
          ...(by ? [{ field: labelField(by), type: 'nominal', title: dimensionTitle(by, tr) }] : []),
          { field: 'value', type: 'quantitative', title: unit, format: '.2f' },
          { field: 'ci_low', type: 'quantitative', title: tr.t('charts:ciLow'), format: '.2f' },
          { field: 'ci_high', type: 'quantitative', title: tr.t('charts:ciHigh'), format: '.2f' },
          { field: 'n', type: 'quantitative', title: tr.t('charts:n'), format: ',' },
        ],
      },
    },
  ];
  layers.push(...targetLayers(target, tr), ...annotationLayers(annotations, tr));
  const values = by ? withLabels(clean(rows), [by], tr) : clean(rows);
  return spec({ ...base(opts.title), data: { values }, layer: layers });
}

/** The target as a dashed rule with its value written beside it. */
function targetLayers(target: number | null | undefined, tr: Translator): Record<string, unknown>[] {
  if (target === undefined || target === null) return [];
  return [
    {
      data: { values: [{ target }] },
      mark: { type: 'rule', strokeDash: [6, 4], color: '#374151' },
      encoding: { y: { field: 'target', type: 'quantitative' } },
    },
    {
      data: { values: [{ target, label: tr.t('charts:targetLine', { value: tr.number(target) }) }] },
      mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#374151', fontSize: 11 },
      encoding: { y: { field: 'target', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
    },
  ];
}

/** Process changes as rules with their titles (as recorded: a title is the editor's words). */
function annotationLayers(annotations: readonly Annotation[], tr: Translator): Record<string, unknown>[] {
  if (annotations.length === 0) return [];
  const values = annotations.map((a) => ({ period: a.date, title: a.title }));
  return [
    {
      data: { values },
      mark: { type: 'rule', color: '#CC79A7', strokeWidth: 2 },
      encoding: {
        x: { field: 'period', type: 'temporal' },
        tooltip: [{ field: 'title', title: tr.t('charts:change') }],
      },
    },
    {
      data: { values },
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
    },
  ];
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
  const tr = reader(opts.tr);
  const unit = unitTitle(opts.unit, tr);
  const x = {
    field: 'period',
    type: 'temporal' as const,
    title: null,
    axis: { format: dayAxisFormat(tr.locale) },
  };
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
        y: { field: 'value', type: 'quantitative', title: unit, scale: { zero: false } },
        tooltip: [
          { field: 'period', type: 'temporal', title: tr.t('charts:period') },
          { field: 'value', type: 'quantitative', title: unit, format: '.2f' },
          { field: 'centre', type: 'quantitative', title: tr.t('charts:centreLine'), format: '.2f' },
          { field: 'lcl', type: 'quantitative', title: tr.t('charts:lowerLimit'), format: '.2f' },
          { field: 'ucl', type: 'quantitative', title: tr.t('charts:upperLimit'), format: '.2f' },
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
