import { correlationSpec } from '../../charts/groups.ts';
import type { RetentionDriver, RetentionDrivers } from '../../wire.ts';
import { day, has, num, t, translatorNow } from '../i18n.ts';
import { barsPanel } from '../kpi.ts';
import { h, panel, type Filters } from '../ui.ts';

/** `/customers`: retention drivers (correlation, not causation) and churn by segment and region. */

type Driver = RetentionDriver & Record<string, unknown>;

/** A feature's name in the reader's language (the API's English where the catalogue has none). */
const featureTitle = (d: Driver): Driver => {
  const key = `pages:customers.features.${d.feature}`;
  return has(key) ? { ...d, title: t(key) } : d;
};

/** What the drivers do and do not show, for the window and horizon of the answer. */
function driversNote(b: Partial<RetentionDrivers>): string | null {
  if (typeof b.from !== 'string' || typeof b.to !== 'string' || typeof b.horizon_days !== 'number')
    return typeof b.note === 'string' ? b.note : null;
  return t('pages:customers.driversNote', { from: day(b.from), to: day(b.to), days: num(b.horizon_days) });
}

export async function customers(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(h('p', { class: 'note wide', role: 'note' }, t('pages:customers.causation')));
  const p = new URLSearchParams();
  grid.append(
    panel<Driver>({
      title: t('pages:customers.driversTitle'),
      source: { path: '/api/v1/retention/drivers', params: p, rowsKey: 'drivers' },
      present: (rows) => rows.map(featureTitle),
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
              tr: translatorNow(),
            }),
      columns: ['title', 'r', 'ci_low', 'ci_high', 'p_value', 'n', 'spearman', 'odds_ratio'],
      onBody: (b) => {
        const note = driversNote(b as Partial<RetentionDrivers>);
        if (note) grid.append(h('p', { class: 'note wide muted' }, note));
      },
      wide: true,
    }),
  );
  grid.append(await barsPanel(f, 'churn_rate', 'segment'));
  grid.append(await barsPanel(f, 'churn_rate', 'region'));
}
