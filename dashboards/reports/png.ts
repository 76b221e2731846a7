import { Resvg } from '@resvg/resvg-js';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Locale } from '../../i18n/locales.ts';
import { vegaLocale } from '../../i18n/vega.ts';
import { CJK_FAMILY, CJK_FONT_FILES, FONT_FILES, hasCjk, LATIN_FAMILY } from './fonts.ts';

/**
 * Charts drawn on the server: PNGs from the dashboards' own Vega-Lite specs (vega's SVG output,
 * rasterised by resvg), with the number and time formats of the report's language (i18n/vega.ts: month
 * and weekday names, separators). Fonts are the files of fonts.ts, nothing of the machine's: text is set in DejaVu
 * Sans, and a character DejaVu has no glyph for (Chinese) in Noto Sans SC, the next family of the list.
 */

const FONT = `${LATIN_FAMILY}, ${CJK_FAMILY}`;
/** DejaVu and Noto Sans SC; a test draws with DejaVu alone to see what the CJK font changes. */
export const CHART_FONT_FILES: readonly string[] = [
  ...Object.values(FONT_FILES),
  ...Object.values(CJK_FONT_FILES),
];
const CHART_WIDTH = 640;

export interface Chart {
  /** file name stem and email content id */
  id: string;
  title: string;
  png: Buffer;
  width: number;
  height: number;
}

/** How a chart is drawn: the font files (all of fonts.ts unless a test says otherwise), the language. */
export interface ChartOptions {
  fontFiles?: readonly string[];
  /** the number and time formats axes, labels and tooltips are written in (default: Vega's en-US) */
  locale?: Locale;
}

/** Draw one spec as a PNG: Vega-Lite → Vega → SVG (no browser) → PNG at twice the size, for sharp print. */
export async function chartPng(
  spec: TopLevelSpec,
  { fontFiles = CHART_FONT_FILES, locale = 'en' }: ChartOptions = {},
): Promise<{ png: Buffer; width: number; height: number }> {
  const s = spec as unknown as Record<string, unknown>;
  const title = s['title'] as Record<string, unknown> | undefined;
  // Vega reads `config.locale` ({number, time}: d3 format definitions) into the view it draws
  const formats = vegaLocale(locale);
  const fixed = {
    ...s,
    width: s['width'] === 'container' ? CHART_WIDTH : s['width'],
    title: title ? { ...title, font: FONT } : title,
    background: 'white',
    config: { ...(s['config'] as object), font: FONT, ...(formats ? { locale: formats } : {}) },
  } as unknown as TopLevelSpec;
  const view = new View(parseVega(compile(fixed).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // resvg reads its font files on every render; the 10 MB CJK ones only when the chart has CJK text
    const files = fontFiles === CHART_FONT_FILES && !hasCjk(svg) ? Object.values(FONT_FILES) : fontFiles;
    const image = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: [...files], defaultFontFamily: LATIN_FAMILY },
      fitTo: { mode: 'zoom', value: 2 },
    }).render();
    return { png: image.asPng(), width: image.width / 2, height: image.height / 2 };
  } finally {
    view.finalize();
  }
}
