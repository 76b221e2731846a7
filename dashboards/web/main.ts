import { resetAnnotations } from './kpi.ts';
import { complaints } from './pages/complaints.ts';
import { customers } from './pages/customers.ts';
import { improvement } from './pages/improvement.ts';
import { overview } from './pages/overview.ts';
import { reportsPage } from './pages/reports.ts';
import { service } from './pages/service.ts';
import { sqlPage } from './pages/sql.ts';
import { teams } from './pages/teams.ts';
import { filterBar, h, readFilters, type Filters } from './ui.ts';

/**
 * The pages. The server sends the same shell for each (`<body data-page=…>`); this script draws the
 * page from the API. Everything the page shows comes from `/api/v1` with the filters of the URL. Each
 * page is a file in `pages/`; this one picks it and draws the filter bar and the error state.
 */

const PAGES: Record<string, (main: HTMLElement, f: Filters, role: string) => Promise<void>> = {
  overview,
  service,
  complaints,
  customers,
  improvement,
  teams,
  sql: (main) => sqlPage(main),
  reports: (main, _f, role) => reportsPage(main, role),
};

async function render(): Promise<void> {
  const page = document.body.dataset['page'] ?? 'overview';
  const role = document.body.dataset['role'] ?? 'viewer';
  const main = document.getElementById('main') as HTMLElement;
  if (page === 'sql' || page === 'reports') {
    main.setAttribute('aria-busy', 'true');
    await (PAGES[page] as (typeof PAGES)[string])(main, readFilters(), role)
      .catch((err: Error) =>
        main.append(
          h('p', { class: 'error', role: 'alert' }, `This page could not be drawn: ${err.message}`),
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
      h('p', { class: 'error', role: 'alert' }, `This page could not be drawn: ${(err as Error).message}`),
    );
  } finally {
    main.setAttribute('aria-busy', 'false');
    document.body.dataset['ready'] = 'true';
  }
}

window.addEventListener('popstate', () => {
  resetAnnotations();
  void render();
});
void render();
