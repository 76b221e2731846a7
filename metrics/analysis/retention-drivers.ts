import type { CustomerFeatures } from '../query/retention.ts';
import { pearson, spearman } from '../stats/correlation.ts';
import { wilson } from '../stats/intervals.ts';
import { logisticOddsRatio } from '../stats/logistic.ts';

/**
 * Retention drivers (docs/metrics.md, "Retention drivers"): how a customer's service experience in an
 * analysis window goes together with their churning soon after. From the per-customer rows of
 * query/retention.ts, per experience feature: Pearson r (point-biserial for 0/1) with CI and p-value,
 * Spearman ρ, the odds ratio of a one-feature logistic regression, and churn rates per bucket with
 * Wilson intervals. Pure; answer/retention.ts runs the query and calls it.
 */

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
 * The drivers of customers with an interaction opened in [from, to], one per feature, sorted by |r|
 * (largest first, features without r last), with the note that says what they do and do not show.
 */
export function retentionDriversOf(
  rows: readonly CustomerFeatures[],
  window: { from: string; to: string; horizonDays: number },
): RetentionDrivers {
  const { from, to, horizonDays } = window;
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

function pct(p: number | null): number | null {
  return p === null ? null : p * 100;
}
