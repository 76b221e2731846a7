import type { AlertEventList, AlertGroupState, AlertList, AlertRuleInfo } from '../../wire.ts';
import { day, has, label, num, t } from '../i18n.ts';
import { api, ApiError, errorText, h, withCode } from '../ui.ts';

/**
 * `/alerts`: every rule with each group's state (phase, since, last value and n, silence and
 * acknowledgement with who, why and until), the history of transitions and deliveries, and for editors
 * the forms: a rule as YAML or JSON to add or replace (checked by the server on the whole document and
 * saved with the version it was edited from), delete, silence (one rule, or every rule a filter
 * matches) and acknowledge.
 */

const WHEN = { dateStyle: 'medium', timeStyle: 'short' } as const;
const P = 'pages:alerts';
const cell = (text: string, attrs: Record<string, string> = {}) => h('td', attrs, text);
const when = (iso: string) => h('time', { datetime: iso }, day(iso, WHEN));
const word = (group: string, key: string) => (has(`${P}.${group}.${key}`) ? t(`${P}.${group}.${key}`) : key);
const dimensionWord = (d: string) => (has(`common:columns.${d}`) ? t(`common:columns.${d}`) : d);

/** What a rule watches, in words: the KPI's title or the check's name, with its filters. */
function watches(r: AlertRuleInfo): string {
  const what = r.metric
    ? has(`metrics:${r.metric}.title`)
      ? t(`metrics:${r.metric}.title`)
      : r.metric
    : word('check', r.check ?? '');
  const filters = Object.entries(r.filters).map(
    ([d, vs]) => `${dimensionWord(d)}${t(`${P}.colon`)}${vs.map((v) => label(d, v)).join(', ')}`,
  );
  const by = r.by ? [t(`${P}.by`, { dimension: dimensionWord(r.by) })] : [];
  return [what, ...filters, ...by].join(t(`${P}.separator`));
}

function silenceText(s: AlertGroupState): string {
  const parts: string[] = [];
  if (s.silence)
    parts.push(
      t(`${P}.silencedUntil`, { until: day(s.silence.until, WHEN), who: s.silence.by, why: s.silence.why }),
    );
  if (s.ack) parts.push(t(`${P}.acknowledged`, { who: s.ack.by, why: s.ack.why, when: day(s.ack.at, WHEN) }));
  return parts.join(' ') || '–';
}

function stateRows(r: AlertRuleInfo): HTMLElement[] {
  if (r.states.length === 0)
    return [h('tr', { 'data-group': '' }, h('td', { colspan: '6', class: 'muted' }, t(`${P}.notEvaluated`)))];
  return r.states.map((s) =>
    h(
      'tr',
      { 'data-group': s.group, 'data-phase': s.phase },
      cell(s.group === '' ? t(`${P}.wholeRule`) : r.by ? label(r.by, s.group) : s.group),
      cell(word('phase', s.phase), { class: `phase-${s.phase}` }),
      h('td', {}, when(s.since)),
      cell(s.value === null ? '–' : num(s.value, { maximumFractionDigits: 2 })),
      cell(s.n === null ? '–' : num(s.n)),
      cell(silenceText(s), { 'data-silence': '' }),
    ),
  );
}

function rulePanel(r: AlertRuleInfo, actions: HTMLElement | null): HTMLElement {
  const heads = ['group', 'phase', 'since', 'value', 'n', 'silence'];
  return h(
    'section',
    { class: 'panel wide', 'data-rule': r.name, 'aria-label': r.title },
    h('h2', {}, r.title),
    h(
      'p',
      { class: 'panel-desc' },
      t(`${P}.ruleLine`, {
        kind: word('kind', r.kind),
        what: watches(r),
        channels: r.channels.join(', '),
      }),
    ),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { 'data-table': 'states' },
        h('thead', {}, h('tr', {}, ...heads.map((c) => h('th', { scope: 'col' }, t(`${P}.head.${c}`))))),
        h('tbody', {}, ...stateRows(r)),
      ),
    ),
    ...(actions ? [actions] : []),
  );
}

function eventDetail(e: AlertEventList['events'][number]): string {
  switch (e.what) {
    case 'transition':
      return t(`${P}.event.transitionText`, {
        from: word('phase', e.from ?? ''),
        to: word('phase', e.to ?? ''),
      });
    case 'suppressed':
      return t(`${P}.event.suppressedText`, { notice: word('notice', e.notice ?? '') });
    case 'delivery':
      return t(`${P}.event.deliveryText`, {
        channel: e.channel ?? '',
        result: word('result', e.result ?? ''),
        attempt: num(e.attempt ?? 1),
        detail: e.detail ?? '',
      });
    case 'silence':
    case 'ack':
      return t(`${P}.event.byText`, { who: e.who ?? '', why: e.why ?? '' });
    default:
      return '';
  }
}

function historyPanel(events: AlertEventList, titles: Map<string, string>): HTMLElement {
  const heads = ['at', 'rule', 'group', 'what', 'detail'];
  const rows = events.events.map((e) =>
    h(
      'tr',
      { 'data-event': e.what },
      h('td', {}, when(e.at)),
      cell(titles.get(e.rule) ?? e.rule),
      cell(e.group === '' ? '–' : e.group),
      cell(word('event', e.what)),
      cell(eventDetail(e)),
    ),
  );
  return h(
    'section',
    { class: 'panel wide', 'aria-label': t(`${P}.history`) },
    h('h2', {}, t(`${P}.history`)),
    rows.length === 0
      ? h('p', { class: 'muted' }, t(`${P}.noEvents`))
      : h(
          'div',
          { class: 'scroll' },
          h(
            'table',
            { 'data-table': 'events' },
            h('thead', {}, h('tr', {}, ...heads.map((c) => h('th', { scope: 'col' }, t(`${P}.head.${c}`))))),
            h('tbody', {}, ...rows),
          ),
        ),
  );
}

/** One mistake in the rules as the API names it (alerts/rules/issues.ts). */
interface RuleIssue {
  place?: string;
  code?: string | null;
  params?: Record<string, string>;
  message?: string;
}

/** A refused request in the reader's words; a rules mistake names each place the server named. */
async function refusal(res: Response): Promise<HTMLElement[]> {
  const b = (await res.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; details?: unknown };
  };
  const reason = errorText(new ApiError(res.status, b.error?.message ?? `HTTP ${res.status}`, b.error?.code));
  const d = b.error?.details;
  if (b.error?.code === 'alert_invalid' && Array.isArray(d))
    return [
      h('span', {}, t(`${P}.form.invalid`)),
      h(
        'ul',
        { 'data-problems': '' },
        ...d.map((x) => {
          const { place = '', code, params, message = '' } = x as RuleIssue;
          // a mistake with a code in the reader's words; an unforeseen one as the server wrote it
          const said = code
            ? h('span', {}, t(`alerts:errors.${code}`, params))
            : h('code', { lang: 'zxx' }, message);
          return h('li', {}, t(`${P}.form.place`, { place }), ' ', said);
        }),
      ),
    ];
  const field = (d as { parameter?: string } | undefined)?.parameter;
  return [h('span', {}, field ? `${t(`${P}.form.field`, { field })} ${reason}` : reason)];
}

/** Send a JSON request; on success redraw, else say why in `msg`. */
async function submit(
  method: string,
  path: string,
  body: unknown,
  msg: HTMLElement,
  redraw: () => void,
): Promise<void> {
  msg.textContent = t(`${P}.form.saving`);
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
  }).catch(() => null);
  if (res === null) msg.textContent = errorText(new TypeError('fetch failed'));
  else if (!res.ok) msg.replaceChildren(h('span', {}, t(`${P}.form.notDone`)), ' ', ...(await refusal(res)));
  else redraw();
}

const input = (name: string, attrs: Record<string, string | number> = {}) => h('input', { name, ...attrs });
const field = (key: string, el: HTMLElement) => h('label', {}, h('span', {}, t(`${P}.form.${key}`)), el);
const valueOf = (form: HTMLFormElement, name: string) =>
  (form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement).value;
/** A `datetime-local` value (the reader's clock) as an ISO time with its offset. */
const isoOf = (local: string) => (local === '' ? '' : new Date(local).toISOString());

/** The editor's actions on one rule: edit (fills the rule form), delete, silence, acknowledge. */
function ruleActions(
  r: AlertRuleInfo,
  version: number,
  edit: (r: AlertRuleInfo) => void,
  redraw: () => void,
) {
  const msg = h('p', { role: 'status', 'data-message': '' });
  const path = `/api/v1/alerts/${encodeURIComponent(r.name)}`;
  const silence = h(
    'form',
    { class: 'inline-form', 'data-form': 'silence', 'aria-label': t(`${P}.form.silence`) },
    field('until', input('until', { type: 'datetime-local', required: 'required' })),
    field('why', input('why', { maxlength: 500, required: 'required' })),
    h('button', { type: 'submit' }, t(`${P}.form.silence`)),
  );
  silence.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit(
      'POST',
      `${path}/silence`,
      { until: isoOf(valueOf(silence, 'until')), why: valueOf(silence, 'why') },
      msg,
      redraw,
    );
  });
  const ack = h(
    'form',
    { class: 'inline-form', 'data-form': 'ack', 'aria-label': t(`${P}.form.acknowledge`) },
    field('why', input('why', { maxlength: 500, required: 'required' })),
    h('button', { type: 'submit' }, t(`${P}.form.acknowledge`)),
  );
  ack.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit('POST', `${path}/acknowledge`, { why: valueOf(ack, 'why') }, msg, redraw);
  });
  const editButton = h('button', { type: 'button', 'data-action': 'edit' }, t(`${P}.form.edit`));
  editButton.addEventListener('click', () => edit(r));
  const del = h('button', { type: 'button', 'data-action': 'delete' }, t(`${P}.form.delete`));
  // deleting asks first: the question with a confirm and a cancel button; cancel changes nothing
  const yes = h('button', { type: 'button', 'data-action': 'confirm-delete' }, t(`${P}.form.confirmDelete`));
  const no = h('button', { type: 'button', 'data-action': 'cancel-delete' }, t(`${P}.form.cancel`));
  const ask = h(
    'p',
    { 'data-confirm': '', hidden: 'hidden' },
    t(`${P}.form.deleteQuestion`, { name: r.title }),
    ' ',
    yes,
    ' ',
    no,
  );
  del.addEventListener('click', () => ask.removeAttribute('hidden'));
  no.addEventListener('click', () => ask.setAttribute('hidden', 'hidden'));
  yes.addEventListener('click', () => void submit('DELETE', path, { if_version: version }, msg, redraw));
  return h('div', { class: 'actions' }, h('p', {}, editButton, ' ', del), ask, silence, ack, msg);
}

/** The rule form: add a rule, or replace the one being edited; YAML or JSON. */
function ruleForm(
  list: AlertList,
  redraw: () => void,
): { form: HTMLElement; edit: (r: AlertRuleInfo) => void } {
  const msg = h('p', { role: 'status', 'data-message': '' });
  const text = h('textarea', { name: 'rule', rows: 12, lang: 'zxx', spellcheck: 'false' });
  const target = { name: '' };
  const heading = h('h2', {}, t(`${P}.form.add`));
  const form = h(
    'form',
    { class: 'panel wide change-form', 'data-form': 'rule', 'aria-label': t(`${P}.form.ruleTitle`) },
    heading,
    h(
      'p',
      { class: 'panel-desc' },
      ...withCode(`${P}.form.help`, {
        fields: 'name, kind, …',
        channels: list.channels.map((c) => c.name).join(', ') || '–',
      }),
    ),
    field('rule', text),
    field('comment', input('comment', { maxlength: 500 })),
    h('button', { type: 'submit' }, t(`${P}.form.save`, { version: num(list.version) })),
    msg,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { text: text.value, comment: valueOf(form, 'comment'), if_version: list.version };
    const path = target.name ? `/api/v1/alerts/${encodeURIComponent(target.name)}` : '/api/v1/alerts';
    void submit(target.name ? 'PUT' : 'POST', path, body, msg, redraw);
  });
  const edit = (r: AlertRuleInfo) => {
    target.name = r.name;
    heading.textContent = t(`${P}.form.replace`, { name: r.title });
    text.value = JSON.stringify(r.source, null, 2);
    form.scrollIntoView();
    text.focus();
  };
  return { form, edit };
}

/** Silence every rule a filter matches: a metric, a kind, a check or a dimension's value. */
function filterSilenceForm(redraw: () => void): HTMLElement {
  const msg = h('p', { role: 'status', 'data-message': '' });
  const keys = ['metric', 'kind', 'check', 'team_id', 'channel', 'region', 'priority', 'category'];
  const select = h(
    'select',
    { name: 'key' },
    ...keys.map((k) =>
      h(
        'option',
        { value: k },
        k === 'metric' || k === 'kind' || k === 'check' ? t(`${P}.filterKey.${k}`) : dimensionWord(k),
      ),
    ),
  );
  const form = h(
    'form',
    {
      class: 'panel wide change-form',
      'data-form': 'silence-filter',
      'aria-label': t(`${P}.form.silenceMatching`),
    },
    h('h2', {}, t(`${P}.form.silenceMatching`)),
    field('filterKey', select),
    field('filterValue', input('value', { required: 'required', lang: 'zxx' })),
    field('until', input('until', { type: 'datetime-local', required: 'required' })),
    field('why', input('why', { maxlength: 500, required: 'required' })),
    h('button', { type: 'submit' }, t(`${P}.form.silence`)),
    msg,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      filter: { [select.value]: valueOf(form, 'value') },
      until: isoOf(valueOf(form, 'until')),
      why: valueOf(form, 'why'),
    };
    void submit('POST', '/api/v1/alerts/silence', body, msg, redraw);
  });
  return form;
}

function summary(list: AlertList): HTMLElement {
  const version =
    list.changed_at === null
      ? t(`${P}.versionInitial`, { version: num(list.version) })
      : t(`${P}.version`, {
          version: num(list.version),
          who: list.changed_by ?? '',
          when: day(list.changed_at, WHEN),
        });
  return h('div', { class: 'note wide', role: 'note' }, h('p', {}, version));
}

export async function alertsPage(main: HTMLElement, role: string): Promise<void> {
  const [list, events] = await Promise.all([
    api<AlertList>('/api/v1/alerts'),
    api<AlertEventList>('/api/v1/alerts/events', new URLSearchParams({ limit: '200' })),
  ]);
  const redraw = () => {
    main.replaceChildren();
    void alertsPage(main, role).catch((err: unknown) =>
      main.append(h('p', { class: 'error', role: 'alert' }, errorText(err))),
    );
  };
  const canEdit = role === 'editor' || role === 'admin';
  const editor = canEdit ? ruleForm(list, redraw) : null;
  const titles = new Map(list.rules.map((r) => [r.name, r.title]));
  main.replaceChildren(
    summary(list),
    ...(list.rules.length === 0 ? [h('p', { class: 'muted', 'data-empty': '' }, t(`${P}.noRules`))] : []),
    ...list.rules.map((r) => rulePanel(r, editor ? ruleActions(r, list.version, editor.edit, redraw) : null)),
    historyPanel(events, titles),
    ...(editor ? [editor.form, filterSilenceForm(redraw)] : []),
  );
}
