import { clickHouseTime } from '../../infra/time.ts';
import type { Config } from '../../infra/config.ts';
import { DIMENSIONS } from '../types.ts';

/**
 * The per-row facts every KPI is written against, defined once. Each source has two readings that give
 * the same rows: derived from the raw tables on the fly (`raw`, always current) and read from the
 * materialized KPI facts that transforms/refresh.ts keeps current (`stored`, fast). The derivation is
 * also what the refresh job writes into the stored tables, so the two cannot drift apart. It is pure
 * SQL and lives here, not in transforms/, because the query builder's `raw` store reads it too.
 *
 * Bound parameters the SQL here expects: see `factParams`.
 */

/** The bound parameters of the fact SQL: time zone and SLA policy; `as_of` judges pending SLAs. */
export function factParams(cfg: Config, asOf: Date = new Date()): Record<string, unknown> {
  const { firstResponseSeconds, urgentSeconds, resolutionTargetHours, fcrRepeatWindowDays } = cfg.policy;
  const { '*': other, ...byChannel } = firstResponseSeconds;
  return {
    tz: cfg.timeZone,
    frt: byChannel,
    frt_other: other,
    frt_urgent: urgentSeconds,
    resolution_hours: resolutionTargetHours,
    fcr_days: fcrRepeatWindowDays,
    as_of: clickHouseTime(asOf),
  };
}

/** An instant as a ClickHouse DateTime64(3, 'UTC') literal value. */

/** The columns of `interaction_kpi` besides `version`, in table order. */
export const INTERACTION_KPI_COLUMNS = [
  'day',
  'interaction_id',
  'customer_id',
  'opened_at',
  ...DIMENSIONS,
  'opened_team_id',
  'opened_agent_id',
  'responded',
  'abandoned',
  'first_response_seconds',
  'target_seconds',
  'responded_in_target',
  'resolved',
  'resolution_hours',
  'resolved_in_target',
  'reopened',
  'transferred',
  'escalated',
  'followed_up_in_48h',
  'first_contact_resolved',
] as const;

export const SURVEY_KPI_COLUMNS = [
  'day',
  'event_id',
  'customer_id',
  'at',
  'survey',
  'score',
  'interaction_id',
  ...DIMENSIONS,
] as const;

export const CUSTOMER_KPI_COLUMNS = [
  'customer_id',
  'segment',
  'region',
  'since',
  'first_churned_at',
] as const;

/** "The response target has passed unanswered", judged at {as_of}: the one fact that depends on when. */
const TARGET_PASSED =
  "NOT responded AND dateDiff('millisecond', opened_at, {as_of:DateTime64(3, 'UTC')}) / 1000 > target_seconds";

/** A subset of rows to derive: sub-queries of customer ids and, optionally, interaction ids. */
export interface Subset {
  /** customers whose rows are derived, or (with `interactions`) a superset of their customers */
  customers: string;
  /**
   * interaction ids to derive, each (customer, category) a suffix of its sequence by opening (so that
   * the FCR window, which looks at the next contact, sees every successor); default: all of `customers`
   */
  interactions?: string;
  /** survey event ids to derive besides all surveys of `customers` */
  surveys?: string;
}

/**
 * One row per interaction (columns INTERACTION_KPI_COLUMNS) derived from interaction_facts_v and the
 * customers' latest attributes. Duplicates, order and lateness of events do not matter. With a
 * `subset`, only those interactions are derived.
 */
export function deriveInteractionFacts(db: string, subset?: Subset): string {
  const onlyIds = !subset
    ? ''
    : `WHERE interaction_id IN (${
        subset.interactions ??
        `SELECT interaction_id FROM ${db}.interaction_facts WHERE customer_id IN (${subset.customers})`
      })`;
  const onlyCustomers = subset ? `WHERE customer_id IN (${subset.customers})` : '';
  return `
    SELECT
      toDate(opened_at, {tz:String}) AS day,
      interaction_id, customer_id, opened_at,
      channel, category, priority, severity, team_id, agent_id, segment, region,
      opened_team_id, opened_agent_id,
      responded, abandoned, first_response_seconds, target_seconds,
      ifNull(responded AND first_response_seconds <= target_seconds, false) AS responded_in_target,
      resolved, resolution_hours,
      ifNull(resolution_hours <= {resolution_hours:Float64}, false) AS resolved_in_target,
      reopened, transferred, escalated,
      ifNull(first_followed_up_at <= last_resolved_at + INTERVAL 48 HOUR, false) AS followed_up_in_48h,
      NOT reopened AND NOT transferred AND NOT escalated
        AND NOT ifNull(next_opened_at IS NOT NULL AND resolved
                       AND next_opened_at <= last_resolved_at + toIntervalDay({fcr_days:UInt32}), false)
        AS first_contact_resolved
    FROM (
      SELECT
        i.interaction_id AS interaction_id, i.customer_id AS customer_id,
        assumeNotNull(i.opened_at) AS opened_at,
        i.channel AS channel, i.category AS category, i.priority AS priority, i.severity AS severity,
        i.team_id AS team_id, i.agent_id AS agent_id,
        i.opened_team_id AS opened_team_id, i.opened_agent_id AS opened_agent_id,
        c.segment AS segment, c.region AS region,
        i.first_response_at IS NOT NULL AS responded,
        i.abandoned_at IS NOT NULL AS abandoned,
        dateDiff('millisecond', i.opened_at, i.first_response_at) / 1000 AS first_response_seconds,
        least(
          if(has(mapKeys({frt:Map(String, Float64)}), i.channel), {frt:Map(String, Float64)}[i.channel], {frt_other:Float64}),
          if(i.category = 'complaint' OR i.priority IN ('high', 'urgent'), {frt_urgent:Float64}, inf)
        ) AS target_seconds,
        i.last_resolved_at IS NOT NULL AND (i.last_reopened_at IS NULL OR i.last_resolved_at >= i.last_reopened_at) AS resolved,
        dateDiff('millisecond', i.opened_at, i.last_resolved_at) / 3600000 AS resolution_hours,
        i.reopens > 0 AS reopened,
        i.transferred = 1 AS transferred,
        i.escalated = 1 AS escalated,
        i.first_followed_up_at AS first_followed_up_at,
        i.last_resolved_at AS last_resolved_at,
        leadInFrame(toNullable(i.opened_at)) OVER (
          PARTITION BY i.customer_id, i.category ORDER BY i.opened_at, i.interaction_id
          ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING
        ) AS next_opened_at
      FROM (${mergedFacts(db, onlyIds)}) AS i
      LEFT JOIN (SELECT customer_id, segment, region FROM ${db}.customer_facts_v ${onlyCustomers}) AS c
        ON c.customer_id = i.customer_id
      WHERE i.opened_at IS NOT NULL
    )`;
}

/**
 * interaction_facts merged per interaction: interaction_facts_v's aggregates, with the filter applied
 * before the merge (a filter on the view would only apply after merging every interaction), and the
 * attribution of docs/metrics.md: `agent_id` the agent of the last resolution that names one, else of
 * the first response, else of the opening; `team_id` the last team transferred or escalated to, else
 * the opening team, else the first response's; `opened_agent_id`, `opened_team_id` as opened.
 */
function mergedFacts(db: string, where: string): string {
  return `
    SELECT *,
      multiIf(resolved_agent_id != '', resolved_agent_id,
              first_response_agent_id != '', first_response_agent_id, opened_agent_id) AS agent_id,
      multiIf(last_to_team_id != '', last_to_team_id,
              opened_team_id != '', opened_team_id, first_response_team_id) AS team_id
    FROM (
      SELECT interaction_id,
        max(customer_id) AS customer_id, max(channel) AS channel, max(category) AS category,
        max(priority) AS priority, max(severity) AS severity,
        toString(max(team_id)) AS opened_team_id, max(agent_id) AS opened_agent_id,
        argMaxMerge(resolved_agent_id) AS resolved_agent_id,
        argMinMerge(first_response_agent_id) AS first_response_agent_id,
        argMinMerge(first_response_team_id) AS first_response_team_id,
        argMaxMerge(last_to_team_id) AS last_to_team_id,
        min(opened_at) AS opened_at, min(first_response_at) AS first_response_at,
        max(last_resolved_at) AS last_resolved_at, max(last_reopened_at) AS last_reopened_at,
        min(first_followed_up_at) AS first_followed_up_at, min(abandoned_at) AS abandoned_at,
        max(transferred) AS transferred, max(escalated) AS escalated, uniqExactMerge(reopens) AS reopens
      FROM ${db}.interaction_facts ${where}
      GROUP BY interaction_id
    )`;
}

/**
 * One row per survey answer (SURVEY_KPI_COLUMNS): with an `interaction_id`, the dimensions of that
 * interaction as its facts attribute them (agent, team, category, priority, severity; its channel
 * when the answer names none) as they are when derived, so an answer that arrived before its
 * interaction is attributed by the next derivation (transforms/facts/plan.ts re-derives the answers of
 * interactions with new events); the customer's latest segment and region.
 */
export function deriveSurveyFacts(db: string, subset?: Subset): string {
  const cond = !subset
    ? ''
    : `customer_id IN (${subset.customers})${subset.surveys ? ` OR event_id IN (${subset.surveys})` : ''}`;
  const only = cond ? `WHERE ${cond}` : '';
  const customers = !subset
    ? ''
    : `WHERE customer_id IN (${subset.customers})${
        subset.surveys
          ? ` OR customer_id IN (SELECT customer_id FROM ${db}.survey_events WHERE event_id IN (${subset.surveys}))`
          : ''
      }`;
  const answered = `SELECT interaction_id FROM ${db}.survey_events WHERE ${cond ? `(${cond}) AND ` : ''}interaction_id != ''`;
  return `
    SELECT toDate(s.occurred_at, {tz:String}) AS day, s.event_id AS event_id, s.customer_id AS customer_id,
           s.occurred_at AS at, s.survey AS survey, s.score AS score, s.interaction_id AS interaction_id,
           if(s.channel != '', s.channel, i.channel) AS channel, i.category AS category,
           i.priority AS priority, i.severity AS severity, i.team_id AS team_id, i.agent_id AS agent_id,
           c.segment AS segment, c.region AS region
    FROM (SELECT * FROM ${db}.survey_events FINAL ${only}) AS s
    LEFT JOIN (SELECT customer_id, segment, region FROM ${db}.customer_facts_v ${customers}) AS c
      ON c.customer_id = s.customer_id
    LEFT JOIN (
      SELECT interaction_id, channel, category, priority, severity, team_id, agent_id
      FROM (${mergedFacts(db, `WHERE interaction_id IN (${answered})`)})
    ) AS i ON i.interaction_id = s.interaction_id`;
}

/** One row per customer (CUSTOMER_KPI_COLUMNS): latest attributes, since when a customer, first churn. */
export function deriveCustomerFacts(db: string, subset?: Subset): string {
  const only = subset ? `WHERE customer_id IN (${subset.customers})` : '';
  return `
    SELECT customer_id, segment, region, coalesce(signed_up_at, first_seen_at) AS since, first_churned_at
    FROM ${db}.customer_facts_v ${only}`;
}

export type FactStore = 'raw' | 'stored';

/** Interaction facts as the KPI expressions read them: + `at` (opening) and `target_passed`. */
export function interactionFacts(db: string, store: FactStore): string {
  const from = store === 'raw' ? `(${deriveInteractionFacts(db)})` : `${db}.interaction_kpi FINAL`;
  return `SELECT *, opened_at AS at, ${TARGET_PASSED} AS target_passed FROM ${from}`;
}

/** Survey facts as the KPI expressions read them. */
export function surveyFacts(db: string, store: FactStore): string {
  return store === 'raw' ? deriveSurveyFacts(db) : `SELECT * FROM ${db}.survey_kpi FINAL`;
}

/** Customer facts as the customer KPIs read them. */
export function customerFacts(db: string, store: FactStore): string {
  return store === 'raw' ? deriveCustomerFacts(db) : `SELECT * FROM ${db}.customer_kpi FINAL`;
}

/** The expression judging "target passed" at {as_of}, for the daily rollups. */
export const TARGET_PASSED_SQL = TARGET_PASSED;
