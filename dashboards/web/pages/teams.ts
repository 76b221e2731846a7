import { barsPanel } from '../kpi.ts';
import { h, type Filters } from '../ui.ts';

/** `/teams`: a KPI per team and per agent, listed by name with n and CI (no ranking). */

export async function teams(main: HTMLElement, f: Filters): Promise<void> {
  const q = new URLSearchParams(location.search);
  const metric = q.get('metric') ?? 'fcr';
  main.append(
    h(
      'p',
      { class: 'note', role: 'note' },
      'Groups are listed by name, each with its 95 % interval and n. Where intervals overlap, the groups are not shown to differ; pale bars rest on fewer than 30 observations. There is no ranking on purpose.',
    ),
  );
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  grid.append(await barsPanel(f, metric, 'team_id'));
  grid.append(await barsPanel(f, metric, 'agent_id', { horizontal: true }));
}
