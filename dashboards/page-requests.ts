import { windowEnding } from '../infra/time.ts';

/**
 * What a page's URL asks of the API: the filters and the API parameters they become, and the requests
 * a page's script makes first. Shared by the browser (web/ui.ts reads the filters from the URL) and the
 * server (the shell has the browser fetch the vocabulary and the overview's answer while the bundle
 * loads: the same URLs, so the script's requests take the preloaded answers). Pure.
 */

export const FILTER_DIMENSIONS = ['channel', 'category', 'priority', 'team_id', 'segment', 'region'] as const;

export interface Filters {
  from: string;
  to: string;
  dims: Partial<Record<(typeof FILTER_DIMENSIONS)[number], string>>;
}

/** Filters from a URL's query; default: the last 28 days up to `today` (the centre's time zone). */
export function filtersOf(q: URLSearchParams, today: string): Filters {
  const to = q.get('to') ?? today;
  const from = q.get('from') ?? windowEnding(to).from;
  const dims: Filters['dims'] = {};
  for (const d of FILTER_DIMENSIONS) {
    const v = q.get(d);
    if (v) dims[d] = v;
  }
  return { from, to, dims };
}

/** The API parameters of the filters, only the dimensions `allowed` (a KPI's own). */
export function filterParams(f: Filters, allowed?: readonly string[]): URLSearchParams {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  for (const [d, v] of Object.entries(f.dims)) if (v && (!allowed || allowed.includes(d))) p.set(d, v);
  return p;
}

/** What every page's script asks for first (dashboards/routes/vocabulary.ts). */
export const VOCABULARY_PATH = '/api/v1/vocabulary';

/** The overview page's one request (dashboards/routes/overview.ts `GET /api/v1/overview/page`). */
export const overviewPagePath = (f: Filters): string => `/api/v1/overview/page?${filterParams(f)}`;
