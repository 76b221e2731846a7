/** How values are written next to a chart, on a tile and in a report. */

/** How each catalog unit is written next to a value (axes, tiles, reports). */
export const UNIT_LABEL: Record<string, string> = {
  percent: '%',
  points: 'points',
  score: 'score',
  seconds: 's',
  hours: 'h',
  count: 'count',
};

/** A KPI value as pages and reports show it (the API never rounds): `91.2 %`, `–` when there is none. */
export function formatValue(v: unknown, unit?: string, digits = 1): string {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'number') {
    const s = v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
    return unit === 'percent' ? `${s} %` : unit === 'seconds' ? `${s} s` : unit === 'hours' ? `${s} h` : s;
  }
  return String(v);
}
