import type { Config } from '../infra/config.ts';
import { badParameter } from '../infra/errors.ts';
import { SOURCE_DIMENSIONS } from './catalog.ts';
import { customerFacts, factParams, interactionFacts, surveyFacts, type FactStore } from './facts.ts';
import { rollupSetFor } from './rollups.ts';
import type { Dimension, MetricDefinition } from './types.ts';

/**
 * The query builder: a metric request → one parameterised ClickHouse query. Identifiers come only from
 * closed unions (dimensions, grains) and the catalog; every value from the request is a bound
 * parameter. The per-row facts each source's KPIs are written against are defined here, once.
 */

export const GRAINS = ['day', 'week', 'month', 'total'] as const;
export type Grain = (typeof GRAINS)[number];

export interface MetricRequest {
  /** First and last day, inclusive, `YYYY-MM-DD` in the configured time zone. */
  from: string;
  to: string;
  grain: Grain;
  by: Dimension[];
  filters: Partial<Record<Dimension, string[]>>;
  /** Instant the "still pending" SLA rule is judged at (default: now). */
  asOf?: Date;
  /** Where to answer from; `auto` (default) picks the fastest store that is current (compute.ts). */
  store?: Store | 'auto';
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** Period key of a row's local day; ISO weeks start on Monday. */
const PERIOD: Record<Grain, string> = {
  day: 'toString(day)',
  week: 'toString(toMonday(day))',
  month: 'toString(toStartOfMonth(day))',
  total: "'total'",
};

/**
 * Where a request is answered from (see metrics/rollups.ts): `raw` derives the facts from the raw
 * tables on every call (always current), `facts` reads the stored KPI facts, `rollup` sums the daily
 * rollups (or, for customer metrics, the cohorts). All three give the same numbers.
 */
export const STORES = ['raw', 'facts', 'rollup'] as const;
export type Store = (typeof STORES)[number];

/** The aggregates of one metric; columns: x (numerator or value), n, and per kind sd/pro/det/p50/p90. */
function aggregates(m: MetricDefinition): string {
  const { numerator, denominator, value, where } = m.sql;
  switch (m.kind) {
    case 'rate':
      return `countIf((${denominator}) AND (${numerator})) AS x, countIf(${denominator}) AS n`;
    case 'count':
      return `countIf(${where}) AS x, countIf(${where}) AS n`;
    case 'mean':
      return `avgIf(${value}, ${where}) AS x, stddevSampIf(${value}, ${where}) AS sd, countIf(${where}) AS n`;
    case 'nps':
      return `countIf((${where}) AND ${value} >= 9) AS pro, countIf((${where}) AND ${value} <= 6) AS det, countIf(${where}) AS n`;
    case 'quantile':
      return [
        `avgIf(${value}, ${where}) AS x`,
        `quantileExactIf(0.5)(${value}, ${where}) AS p50`,
        `quantileExactIf(0.9)(${value}, ${where}) AS p90`,
        `countIf(${where}) AS n`,
      ].join(', ');
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date YYYY-MM-DD (JavaScript's parser would roll 2026-02-30 over to March). */
const isDate = (s: string) => {
  const d = new Date(`${s}T00:00:00Z`);
  return DATE.test(s) && !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
};

/**
 * Build the query for one metric: a row per period and group that has observations of the metric
 * (n > 0). Throws `bad_parameter` naming the parameter.
 */
export function buildMetricQuery(
  m: MetricDefinition,
  req: MetricRequest,
  cfg: Config,
  store: Store = 'raw',
): BuiltQuery {
  validateRequest(m, req);
  if (m.source === 'customers')
    return store === 'rollup' ? cohortQuery(m, req, cfg) : customerQuery(m, req, cfg, store);
  if (store === 'rollup') return rollupQuery(m, req, cfg);
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, req.asOf), from: req.from, to: req.to };
  const facts =
    m.source === 'interactions' ? interactionFacts(db, storeOf(store)) : surveyFacts(db, storeOf(store));
  const where = ['day BETWEEN {from:Date} AND {to:Date}'];
  where.push(...filterClauses(req.filters, params));
  const keys = [`${PERIOD[req.grain]} AS period`, ...req.by];
  const sql = `
    WITH f AS (${facts})
    SELECT ${keys.join(', ')}, ${aggregates(m)}
    FROM f
    WHERE ${where.join(' AND ')}
    GROUP BY ${['period', ...req.by].join(', ')}
    HAVING n > 0
    ORDER BY ${['period', ...req.by].join(', ')}`;
  return { sql, params };
}

const storeOf = (s: Store): FactStore => (s === 'raw' ? 'raw' : 'stored');

/** The dimensions a request groups or filters by: they pick the rollup grouping set. */
export const requestDimensions = (req: MetricRequest): Dimension[] => [
  ...new Set([...req.by, ...(Object.keys(req.filters) as Dimension[])]),
];

/**
 * A rate, count, mean or NPS metric from the daily rollups: the grouping set of the request's
 * dimensions, days summed into the period. Means come back as x (the mean) and sd, like the facts path.
 */
function rollupQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  const dims = requestDimensions(req);
  const gs = rollupSetFor(m, dims);
  if (gs === null)
    throw badParameter('store', `${m.name} by ${dims.join(', ') || 'nothing'} is not in the daily rollups`);
  const params: Record<string, unknown> = { metric: m.name, gs, from: req.from, to: req.to };
  const where = ['metric = {metric:String}', 'gs = {gs:UInt16}', 'day BETWEEN {from:Date} AND {to:Date}'];
  where.push(...filterClauses(req.filters, params));
  const group = ['period', ...req.by].join(', ');
  const outer: Record<MetricDefinition['kind'], string> = {
    rate: 'sx AS x, sn AS n',
    count: 'sx AS x, sn AS n',
    mean: 'sx / sn AS x, if(sn > 1, sqrt(greatest(0, (ss2 - sx * sx / sn) / (sn - 1))), NULL) AS sd, sn AS n',
    nps: 'spro AS pro, sdet AS det, sn AS n',
    quantile: '',
  };
  const sql = `
    SELECT ${group}, ${outer[m.kind]}
    FROM (
      SELECT ${[`${PERIOD[req.grain]} AS period`, ...req.by].join(', ')},
             sum(x) AS sx, sum(n) AS sn, sum(s2) AS ss2, sum(pro) AS spro, sum(det) AS sdet
      FROM ${cfg.clickhouse.database}.kpi_daily
      WHERE ${where.join(' AND ')}
      GROUP BY ${group}
    )
    WHERE sn > 0
    ORDER BY ${group}`;
  return { sql, params };
}

/**
 * Several rollup metrics of one request in one query (they share the grouping set of the request's
 * dimensions): per metric, period and group the summed aggregates sx, sn, ss2, spro, sdet, to be shaped
 * per kind by compute.ts. Every metric must be answerable from the rollups.
 */
export function buildRollupBatchQuery(
  ms: readonly MetricDefinition[],
  req: MetricRequest,
  cfg: Config,
): BuiltQuery {
  const dims = requestDimensions(req);
  let gs: number | null = null;
  for (const m of ms) {
    validateRequest(m, req);
    gs = rollupSetFor(m, dims);
    if (gs === null)
      throw badParameter('store', `${m.name} by ${dims.join(', ') || 'nothing'} is not in the daily rollups`);
  }
  const params: Record<string, unknown> = { metrics: ms.map((m) => m.name), gs, from: req.from, to: req.to };
  const where = [
    'metric IN {metrics:Array(String)}',
    'gs = {gs:UInt16}',
    'day BETWEEN {from:Date} AND {to:Date}',
  ];
  where.push(...filterClauses(req.filters, params));
  const group = ['metric', 'period', ...req.by].join(', ');
  const sql = `
    SELECT ${['metric', `${PERIOD[req.grain]} AS period`, ...req.by].join(', ')},
           sum(x) AS sx, sum(n) AS sn, sum(s2) AS ss2, sum(pro) AS spro, sum(det) AS sdet
    FROM ${cfg.clickhouse.database}.kpi_daily
    WHERE ${where.join(' AND ')}
    GROUP BY ${group}
    HAVING sn > 0
    ORDER BY ${group}`;
  return { sql, params };
}

function validateRequest(m: MetricDefinition, req: MetricRequest): void {
  if (!isDate(req.from)) throw badParameter('from', 'must be a date YYYY-MM-DD');
  if (!isDate(req.to)) throw badParameter('to', 'must be a date YYYY-MM-DD');
  if (req.from > req.to) throw badParameter('from', `must not be after to (${req.to})`);
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

/** `dimension IN {f_dimension}` per filter, its values bound in `params`. */
export function filterClauses(
  filters: Partial<Record<Dimension, string[]>>,
  params: Record<string, unknown>,
): string[] {
  return (Object.entries(filters) as [Dimension, string[]][]).map(([d, values]) => {
    params[`f_${d}`] = values;
    return `${d} IN {f_${d}:Array(String)}`;
  });
}

/** The periods of a request as [key, first day, last day] (local dates), clipped to from..to. */
export function periodsOf(from: string, to: string, grain: Grain): [string, string, string][] {
  if (grain === 'total') return [['total', from, to]];
  const out: [string, string, string][] = [];
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const end = new Date(`${to}T00:00:00Z`);
  const cur = new Date(`${from}T00:00:00Z`);
  while (cur <= end) {
    const start = new Date(cur);
    if (grain === 'week') start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7));
    if (grain === 'month') start.setUTCDate(1);
    const next = new Date(start);
    if (grain === 'day') next.setUTCDate(next.getUTCDate() + 1);
    if (grain === 'week') next.setUTCDate(next.getUTCDate() + 7);
    if (grain === 'month') next.setUTCMonth(next.getUTCMonth() + 1);
    const last = new Date(next);
    last.setUTCDate(last.getUTCDate() - 1);
    out.push([day(start), day(cur), day(last < end ? last : end)]);
    cur.setTime(next.getTime());
  }
  return out;
}

/**
 * Customer metrics: per period, the customers active at its start (known before it, not churned before
 * it) and those of them who churned during it. A period cut by from/to starts and ends there.
 */
function customerQuery(m: MetricDefinition, req: MetricRequest, cfg: Config, store: Store): BuiltQuery {
  const db = cfg.clickhouse.database;
  const periods = periodsOf(req.from, req.to, req.grain);
  const params: Record<string, unknown> = {
    tz: cfg.timeZone,
    p_keys: periods.map((p) => p[0]),
    p_first: periods.map((p) => p[1]),
    p_last: periods.map((p) => p[2]),
  };
  const where: string[] = [];
  where.push(...filterClauses(req.filters, params));
  const sql = `
    WITH c AS (${customerFacts(db, storeOf(store))}),
    p AS (
      SELECT tupleElement(t, 1) AS period,
             toDateTime64(toDateTime(tupleElement(t, 2), {tz:String}), 3, 'UTC') AS starts,
             toDateTime64(toDateTime(tupleElement(t, 3) + 1, {tz:String}), 3, 'UTC') AS ends
      FROM (SELECT arrayJoin(arrayZip({p_keys:Array(String)}, {p_first:Array(Date)}, {p_last:Array(Date)})) AS t)
    ),
    f AS (
      SELECT p.period AS period, c.segment AS segment, c.region AS region,
             c.since < p.starts AND (c.first_churned_at IS NULL OR c.first_churned_at >= p.starts) AS active_at_start,
             active_at_start AND ifNull(c.first_churned_at >= p.starts AND c.first_churned_at < p.ends, false) AS churned_in_period
      FROM c CROSS JOIN p
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    )
    SELECT ${['period', ...req.by].join(', ')}, ${aggregates(m)}
    FROM f
    GROUP BY ${['period', ...req.by].join(', ')}
    HAVING n > 0
    ORDER BY ${['period', ...req.by].join(', ')}`;
  return { sql, params };
}

/**
 * Customer metrics from the cohorts (customers counted by the local day they became customers and the
 * day they first churned): per period, active at its start = became customers before its first day and
 * not churned before it; churned in it = of those, first churned between its first and last day.
 */
function cohortQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  const periods = periodsOf(req.from, req.to, req.grain);
  const params: Record<string, unknown> = {
    p_keys: periods.map((p) => p[0]),
    p_first: periods.map((p) => p[1]),
    p_last: periods.map((p) => p[2]),
  };
  // cohorts that cannot count in any period: churned before the first, or customers only after the last
  const where: string[] = [
    '(c.churn_day IS NULL OR c.churn_day >= {first:Date})',
    'c.since_day < {last:Date}',
  ];
  params['first'] = periods[0]?.[1] ?? req.from;
  params['last'] = periods.at(-1)?.[1] ?? req.to;
  where.push(...filterClauses(req.filters, params));
  const sql = `
    WITH p AS (
      SELECT tupleElement(t, 1) AS period, tupleElement(t, 2) AS first, tupleElement(t, 3) AS last
      FROM (SELECT arrayJoin(arrayZip({p_keys:Array(String)}, {p_first:Array(Date)}, {p_last:Array(Date)})) AS t)
    ),
    f AS (
      SELECT p.period AS period, c.segment AS segment, c.region AS region, c.customers AS customers,
             c.since_day < p.first AND (c.churn_day IS NULL OR c.churn_day >= p.first) AS active_at_start,
             active_at_start AND ifNull(c.churn_day BETWEEN p.first AND p.last, false) AS churned_in_period
      FROM (SELECT * FROM ${cfg.clickhouse.database}.kpi_cohorts AS c WHERE ${where.join(' AND ')}) AS c CROSS JOIN p
    )
    SELECT ${['period', ...req.by].join(', ')}, ${weightedAggregates(m)}
    FROM f
    GROUP BY ${['period', ...req.by].join(', ')}
    HAVING n > 0
    ORDER BY ${['period', ...req.by].join(', ')}`;
  return { sql, params };
}

/** A customer rate over cohort rows, each weighing its number of customers. */
function weightedAggregates(m: MetricDefinition): string {
  const { numerator, denominator } = m.sql;
  if (m.kind !== 'rate') throw new Error(`${m.name}: customer metrics are rates`);
  return `sumIf(customers, (${denominator}) AND (${numerator})) AS x, sumIf(customers, ${denominator}) AS n`;
}
