import type { TopLevelSpec } from 'vega-lite';

/**
 * What every chart shares: the rows it draws (as the API returns them), the look (font, colours for
 * contrast and colour-blind readers, the frame) and the cast to a Vega-Lite spec. The charts are pure
 * functions of API rows, run in the browser (pages) and on the server (report PNGs), so a chart in a
 * report is the chart on the page; a test validates every spec against the Vega-Lite JSON schema.
 */

/** What a chart reads of a metric row (`MetricRow` of ../wire.ts, which is one). */
export interface SeriesRow {
  period: string;
  value: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
  [key: string]: unknown;
}

/** The specs are checked against the Vega-Lite JSON schema by a test; TypeScript sees them as plain objects. */
export const spec = (s: object): TopLevelSpec => s as TopLevelSpec;

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

export const base = (title: string, width: number | 'container' = 'container', height = 220) =>
  ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 14, font: FONT, aria: false },
    width,
    height,
    // the page's container is the chart's labelled image (role="img", its title); Vega's own English
    // descriptions of marks, axes and legends stay out of the accessibility tree
    description: title,
    config: {
      aria: false,
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eceff3' },
      legend: { labelFontSize: 11, titleFontSize: 12, orient: 'bottom' },
      view: { stroke: null },
      range: { category: CATEGORY_PALETTE },
    },
  }) as const;

export const clean = (rows: readonly SeriesRow[]) =>
  rows.map((r) => ({ ...r, value: r.value ?? null, ci_low: r.ci_low ?? null, ci_high: r.ci_high ?? null }));
