import type { SeriesRow } from '../../charts/base.ts';
import { funnelSpec, stackedCountSpec } from '../../charts/groups.ts';
import { t, translatorNow } from '../i18n.ts';
import { barsPanel, metricInfo, trendPanel } from '../kpi.ts';
import { filterParams, h, panel, type Filters } from '../ui.ts';

/** `/complaints`: volume and severity, the closed loop, missed follow-ups, repeat complainers. */

export async function complaints(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  const m = await metricInfo('complaints');
  const p = filterParams(f, m.dimensions);
  p.set('grain', 'total');
  p.set('by', 'category,severity');
  grid.append(
    panel<SeriesRow & { category: string; severity: string }>({
      title: t('pages:complaints.byCategoryTitle'),
      source: { path: '/api/v1/metrics/complaints', params: p },
      sql: { metric: 'complaints', params: p },
      spec: (rows) =>
        stackedCountSpec({
          title: '',
          rows: rows.filter((r) => r.category === 'complaint' || r.value),
          x: 'severity',
          stack: 'category',
          tr: translatorNow(),
        }),
      columns: ['category', 'severity', 'value'],
    }),
  );
  grid.append(await trendPanel(f, 'complaint_rate'));
  grid.append(
    panel<{ stage: string; count: number }>({
      title: t('pages:complaints.funnelTitle'),
      source: { path: '/api/v1/complaints/funnel', params: filterParams(f), rowsKey: 'stages' },
      spec: (rows) => funnelSpec({ title: '', rows, tr: translatorNow() }),
    }),
  );
  grid.append(
    await barsPanel(f, 'follow_up_48h', 'severity', { title: t('pages:complaints.followUpTitle') }),
  );
  const missed = filterParams(f, m.dimensions);
  missed.set('metric', 'follow_up_48h');
  missed.set('counted', 'false');
  missed.set('page_size', '100');
  grid.append(
    panel({
      title: t('pages:complaints.missedTitle'),
      description: t('pages:complaints.missedDescription'),
      source: { path: '/api/v1/interactions', params: missed },
      spec: null,
      columns: ['interaction_id', 'customer_id', 'opened_at', 'severity', 'team_id', 'agent_id'],
      wide: true,
    }),
  );
  const pr = filterParams(f);
  pr.set('limit', '50');
  grid.append(
    panel({
      title: t('pages:complaints.repeatTitle'),
      source: { path: '/api/v1/complaints/repeat', params: pr },
      spec: null,
    }),
  );
}
