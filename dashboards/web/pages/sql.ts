import { quickChartSpec } from '../../charts/quick.ts';
import embed, { type VisualizationSpec } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { SqlAnswer, SqlSchema } from '../../wire.ts';
import { api, dataTable, h, send } from '../ui.ts';

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
    'aria-label': 'SQL query (Ctrl+Enter runs it)',
  });
  editor.value = q.get('q') ?? EXAMPLE;
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const result = h('section', { class: 'panel wide', 'aria-label': 'result', 'aria-busy': 'false' });
  const schema = h(
    'aside',
    { class: 'panel schema', 'aria-label': 'tables' },
    h('h2', {}, 'Tables'),
    h('p', { class: 'loading' }, 'Loading…'),
  );
  const savedList = h('ul', { class: 'saved' });
  const renderSaved = () =>
    savedList.replaceChildren(
      ...savedQueries().map((s) =>
        h('li', {}, h('a', { href: `?${new URLSearchParams({ q: s.sql })}` }, s.name)),
      ),
    );
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
        h('details', { class: 'saved-box' }, h('summary', {}, 'Saved queries'), savedList),
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
  result.replaceChildren(h('p', { class: 'loading' }, 'Running…'));
  history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
  try {
    const r = await send<SqlAnswer>('POST', '/api/v1/sql', { sql: editor.value, format: 'json' });
    result.replaceChildren(
      h('h2', {}, `Result: ${r.row_count.toLocaleString('en-US')} rows in ${r.elapsed_ms} ms`),
    );
    result.dataset['rows'] = String(r.row_count);
    const spec = quickChartSpec(r.columns, r.rows);
    if (spec) {
      const chart = h('div', {
        class: 'chart',
        role: 'img',
        'aria-label': 'a quick chart of the result; the rows are in the table below',
      });
      result.append(chart);
      await embed(chart, spec as VisualizationSpec, {
        actions: false,
        renderer: 'svg',
        ast: true,
        expr: expressionInterpreter,
      });
    }
    const rows = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
    result.append(
      dataTable(
        rows,
        r.columns.map((c) => c.name),
        true,
      ),
    );
  } catch (err) {
    result.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
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
  status.textContent = `Preparing ${format.toUpperCase()}…`;
  const res = await fetch('/api/v1/sql', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: editor.value, format }),
  });
  if (!res.ok) {
    const b = (await res.json().catch(() => ({}))) as { error?: { message: string } };
    status.textContent = `Not downloaded: ${b.error?.message ?? res.status}`;
    return;
  }
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `result.${format === 'arrow' ? 'arrows' : format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  status.textContent = `${format.toUpperCase()} downloaded.`;
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
    h('button', { type: 'submit', onclick: () => void run() }, 'Run'),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          history.replaceState(null, '', `?${new URLSearchParams({ q: editor.value })}`);
          void navigator.clipboard?.writeText(location.href).catch(() => undefined);
          status.textContent = 'The link to this query is in the address bar (and copied).';
        },
      },
      'Share link',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          const name = prompt('Name of the saved query?');
          if (!name) return;
          localStorage.setItem(
            SAVED_KEY,
            JSON.stringify([...savedQueries().filter((x) => x.name !== name), { name, sql: editor.value }]),
          );
          renderSaved();
          status.textContent = `Saved as “${name}” in this browser.`;
        },
      },
      'Save',
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'csv') },
      'Download CSV',
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'arrow') },
      'Download Arrow',
    ),
    h(
      'button',
      { type: 'button', onclick: () => void downloadResult(editor, status, 'xlsx') },
      'Download XLSX',
    ),
  );
}

/** The schema browser: a click on a column inserts its name into the editor. */
function fillSchema(schema: HTMLElement, editor: HTMLTextAreaElement): void {
  void api<SqlSchema>('/api/v1/sql/schema')
    .then((r) => {
      schema.replaceChildren(
        h('h2', {}, 'Tables'),
        ...r.tables.map((t) =>
          h(
            'details',
            {},
            h('summary', {}, t.name),
            h('p', { class: 'muted' }, t.description),
            h(
              'ul',
              { class: 'columns' },
              ...t.columns.map((c) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      title: `insert ${c.name}`,
                      onclick: () => {
                        editor.setRangeText(c.name, editor.selectionStart, editor.selectionEnd, 'end');
                        editor.focus();
                      },
                    },
                    c.name,
                  ),
                  h('span', { class: 'muted' }, ` ${c.type}`),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: Error) => schema.replaceChildren(h('p', { class: 'error' }, err.message)));
}
