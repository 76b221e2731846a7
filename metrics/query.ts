import type { Config } from '../infra/config.ts';
import { CxError } from '../infra/errors.ts';
import { SOURCE_DIMENSIONS } from './catalog.ts';
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
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, unknown>;
}

/** Period key of a row's time in the configured zone; ISO weeks start on Monday. */
const PERIOD: Record<Grain, string> = {
  day: 'toString(toDate(at, {tz:String}))',
  week: 'toString(toMonday(at, {tz:String}))',
  month: 'toString(toStartOfMonth(at, {tz:String}))',
  total: "'total'",
};

/**
 * One row per interaction (placed at its opening) with every fact the interaction KPIs use. Built
 * from interaction_facts_v, so duplicates, order and lateness of events do not matter.
 */
function interactionFacts(db: string): string {
  return `
    SELECT
      i.interaction_id AS interaction_id,
      i.customer_id AS customer_id,
      i.channel AS channel, i.category AS category, i.priority AS priority, i.severity AS severity,
      i.team_id AS team_id, i.agent_id AS agent_id,
      c.segment AS segment, c.region AS region,
      assumeNotNull(i.opened_at) AS at,
      i.first_response_at IS NOT NULL AS responded,
      i.abandoned_at IS NOT NULL AS abandoned,
      dateDiff('millisecond', i.opened_at, i.first_response_at) / 1000 AS first_response_seconds,
      least(
        if(has(mapKeys({frt:Map(String, Float64)}), i.channel), {frt:Map(String, Float64)}[i.channel], {frt_other:Float64}),
        if(i.category = 'complaint' OR i.priority IN ('high', 'urgent'), {frt_urgent:Float64}, inf)
      ) AS target_seconds,
      responded AND first_response_seconds <= target_seconds AS responded_in_target,
      NOT responded AND dateDiff('millisecond', i.opened_at, {as_of:DateTime64(3, 'UTC')}) / 1000 > target_seconds AS target_passed,
      i.last_resolved_at IS NOT NULL AND (i.last_reopened_at IS NULL OR i.last_resolved_at >= i.last_reopened_at) AS resolved,
      dateDiff('millisecond', i.opened_at, i.last_resolved_at) / 3600000 AS resolution_hours,
      resolution_hours <= {resolution_hours:Float64} AS resolved_in_target,
      i.reopens > 0 AS reopened,
      i.transferred = 1 AS transferred,
      i.escalated = 1 AS escalated,
      i.first_followed_up_at IS NOT NULL AND i.first_followed_up_at <= i.last_resolved_at + INTERVAL 48 HOUR AS followed_up_in_48h,
      leadInFrame(toNullable(i.opened_at)) OVER (
        PARTITION BY i.customer_id, i.category ORDER BY i.opened_at, i.interaction_id
        ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING
      ) AS next_opened_at,
      NOT (next_opened_at IS NOT NULL AND resolved
           AND next_opened_at <= i.last_resolved_at + toIntervalDay({fcr_days:UInt32})) AS no_repeat,
      NOT reopened AND NOT transferred AND NOT escalated AND no_repeat AS first_contact_resolved
    FROM ${db}.interaction_facts_v AS i
    LEFT JOIN ${db}.customer_facts_v AS c ON c.customer_id = i.customer_id
    WHERE i.opened_at IS NOT NULL`;
}

/** One row per survey answer (placed at its answer), with the customer's attributes. */
function surveyFacts(db: string): string {
  return `
    SELECT s.survey AS survey, s.score AS score, s.channel AS channel,
           c.segment AS segment, c.region AS region, s.occurred_at AS at
    FROM ${db}.survey_events AS s FINAL
    LEFT JOIN ${db}.customer_facts_v AS c ON c.customer_id = s.customer_id`;
}

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
export function buildMetricQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  if (!isDate(req.from)) throw badParam('from', 'must be a date YYYY-MM-DD');
  if (!isDate(req.to)) throw badParam('to', 'must be a date YYYY-MM-DD');
  if (req.from > req.to) throw badParam('from', `must not be after to (${req.to})`);
  if (!GRAINS.includes(req.grain)) throw badParam('grain', `must be one of ${GRAINS.join(', ')}`);
  const allowed = SOURCE_DIMENSIONS[m.source];
  for (const d of req.by)
    if (!m.dimensions.includes(d))
      throw badParam('by', `${m.name} cannot be grouped by ${d}; it has ${m.dimensions.join(', ')}`);
  for (const d of Object.keys(req.filters) as Dimension[]) {
    if (!allowed.includes(d) || !m.dimensions.includes(d))
      throw badParam(d, `${m.name} cannot be filtered by ${d}`);
  }
  if (m.source === 'customers') return customerQuery(m, req, cfg);
  const db = cfg.clickhouse.database;
  const { firstResponseSeconds, urgentSeconds, resolutionTargetHours, fcrRepeatWindowDays } = cfg.policy;
  const params: Record<string, unknown> = { tz: cfg.timeZone, from: req.from, to: req.to };
  const facts = m.source === 'interactions' ? interactionFacts(db) : surveyFacts(db);
  if (m.source === 'interactions') {
    const { '*': other, ...byChannel } = firstResponseSeconds;
    Object.assign(params, {
      frt: byChannel,
      frt_other: other,
      frt_urgent: urgentSeconds,
      resolution_hours: resolutionTargetHours,
      fcr_days: fcrRepeatWindowDays,
      as_of: (req.asOf ?? new Date()).toISOString().slice(0, 23).replace('T', ' '),
    });
  }
  const where = ['toDate(at, {tz:String}) BETWEEN {from:Date} AND {to:Date}'];
  for (const [d, values] of Object.entries(req.filters) as [Dimension, string[]][]) {
    where.push(`${d} IN {f_${d}:Array(String)}`);
    params[`f_${d}`] = values;
  }
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
function customerQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  const db = cfg.clickhouse.database;
  const periods = periodsOf(req.from, req.to, req.grain);
  const params: Record<string, unknown> = {
    tz: cfg.timeZone,
    p_keys: periods.map((p) => p[0]),
    p_first: periods.map((p) => p[1]),
    p_last: periods.map((p) => p[2]),
  };
  const where: string[] = [];
  for (const [d, values] of Object.entries(req.filters) as [Dimension, string[]][]) {
    where.push(`${d} IN {f_${d}:Array(String)}`);
    params[`f_${d}`] = values;
  }
  const sql = `
    WITH c AS (
      SELECT customer_id, segment, region, coalesce(signed_up_at, first_seen_at) AS since, first_churned_at
      FROM ${db}.customer_facts_v
    ),
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

function badParam(name: string, message: string): CxError {
  return new CxError('bad_parameter', `${name}: ${message}`, { details: { parameter: name } });
}
