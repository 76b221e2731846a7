import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { parse as parseVega, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Charts drawn on the server: PNGs from the dashboards' own Vega-Lite specs (vega's SVG output,
 * rasterised by resvg). Fonts are the DejaVu files shipped with the `dejavu-fonts-ttf` package, so a
 * report looks the same on every machine; the PDF uses the same files.
 */

const require = createRequire(import.meta.url);
export const FONT_FILES = {
  regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
};
const FONT = 'DejaVu Sans';
const CHART_WIDTH = 640;

export interface Chart {
  /** file name stem and email content id */
  id: string;
  title: string;
  png: Buffer;
  width: number;
  height: number;
}

/** Draw one spec as a PNG: Vega-Lite → Vega → SVG (no browser) → PNG at twice the size, for sharp print. */
export async function chartPng(spec: TopLevelSpec): Promise<{ png: Buffer; width: number; height: number }> {
  const s = spec as unknown as Record<string, unknown>;
  const title = s['title'] as Record<string, unknown> | undefined;
  const fixed = {
    ...s,
    width: s['width'] === 'container' ? CHART_WIDTH : s['width'],
    title: title ? { ...title, font: FONT } : title,
    background: 'white',
    config: { ...(s['config'] as object), font: FONT },
  } as unknown as TopLevelSpec;
  const view = new View(parseVega(compile(fixed).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const image = new Resvg(svg, {
      font: { loadSystemFonts: false, fontFiles: Object.values(FONT_FILES), defaultFontFamily: FONT },
      fitTo: { mode: 'zoom', value: 2 },
    }).render();
    return { png: image.asPng(), width: image.width / 2, height: image.height / 2 };
  } finally {
    view.finalize();
  }
}
