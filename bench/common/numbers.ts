/** Numbers as the reports print them: `1,234.5` with `d` decimals. */
export const num = (x: number, d = 0): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** As `num`, with `–` for a missing or non-finite value. */
export const fmt = (x: number | null | undefined, d = 0): string =>
  typeof x === 'number' && Number.isFinite(x) ? num(x, d) : '–';

/** The `p` quantile (0..1) of ascending `sorted` by the nearest-rank method; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

/** A markdown table's header and alignment lines: the first column left, the others as `align`. */
export function tableHead(head: readonly string[], align: '---' | '---:' = '---:'): string[] {
  return [
    row(head),
    `| --- |${head
      .slice(1)
      .map(() => ` ${align} |`)
      .join('')}`,
  ];
}

/** A markdown table row. */
export const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
