import { barsPanel } from '../kpi.ts';
import { t } from '../i18n.ts';
import { h, type Filters } from '../ui.ts';

/** `/teams`: a KPI per team and per agent, listed by name with n and CI (no ranking). */

export async function teams(main: HTMLElement, f: Filters): Promise<void> {
  const q = new URLSearchParams(location.search);
  const metric = q.get('metric') ?? 'fcr';
  main.append(h('p', { class: 'note', role: 'note' }, t('pages:teams.note')));
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(await barsPanel(f, metric, 'team_id'));
  grid.append(await barsPanel(f, metric, 'agent_id', { horizontal: true }));
}
