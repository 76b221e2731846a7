import { controlChartSpec } from '../../charts/time.ts';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { ChangeList, Impact, ProcessChange } from '../../wire.ts';
import { fmtP, trendPanel } from '../kpi.ts';
import { api, dataTable, fmt, h, send, type Filters } from '../ui.ts';

/** `/improvement`: process changes, the before/after impact of one on a KPI, the form to record one. */

export async function improvement(main: HTMLElement, f: Filters, role: string): Promise<void> {
  const r = await api<ChangeList>('/api/v1/changes');
  const q = new URLSearchParams(location.search);
  const chosen = r.changes.find((c) => c.id === q.get('change')) ?? r.changes[0];
  const metric = q.get('metric') ?? 'fcr';
  main.append(changeList(r.changes, q, metric));
  if (chosen) {
    main.append(metricPicker(chosen, metric));
    const box = h(
      'section',
      { class: 'panel wide', 'aria-live': 'polite' },
      h('h2', {}, `Impact of “${chosen.title}” on ${metric}`),
      h('p', { class: 'loading' }, 'Loading…'),
    );
    main.append(box);
    await drawImpact(box, chosen, metric);
    const grid = h('div', { class: 'grid' });
    main.append(grid);
    grid.append(
      await trendPanel(f, metric === 'first_response_time' ? 'sla_compliance' : metric, { wide: true }),
    );
  }
  if (['editor', 'admin'].includes(role)) main.append(changeForm(chosen));
}

/** The recorded process changes, each a link that chooses it. */
function changeList(changes: ProcessChange[], q: URLSearchParams, metric: string): HTMLElement {
  return h(
    'section',
    { class: 'panel wide', 'aria-label': 'process changes' },
    h('h2', {}, 'Process changes'),
    changes.length === 0
      ? h('p', { class: 'empty' }, 'No process changes recorded yet.')
      : h(
          'ul',
          { class: 'changes' },
          ...changes.map((c) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `?${new URLSearchParams({ ...Object.fromEntries(q), change: c.id, metric })}` },
                c.title,
              ),
              ` — from ${c.starts_at.slice(0, 10)}, scope ${Object.keys(c.scope).length ? JSON.stringify(c.scope) : 'whole centre'}`,
            ),
          ),
        ),
  );
}

/** The KPI whose impact is shown. */
function metricPicker(chosen: ProcessChange, metric: string): HTMLElement {
  return h(
    'form',
    { class: 'filters', 'aria-label': 'impact metric' },
    h(
      'label',
      {},
      'metric',
      h(
        'select',
        { name: 'metric' },
        ...[
          'fcr',
          'csat',
          'nps',
          'sla_compliance',
          'reopen_rate',
          'transfer_rate',
          'first_response_time',
        ].map((n) => h('option', { value: n, selected: n === metric }, n)),
      ),
    ),
    h('input', { type: 'hidden', name: 'change', value: chosen.id }),
    h('button', { type: 'submit' }, 'Show impact'),
  );
}

/** The before/after windows, the difference with its test, and the control chart, into `box`. */
async function drawImpact(box: HTMLElement, chosen: ProcessChange, metric: string): Promise<void> {
  try {
    const imp = await api<Impact>(
      `/api/v1/changes/${encodeURIComponent(chosen.id)}/impact`,
      new URLSearchParams({ metric }),
    );
    box.querySelector('.loading')?.remove();
    box.append(
      dataTable(
        [
          {
            window: 'before',
            from: imp.before.from,
            to: imp.before.to,
            value: imp.before.value,
            n: imp.before.n,
          },
          {
            window: 'after',
            from: imp.after.from,
            to: imp.after.to,
            value: imp.after.value,
            n: imp.after.n,
          },
        ],
        undefined,
        true,
      ),
      h(
        'p',
        { class: 'verdict' },
        `Difference ${fmt(imp.diff, undefined, 2)} (95 % CI ${fmt(imp.ci_low, undefined, 2)} to ${fmt(imp.ci_high, undefined, 2)}), p ${fmtP(imp.p_value)} — `,
        h(
          'strong',
          {},
          imp.test === null
            ? 'no test'
            : imp.significant
              ? 'a real change'
              : 'not distinguishable from noise',
        ),
      ),
      h('p', { class: 'muted' }, imp.note),
    );
    if (imp.control_chart && imp.control_chart.center !== null) {
      const cc = imp.control_chart;
      const points = cc.points.map((p) => ({ ...p, centre: cc.center as number }));
      const chart = h('div', { class: 'chart', role: 'img', 'aria-label': 'control chart' });
      box.append(chart);
      await embed(
        chart,
        controlChartSpec({
          title: 'Control chart (3σ limits)',
          unit: metric,
          points,
          changeDate: chosen.starts_at.slice(0, 10),
        }) as VisualizationSpec,
        {
          actions: false,
          renderer: 'svg',
          ast: true,
          expr: expressionInterpreter,
        },
      );
      box.dataset['drawn'] = 'true';
    }
  } catch (err) {
    box.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}

function changeForm(existing?: ProcessChange): HTMLElement {
  const msg = h('p', { role: 'status' });
  const form = h(
    'form',
    { class: 'panel wide change-form', 'aria-label': 'record a process change' },
    h('h2', {}, 'Record or edit a process change'),
    h('label', {}, 'id (empty for a new change)', h('input', { name: 'id', value: '' })),
    h('label', {}, 'title', h('input', { name: 'title', required: true, maxlength: 200 })),
    h('label', {}, 'starts at', h('input', { name: 'starts_at', type: 'datetime-local', required: true })),
    h('label', {}, 'scope (JSON, e.g. {"team_id":["t2"]})', h('input', { name: 'scope', value: '{}' })),
    h('label', {}, 'description', h('textarea', { name: 'description', rows: 2 })),
    h('button', { type: 'submit' }, 'Save'),
    msg,
  );
  if (existing) (form.elements.namedItem('id') as HTMLInputElement).placeholder = existing.id;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = new FormData(form);
    try {
      const scope = JSON.parse(String(d.get('scope') || '{}')) as unknown;
      const body: Record<string, unknown> = {
        title: d.get('title'),
        starts_at: new Date(String(d.get('starts_at'))).toISOString(),
        scope,
        description: d.get('description') || undefined,
      };
      if (d.get('id')) body['id'] = d.get('id');
      const saved = await send<ProcessChange>('POST', '/api/v1/changes', body);
      msg.textContent = `Saved ${saved.id}.`;
    } catch (err) {
      msg.textContent = `Not saved: ${(err as Error).message}`;
    }
  });
  return form;
}
