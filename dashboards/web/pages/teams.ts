import { barsPanel } from '../kpi.ts';
import { t } from '../i18n.ts';
import { h, type Filters } from '../ui.ts';

/** `/teams`: a KPI (`?metric=`, default FCR) and CSAT per team and per agent, listed by name with n and CI (no ranking). */

export async function teams(main: HTMLElement, f: Filters): Promise<void> {
  const q = new URLSearchParams(location.search);
  const metric = q.get('metric') ?? 'fcr';
  main.append(h('p', { class: 'note', role: 'note' }, t('pages:teams.note')));
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  // the chosen KPI (`?metric=`, default FCR) and customer satisfaction, each by team and by agent
  for (const name of metric === 'csat' ? ['csat'] : [metric, 'csat']) {
    grid.append(await barsPanel(f, name, 'team_id'));
    grid.append(await barsPanel(f, name, 'agent_id', { horizontal: true }));
  }
}
