import type { SeriesRow } from '../../charts/base.ts';
import { heatmapSpec, quantileSpec } from '../../charts/groups.ts';
import { t, translatorNow } from '../i18n.ts';
import { barsPanel, metricInfo, slaPolicy, trendPanel, unitWord } from '../kpi.ts';
import { filterParams, h, panel, type Filters } from '../ui.ts';

/** `/service`: response and resolution times against their targets; SLA compliance; what breaches now. */

export async function service(main: HTMLElement, f: Filters): Promise<void> {
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  const frt = await metricInfo('first_response_time');
  const policy = await slaPolicy();
  const p1 = filterParams(f, frt.dimensions);
  p1.set('grain', 'total');
  p1.set('by', 'channel');
  grid.append(
    panel<SeriesRow & { p90: number | null; channel: string }>({
      title: t('pages:service.frtTitle'),
      description: t('pages:service.frtDescription'),
      source: { path: '/api/v1/metrics/first_response_time', params: p1 },
      sql: { metric: 'first_response_time', params: p1 },
      spec: (rows) =>
        quantileSpec({
          title: '',
          unit: unitWord('seconds'),
          rows: rows.map((r) => ({
            group: r.channel,
            p50: r.value,
            p90: r.p90,
            // the channel's target (complaints and urgent requests have a stricter one)
            target: policy?.first_response_seconds[r.channel] ?? policy?.first_response_seconds['*'] ?? null,
          })),
          by: 'channel',
          tr: translatorNow(),
        }),
      columns: ['channel', 'value', 'p90', 'mean', 'n'],
    }),
  );
  const res = await metricInfo('resolution_time');
  const p2 = filterParams(f, res.dimensions);
  p2.set('grain', 'total');
  p2.set('by', 'priority');
  grid.append(
    panel<SeriesRow & { p90: number | null; priority: string }>({
      title: t('pages:service.resTitle'),
      description: t('pages:service.resDescription'),
      source: { path: '/api/v1/metrics/resolution_time', params: p2 },
      sql: { metric: 'resolution_time', params: p2 },
      spec: (rows) =>
        quantileSpec({
          title: '',
          unit: unitWord('hours'),
          rows: rows.map((r) => ({
            group: r.priority,
            p50: r.value,
            p90: r.p90,
            target: policy?.resolution_target_hours ?? null,
          })),
          by: 'priority',
          tr: translatorNow(),
        }),
      columns: ['priority', 'value', 'p90', 'mean', 'n'],
    }),
  );
  grid.append(await barsPanel(f, 'sla_compliance', 'channel'));
  grid.append(await trendPanel(f, 'sla_compliance', { by: 'priority' }));
  grid.append(
    panel<{ weekday: number; hour: number; value: number | null; n: number }>({
      title: t('pages:service.heatmapTitle'),
      source: { path: '/api/v1/sla/heatmap', params: filterParams(f), rowsKey: 'cells' },
      spec: (rows) => heatmapSpec({ title: '', unit: unitWord('percent'), rows, tr: translatorNow() }),
      wide: true,
    }),
  );
  const pb = filterParams(f);
  pb.set('limit', '100');
  grid.append(
    panel({
      title: t('pages:service.breachingTitle'),
      source: { path: '/api/v1/sla/breaching', params: pb },
      spec: null,
      wide: true,
    }),
  );
}
