import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { logisticOddsRatio, pearson, spearman, wilson } from '../stats/index.ts';

/**
 * Retention drivers (docs/metrics.md, "Retention drivers"): how a customer's service experience in an
 * analysis window goes together with their churning soon after.
 *
 * One parameterised ClickHouse query builds one row per customer with at least one interaction opened
 * in the window (all aggregation happens in ClickHouse, over interaction_facts_v, customer_facts_v and
 * survey_events FINAL, so duplicated, late or out-of-order events do not change the answer). The
 * statistics per feature are then computed here with the functions of ../stats/.
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

export interface DriverBucket {
  bucket: string;
  customers: number;
  churned: number;
  /** churned / customers in percent; null when the bucket is empty. */
  churn_rate: number | null;
  /** Wilson 95 % interval of the churn rate, percent. */
  ci_low: number | null;
  ci_high: number | null;
}

export interface DriverResult {
  feature: string;
  title: string;
  kind: 'binary' | 'continuous';
  /** Customers with a value of this feature. */
  n: number;
  /** Pearson r (point-biserial for a 0/1 feature) with churned, its 95 % Fisher-z interval and p-value. */
  r: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  /** Spearman ρ with churned. */
  spearman: number | null;
  /** Odds ratio of churning per unit of the feature (one-feature logistic regression) and its 95 % CI. */
  odds_ratio: number | null;
  or_ci_low: number | null;
  or_ci_high: number | null;
  buckets: DriverBucket[];
}

export interface RetentionDrivers {
  from: string;
  to: string;
  horizon_days: number;
  /** Customers with at least one interaction opened in the window. */
  customers: number;
  /** Of them, churned within the horizon after their last interaction in the window. */
  churned: number;
  /** Sorted by |r|, largest first; features without r last. */
  drivers: DriverResult[];
  note: string;
}

export const DEFAULT_HORIZON_DAYS = 90;
const MAX_HORIZON_DAYS = 3650;

/** One row of the per-customer query, as JSONEachRow gives it. */
interface CustomerRow {
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
  const { from, to, horizonDays } = checkRequest(req);
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

/** Run the per-customer query: one row per customer with an interaction opened in the window. */
export async function customerFeatures(
  client: ClickHouseClient,
  cfg: Config,
  req: RetentionRequest,
): Promise<CustomerFeatures[]> {
  const q = buildRetentionQuery(req, cfg);
  const rs = await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  const rows = await rs.json<CustomerRow>();
  return rows.map((r) => ({
    customer_id: r.customer_id,
    contacts: Number(r.contacts),
    had_complaint: Number(r.had_complaint) ? 1 : 0,
    complaint_unresolved: Number(r.complaint_unresolved) ? 1 : 0,
    fcr_share: num(r.fcr_share),
    worst_first_response_seconds: num(r.worst_first_response_seconds),
    mean_csat: num(r.mean_csat),
    last_nps_class: npsClass(num(r.last_nps_class)),
    churned: Number(r.churned) ? 1 : 0,
  }));
}

// ---------------------------------------------------------------------------------------------------
// Features

interface Band {
  bucket: string;
  has: (v: number) => boolean;
}

interface Feature {
  feature: string;
  title: string;
  kind: DriverResult['kind'];
  /** The value the statistics use (odds ratio per unit of it); null = not present for this customer. */
  value: (c: CustomerFeatures) => number | null;
  /** Bands over the same value, in display order; together they cover every possible value. */
  bands: Band[];
}

const HOUR_S = 3600;
const binaryBands: Band[] = [
  { bucket: '0', has: (v) => v === 0 },
  { bucket: '1', has: (v) => v === 1 },
];

const FEATURES: Feature[] = [
  {
    feature: 'contacts',
    title: 'Interactions opened in the window (odds ratio per interaction)',
    kind: 'continuous',
    value: (c) => c.contacts,
    bands: [
      { bucket: '1', has: (v) => v <= 1 },
      { bucket: '2', has: (v) => v === 2 },
      { bucket: '3', has: (v) => v === 3 },
      { bucket: '4+', has: (v) => v >= 4 },
    ],
  },
  {
    feature: 'had_complaint',
    title: 'Had a complaint (0/1)',
    kind: 'binary',
    value: (c) => c.had_complaint,
    bands: binaryBands,
  },
  {
    feature: 'complaint_unresolved',
    title: 'A complaint left unresolved (0/1)',
    kind: 'binary',
    value: (c) => c.complaint_unresolved,
    bands: binaryBands,
  },
  {
    feature: 'fcr_share',
    title:
      'Share of resolved interactions resolved at first contact (never reopened, transferred or ' +
      'escalated; 0–1, odds ratio from none to all)',
    kind: 'continuous',
    value: (c) => c.fcr_share,
    bands: [
      { bucket: '0 %', has: (v) => v <= 0 },
      { bucket: '(0, 50) %', has: (v) => v > 0 && v < 0.5 },
      { bucket: '[50, 100) %', has: (v) => v >= 0.5 && v < 1 },
      { bucket: '100 %', has: (v) => v >= 1 },
    ],
  },
  {
    feature: 'worst_first_response_hours',
    title: 'Worst first-response time, hours (odds ratio per hour)',
    kind: 'continuous',
    value: (c) => (c.worst_first_response_seconds === null ? null : c.worst_first_response_seconds / HOUR_S),
    bands: [
      { bucket: '≤ 1 min', has: (h) => h * HOUR_S <= 60 },
      { bucket: '(1 min, 1 h]', has: (h) => h * HOUR_S > 60 && h <= 1 },
      { bucket: '(1 h, 24 h]', has: (h) => h > 1 && h <= 24 },
      { bucket: '> 24 h', has: (h) => h > 24 },
    ],
  },
  {
    feature: 'mean_csat',
    title: 'Mean CSAT, 1–5 (odds ratio per point)',
    kind: 'continuous',
    value: (c) => c.mean_csat,
    bands: [
      { bucket: '[1, 3)', has: (v) => v < 3 },
      { bucket: '[3, 4)', has: (v) => v >= 3 && v < 4 },
      { bucket: '[4, 5)', has: (v) => v >= 4 && v < 5 },
      { bucket: '5', has: (v) => v >= 5 },
    ],
  },
  {
    feature: 'last_nps_class',
    title: 'Latest NPS class: −1 detractor, 0 passive, +1 promoter (odds ratio per class step)',
    kind: 'continuous',
    value: (c) => c.last_nps_class,
    bands: [
      { bucket: 'detractor', has: (v) => v === -1 },
      { bucket: 'passive', has: (v) => v === 0 },
      { bucket: 'promoter', has: (v) => v === 1 },
    ],
  },
];

/** The statistics of one feature against the outcome, over the customers that have a value of it. */
function driver(f: Feature, rows: readonly CustomerFeatures[]): DriverResult {
  const x = rows.map(f.value);
  const y = rows.map((c) => c.churned);
  const corr = pearson(x, y);
  const rank = spearman(x, y);
  const fit = logisticOddsRatio(x, y);
  const buckets = f.bands.map((band) => {
    let customers = 0;
    let churned = 0;
    rows.forEach((c, i) => {
      const v = x[i];
      if (v === null || v === undefined || !band.has(v)) return;
      customers++;
      churned += c.churned;
    });
    const w = wilson(churned, customers);
    return {
      bucket: band.bucket,
      customers,
      churned,
      churn_rate: pct(w.p),
      ci_low: pct(w.low),
      ci_high: pct(w.high),
    };
  });
  return {
    feature: f.feature,
    title: f.title,
    kind: f.kind,
    n: corr.n,
    r: corr.r,
    ci_low: corr.ci_low,
    ci_high: corr.ci_high,
    p_value: corr.p_value,
    spearman: rank.rho,
    odds_ratio: fit.odds_ratio,
    or_ci_low: fit.ci_low,
    or_ci_high: fit.ci_high,
    buckets,
  };
}

/**
 * Retention drivers for the customers with an interaction opened in [from, to]: per feature Pearson r
 * (point-biserial for 0/1) with CI and p-value, Spearman ρ, the odds ratio of a one-feature logistic
 * regression, and churn rates per bucket. Throws `bad_parameter` naming the parameter.
 */
export async function retentionDrivers(
  client: ClickHouseClient,
  cfg: Config,
  req: RetentionRequest,
): Promise<RetentionDrivers> {
  const { from, to, horizonDays } = checkRequest(req);
  const rows = await customerFeatures(client, cfg, req);
  const drivers = FEATURES.map((f) => driver(f, rows));
  // Stable sort: equal |r| keep the order of FEATURES.
  drivers.sort((a, b) => {
    if (a.r === null || b.r === null) return a.r === null ? (b.r === null ? 0 : 1) : -1;
    return Math.abs(b.r) - Math.abs(a.r);
  });
  return {
    from,
    to,
    horizon_days: horizonDays,
    customers: rows.length,
    churned: rows.reduce((s, c) => s + c.churned, 0),
    drivers,
    note:
      'Correlation is not causation: these figures show how each feature goes together with churn among ' +
      `customers with at least one interaction from ${from} to ${to}, not that changing it would change ` +
      `churn. Churned means a first churn within ${horizonDays} days after the customer's last ` +
      'interaction in the window; churn after the end of the data is not seen, so the window should end ' +
      `at least ${horizonDays} days before it.`,
  };
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function checkRequest(req: RetentionRequest): { from: string; to: string; horizonDays: number } {
  for (const name of ['from', 'to'] as const) {
    const v = req[name];
    if (typeof v !== 'string' || !DATE.test(v) || !isCalendarDate(v))
      throw badParameter(name, 'must be a date YYYY-MM-DD');
  }
  if (req.from > req.to) throw badParameter('from', `must not be after to (${req.to})`);
  const horizonDays = req.horizonDays ?? DEFAULT_HORIZON_DAYS;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > MAX_HORIZON_DAYS)
    throw badParameter('horizonDays', `must be a whole number of days from 1 to ${MAX_HORIZON_DAYS}`);
  return { from: req.from, to: req.to, horizonDays };
}

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function npsClass(v: number | null): -1 | 0 | 1 | null {
  return v === -1 || v === 0 || v === 1 ? v : null;
}

function pct(p: number | null): number | null {
  return p === null ? null : p * 100;
}
