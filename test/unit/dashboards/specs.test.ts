import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  barsSpec,
  correlationSpec,
  funnelSpec,
  heatmapSpec,
  quantileSpec,
  stackedCountSpec,
} from '../../../dashboards/charts/groups.ts';
import { quickChartSpec } from '../../../dashboards/charts/quick.ts';
import { controlChartSpec, sparklineSpec, trendSpec } from '../../../dashboards/charts/time.ts';
import { formatValue, unitLabel } from '../../../dashboards/charts/format.ts';
import { translator } from '../../../i18n/translator.ts';

/** Every chart spec cxpulse draws, built from representative rows, against the Vega-Lite JSON schema. */

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('vega-lite/vega-lite-schema.json'), 'utf8')) as object;
const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
const validate = ajv.compile(schema);

const rows = [
  {
    period: '2026-03-02',
    channel: 'phone',
    value: 91.2,
    n: 120,
    ci_low: 85.1,
    ci_high: 94.9,
    low_confidence: false,
  },
  {
    period: '2026-03-09',
    channel: 'chat',
    value: null,
    n: 0,
    ci_low: null,
    ci_high: null,
    low_confidence: true,
  },
];

const zh = translator('zh-CN', { display_names: { team_id: { t2: { 'zh-CN': '华东二组', en: 'East 2' } } } });

const SPECS: [string, object][] = [
  [
    'quick chart (bars)',
    quickChartSpec(
      [
        { name: 'channel', type: 'LowCardinality(String)' },
        { name: 'n', type: 'UInt64' },
      ],
      [
        ['phone', '3'],
        ['chat', '5'],
      ],
    )!,
  ],
  [
    'quick chart (line)',
    quickChartSpec(
      [
        { name: 'day', type: 'Date' },
        { name: 'v', type: 'Nullable(Float64)' },
      ],
      [
        ['2026-01-01', 1.5],
        ['2026-01-02', null],
      ],
    )!,
  ],
  [
    'trend',
    trendSpec({
      title: 'CSAT',
      unit: '%',
      rows,
      target: 90,
      annotations: [{ date: '2026-03-05', title: 'new IVR' }],
    }),
  ],
  ['trend by group', trendSpec({ title: 'CSAT', unit: '%', rows, by: 'channel' })],
  ['sparkline', sparklineSpec(rows, '#009E73')],
  ['bars', barsSpec({ title: 'FCR by team', unit: '%', rows, by: 'channel', target: 90 })],
  ['bars horizontal', barsSpec({ title: 'FCR by agent', unit: '%', rows, by: 'channel', horizontal: true })],
  [
    'stacked',
    stackedCountSpec({
      title: 'complaints',
      rows: [{ category: 'x', severity: 'major', value: 3 }],
      x: 'category',
      stack: 'severity',
    }),
  ],
  ['heatmap', heatmapSpec({ title: 'SLA', unit: '%', rows: [{ weekday: 1, hour: 9, value: 88, n: 40 }] })],
  [
    'funnel',
    funnelSpec({
      title: 'closed loop',
      rows: [
        { stage: 'accepted', count: 10 },
        { stage: 'resolved', count: 7 },
      ],
    }),
  ],
  [
    'quantiles',
    quantileSpec({
      title: 'first response',
      unit: 's',
      rows: [{ group: 'chat', p50: 8, p90: 30, target: 15 }],
    }),
  ],
  [
    'control chart',
    controlChartSpec({
      title: 'FCR',
      unit: '%',
      points: [{ period: '2026-03-01', value: 70, centre: 68, lcl: 60, ucl: 76, out: false }],
      changeDate: '2026-03-05',
    }),
  ],
  [
    'correlations',
    correlationSpec({
      title: 'drivers',
      rows: [{ feature: 'contacts', r: 0.3, ci_low: 0.25, ci_high: 0.35, p: 1e-9, n: 900 }],
    }),
  ],
];

/** The same charts for a Chinese reader: every title and every dimension value in Chinese. */
const ZH_SPECS: [string, object][] = [
  ['quick chart (bars)', quickChartSpec([{ name: 'n', type: 'UInt64' }], [['3'], ['5']], zh)!],
  [
    'trend',
    trendSpec({
      title: '客户满意度',
      unit: '%',
      rows,
      target: 90,
      annotations: [{ date: '2026-03-05', title: '新语音导航' }],
      tr: zh,
    }),
  ],
  ['trend by group', trendSpec({ title: '', unit: 'percent', rows, by: 'channel', tr: zh })],
  ['sparkline', sparklineSpec(rows, '#009E73', zh)],
  ['bars', barsSpec({ title: '', unit: '%', rows, by: 'channel', target: 90, tr: zh })],
  [
    'bars horizontal (team display names)',
    barsSpec({
      title: '',
      unit: 'points',
      rows: rows.map((r, i) => ({ ...r, team_id: i === 0 ? 't2' : '华南一组' })),
      by: 'team_id',
      horizontal: true,
      tr: zh,
    }),
  ],
  [
    'stacked',
    stackedCountSpec({
      title: '',
      rows: [{ category: 'complaint', severity: 'major', value: 3 }],
      x: 'severity',
      stack: 'category',
      tr: zh,
    }),
  ],
  [
    'heatmap',
    heatmapSpec({ title: '', unit: '%', rows: [{ weekday: 1, hour: 9, value: 88, n: 40 }], tr: zh }),
  ],
  [
    'funnel',
    funnelSpec({
      title: '',
      rows: [
        { stage: 'accepted', count: 10 },
        { stage: 'followed up', count: 7 },
      ],
      tr: zh,
    }),
  ],
  [
    'quantiles',
    quantileSpec({
      title: '',
      unit: 'seconds',
      by: 'channel',
      rows: [{ group: 'chat', p50: 8, p90: 30, target: 15 }],
      tr: zh,
    }),
  ],
  [
    'control chart',
    controlChartSpec({
      title: '',
      unit: '%',
      points: [{ period: '2026-03-01', value: 70, centre: 68, lcl: 60, ucl: 76, out: true }],
      changeDate: '2026-03-05',
      tr: zh,
    }),
  ],
  [
    'correlations',
    correlationSpec({
      title: '',
      rows: [
        { feature: 'Had a complaint (0/1)', r: 0.3, ci_low: 0.25, ci_high: 0.35, p: 1e-9, n: 900 },
        { feature: 'mean_csat', r: -0.2, ci_low: -0.25, ci_high: -0.15, p: 1e-5, n: 800 },
      ],
      tr: zh,
    }),
  ],
];

/** Every string a reader sees in a spec: titles (axis, legend, tooltip), text values and label fields. */
function shownTexts(node: unknown, key = ''): string[] {
  if (typeof node === 'string')
    return key === 'title' || key === 'label' || key.endsWith('_label') || key === 'day' ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((n) => shownTexts(n, key));
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([k, v]) =>
      k === 'config' || k === '$schema' ? [] : shownTexts(v, k),
    );
  return [];
}

describe('the charts in Chinese', () => {
  it.each(ZH_SPECS)('%s validates and shows no English word', (_name, spec) => {
    expect(validate(spec), ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    // abbreviations (CSAT, CI, p90) are how Chinese readers write them too
    const english = shownTexts(spec).filter((s) =>
      /[A-Za-z]{2,}/.test(s.replace(/\b([A-Z]{2,}|p90)\b/g, '')),
    );
    expect(english).toEqual([]);
  });

  it('titles axes, tooltips and legends in Chinese and draws days the Chinese way', () => {
    const s = JSON.stringify(ZH_SPECS.find(([n]) => n === 'trend by group')![1]);
    for (const w of ['周期', '置信区间下限', '置信区间上限', '样本量', '渠道', '%-m月%-d日'])
      expect(s).toContain(w);
    expect(s).not.toContain('%b %d');
    const control = JSON.stringify(ZH_SPECS.find(([n]) => n === 'control chart')![1]);
    for (const w of ['控制下限', '控制上限', '%-m月%-d日']) expect(control).toContain(w);
    expect(JSON.stringify(ZH_SPECS.find(([n]) => n === 'trend')![1])).toContain('目标 90');
  });

  it('shows dimension values by their label and keeps the stored value in the datum', () => {
    const bars = ZH_SPECS.find(([n]) => n === 'bars horizontal (team display names)')![1] as {
      data: { values: Record<string, unknown>[] };
      layer: { encoding: Record<string, { field?: string; title?: string }> }[];
    };
    expect(bars.data.values.map((v) => [v['team_id'], v['team_id_label']])).toEqual([
      ['t2', '华东二组'],
      ['华南一组', '华南一组'],
    ]);
    expect(bars.layer[0]!.encoding['y']).toMatchObject({ field: 'team_id_label', title: '团队' });
    expect(bars.layer[0]!.encoding['x']).toMatchObject({ title: '分' });
    const trend = ZH_SPECS.find(([n]) => n === 'trend by group')![1] as {
      data: { values: Record<string, unknown>[] };
    };
    expect(trend.data.values.map((v) => [v['channel'], v['channel_label']])).toEqual([
      ['phone', '电话'],
      ['chat', '在线客服'],
    ]);
    const stacked = JSON.stringify(ZH_SPECS.find(([n]) => n === 'stacked')![1]);
    for (const w of ['"severity":"major"', '"severity_label":"重大"', '"category_label":"投诉"', '严重程度'])
      expect(stacked).toContain(w);
    const quantiles = JSON.stringify(ZH_SPECS.find(([n]) => n === 'quantiles')![1]);
    for (const w of ['"group":"chat"', '"group_label":"在线客服"', '"title":"秒"'])
      expect(quantiles).toContain(w);
    const funnel = JSON.stringify(ZH_SPECS.find(([n]) => n === 'funnel')![1]);
    for (const w of ['已受理', '已回访', '占受理量 %']) expect(funnel).toContain(w);
    const drivers = JSON.stringify(ZH_SPECS.find(([n]) => n === 'correlations')![1]);
    for (const w of ['是否有过投诉（0/1）', 'CSAT 平均分', '体验因素']) expect(drivers).toContain(w);
    expect(JSON.stringify(ZH_SPECS.find(([n]) => n === 'heatmap')![1])).toContain('周一');
  });

  it('keeps English when no translator is given', () => {
    const s = JSON.stringify(barsSpec({ title: 'FCR by team', unit: '%', rows, by: 'channel' }));
    for (const w of ['CI low', '"title":"Channel"', '"channel":"phone"', '"channel_label":"Phone"'])
      expect(s).toContain(w);
    expect(JSON.stringify(trendSpec({ title: '', unit: '%', rows }))).toContain('%b %d');
  });
});

describe("values and units in the reader's language", () => {
  it('formats through Intl in the locale, English by default', () => {
    expect(formatValue(91.234, 'percent')).toBe('91.2 %');
    expect(formatValue(1234.5, 'count')).toBe('1,234.5');
    expect(formatValue(91.234, 'percent', 1, 'zh-CN')).toBe('91.2%');
    expect(formatValue(12, 'seconds', 1, 'zh-CN')).toBe('12 秒');
    expect(formatValue(4.25, 'hours', 2, 'en')).toBe('4.25 h');
    expect(formatValue(null, 'percent', 1, 'zh-CN')).toBe('–');
    expect(formatValue('n/a')).toBe('n/a');
  });
  it("writes units in the reader's words", () => {
    expect(unitLabel('seconds')).toBe('s');
    expect(unitLabel('seconds', zh)).toBe('秒');
    expect(unitLabel('points', zh)).toBe('分');
    expect(unitLabel('furlongs', zh)).toBe('furlongs');
  });
});

describe('every Vega-Lite spec validates against the Vega-Lite JSON schema', () => {
  it.each(SPECS)('%s', (_name, spec) => {
    const ok = validate(spec);
    expect(ok, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
  });
  it('the validator refuses a broken spec (the check can fail)', () => {
    expect(validate({ mark: 'bars', encoding: { x: { type: 'quantity' } } })).toBe(false);
  });
});
