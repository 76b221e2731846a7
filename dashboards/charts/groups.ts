import type { TopLevelSpec } from 'vega-lite';
import { CATALOGUES } from '../../i18n/catalogues.ts';
import type { Translator } from '../../i18n/translator.ts';
import { base, clean, spec, type SeriesRow } from './base.ts';
import { dimensionTitle, labelField, reader, unitTitle, withLabels } from './labels.ts';

/**
 * Charts that compare groups or stages: bars with CIs, stacked counts, the weekday × hour heat map, the
 * funnel, quantiles against a target, correlations with their CIs. Groups are drawn under their label in
 * the reader's language (`<field>_label`); the stored value stays in the datum for drill-down.
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
  const tr = reader(opts.tr);
  const unit = unitTitle(opts.unit, tr);
  const cat = {
    field: labelField(by),
    type: 'nominal' as const,
    title: dimensionTitle(by, tr),
    sort: 'ascending' as const,
  };
  const val = { field: 'value', type: 'quantitative' as const, title: unit };
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
          { field: labelField(by), title: dimensionTitle(by, tr) },
          { field: 'value', type: 'quantitative', title: unit, format: '.2f' },
          { field: 'ci_low', type: 'quantitative', title: tr.t('charts:ciLow'), format: '.2f' },
          { field: 'ci_high', type: 'quantitative', title: tr.t('charts:ciHigh'), format: '.2f' },
          { field: 'n', type: 'quantitative', title: tr.t('charts:n'), format: ',' },
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
    data: { values: withLabels(clean(rows), [by], tr) },
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
  const tr = reader(opts.tr);
  const [x, stack] = [opts.x, opts.stack];
  const [xTitle, stackTitle, count] = [
    dimensionTitle(x, tr),
    dimensionTitle(stack, tr),
    tr.t('charts:count'),
  ];
  return spec({
    ...base(opts.title),
    data: { values: withLabels(opts.rows, [x, stack], tr) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: labelField(x), type: 'nominal', title: xTitle, sort: 'ascending' },
      y: { field: value, type: 'quantitative', title: count, stack: 'zero' },
      color: { field: labelField(stack), type: 'nominal', title: stackTitle },
      tooltip: [
        { field: labelField(x), title: xTitle },
        { field: labelField(stack), title: stackTitle },
        { field: value, type: 'quantitative', title: count, format: ',' },
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
  const tr = reader(opts.tr);
  const unit = unitTitle(opts.unit, tr);
  // ISO weekdays, Monday = 1
  const days = [1, 2, 3, 4, 5, 6, 7].map((d) => tr.t(`charts:weekday.${d}`));
  return spec({
    ...base(opts.title, 'container', 200),
    data: { values: opts.rows.map((r) => ({ ...r, day: days[r.weekday - 1] ?? String(r.weekday) })) },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'hour', type: 'ordinal', title: tr.t('charts:hourOfDay') },
      y: { field: 'day', type: 'ordinal', title: null, sort: days },
      color: { field: 'value', type: 'quantitative', title: unit, scale: { scheme: 'blues' } },
      tooltip: [
        { field: 'day', title: tr.t('charts:day') },
        { field: 'hour', title: tr.t('charts:hour') },
        { field: 'value', type: 'quantitative', title: unit, format: '.1f' },
        { field: 'n', type: 'quantitative', title: tr.t('charts:n'), format: ',' },
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
  const tr = reader(opts.tr);
  const first = opts.rows[0]?.count ?? 0;
  const values = opts.rows.map((r, i) => ({
    ...r,
    stage_label: stageLabel(r.stage, tr),
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
          y: { field: 'stage_label', type: 'nominal', sort: null, title: null },
          x: { field: 'count', type: 'quantitative', title: tr.t('charts:complaints') },
          tooltip: [
            { field: 'stage_label', title: tr.t('charts:stage') },
            { field: 'count', type: 'quantitative', title: tr.t('charts:count'), format: ',' },
            { field: 'share', type: 'quantitative', title: tr.t('charts:shareOfFirst'), format: '.1f' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
        encoding: {
          y: { field: 'stage_label', type: 'nominal', sort: null },
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
  /** the dimension the groups are values of (`channel`, `priority` …), so they are shown by their label */
  by?: string;
  /** the reader's words, numbers and value labels (English when absent) */
  tr?: Translator;
}): TopLevelSpec {
  const tr = reader(opts.tr);
  const unit = unitTitle(opts.unit, tr);
  const by = opts.by;
  const targets = opts.rows.some((r) => typeof r.target === 'number');
  const values = opts.rows.map((r) => ({ ...r, group_label: by ? tr.label(by, r.group) : r.group }));
  const y = { field: 'group_label', type: 'nominal' as const };
  return spec({
    ...base(opts.title, 'container', Math.max(140, opts.rows.length * 26)),
    data: { values },
    layer: [
      {
        mark: { type: 'rule', color: '#56B4E9', strokeWidth: 6 },
        encoding: {
          y: { ...y, title: null },
          x: { field: 'p50', type: 'quantitative', title: unit, scale: { type: 'symlog' } },
          x2: { field: 'p90' },
        },
      },
      {
        mark: { type: 'point', filled: true, color: '#0072B2', size: 60 },
        encoding: {
          y,
          x: { field: 'p50', type: 'quantitative' },
          tooltip: [
            { field: 'group_label', title: by ? dimensionTitle(by, tr) : tr.t('charts:group') },
            { field: 'p50', type: 'quantitative', title: tr.t('charts:median'), format: ',.1f' },
            { field: 'p90', type: 'quantitative', title: tr.t('charts:p90'), format: ',.1f' },
            { field: 'target', type: 'quantitative', title: tr.t('charts:target'), format: ',.0f' },
          ],
        },
      },
      ...(targets
        ? [
            {
              mark: { type: 'tick', color: '#D55E00', thickness: 2, size: 18 },
              encoding: { y, x: { field: 'target', type: 'quantitative' } },
            },
          ]
        : []),
    ],
  });
}

/** Correlations with their CIs (retention drivers): a dot per feature, a bar for the CI, zero marked. */
export function correlationSpec(opts: {
  title: string;
  /** `feature`: the feature's name (`contacts`) or its English title, shown in the reader's words */
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
  const tr = reader(opts.tr);
  const values = opts.rows.map((r) => ({ ...r, feature_label: featureLabel(r.feature, tr) }));
  const y = { field: 'feature_label', type: 'nominal' as const, sort: null };
  return spec({
    ...base(opts.title, 'container', Math.max(140, opts.rows.length * 28)),
    data: { values },
    layer: [
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: '#9ca3af' },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
      {
        mark: { type: 'rule', strokeWidth: 2, color: '#56B4E9' },
        encoding: {
          y: { ...y, title: null },
          x: { field: 'ci_low', type: 'quantitative', title: tr.t('charts:correlationWithChurn') },
          x2: { field: 'ci_high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, color: '#0072B2' },
        encoding: {
          y,
          x: { field: 'r', type: 'quantitative' },
          tooltip: [
            { field: 'feature_label', title: tr.t('charts:feature') },
            { field: 'r', type: 'quantitative', title: tr.t('charts:r'), format: '.3f' },
            { field: 'ci_low', type: 'quantitative', title: tr.t('charts:ciLow'), format: '.3f' },
            { field: 'ci_high', type: 'quantitative', title: tr.t('charts:ciHigh'), format: '.3f' },
            { field: 'p', type: 'quantitative', title: tr.t('charts:p'), format: '.2g' },
            { field: 'n', type: 'quantitative', title: tr.t('charts:n'), format: ',' },
          ],
        },
      },
    ],
  });
}

/** A funnel stage (`accepted`, `followed up` …) in the reader's words; an unknown stage as given. */
function stageLabel(stage: string, tr: Translator): string {
  const key = `charts:stages.${stage.replace(/ /g, '_')}`;
  return tr.has(key) ? tr.t(key) : stage;
}

/**
 * A retention-driver feature in the reader's words (`metrics:drivers.<feature>`), whether the row names
 * the feature or carries its English title (as `/api/v1/retention/drivers` sends it); else as given.
 */
function featureLabel(feature: string, tr: Translator): string {
  const english = CATALOGUES.en.metrics['drivers'];
  const key =
    english && typeof english === 'object'
      ? (Object.keys(english).find((k) => k === feature || english[k] === feature) ?? feature)
      : feature;
  return tr.has(`metrics:drivers.${key}`) ? tr.t(`metrics:drivers.${key}`) : feature;
}
