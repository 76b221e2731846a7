import type { Config } from '../../infra/config.ts';
import type { MetricDefinition } from '../types.ts';
import { customerFacts } from './facts.ts';
import type { BuiltQuery, Grain, MetricRequest, Store } from './request.ts';
import { aggregates, filterClauses, storeOf } from './sql-parts.ts';

/**
 * Customer metrics (churn, retention): a customer is counted per period by whether they were active at
 * its start, so a period is not a sum of days. Two readings: the customer facts (raw or stored) and the
 * cohorts the refresh job keeps (`kpi_cohorts`, customers by start and churn day).
 */

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
export function customerQuery(
  m: MetricDefinition,
  req: MetricRequest,
  cfg: Config,
  store: Store,
): BuiltQuery {
  const db = cfg.clickhouse.database;
  const periods = req.periods ?? periodsOf(req.from, req.to, req.grain);
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
export function cohortQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  const periods = req.periods ?? periodsOf(req.from, req.to, req.grain);
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
  const firsts = periods.map((p) => p[1]).sort();
  params['first'] = firsts[0] ?? req.from;
  params['last'] = firsts.at(-1) ?? req.to;
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
