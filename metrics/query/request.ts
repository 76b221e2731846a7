import { badParameter } from '../../infra/errors.ts';
import { SOURCE_DIMENSIONS } from '../catalog.ts';
import type { Dimension, MetricDefinition } from '../types.ts';

/**
 * A metric request — metric × period × grain × group-by dimensions × filters — and its validation
 * against a metric. Pure; the query builder (builder.ts) turns a valid request into SQL.
 */

export const GRAINS = ['day', 'week', 'month', 'total'] as const;
export type Grain = (typeof GRAINS)[number];

/**
 * Where a request is answered from (see transforms/refresh.ts): `raw` derives the facts from the raw
 * tables on every call (always current), `facts` reads the stored KPI facts, `rollup` sums the daily
 * rollups (or, for customer metrics, the cohorts). All three give the same numbers.
 */
export const STORES = ['raw', 'facts', 'rollup'] as const;
export type Store = (typeof STORES)[number];

export interface MetricRequest {
  /** First and last day, inclusive, `YYYY-MM-DD` in the configured time zone. */
  from: string;
  to: string;
  grain: Grain;
  by: Dimension[];
  filters: Partial<Record<Dimension, string[]>>;
  /** Instant the "still pending" SLA rule is judged at (default: now). */
  asOf?: Date;
  /** Where to answer from; `auto` (default) picks the fastest store that is current (store.ts). */
  store?: Store | 'auto';
  /**
   * Within those days, only the facts whose instant (`at`: an interaction's opening, a survey's answer)
   * is in `[from, to)`: a rolling window such as the last 24 hours. Interaction and survey metrics only;
   * read from the facts (or raw), never the daily rollups.
   */
  instants?: { from: Date; to: Date };
  /**
   * Customer metrics only (query/customers.ts): the periods to count, as [key, first day, last day],
   * instead of those of `grain` within from..to — several periods (the overview's period, the one
   * before, its days) counted in one query. Keys other than dates must not look like one.
   */
  periods?: readonly (readonly [string, string, string])[];
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date YYYY-MM-DD (JavaScript's parser would roll 2026-02-30 over to March). */
export const isDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`);
  return DATE.test(s) && !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
};

/** The dimensions a request groups or filters by: they pick the rollup grouping set. */
export const requestDimensions = (req: MetricRequest): Dimension[] => [
  ...new Set([...req.by, ...(Object.keys(req.filters) as Dimension[])]),
];

/** Check a request against a metric; throws `bad_parameter` naming the parameter. */
export function validateRequest(m: MetricDefinition, req: MetricRequest): void {
  if (!isDate(req.from)) throw badParameter('from', 'must be a date YYYY-MM-DD');
  if (!isDate(req.to)) throw badParameter('to', 'must be a date YYYY-MM-DD');
  if (req.from > req.to) throw badParameter('from', `must not be after to (${req.to})`);
  if (req.instants && m.source === 'customers')
    throw badParameter('instants', `${m.name} is counted by period, not by instant`);
  if (!GRAINS.includes(req.grain)) throw badParameter('grain', `must be one of ${GRAINS.join(', ')}`);
  const allowed = SOURCE_DIMENSIONS[m.source];
  for (const d of req.by)
    if (!m.dimensions.includes(d))
      throw badParameter('by', `${m.name} cannot be grouped by ${d}; it has ${m.dimensions.join(', ')}`);
  for (const d of Object.keys(req.filters) as Dimension[]) {
    if (!allowed.includes(d) || !m.dimensions.includes(d))
      throw badParameter(d, `${m.name} cannot be filtered by ${d}`);
  }
}
