import type { SeriesRow } from '../charts/base.ts';
import { monotonePath } from '../charts/sparkline-path.ts';

/**
 * A tile's sparkline drawn as one SVG path, without Vega: the same picture as `sparklineSpec`
 * (charts/time.ts; the standards page and the reports still draw that) — the series as a monotone line
 * in the status colour, 1.5 px, 36 px high, as wide as the tile, no axes, the y scale not from zero, a
 * gap where a period has no value — at a fraction of the cost of compiling and rendering a Vega view
 * per tile, which took most of the overview's drawing time (bench/dashboard.ts).
 */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 300;
const HEIGHT = 36;
const PAD = 3;

export function sparkline(rows: readonly SeriesRow[], colour: string): SVGSVGElement {
  const points = rows.map((r) => ({ x: Date.parse(String(r.period)), y: r.value ?? null }));
  const xs = points.map((p) => p.x);
  const ys = points.flatMap((p) => (p.y === null ? [] : [p.y]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? WIDTH / 2 : PAD + ((x - x0) / (x1 - x0)) * (WIDTH - 2 * PAD));
  const sy = (y: number) =>
    y1 === y0 ? HEIGHT / 2 : HEIGHT - PAD - ((y - y0) / (y1 - y0)) * (HEIGHT - 2 * PAD);
  // runs of periods with a value, each one monotone curve; a period without one leaves a gap
  const runs: [number, number][][] = [[]];
  for (const p of points) {
    if (p.y === null || !Number.isFinite(p.x)) runs.push([]);
    else runs[runs.length - 1]?.push([sx(p.x), sy(p.y)]);
  }
  const d = runs.map(monotonePath).join('');
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('width', '100%');
  svg.setAttribute('height', String(HEIGHT));
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', colour);
  path.setAttribute('stroke-width', '1.5');
  path.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(path);
  return svg;
}
