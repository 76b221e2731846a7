/**
 * Where the overview page's time goes, read in the page after it is fully drawn (bench/dashboard.ts):
 * the navigation's own timing (HTML), resource timing of every request (the bundle, the style sheet,
 * each API call, with the server's time from its `Server-Timing: app;dur=…`), the page's marks
 * (`cx:overview:*`, dashboards/web/pages/overview.ts) and measures (`cx:chart` per chart: Vega-Lite
 * compile, parse and first render, dashboards/web/ui.ts; `cx:spark` per tile's sparkline, one SVG path)
 * and the bench's own mark `bench:drawn` (`watchDrawn`): the first animation frame in which the page
 * is fully drawn, the same conditions bench/dashboard.ts waits for, without the driver's round trips.
 */
import type { Page } from 'playwright-core';
import { percentile } from './common/numbers.ts';

/** One navigation's timing, ms from navigation start unless said otherwise. */
export interface DrawTiming {
  html: number;
  requests: number;
  apiRequests: number;
  bundleMs: number;
  bundleBytes: number;
  apiMs: number;
  serverMs: number;
  answerAt: number;
  tilesAt: number;
  chartsMs: number;
  sparksMs: number;
  lastChartAt: number;
  drawnAt: number;
}

interface Entry {
  name: string;
  entryType: string;
  startTime: number;
  duration: number;
  responseEnd?: number;
  transferSize?: number;
  serverTiming?: { name: string; duration: number }[];
}

declare const performance: { getEntries(): Entry[] };

/**
 * Before each navigation of `page`: mark `bench:drawn` at the first animation frame (before its paint)
 * in which the page script is done, no panel is loading and nothing is pending.
 */
export async function watchDrawn(page: Page): Promise<void> {
  // a string: tsx would wrap a named function of this file in a helper the page does not have
  await page.addInitScript(`(() => {
    const tick = () => {
      const drawn =
        document.body?.dataset.ready === 'true' &&
        document.querySelector('[aria-busy="true"], [data-pending]') === null;
      if (drawn) performance.mark('bench:drawn');
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })();`);
}

export async function readTiming(page: Page): Promise<DrawTiming> {
  const entries = await page.evaluate(() =>
    performance.getEntries().map((e) => JSON.parse(JSON.stringify(e)) as Entry),
  );
  const of = (type: string) => entries.filter((e) => e.entryType === type);
  const resources = of('resource');
  const api = resources.filter((e) => e.name.includes('/api/'));
  const bundle = resources.find((e) => e.name.includes('/assets/app.js'));
  const mark = (name: string) => of('mark').find((e) => e.name === name)?.startTime ?? NaN;
  const measures = (name: string) => of('measure').filter((e) => e.name === name);
  const sum = (xs: Entry[]) => xs.reduce((s, e) => s + e.duration, 0);
  const charts = [...measures('cx:chart'), ...measures('cx:spark')];
  return {
    html: of('navigation')[0]?.responseEnd ?? NaN,
    requests: resources.length + 1,
    apiRequests: api.length,
    bundleMs: bundle?.duration ?? 0,
    bundleBytes: bundle?.transferSize ?? 0,
    apiMs:
      Math.max(0, ...api.map((e) => e.startTime + e.duration)) - Math.min(...api.map((e) => e.startTime)),
    serverMs: Math.max(0, ...api.flatMap((e) => (e.serverTiming ?? []).map((s) => s.duration))),
    answerAt: mark('cx:overview:answer'),
    tilesAt: mark('cx:overview:tiles'),
    chartsMs: sum(measures('cx:chart')),
    sparksMs: sum(measures('cx:spark')),
    lastChartAt: Math.max(0, ...charts.map((e) => e.startTime + e.duration)),
    drawnAt: mark('bench:drawn'),
  };
}

const ROWS: [keyof DrawTiming, string][] = [
  ['requests', 'requests (HTML, assets, API)'],
  ['apiRequests', 'API requests'],
  ['html', 'HTML received'],
  ['bundleMs', 'bundle request (ms; 304 when cached)'],
  ['bundleBytes', 'bundle bytes transferred'],
  ['apiMs', 'API: first request sent → last answer received'],
  ['serverMs', 'server time of the slowest API answer (Server-Timing)'],
  ['answerAt', 'overview answer received'],
  ['tilesAt', 'tiles drawn'],
  ['chartsMs', 'charts: Vega compile + render, summed'],
  ['sparksMs', 'sparklines drawn (one SVG path each), summed'],
  ['lastChartAt', 'last chart drawn'],
  ['drawnAt', 'fully drawn: first frame with every panel drawn, in the page'],
];

/** The breakdown as a markdown table: p50 and p95 of each part over the timed runs. */
export function breakdownTable(runs: DrawTiming[]): { md: string; p50: Record<string, number> } {
  const p50: Record<string, number> = {};
  const lines = ['| part (ms from navigation start unless said) | p50 | p95 |', '| --- | ---: | ---: |'];
  for (const [key, title] of ROWS) {
    const xs = runs.map((r) => r[key]).filter((x) => Number.isFinite(x));
    xs.sort((a, b) => a - b);
    const [a, b] = [percentile(xs, 0.5), percentile(xs, 0.95)];
    p50[key] = a;
    lines.push(`| ${title} | ${a.toFixed(0)} | ${b.toFixed(0)} |`);
  }
  return { md: lines.join('\n'), p50 };
}
