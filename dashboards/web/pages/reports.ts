import type { ReportInfo, ReportList, RunInfo, RunList, RunStarted } from '../../wire.ts';
import { day, has, num, t } from '../i18n.ts';
import { api, errorText, h, send } from '../ui.ts';

/** `/reports`: the scheduled reports, their run history, and "Run now" for editors. */

/** Days as the reader writes them: `Oct 2, 2026`, `2026年10月2日`. */
const MEDIUM = { dateStyle: 'medium' } as const;
const PERIODS = ['yesterday', 'last_week', 'last_month', 'month_to_date'];

/** An instant as a date and time in `timeZone` (the report's), in UTC and saying so when not known. */
function when(iso: string, timeZone?: string): HTMLElement {
  const opts = { dateStyle: 'medium', timeStyle: 'short' } as const;
  const utc = () => `${day(iso, { ...opts, timeZone: 'UTC' })} UTC`;
  let text: string;
  try {
    text = timeZone ? day(iso, { ...opts, timeZone }) : utc();
  } catch {
    text = utc();
  }
  return h('time', { datetime: iso }, text);
}

/** A catalogued word for a stored value (`pages:reports.<group>.<value>`), else the value. */
const word = (group: string, value: string) =>
  has(`pages:reports.${group}.${value}`) ? t(`pages:reports.${group}.${value}`) : value.replace(/_/g, ' ');

/** Where a report goes, in words. */
const targets = (r: ReportInfo) =>
  [
    r.email ? t('pages:reports.target.email', { to: [...r.email.to, ...r.email.cc].join(', ') }) : '',
    r.webhook ? t('pages:reports.target.webhook', { host: r.webhook.host }) : '',
    r.directory ? t('pages:reports.target.files', { path: r.directory.path }) : '',
  ]
    .filter((x) => x)
    .join(t('pages:reports.targetSeparator'));

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
          h(
            'thead',
            {},
            h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c ? t(`pages:reports.head.${c}`) : ''))),
          ),
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
    h('td', {}, word('period', r.period)),
    h('td', {}, when(r.next_slot, r.schedule.timezone)),
    h('td', {}, targets(r)),
    ...(runNow ? [h('td', {}, runNow(r))] : []),
  );
}

/** A run's status in words; a failed run that was abandoned says so. */
const statusWord = (r: RunInfo) =>
  word('status', r.status === 'failed' && r.error.startsWith('abandoned:') ? 'abandoned' : r.status);

/** One run of the history; `zones`: each report's time zone. */
function runRow(r: RunInfo, zones: Map<string, string>): HTMLElement {
  return h(
    'tr',
    { 'data-run': r.run_key, class: `run-${r.status}` },
    h('td', {}, when(r.slot, zones.get(r.report))),
    h('td', {}, r.report),
    h('td', {}, word('trigger', r.trigger)),
    h(
      'td',
      {},
      h('time', { datetime: r.period_from }, day(r.period_from, MEDIUM)),
      ` ${t('pages:reports.rangeTo')} `,
      h('time', { datetime: r.period_to }, day(r.period_to, MEDIUM)),
    ),
    h('td', { 'data-col': 'status' }, h('b', {}, statusWord(r))),
    h('td', {}, num(r.attempt)),
    h(
      'td',
      {},
      t('pages:reports.seconds', { value: num(r.duration_ms / 1000, { maximumFractionDigits: 1 }) }),
    ),
    h('td', { class: 'wrap' }, r.recipients.join(', ')),
    h('td', { class: 'wrap' }, r.error),
  );
}

/** "Run now" for one report: a period choice and the button; what happened goes to `status`. */
function runNowControl(status: HTMLElement, follow: (key: string) => Promise<void>) {
  return (r: ReportInfo): HTMLElement => {
    const period = h(
      'select',
      { 'aria-label': t('pages:reports.periodOf', { name: r.title }) },
      ...PERIODS.map((p) =>
        h('option', p === r.period ? { value: p, selected: 'selected' } : { value: p }, word('period', p)),
      ),
    );
    const button = h('button', { type: 'button' }, t('pages:reports.runNow'));
    button.addEventListener('click', () => {
      button.setAttribute('disabled', 'disabled');
      send<RunStarted>(
        'POST',
        `/api/v1/reports/${encodeURIComponent(r.name)}/run?period=${encodeURIComponent(period.value)}`,
        {},
      )
        .then((a) => {
          status.textContent = t('pages:reports.started', { key: a.run_key });
          void follow(a.run_key);
        })
        .catch(
          (err: unknown) => (status.textContent = t('pages:reports.notStarted', { reason: errorText(err) })),
        )
        .finally(() => button.removeAttribute('disabled'));
    });
    return h('span', { class: 'run-now' }, period, button);
  };
}

export async function reportsPage(main: HTMLElement, role: string): Promise<void> {
  const [{ reports }, { runs }] = await Promise.all([
    api<ReportList>('/api/v1/reports'),
    api<RunList>('/api/v1/reports/runs', new URLSearchParams({ limit: '200' })),
  ]);
  const zones = new Map(reports.map((r) => [r.name, r.schedule.timezone]));
  const canRun = role === 'editor' || role === 'admin';
  const status = h('p', { class: 'note', role: 'status', 'aria-live': 'polite' });
  const history = h('section', { class: 'panel wide' });
  const draw = (list: RunInfo[]) =>
    history.replaceChildren(
      h('h2', {}, t('pages:reports.history')),
      h('p', { class: 'muted' }, t('pages:reports.zoneNote')),
      listing(
        'runs',
        ['slot', 'report', 'trigger', 'period', 'status', 'attempts', 'duration', 'recipients', 'error'],
        list.map((r) => runRow(r, zones)),
        t('pages:reports.noRuns'),
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
  main.append(
    h(
      'section',
      { class: 'panel wide' },
      h('h2', {}, t('pages:reports.reports')),
      listing(
        'reports',
        ['report', 'schedule', 'period', 'next', 'deliversTo', ...(canRun ? ['runNow'] : [])],
        reports.map((r) => reportRow(r, canRun ? runNowControl(status, follow) : null)),
        t('pages:reports.noReports', { setting: 'REPORTS_FILE' }),
      ),
      status,
    ),
    history,
  );
  draw(runs);
}
