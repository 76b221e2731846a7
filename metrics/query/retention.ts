import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { isDate } from './request.ts';

/**
 * The query behind the retention drivers (docs/metrics.md, "Retention drivers"): one parameterised
 * ClickHouse query that builds one row per customer with at least one interaction opened in the
 * analysis window. All aggregation happens in ClickHouse, over interaction_facts_v, customer_facts_v and
 * survey_events FINAL, so duplicated, late or out-of-order events do not change the answer. Pure: it
 * builds the SQL and reads its rows; answer/retention.ts runs it and analysis/retention-drivers.ts
 * computes the statistics.
 *
 * Per customer (the window is `from`..`to`, local dates in the configured time zone; an interaction is in
 * it when it was opened in it, a survey answer when it was answered in it):
 * - `contacts`: interactions opened in the window;
 * - `had_complaint`: 1 if one of them is a complaint;
 * - `complaint_unresolved`: 1 if one of those complaints is not resolved (as of the data: resolved means
 *   a last resolution and no reopening after it);
 * - `fcr_share`: of their resolved interactions, the share resolved at first contact, simply defined as
 *   never reopened, transferred or escalated (the repeat-contact rule of the `fcr` KPI is left out: a
 *   repeat contact already counts in `contacts`); null when none is resolved;
 * - `worst_first_response_hours`: the longest first-response time over their answered interactions, in
 *   hours; null when none was answered;
 * - `mean_csat`: mean of their CSAT scores (1–5) answered in the window; null without one;
 * - `last_nps_class`: their latest NPS answer in the window as +1 promoter (9–10), 0 passive (7–8),
 *   −1 detractor (0–6); null without one;
 * - outcome `churned`: their first churn is strictly after the opening of their last interaction in the
 *   window and at most `horizonDays` days after it.
 *
 * Churn after the end of the data cannot be seen: with a window that ends less than `horizonDays` before
 * the latest data, late customers count as not churned. Choose the window so the horizon fits.
 */

export interface RetentionRequest {
  /** First and last day, inclusive, `YYYY-MM-DD` in the configured time zone. */
  from: string;
  to: string;
  /** Days after a customer's last interaction in the window in which a churn counts. @default 90 */
  horizonDays?: number;
}

export const DEFAULT_HORIZON_DAYS = 90;
const MAX_HORIZON_DAYS = 3650;

/** One row of the per-customer query, as JSONEachRow gives it. */
export interface CustomerRow {
  customer_id: string;
  contacts: number | string;
  had_complaint: number | string;
  complaint_unresolved: number | string;
  fcr_share: number | null;
  worst_first_response_seconds: number | null;
  mean_csat: number | null;
  last_nps_class: number | string | null;
  churned: number | string;
}

export interface CustomerFeatures {
  customer_id: string;
  contacts: number;
  had_complaint: 0 | 1;
  complaint_unresolved: 0 | 1;
  fcr_share: number | null;
  worst_first_response_seconds: number | null;
  mean_csat: number | null;
  last_nps_class: -1 | 0 | 1 | null;
  churned: 0 | 1;
}

/**
 * The per-customer query. `${db}` comes from configuration only; every request value is a bound
 * parameter.
 */
export function buildRetentionQuery(
  req: RetentionRequest,
  cfg: Config,
): { sql: string; params: Record<string, unknown> } {
  const { from, to, horizonDays } = checkRetentionRequest(req);
  const db = cfg.clickhouse.database;
  const sql = `
    WITH
      i AS (
        SELECT
          customer_id,
          assumeNotNull(opened_at) AS opened_at,
          category = 'complaint' AS complaint,
          ifNull(last_resolved_at IS NOT NULL
                 AND (last_reopened_at IS NULL OR last_resolved_at >= last_reopened_at), 0) AS resolved,
          reopens = 0 AND transferred = 0 AND escalated = 0 AS first_contact,
          dateDiff('millisecond', opened_at, first_response_at) / 1000 AS first_response_seconds
        FROM ${db}.interaction_facts_v
        WHERE opened_at IS NOT NULL AND customer_id != ''
          AND toDate(opened_at, {tz:String}) BETWEEN {from:Date} AND {to:Date}
      ),
      per_customer AS (
        SELECT
          customer_id,
          toUInt32(count()) AS contacts,
          toUInt8(max(complaint)) AS had_complaint,
          toUInt8(max(complaint AND NOT resolved)) AS complaint_unresolved,
          countIf(resolved AND first_contact) / nullIf(countIf(resolved), 0) AS fcr_share,
          max(first_response_seconds) AS worst_first_response_seconds,
          max(opened_at) AS last_opened_at
        FROM i
        GROUP BY customer_id
      ),
      surveys AS (
        SELECT
          customer_id,
          avgOrNullIf(toFloat64(score), survey = 'csat') AS mean_csat,
          if(countIf(survey = 'nps') = 0, NULL,
             argMaxIf(toInt8(multiIf(score >= 9, 1, score <= 6, -1, 0)), (occurred_at, event_id), survey = 'nps'))
            AS last_nps_class
        FROM ${db}.survey_events FINAL
        WHERE survey IN ('csat', 'nps')
          AND toDate(occurred_at, {tz:String}) BETWEEN {from:Date} AND {to:Date}
        GROUP BY customer_id
      ),
      churn AS (
        SELECT customer_id, first_churned_at FROM ${db}.customer_facts_v
      )
    SELECT
      p.customer_id AS customer_id,
      p.contacts AS contacts,
      p.had_complaint AS had_complaint,
      p.complaint_unresolved AS complaint_unresolved,
      p.fcr_share AS fcr_share,
      p.worst_first_response_seconds AS worst_first_response_seconds,
      s.mean_csat AS mean_csat,
      s.last_nps_class AS last_nps_class,
      toUInt8(ifNull(c.first_churned_at > p.last_opened_at
                     AND c.first_churned_at <= p.last_opened_at + toIntervalDay({horizon:UInt32}), 0)) AS churned
    FROM per_customer AS p
    LEFT JOIN surveys AS s ON s.customer_id = p.customer_id
    LEFT JOIN churn AS c ON c.customer_id = p.customer_id
    ORDER BY customer_id`;
  return { sql, params: { tz: cfg.timeZone, from, to, horizon: horizonDays } };
}

/** One row of the query, as ClickHouse's JSON gives it, in numbers and classes. */
export function toCustomerFeatures(r: CustomerRow): CustomerFeatures {
  return {
    customer_id: r.customer_id,
    contacts: Number(r.contacts),
    had_complaint: Number(r.had_complaint) ? 1 : 0,
    complaint_unresolved: Number(r.complaint_unresolved) ? 1 : 0,
    fcr_share: num(r.fcr_share),
    worst_first_response_seconds: num(r.worst_first_response_seconds),
    mean_csat: num(r.mean_csat),
    last_nps_class: npsClass(num(r.last_nps_class)),
    churned: Number(r.churned) ? 1 : 0,
  };
}

/** The request with its default horizon; throws `bad_parameter` naming the parameter. */
export function checkRetentionRequest(req: RetentionRequest): {
  from: string;
  to: string;
  horizonDays: number;
} {
  for (const name of ['from', 'to'] as const) {
    const v = req[name];
    if (typeof v !== 'string' || !isDate(v)) throw badParameter(name, 'must be a date YYYY-MM-DD');
  }
  if (req.from > req.to) throw badParameter('from', `must not be after to (${req.to})`);
  const horizonDays = req.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > MAX_HORIZON_DAYS)
    throw badParameter('horizonDays', `must be a whole number of days from 1 to ${MAX_HORIZON_DAYS}`);
  return { from: req.from, to: req.to, horizonDays };
}

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function npsClass(v: number | null): -1 | 0 | 1 | null {
  return v === -1 || v === 0 || v === 1 ? v : null;
}
