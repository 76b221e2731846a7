import { quickChartSpec } from '../../charts/quick.ts';
import embed from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { SqlAnswer, SqlSchema } from '../../wire.ts';
import { embedLocale, has, labelled, num, t, translatorNow } from '../i18n.ts';
import { api, dataTable, errorText, h, responseProblem, send, withCode } from '../ui.ts';

/** `/sql`: the analysts' editor, schema browser, result table and quick chart, saved queries, downloads. */

const EXAMPLE = `SELECT channel, count() AS interactions, round(avg(first_contact_resolved) * 100, 1) AS fcr_percent
FROM v_interactions
WHERE day >= today() - 28 AND resolved
GROUP BY channel
ORDER BY channel`;

const SAVED_KEY = 'cxpulse.saved-queries';
type Saved = { name: string; sql: string }[];
const savedQueries = (): Saved => {
  try {
    return JSON.parse(localStorage.getItem(SAVED_KEY) ?? '[]') as Saved;
  } catch {
    return [];
  }
};

export async function sqlPage(main: HTMLElement): Promise<void> {
  main.replaceChildren();
  const q = new URLSearchParams(location.search);
  const editor = h('textarea', {
    id: 'sql',
    class: 'sql-editor',
    rows: 10,
    spellcheck: 'false',
    'aria-label': t('pages:sql.editorLabel'),
  });
  editor.value = q.get('q') ?? EXAMPLE;
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const result = h('section', {
    class: 'panel wide',
    'aria-label': t('pages:sql.resultLabel'),
    'aria-busy': 'false',
  });
  const schema = h(
    'aside',
    { class: 'panel schema', 'aria-label': t('pages:sql.tablesLabel') },
    h('h2', {}, t('pages:sql.tables')),
    h('p', { class: 'loading' }, t('pages:sql.loading')),
  );
  const savedList = h('ul', { class: 'saved' });
  const renderSaved = () => {
    const saved = savedQueries();
    savedList.replaceChildren(
      ...(saved.length === 0
        ? [h('li', { class: 'muted' }, t('pages:sql.noSaved'))]
        : saved.map((s) => h('li', {}, h('a', { href: `?${new URLSearchParams({ q: s.sql })}` }, s.name)))),
    );
  };
  const run = () => runQuery(editor, result);
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  });
  const toolbar = sqlToolbar(editor, status, run, renderSaved);
  main.append(
    h(
      'div',
      { class: 'sql-layout' },
      schema,
      h(
        'div',
        { class: 'sql-main' },
        editor,
        toolbar,
        status,
        h('details', { class: 'saved-box' }, h('summary', {}, t('pages:sql.savedQueries')), savedList),
      ),
    ),
    result,
  );
  renderSaved();
  fillSchema(schema, editor);
  await run();
}

/** Run the editor's query: the URL keeps it (shareable), the result shows a quick chart and its rows. */
async function runQuery(editor: HTMLTextAreaElement, result: HTMLElement): Promise<void> {
  result.setAttribute('aria-busy', 'true');
  result.replaceChildren(h('p', { class: 'loading' }, t('pages:sql.running')));
  history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
  try {
    const r = await send<SqlAnswer>('POST', '/api/v1/sql', { sql: editor.value, format: 'json' });
    result.replaceChildren(
      h(
        'h2',
        {},
        t('pages:sql.result', { count: r.row_count, rows: num(r.row_count), ms: num(r.elapsed_ms) }),
      ),
    );
    result.dataset['rows'] = String(r.row_count);
    const spec = quickChartSpec(r.columns, r.rows, translatorNow());
    if (spec) {
      const chart = h('div', {
        class: 'chart',
        // the analyst's result as returned: its names and values are data, in whatever language
        'data-data': '',
      });
      result.append(chart);
      await embed(chart, labelled(spec, t('pages:sql.chartLabel')), {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: expressionInterpreter,
        ...embedLocale(),
      });
    }
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    const table = dataTable(
      rows,
      r.columns.map((c) => c.name),
      true,
    );
    table.querySelector('table')?.setAttribute('data-data', '');
    result.append(table);
  } catch (err) {
    result.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(err)));
  } finally {
    result.setAttribute('aria-busy', 'false');
  }
}

/** The result of the editor's query as a CSV, Arrow or XLSX download. */
async function downloadResult(
  editor: HTMLTextAreaElement,
  status: HTMLElement,
  format: 'csv' | 'arrow' | 'xlsx',
): Promise<void> {
  status.textContent = t('pages:sql.preparing', { format: format.toUpperCase() });
  const res = await fetch('/api/v1/sql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: editor.value, format }),
  }).catch((err: unknown) => {
    status.textContent = t('pages:sql.notDownloaded', { reason: errorText(err) });
    return null;
  });
  if (!res) return;
  if (!res.ok) {
    status.textContent = t('pages:sql.notDownloaded', { reason: await responseProblem(res) });
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `result.${format === 'arrow' ? 'arrows' : format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status.textContent = t('pages:sql.downloaded', { format: format.toUpperCase() });
}

/** Run, share, save and download buttons. */
function sqlToolbar(
  editor: HTMLTextAreaElement,
  status: HTMLElement,
  run: () => Promise<void>,
  renderSaved: () => void,
): HTMLElement {
  return h(
    'div',
    { class: 'toolbar' },
    h('button', { type: 'submit', onclick: () => void run() }, t('pages:sql.run')),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
          void navigator.clipboard?.writeText(location.href).catch(() => undefined);
          status.textContent = t('pages:sql.shared');
        },
      },
      t('pages:sql.share'),
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          const name = prompt(t('pages:sql.saveName'));
          if (!name) return;
          localStorage.setItem(
            SAVED_KEY,
            JSON.stringify([...savedQueries().filter((x) => x.name !== name), { name, sql: editor.value }]),
          );
          renderSaved();
          status.textContent = t('pages:sql.savedAs', { name });
        },
      },
      t('pages:sql.save'),
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'csv') },
      t('pages:sql.download', { format: 'CSV' }),
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'arrow') },
      t('pages:sql.download', { format: 'Arrow' }),
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'xlsx') },
      t('pages:sql.download', { format: 'XLSX' }),
    ),
    h('span', { class: 'muted hint' }, t('pages:sql.hint')),
  );
}

/** A table's description in the reader's language (the server's English one when not catalogued). */
const tableDescription = (table: { name: string; description: string }): (string | HTMLElement)[] =>
  has(`pages:sql.tableInfo.${table.name}`)
    ? withCode(`pages:sql.tableInfo.${table.name}`, { final: 'FINAL', eventId: 'event_id' })
    : [table.description];

/** The schema browser: a click on a column inserts its name into the editor. */
function fillSchema(schema: HTMLElement, editor: HTMLTextAreaElement): void {
  void api<SqlSchema>('/api/v1/sql/schema')
    .then((r) => {
      schema.replaceChildren(
        h('h2', {}, t('pages:sql.tables')),
        ...r.tables.map((table) =>
          h(
            'details',
            {},
            h('summary', {}, h('code', { lang: 'zxx' }, table.name)),
            h('p', { class: 'muted' }, ...tableDescription(table)),
            h(
              'ul',
              { class: 'columns' },
              ...table.columns.map((c) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      title: t('pages:sql.insert'),
                      onclick: () => {
                        editor.setRangeText(c.name, editor.selectionStart, editor.selectionEnd, 'end');
                        editor.focus();
                      },
                    },
                    h('code', { lang: 'zxx' }, c.name),
                  ),
                  ' ',
                  h('code', { class: 'muted', lang: 'zxx' }, c.type),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: unknown) =>
      schema.replaceChildren(
        h('p', { class: 'error' }, t('pages:sql.schemaError', { reason: errorText(err) })),
      ),
    );
}
