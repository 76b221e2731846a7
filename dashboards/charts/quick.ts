import type { TopLevelSpec } from 'vega-lite';
import type { Translator } from '../../i18n/translator.ts';
import { base, spec } from './base.ts';
import { reader } from './labels.ts';

/**
 * A first look at an ad-hoc result: bars of the first numeric column by the first other column, or a
 * line when that column holds dates. Null when the result has no numeric column to draw. The axes are
 * titled by the result's column names, as the analyst wrote them.
 */
export function quickChartSpec(
  columns: readonly { name: string; type: string }[],
  rows: readonly unknown[][],
  tr?: Translator,
): TopLevelSpec | null {
  const numeric = (t: string) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(t);
  const y = columns.findIndex((c) => numeric(c.type));
  if (y < 0 || rows.length === 0) return null;
  const x = columns.findIndex((c, i) => i !== y && !numeric(c.type));
  const xName = x >= 0 ? (columns[x] as { name: string }).name : reader(tr).t('charts:row');
  const yName = (columns[y] as { name: string }).name;
  const temporal = x >= 0 && /^(Nullable\()?(Date|DateTime)/.test((columns[x] as { type: string }).type);
  const values = rows
    .slice(0, 500)
    .map((r, i) => ({ x: x >= 0 ? r[x] : i + 1, y: r[y] === null ? null : Number(r[y]) }));
  return spec({
    ...base('', 'container', 240),
    data: { values },
    mark: temporal ? { type: 'line', point: true } : { type: 'bar' },
    encoding: {
      x: { field: 'x', type: temporal ? 'temporal' : 'nominal', title: xName, sort: null },
      y: { field: 'y', type: 'quantitative', title: yName },
      tooltip: [
        { field: 'x', title: xName },
        { field: 'y', title: yName, type: 'quantitative' },
      ],
    },
  });
}
