import type { MetricCatalog, MetricInfo, TargetHistory, TargetInfo, TargetSetInfo } from '../../wire.ts';
import { day, has, label, num, t } from '../i18n.ts';
import { metricTitle, unitWord } from '../kpi.ts';
import { api, ApiError, errorText, h, withCode } from '../ui.ts';

/**
 * `/targets`: every KPI's targets (kind, value, months, per, scope, clause), the baseline period of the
 * relative targets and the version history — and for admins the set as JSON to edit, checked by the
 * server and saved with the version it was edited from (`if_version`).
 */

const WHEN = { dateStyle: 'medium', timeStyle: 'short' } as const;
const COLUMNS = ['kind', 'value', 'months', 'per', 'scope', 'clause', 'source'] as const;

const cell = (text: string, attrs: Record<string, string> = {}) => h('td', attrs, text);
const dimensionWord = (d: string) => (has(`common:columns.${d}`) ? t(`common:columns.${d}`) : d);

/** A target's value as the standard writes it: `≥ 90 %`, `−40 %` from the baseline, `≤ 30 s`. */
function valueText(target: TargetInfo, m: MetricInfo): string {
  if (target.kind === 'relative')
    return t('pages:targets.relativeValue', { value: num(target.value, { signDisplay: 'always' }) });
  return t(`pages:targets.bar.${m.direction}`, { value: num(target.value), unit: unitWord(m.unit) });
}

/** `channel: chat, social; priority: high` in the reader's words. */
const scopeText = (scope: TargetInfo['scope']) =>
  Object.entries(scope ?? {})
    .map(
      ([d, vs]) => `${dimensionWord(d)}${t('pages:targets.colon')}${vs.map((v) => label(d, v)).join(', ')}`,
    )
    .join(t('pages:targets.separator'));

function targetTable(targets: TargetInfo[], m: MetricInfo): HTMLElement {
  const row = (x: TargetInfo) =>
    h(
      'tr',
      { 'data-target': x.id },
      cell(t(`pages:targets.kind.${x.kind}`)),
      cell(valueText(x, m)),
      cell(x.months === undefined ? '–' : num(x.months)),
      cell(x.per === undefined ? '–' : dimensionWord(x.per)),
      cell(x.scope ? scopeText(x.scope) : t('pages:targets.wholeCentre')),
      cell(x.clause, { lang: 'zxx' }),
      cell(x.source),
    );
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h('tr', {}, ...COLUMNS.map((c) => h('th', { scope: 'col' }, t(`pages:targets.head.${c}`)))),
    ),
    h('tbody', {}, ...targets.map(row)),
  );
}

/** One panel per KPI that has targets, in the catalog's order. */
function kpiPanels(set: TargetSetInfo, catalog: MetricCatalog): HTMLElement[] {
  return catalog.metrics
    .filter((m) => set.targets.some((x) => x.metric === m.name))
    .map((m) =>
      h(
        'section',
        { class: 'panel', 'data-metric': m.name, 'aria-label': metricTitle(m) },
        h('h2', {}, metricTitle(m)),
        h(
          'div',
          { class: 'scroll' },
          targetTable(
            set.targets.filter((x) => x.metric === m.name),
            m,
          ),
        ),
      ),
    );
}

const who = (s: TargetSetInfo) => s.changed_by ?? t('pages:targets.configuration');
const when = (s: TargetSetInfo) =>
  s.changed_at === null ? '–' : h('time', { datetime: s.changed_at }, day(s.changed_at, WHEN));

/** The version in force and the baseline period, in a sentence each. */
function summary(set: TargetSetInfo): HTMLElement {
  const version =
    set.changed_at === null
      ? t('pages:targets.versionInitial', { version: num(set.version) })
      : t('pages:targets.version', {
          version: num(set.version),
          who: who(set),
          when: day(set.changed_at, WHEN),
        });
  const baseline = set.baseline
    ? t('pages:targets.baseline', { from: day(set.baseline.from), to: day(set.baseline.to) })
    : t('pages:targets.baselineDefault');
  return h('div', { class: 'note wide', role: 'note' }, h('p', {}, version), h('p', {}, baseline));
}

function historyPanel(history: TargetHistory): HTMLElement {
  const heads = ['version', 'who', 'when', 'targets', 'comment'];
  return h(
    'section',
    { class: 'panel wide', 'aria-label': t('pages:targets.history') },
    h('h2', {}, t('pages:targets.history')),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'data-table': 'history' },
        h(
          'thead',
          {},
          h('tr', {}, ...heads.map((c) => h('th', { scope: 'col' }, t(`pages:targets.head.${c}`)))),
        ),
        h(
          'tbody',
          {},
          ...history.versions.map((s) =>
            h(
              'tr',
              { 'data-version': String(s.version) },
              cell(num(s.version)),
              cell(who(s)),
              h('td', {}, when(s)),
              cell(num(s.targets.length)),
              cell(s.comment),
            ),
          ),
        ),
      ),
    ),
  );
}

/** A refused save in the reader's words, naming the field the server named. */
async function refusal(res: Response): Promise<string> {
  const b = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; details?: { parameter?: string } };
  };
  const field = b.error?.details?.parameter;
  const reason = errorText(new ApiError(res.status, b.error?.message ?? `HTTP ${res.status}`, b.error?.code));
  return field ? `${t('pages:targets.form.field', { field })} ${reason}` : reason;
}

/** The admin's editor: the set as JSON, a comment, save with `if_version`. */
function editForm(set: TargetSetInfo, redraw: () => void): HTMLElement {
  const msg = h('p', { role: 'status', 'data-message': '' });
  const text = h('textarea', { name: 'set', rows: 18, lang: 'zxx', spellcheck: 'false' });
  text.value = JSON.stringify({ targets: set.targets, baseline: set.baseline }, null, 2);
  const form = h(
    'form',
    { class: 'panel wide change-form', 'aria-label': t('pages:targets.form.title') },
    h('h2', {}, t('pages:targets.form.title')),
    h('p', { class: 'panel-desc' }, ...withCode('pages:targets.form.help', { none: 'null' })),
    h('label', {}, h('span', {}, t('pages:targets.form.set')), text),
    h(
      'label',
      {},
      h('span', {}, t('pages:targets.form.comment')),
      h('input', { name: 'comment', maxlength: 500 }),
    ),
    h('button', { type: 'submit' }, t('pages:targets.form.save', { version: num(set.version) })),
    msg,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let edited: unknown;
    try {
      edited = JSON.parse(text.value);
    } catch (err) {
      msg.textContent = t('pages:targets.form.badJson', { detail: (err as Error).message });
      return;
    }
    if (typeof edited !== 'object' || edited === null || Array.isArray(edited)) {
      msg.textContent = t('pages:targets.form.notObject');
      return;
    }
    const comment = (form.elements.namedItem('comment') as HTMLInputElement).value;
    msg.textContent = t('pages:targets.form.saving');
    const res = await fetch('/api/v1/targets', {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ ...edited, comment, if_version: set.version }),
    }).catch(() => null);
    if (res === null) msg.textContent = errorText(new TypeError('fetch failed'));
    else if (!res.ok) msg.textContent = t('pages:targets.form.notSaved', { reason: await refusal(res) });
    else redraw();
  });
  return form;
}

export async function targetsPage(main: HTMLElement, role: string): Promise<void> {
  const [set, history, catalog] = await Promise.all([
    api<TargetSetInfo>('/api/v1/targets'),
    api<TargetHistory>('/api/v1/targets/history'),
    api<MetricCatalog>('/api/v1/metrics'),
  ]);
  const redraw = () => {
    main.replaceChildren();
    void targetsPage(main, role).catch((err: unknown) =>
      main.append(h('p', { class: 'error', role: 'alert' }, errorText(err))),
    );
  };
  main.replaceChildren(
    summary(set),
    h('div', { class: 'grid' }, ...kpiPanels(set, catalog)),
    historyPanel(history),
    ...(role === 'admin' ? [editForm(set, redraw)] : []),
  );
}
