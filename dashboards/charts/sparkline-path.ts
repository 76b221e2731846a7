/**
 * A monotone line as SVG path commands, the curve Vega calls `monotone` (d3's monotoneX): the overview
 * tiles draw their sparklines with it (dashboards/web/sparkline.ts) instead of a Vega view each. Pure.
 */

const sign = (v: number) => (v < 0 ? -1 : 1);

/** The tangents of a monotone cubic through the points (Steffen's method, as Vega's `monotone`). */
function tangents(p: readonly [number, number][]): number[] {
  const n = p.length;
  const h = (i: number) => (p[i + 1]?.[0] ?? 0) - (p[i]?.[0] ?? 0);
  const s = (i: number) => ((p[i + 1]?.[1] ?? 0) - (p[i]?.[1] ?? 0)) / (h(i) || 1);
  const t: number[] = [];
  for (let i = 1; i < n - 1; i++) {
    const [s0, s1, h0, h1] = [s(i - 1), s(i), h(i - 1), h(i)];
    const mid = (s0 * h1 + s1 * h0) / (h0 + h1 || 1);
    t[i] = (sign(s0) + sign(s1)) * Math.min(Math.abs(s0), Math.abs(s1), 0.5 * Math.abs(mid)) || 0;
  }
  t[0] = n > 2 ? (3 * s(0) - (t[1] ?? 0)) / 2 : s(0);
  t[n - 1] = n > 2 ? (3 * s(n - 2) - (t[n - 2] ?? 0)) / 2 : s(0);
  return t;
}

/** One run of points as SVG path commands: a move, then a cubic Bézier per segment. */
export function monotonePath(p: readonly [number, number][]): string {
  const first = p[0];
  if (!first) return '';
  const t = tangents(p);
  let d = `M${first[0].toFixed(2)},${first[1].toFixed(2)}`;
  for (let i = 0; i + 1 < p.length; i++) {
    const [[x0, y0], [x1, y1]] = [p[i] as [number, number], p[i + 1] as [number, number]];
    const dx = (x1 - x0) / 3;
    const c = [x0 + dx, y0 + dx * (t[i] ?? 0), x1 - dx, y1 - dx * (t[i + 1] ?? 0), x1, y1];
    d += `C${c.map((v) => v.toFixed(2)).join(',')}`;
  }
  return d;
}
