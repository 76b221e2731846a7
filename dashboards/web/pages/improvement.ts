import { controlChartSpec } from '../../charts/time.ts';
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { ChangeList, Impact, ProcessChange } from '../../wire.ts';
import { day, embedLocale, has, labelled, num, t, translatorNow } from '../i18n.ts';
import { metricInfo, trendPanel } from '../kpi.ts';
import { api, errorText, h, send, withCode, type Filters } from '../ui.ts';
import { diffText, impactNote, pText, scopeText, valueText } from './improvement-words.ts';

/** `/improvement`: process changes, the before/after impact of one on a KPI, the form to record one. */

/** Days as the reader writes them: `Oct 2, 2026`, `2026年10月2日`. */
const MEDIUM = { dateStyle: 'medium' } as const;

const METRICS = [
  'fcr',
  'csat',
  'nps',
  'sla_compliance',
  'reopen_rate',
  'transfer_rate',
  'first_response_time',
] as const;

/** A KPI's name in the reader's language: the catalogue's, else the metric catalog's title. */
async function metricTitle(name: string): Promise<string> {
  if (has(`metrics:${name}.title`)) return t(`metrics:${name}.title`);
  return (await metricInfo(name).catch(() => undefined))?.title ?? name;
}

export async function improvement(main: HTMLElement, f: Filters, role: string): Promise<void> {
  const r = await api<ChangeList>('/api/v1/changes');
  const q = new URLSearchParams(location.search);
  const chosen = r.changes.find((c) => c.id === q.get('change')) ?? r.changes[0];
  const metric = q.get('metric') ?? 'fcr';
  main.append(changeList(r.changes, q, metric));
  if (chosen) {
    const titles = new Map(await Promise.all(METRICS.map(async (n) => [n, await metricTitle(n)] as const)));
    const title = titles.get(metric as (typeof METRICS)[number]) ?? (await metricTitle(metric));
    main.append(metricPicker(chosen, metric, titles));
    const box = h(
      'section',
      { class: 'panel wide', 'aria-live': 'polite' },
      h('h2', {}, t('pages:improvement.impactOf', { title: chosen.title, metric: title })),
      h('p', { class: 'loading' }, t('pages:improvement.loading')),
    );
    main.append(box);
    await drawImpact(box, chosen, metric, title);
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
    { class: 'panel wide', 'aria-label': t('pages:improvement.changesLabel') },
    h('h2', {}, t('pages:improvement.changes')),
    changes.length === 0
      ? h('p', { class: 'empty' }, t('pages:improvement.noChanges'))
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
              t('pages:improvement.changeLine', {
                from: day(c.starts_at, { ...MEDIUM, timeZone: document.body.dataset['tz'] ?? 'UTC' }),
                scope: scopeText(c.scope),
              }),
            ),
          ),
        ),
  );
}

/** The KPI whose impact is shown. */
function metricPicker(chosen: ProcessChange, metric: string, titles: Map<string, string>): HTMLElement {
  return h(
    'form',
    { class: 'filters', 'aria-label': t('pages:improvement.pickerLabel') },
    h(
      'label',
      {},
      t('pages:improvement.metric'),
      h(
        'select',
        { name: 'metric' },
        ...METRICS.map((n) => h('option', { value: n, selected: n === metric }, titles.get(n) ?? n)),
      ),
    ),
    h('input', { type: 'hidden', name: 'change', value: chosen.id }),
    h('button', { type: 'submit' }, t('pages:improvement.show')),
  );
}

/** The before and after windows: their days, value (and mean), sample size. */
function windowsTable(imp: Impact): HTMLElement {
  const head = ['window', 'from', 'to', 'value', ...(imp.diff_of === 'mean' ? ['mean'] : []), 'n'];
  const row = (name: 'before' | 'after') => {
    const w = imp[name];
    const cells: Record<string, string> = {
      window: t(`pages:improvement.${name}`),
      from: day(w.from, MEDIUM),
      to: day(w.to, MEDIUM),
      value: valueText(w.value, imp.unit),
      mean: valueText(w.mean, imp.unit),
      n: num(w.n),
    };
    return h('tr', {}, ...head.map((c) => h('td', { 'data-col': c }, cells[c] ?? '')));
  };
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      { 'data-table': 'impact' },
      h(
        'thead',
        {},
        h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, t(`pages:improvement.table.${c}`)))),
      ),
      h('tbody', {}, row('before'), row('after')),
    ),
  );
}

/** The difference, its interval and p-value, and what they mean. */
function verdict(imp: Impact): HTMLElement {
  const diff = diffText(imp.diff, imp.unit);
  const text =
    imp.ci_low === null || imp.ci_high === null
      ? t('pages:improvement.verdictNoCi', { diff })
      : t('pages:improvement.verdict', {
          diff,
          low: diffText(imp.ci_low, imp.unit),
          high: diffText(imp.ci_high, imp.unit),
          p: pText(imp.p_value),
        });
  const word =
    imp.test === null
      ? t('pages:improvement.noTest')
      : imp.significant
        ? t('pages:improvement.significant')
        : t('pages:improvement.notSignificant');
  return h('p', { class: 'verdict' }, text, h('strong', {}, word));
}

/** Sentences one after the other: a space after a Latin full stop, none after a Chinese one. */
const sentences = (list: string[]) =>
  list.reduce((text, s) => (text === '' ? s : `${text}${text.endsWith('。') ? '' : ' '}${s}`), '');

/** The before/after windows, the difference with its test, and the control chart, into `box`. */
async function drawImpact(
  box: HTMLElement,
  chosen: ProcessChange,
  metric: string,
  title: string,
): Promise<void> {
  try {
    const imp = await api<Impact>(
      `/api/v1/changes/${encodeURIComponent(chosen.id)}/impact`,
      new URLSearchParams({ metric }),
    );
    box.querySelector('.loading')?.remove();
    box.append(
      windowsTable(imp),
      verdict(imp),
      h('p', { class: 'muted' }, sentences(impactNote(imp, title))),
      h('p', { class: 'note' }, t('pages:improvement.causation')),
    );
    if (imp.control_chart && imp.control_chart.center !== null) {
      const cc = imp.control_chart;
      const points = cc.points.map((p) => ({ ...p, centre: cc.center as number }));
      const chart = h('div', { class: 'chart' });
      box.append(chart);
      await embed(
        chart,
        labelled(
          controlChartSpec({
            title: t('pages:improvement.controlChart'),
            unit: title,
            points,
            changeDate: chosen.starts_at.slice(0, 10),
            tr: translatorNow(),
          }),
          t('pages:improvement.controlChartLabel'),
        ),
        {
          actions: false,
          renderer: 'svg',
          ast: true,
          expr: expressionInterpreter,
          ...embedLocale(),
        },
      );
      box.dataset['drawn'] = 'true';
    }
  } catch (err) {
    box.querySelector('.loading')?.remove();
    box.append(h('p', { class: 'error', role: 'alert' }, errorText(err)));
  }
}

const SCOPE_EXAMPLE = '{"team_id":["t2"]}';

/** The form's fields as the API's body; a sentence saying what is wrong when they are not valid. */
function changeBody(d: FormData): Record<string, unknown> | string {
  const starts = new Date(String(d.get('starts_at')));
  if (Number.isNaN(starts.getTime())) return t('pages:improvement.form.badStart');
  let scope: unknown;
  try {
    scope = JSON.parse(String(d.get('scope') || '{}'));
  } catch {
    scope = null;
  }
  const valid =
    typeof scope === 'object' &&
    scope !== null &&
    !Array.isArray(scope) &&
    Object.values(scope).every((v) => Array.isArray(v) && v.every((x) => typeof x === 'string'));
  if (!valid) return t('pages:improvement.form.badScope', { example: SCOPE_EXAMPLE });
  const body: Record<string, unknown> = {
    title: d.get('title'),
    starts_at: starts.toISOString(),
    scope,
    description: d.get('description') || undefined,
  };
  if (d.get('id')) body['id'] = d.get('id');
  return body;
}

function changeForm(existing?: ProcessChange): HTMLElement {
  const msg = h('p', { role: 'status' });
  const field = (key: string, control: HTMLElement, values?: Record<string, string>) =>
    h('label', {}, h('span', {}, ...withCode(`pages:improvement.form.${key}`, values ?? {})), control);
  const form = h(
    'form',
    { class: 'panel wide change-form', 'aria-label': t('pages:improvement.form.label') },
    h('h2', {}, t('pages:improvement.form.title')),
    existing
      ? field('id', h('input', { name: 'id', value: '', lang: 'zxx' }), { example: existing.id })
      : field('idNew', h('input', { name: 'id', value: '' })),
    field('changeTitle', h('input', { name: 'title', required: true, maxlength: 200 })),
    field('startsAt', h('input', { name: 'starts_at', type: 'datetime-local', required: true })),
    field('scope', h('input', { name: 'scope', value: '{}' }), { example: SCOPE_EXAMPLE, empty: '{}' }),
    field('description', h('textarea', { name: 'description', rows: 2 })),
    h('button', { type: 'submit' }, t('pages:improvement.form.save')),
    msg,
  );
  if (existing) (form.elements.namedItem('id') as HTMLInputElement).placeholder = existing.id;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = changeBody(new FormData(form));
    if (typeof body === 'string') {
      msg.textContent = t('pages:improvement.form.notSaved', { reason: body });
      return;
    }
    msg.textContent = t('pages:improvement.form.saving');
    try {
      const saved = await send<ProcessChange>('POST', '/api/v1/changes', body);
      msg.textContent = t('pages:improvement.form.saved', { id: saved.id });
    } catch (err) {
      msg.textContent = t('pages:improvement.form.notSaved', { reason: errorText(err) });
    }
  });
  return form;
}
