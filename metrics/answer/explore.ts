import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { getMetric } from '../catalog.ts';
import {
  factParams,
  INTERACTION_KPI_COLUMNS,
  interactionFacts,
  surveyFacts,
  type FactStore,
} from '../query/facts.ts';
import { filterClauses } from '../query/sql-parts.ts';
import { isCurrent } from '../query/store.ts';
import type { Dimension, MetricDefinition } from '../types.ts';
import { readRollupState } from './state.ts';

/**
 * The row-level views behind the dashboards: the interactions behind a number (drill-down), SLA
 * compliance by weekday × hour, what is breaching its response target right now, the complaint closed
 * loop and repeat complainers. All read the interaction facts (stored when the rollups are current,
 * derived otherwise), with the request's values as bound parameters.
 */

export interface Scope {
  from: string;
  to: string;
  filters: Partial<Record<Dimension, string[]>>;
  asOf?: Date;
}

/** The columns a drill-down lists, in order. */
export const DRILL_COLUMNS = INTERACTION_KPI_COLUMNS.filter((c) => c !== 'day');

export const MAX_PAGE_SIZE = 500;

async function source(client: ClickHouseClient, cfg: Config): Promise<FactStore> {
  const state = await readRollupState(client, cfg.clickhouse.database);
  return isCurrent(state, cfg) ? 'stored' : 'raw';
}

function scopeWhere(scope: Scope, params: Record<string, unknown>): string {
  const where = ['day BETWEEN {from:Date} AND {to:Date}'];
  params['from'] = scope.from;
  params['to'] = scope.to;
  where.push(...filterClauses(scope.filters, params));
  return where.join(' AND ');
}

async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

export interface DrillPage {
  rows: Record<string, unknown>[];
  total: number;
  page: number;
  page_size: number;
}

type DrillScope = Scope & { metric?: string; counted?: boolean; page: number; pageSize: number };

/**
 * The interactions behind a number, newest first, paged. With `metric` (an interaction KPI), only the
 * rows in its denominator (or counted by it), each with `counted`: whether it is in the numerator.
 * With a survey KPI, the interactions its answers in the scope are about (an answer's day and
 * dimensions decide, not the interaction's: docs/metrics.md, Attribution); answers without an
 * interaction list nothing. `period` narrows to one day, ISO week or month when given with `grain`;
 * `counted` keeps the rows the numerator counts (true) or those it does not (false).
 */
export async function drillInteractions(
  client: ClickHouseClient,
  cfg: Config,
  scope: DrillScope,
): Promise<DrillPage> {
  if (!Number.isInteger(scope.page) || scope.page < 1)
    throw badParameter('page', 'must be a whole number ≥ 1');
  if (!Number.isInteger(scope.pageSize) || scope.pageSize < 1 || scope.pageSize > MAX_PAGE_SIZE)
    throw badParameter('page_size', `must be a whole number 1–${MAX_PAGE_SIZE}`);
  const survey = scope.metric ? getMetric(scope.metric) : undefined;
  if (survey?.source === 'surveys') return drillAnswered(client, cfg, scope, survey);
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf) };
  const where = [scopeWhere(scope, params)];
  let counted = 'NULL';
  if (scope.metric) {
    const m = getMetric(scope.metric);
    if (m.source !== 'interactions')
      throw badParameter('metric', `${m.name} is a ${m.source} KPI; drill-down lists interactions`);
    const { numerator, denominator, where: cond } = m.sql;
    if (m.kind === 'rate') {
      where.push(`(${denominator})`);
      counted = `(${numerator})`;
      // only the rows the numerator counts, or only those it does not (e.g. the missed follow-ups)
      if (scope.counted !== undefined) where.push(scope.counted ? counted : `NOT ${counted}`);
    } else if (cond) where.push(`(${cond})`);
  }
  if (scope.counted !== undefined && counted === 'NULL')
    throw badParameter('counted', 'needs metric= a rate KPI (its numerator decides what is counted)');
  const facts = interactionFacts(db, await source(client, cfg));
  const filter = where.join(' AND ');
  const [count] = await rows<{ n: string }>(
    client,
    `WITH f AS (${facts}) SELECT count() AS n FROM f WHERE ${filter}`,
    params,
  );
  const list = await rows<Record<string, unknown>>(
    client,
    `WITH f AS (${facts})
     SELECT ${DRILL_COLUMNS.join(', ')}, ${counted} AS counted
     FROM f WHERE ${filter}
     ORDER BY opened_at DESC, interaction_id
     LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    { ...params, limit: scope.pageSize, offset: (scope.page - 1) * scope.pageSize },
  );
  return { rows: list, total: Number(count?.n ?? 0), page: scope.page, page_size: scope.pageSize };
}

/** The drill-down of a survey KPI: the interactions its answers in scope are about. */
async function drillAnswered(
  client: ClickHouseClient,
  cfg: Config,
  scope: DrillScope,
  m: MetricDefinition,
): Promise<DrillPage> {
  const db = cfg.clickhouse.database;
  const store = await source(client, cfg);
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf) };
  const { numerator, denominator, where: cond } = m.sql;
  const rate = m.kind === 'rate';
  if (scope.counted !== undefined && !rate)
    throw badParameter('counted', 'needs metric= a rate KPI (its numerator decides what is counted)');
  const answers = `
    SELECT interaction_id, ${rate ? `toBool(max(${numerator}))` : 'NULL'} AS counted
    FROM (${surveyFacts(db, store)})
    WHERE ${scopeWhere(scope, params)} AND (${rate ? denominator : cond}) AND interaction_id != ''
    GROUP BY interaction_id`;
  const keep = scope.counted === undefined ? '1' : scope.counted ? 'a.counted' : 'NOT a.counted';
  const from = `(${interactionFacts(db, store)}) AS f INNER JOIN (${answers}) AS a ON a.interaction_id = f.interaction_id`;
  const [count] = await rows<{ n: string }>(client, `SELECT count() AS n FROM ${from} WHERE ${keep}`, params);
  const list = await rows<Record<string, unknown>>(
    client,
    `SELECT ${DRILL_COLUMNS.map((c) => `f.${c} AS ${c}`).join(', ')}, a.counted AS counted
     FROM ${from} WHERE ${keep}
     ORDER BY opened_at DESC, interaction_id
     LIMIT {limit:UInt32} OFFSET {offset:UInt64}`,
    { ...params, limit: scope.pageSize, offset: (scope.page - 1) * scope.pageSize },
  );
  return { rows: list, total: Number(count?.n ?? 0), page: scope.page, page_size: scope.pageSize };
}

export interface HeatCell {
  weekday: number;
  hour: number;
  value: number | null;
  n: number;
  x: number;
}

/** SLA compliance (the catalog's definition) by local weekday (1 = Monday) × hour of opening. */
export async function slaHeatmap(client: ClickHouseClient, cfg: Config, scope: Scope): Promise<HeatCell[]> {
  const m = getMetric('sla_compliance');
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf) };
  const { numerator, denominator } = m.sql;
  const out = await rows<{ weekday: number; hour: number; x: string; n: string }>(
    client,
    `WITH f AS (${interactionFacts(db, await source(client, cfg))})
     SELECT toDayOfWeek(opened_at, 0, {tz:String}) AS weekday, toHour(opened_at, {tz:String}) AS hour,
            countIf((${denominator}) AND (${numerator})) AS x, countIf(${denominator}) AS n
     FROM f WHERE ${scopeWhere(scope, params)}
     GROUP BY weekday, hour HAVING n > 0 ORDER BY weekday, hour`,
    params,
  );
  return out.map((r) => ({
    weekday: Number(r.weekday),
    hour: Number(r.hour),
    x: Number(r.x),
    n: Number(r.n),
    value: (Number(r.x) / Number(r.n)) * 100,
  }));
}

/** Unanswered, not abandoned interactions past their response target, judged at `asOf` (default now). */
export async function breachingNow(
  client: ClickHouseClient,
  cfg: Config,
  scope: Scope & { limit: number },
): Promise<Record<string, unknown>[]> {
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf), limit: scope.limit };
  return rows(
    client,
    `WITH f AS (${interactionFacts(db, await source(client, cfg))})
     SELECT interaction_id, customer_id, opened_at, channel, category, priority, team_id, agent_id, target_seconds,
            dateDiff('second', opened_at, {as_of:DateTime64(3, 'UTC')}) AS waiting_seconds
     FROM f WHERE ${scopeWhere(scope, params)} AND target_passed AND NOT abandoned AND NOT resolved
     ORDER BY waiting_seconds - target_seconds DESC LIMIT {limit:UInt32}`,
    params,
  );
}

/** The complaint closed loop: accepted → responded → resolved → followed up within 48 h. */
export async function complaintFunnel(
  client: ClickHouseClient,
  cfg: Config,
  scope: Scope,
): Promise<{ stage: string; count: number }[]> {
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf) };
  const [r] = await rows<Record<string, string>>(
    client,
    `WITH f AS (${interactionFacts(db, await source(client, cfg))})
     SELECT count() AS n_accepted, countIf(responded) AS n_responded, countIf(resolved) AS n_resolved,
            countIf(resolved AND followed_up_in_48h) AS n_followed_up
     FROM f WHERE ${scopeWhere(scope, params)} AND category = 'complaint'`,
    params,
  );
  return ['accepted', 'responded', 'resolved', 'followed_up'].map((stage) => ({
    stage: stage.replace('_', ' '),
    count: Number(r?.[`n_${stage}`] ?? 0),
  }));
}

/** Customers with two or more complaints in the period, most first. */
export async function repeatComplainers(
  client: ClickHouseClient,
  cfg: Config,
  scope: Scope & { limit: number },
): Promise<{ customer_id: string; complaints: number; first: string; last: string; unresolved: number }[]> {
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, scope.asOf), limit: scope.limit };
  const out = await rows<Record<string, string>>(
    client,
    `WITH f AS (${interactionFacts(db, await source(client, cfg))})
     SELECT customer_id, count() AS complaints, toString(min(opened_at)) AS first, toString(max(opened_at)) AS last,
            countIf(NOT resolved) AS unresolved
     FROM f WHERE ${scopeWhere(scope, params)} AND category = 'complaint'
     GROUP BY customer_id HAVING complaints >= 2
     ORDER BY complaints DESC, last DESC LIMIT {limit:UInt32}`,
    params,
  );
  return out.map((r) => ({
    customer_id: String(r['customer_id']),
    complaints: Number(r['complaints']),
    first: String(r['first']),
    last: String(r['last']),
    unresolved: Number(r['unresolved']),
  }));
}
