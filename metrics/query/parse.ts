import { badParameter } from '../../infra/errors.ts';
import { DEFAULT_WINDOW_DAYS, today, windowEnding } from '../../infra/time.ts';
import { DIMENSIONS, type Dimension } from '../types.ts';
import { GRAINS, type Grain, type MetricRequest } from './request.ts';

/**
 * The one request parser: a metric request from query parameters (`from`, `to`, `grain`, `by`, one
 * parameter per dimension filter, comma-separated values), and the way back (`metricQuery`). Pure and
 * free of HTTP: the API passes `req.query`, the CLI its options, the reports their definition.
 */

/** Days of the default period: the 28 days ending today (local). */
export const DEFAULT_PERIOD_DAYS = DEFAULT_WINDOW_DAYS;

const KNOWN = new Set(['from', 'to', 'grain', 'by', ...DIMENSIONS]);

/**
 * Query parameters → metric request. Every bad parameter is named (`bad_parameter`); unknown ones are
 * refused too, except those in `extra` (the caller's own, e.g. `format`). Defaults: `to` today in
 * `timeZone`, `from` 27 days before `to`, `grain` day, no grouping, no filters.
 */
export function parseMetricRequest(
  query: Record<string, unknown>,
  timeZone: string,
  extra: readonly string[] = [],
  now: Date = new Date(),
): MetricRequest {
  for (const key of Object.keys(query)) {
    if (!KNOWN.has(key) && !extra.includes(key))
      throw badParameter(
        key,
        `unknown parameter; use ${['from', 'to', 'grain', 'by', ...extra].join(', ')} or a dimension (${DIMENSIONS.join(', ')})`,
      );
  }
  const one = (key: string): string | undefined => {
    const v = query[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw badParameter(key, 'must be given once');
    return v;
  };
  const to = one('to') ?? today(timeZone, now);
  const from = one('from') ?? defaultFrom(to);
  const grain = (one('grain') ?? 'day') as Grain;
  if (!GRAINS.includes(grain)) throw badParameter('grain', `must be one of ${GRAINS.join(', ')}`);
  const by = (one('by') ?? '').split(',').filter((x) => x.length > 0);
  for (const d of by) {
    if (!(DIMENSIONS as readonly string[]).includes(d))
      throw badParameter('by', `${d} is not a dimension; use ${DIMENSIONS.join(', ')}`);
  }
  const filters: Partial<Record<Dimension, string[]>> = {};
  for (const d of DIMENSIONS) {
    const v = one(d);
    if (v === undefined) continue;
    const values = v.split(',').filter((x) => x.length > 0);
    if (values.length === 0) throw badParameter(d, 'needs at least one value');
    filters[d] = values;
  }
  return { from, to, grain, by: by as Dimension[], filters };
}

/** The query parameters of a (partial) request, as `parseMetricRequest` reads them; unset ones left out. */
export function metricQuery(r: {
  from?: string | undefined;
  to?: string | undefined;
  grain?: string | undefined;
  by?: readonly string[];
  filters?: Readonly<Record<string, readonly string[] | undefined>>;
}): Record<string, string> {
  const q: Record<string, string> = {};
  if (r.from) q['from'] = r.from;
  if (r.to) q['to'] = r.to;
  if (r.grain) q['grain'] = r.grain;
  if (r.by?.length) q['by'] = r.by.join(',');
  for (const [d, v] of Object.entries(r.filters ?? {})) if (v) q[d] = v.join(',');
  return q;
}

/** The first day of the default window ending on `to`, which must then be a date. */
function defaultFrom(to: string): string {
  if (Number.isNaN(Date.parse(`${to}T00:00:00Z`))) throw badParameter('to', 'must be a date YYYY-MM-DD');
  return windowEnding(to).from;
}
