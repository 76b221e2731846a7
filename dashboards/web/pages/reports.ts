import type { ReportInfo, ReportList, RunInfo, RunList, RunStarted } from '../../wire.ts';
import { api, fmt, h, send } from '../ui.ts';

/** `/reports`: the scheduled reports, their run history, and "Run now" for editors. */

const when = (iso: string) => iso.slice(0, 16).replace('T', ' ') + ' UTC';

/** Where a report goes, in words. */
const targets = (r: ReportInfo) =>
  [
    r.email ? `email ${[...r.email.to, ...r.email.cc].join(', ')}` : '',
    r.webhook ? `webhook ${r.webhook.host}` : '',
    r.directory ? `files ${r.directory.path}` : '',
  ]
    .filter((x) => x)
    .join('; ');

/** A titled table of rows, or a sentence when there are none. */
const listing = (name: string, head: string[], rows: HTMLElement[], none: string) =>
  rows.length === 0
    ? h('p', { class: 'empty' }, none)
    : h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { 'data-table': name },
          h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, ...rows),
        ),
      );

/** One report: title, schedule, period, next slot, where it goes, and "Run now" for editors. */
function reportRow(r: ReportInfo, runNow: ((r: ReportInfo) => HTMLElement) | null): HTMLElement {
  return h(
    'tr',
    { 'data-report': r.name },
    h('td', {}, h('b', {}, r.title), h('br'), r.name),
    h('td', {}, `${r.schedule.cron} (${r.schedule.timezone})`),
    h('td', {}, r.period.replace(/_/g, ' ')),
    h('td', {}, when(r.next_slot)),
    h('td', {}, targets(r)),
    ...(runNow ? [h('td', {}, runNow(r))] : []),
  );
}

/** One run of the history. */
function runRow(r: RunInfo): HTMLElement {
  return h(
    'tr',
    { 'data-run': r.run_key, class: `run-${r.status}` },
    h('td', {}, when(r.slot)),
    h('td', {}, r.report),
    h('td', {}, r.trigger === 'late' ? 'late (missed slot)' : r.trigger),
    h('td', {}, `${r.period_from} to ${r.period_to}`),
    h('td', { 'data-col': 'status' }, h('b', {}, r.status)),
    h('td', {}, String(r.attempt)),
    h('td', {}, `${fmt(r.duration_ms / 1000)} s`),
    h('td', { class: 'wrap' }, r.recipients.join(', ')),
    h('td', { class: 'wrap' }, r.error),
  );
}

export async function reportsPage(main: HTMLElement, role: string): Promise<void> {
  const [{ reports }, { runs }] = await Promise.all([
    api<ReportList>('/api/v1/reports'),
    api<RunList>('/api/v1/reports/runs', new URLSearchParams({ limit: '200' })),
  ]);
  const canRun = role === 'editor' || role === 'admin';
  const status = h('p', { class: 'note', role: 'status', 'aria-live': 'polite' });
  const runNow = (r: ReportInfo) => {
    const period = h(
      'select',
      { 'aria-label': `period of ${r.name}` },
      ...['yesterday', 'last_week', 'last_month', 'month_to_date'].map((p) =>
        h('option', p === r.period ? { value: p, selected: 'selected' } : { value: p }, p.replace(/_/g, ' ')),
      ),
    );
    const button = h('button', { type: 'button' }, 'Run now');
    button.addEventListener('click', () => {
      button.setAttribute('disabled', 'disabled');
      send<RunStarted>(
        'POST',
        `/api/v1/reports/${encodeURIComponent(r.name)}/run?period=${encodeURIComponent(period.value)}`,
        {},
      )
        .then((a) => {
          status.textContent = `Started ${a.run_key}; its outcome appears in the history below.`;
          void follow(a.run_key);
        })
        .catch((err: Error) => (status.textContent = err.message))
        .finally(() => button.removeAttribute('disabled'));
    });
    return h('span', { class: 'run-now' }, period, button);
  };
  main.append(
    h(
      'section',
      { class: 'panel wide' },
      h('h2', {}, 'Reports'),
      listing(
        'reports',
        ['Report', 'Schedule', 'Period', 'Next', 'Delivers to', ...(canRun ? [''] : [])],
        reports.map((r) => reportRow(r, canRun ? runNow : null)),
        'No reports are defined (REPORTS_FILE).',
      ),
      status,
    ),
  );
  const history = h('section', { class: 'panel wide' });
  main.append(history);
  const draw = (list: RunInfo[]) =>
    history.replaceChildren(
      h('h2', {}, 'Run history'),
      listing(
        'runs',
        ['Slot', 'Report', 'Trigger', 'Period', 'Status', 'Attempts', 'Duration', 'Recipients', 'Error'],
        list.map(runRow),
        'No report has run yet.',
      ),
    );
  /** Redraw the history every 2 s until the run has finished (or 10 minutes have passed). */
  const follow = async (key: string) => {
    for (let i = 0; i < 300; i++) {
      const list = (await api<RunList>('/api/v1/reports/runs', new URLSearchParams({ limit: '200' }))).runs;
      draw(list);
      const run = list.find((r) => r.run_key === key);
      if (run && (run.status === 'succeeded' || run.status === 'failed')) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  draw(runs);
}
