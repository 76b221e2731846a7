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

describe('every Vega-Lite spec validates against the Vega-Lite JSON schema', () => {
  it.each(SPECS)('%s', (_name, spec) => {
    const ok = validate(spec);
    expect(ok, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
  });
  it('the validator refuses a broken spec (the check can fail)', () => {
    expect(validate({ mark: 'bars', encoding: { x: { type: 'quantity' } } })).toBe(false);
  });
});
