import { correlationSpec } from '../../charts/groups.ts';
import type { RetentionDriver } from '../../wire.ts';
import { barsPanel } from '../kpi.ts';
import { h, panel, type Filters } from '../ui.ts';

/** `/customers`: retention drivers (correlation, not causation) and churn by segment and region. */

export async function customers(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(
    h(
      'p',
      { class: 'note wide', role: 'note' },
      'Correlation is not causation: these features go together with later churn; they do not prove that changing them changes churn. Use process changes (Improvement) to test that.',
    ),
  );
  const p = new URLSearchParams();
  grid.append(
    panel<RetentionDriver & Record<string, unknown>>({
      title: 'Retention drivers: correlation of experience with later churn',
      source: { path: '/api/v1/retention/drivers', params: p, rowsKey: 'drivers' },
      spec: (rows) =>
        !rows.some((r) => r.r !== null)
          ? null
          : correlationSpec({
              title: '',
              rows: rows
                .filter((r) => r.r !== null)
                .map((r) => ({
                  feature: r.title,
                  r: r.r,
                  ci_low: r.ci_low,
                  ci_high: r.ci_high,
                  p: r.p_value,
                  n: r.n,
                })),
            }),
      columns: ['title', 'r', 'ci_low', 'ci_high', 'p_value', 'n', 'spearman', 'odds_ratio'],
      onBody: (b) => {
        if (typeof b['note'] === 'string') grid.append(h('p', { class: 'note wide muted' }, b['note']));
      },
      wide: true,
    }),
  );
  grid.append(await barsPanel(f, 'churn_rate', 'segment'));
  grid.append(await barsPanel(f, 'churn_rate', 'region'));
}
