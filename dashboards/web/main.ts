import { VOCABULARY_PATH } from '../page-requests.ts';
import type { Vocabulary } from '../wire.ts';
import { keepSwitcherCurrent, t, useNames } from './i18n.ts';
import { resetAnnotations } from './kpi.ts';
import { complaints } from './pages/complaints.ts';
import { customers } from './pages/customers.ts';
import { improvement } from './pages/improvement.ts';
import { overview, prefetchOverview } from './pages/overview.ts';
import { reportsPage } from './pages/reports.ts';
import { service } from './pages/service.ts';
import { sqlPage } from './pages/sql.ts';
import { targetsPage } from './pages/targets.ts';
import { alertsPage } from './pages/alerts.ts';
import { standards } from './pages/standards.ts';
import { teams } from './pages/teams.ts';
import { api, errorText, filterBar, h, readFilters, useSegments, type Filters } from './ui.ts';

/**
 * The pages. The server sends the same shell for each (`<body data-page=…>`); this script draws the
 * page from the API. Everything the page shows comes from `/api/v1` with the filters of the URL. Each
 * page is a file in `pages/`; this one picks it and draws the filter bar and the error state. Before the
 * first page it loads the centre's vocabulary (segments, display names) once; without it, stored values
 * show as stored.
 */

const PAGES: Record<string, (main: HTMLElement, f: Filters, role: string) => Promise<void>> = {
  overview,
  standards,
  service,
  complaints,
  customers,
  improvement,
  teams,
  sql: (main) => sqlPage(main),
  reports: (main, _f, role) => reportsPage(main, role),
  targets: (main, _f, role) => targetsPage(main, role),
  alerts: (main, _f, role) => alertsPage(main, role),
};

async function render(): Promise<void> {
  const page = document.body.dataset['page'] ?? 'overview';
  const role = document.body.dataset['role'] ?? 'viewer';
  const main = document.getElementById('main') as HTMLElement;
  if (page === 'sql' || page === 'reports' || page === 'targets' || page === 'alerts') {
    main.setAttribute('aria-busy', 'true');
    await (PAGES[page] as (typeof PAGES)[string])(main, readFilters(), role)
      .catch((err: Error) =>
        main.append(
          h(
            'p',
            { class: 'error', role: 'alert' },
            t('common:page.couldNotDraw', { reason: errorText(err) }),
          ),
        ),
      )
      .finally(() => {
        main.setAttribute('aria-busy', 'false');
        document.body.dataset['ready'] = 'true';
      });
    return;
  }
  const f = readFilters();
  main.replaceChildren(
    filterBar(f, () => {
      resetAnnotations();
      void render();
    }),
  );
  main.setAttribute('aria-busy', 'true');
  try {
    await (PAGES[page] ?? overview)(main, f, role);
  } catch (err) {
    main.append(
      h('p', { class: 'error', role: 'alert' }, t('common:page.couldNotDraw', { reason: errorText(err) })),
    );
  } finally {
    main.setAttribute('aria-busy', 'false');
    document.body.dataset['ready'] = 'true';
  }
}

/** The centre's segments and display names, once; the pages go on without them when they fail. */
async function loadVocabulary(): Promise<void> {
  try {
    const v = await api<Vocabulary>(VOCABULARY_PATH);
    useNames(v);
    useSegments(v.segments.map((s) => s.key));
  } catch {
    // stored values show as stored, the segment filter takes free text
  }
}

keepSwitcherCurrent();
// the overview's one request goes out beside the vocabulary's, not after it
if ((document.body.dataset['page'] ?? 'overview') === 'overview') prefetchOverview(readFilters());
window.addEventListener('popstate', () => {
  resetAnnotations();
  void render();
});
void loadVocabulary().then(render);
