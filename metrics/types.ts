/**
 * The KPI catalog's types: a metric is a typed data object, one per file in `catalog/`, validated as a
 * set (`validateCatalog`). Everything that shows a KPI — API, dashboards, reports, the SQL shown to
 * analysts — reads the one definition here.
 */

/** Dimensions a KPI can be grouped or filtered by (customer attributes as of the latest upsert). */
export const DIMENSIONS = [
  'channel',
  'category',
  'priority',
  'severity',
  'team_id',
  'agent_id',
  'segment',
  'region',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Dimensions of survey answers: every one. An answer carries its channel and the customer's attributes,
 * and takes the rest (agent, team, category, priority, severity) from the interaction it answers.
 */
export const SURVEY_DIMENSIONS = DIMENSIONS;
export const CUSTOMER_DIMENSIONS = ['segment', 'region'] as const satisfies readonly Dimension[];

export type Unit = 'percent' | 'score' | 'points' | 'seconds' | 'hours' | 'count';

/**
 * How the value is formed, which decides its uncertainty and the test for a before/after change:
 * - `rate`: numerator ÷ denominator × 100 (Wilson CI; two-proportion z-test)
 * - `mean`: mean of a per-row value (t CI; Welch t-test)
 * - `nps`: % promoters − % detractors (NPS margin of error)
 * - `quantile`: p50/p90/mean of a duration (no CI; Welch t-test on the mean)
 * - `count`: a count (no CI)
 */
export type MetricKind = 'rate' | 'mean' | 'nps' | 'quantile' | 'count';

/** Which rows a KPI is computed over and which time places a row in a period. */
export type MetricSource =
  /** one row per interaction, placed by when it was opened */
  | 'interactions'
  /** one row per survey answer, placed by when it was answered */
  | 'surveys'
  /** one row per customer active at the period's start, placed by churn time */
  | 'customers';

export interface MetricTarget {
  value: number;
  /** `absolute`: compare the value; `relative_to_baseline`: compare the change vs a baseline period, in % */
  basis: 'absolute' | 'relative_to_baseline';
  /** Where the target comes from (the service standard, seed file numbers of docs/metrics.md). */
  source: string;
}

export interface MetricDefinition {
  /** Stable API name, snake_case. */
  name: string;
  title: string;
  /** What it means and how to read it, for a manager. */
  description: string;
  /** The formula in words, as published in docs/metrics.md. */
  formula: string;
  unit: Unit;
  kind: MetricKind;
  source: MetricSource;
  /** Which way is good. */
  direction: 'higher' | 'lower';
  dimensions: readonly Dimension[];
  /** Default target (configurable); none for descriptive KPIs. */
  target?: MetricTarget;
  /**
   * SQL over the per-row facts of `source` (columns documented in metrics/README.md). Closed
   * expressions written here, never built from input; filters go inside the aggregate
   * (`countIf`) so metrics of one source share one scan.
   * - rate: `numerator` and `denominator` are boolean conditions (rows counted where true)
   * - mean / quantile: `value` is a numeric expression, `where` an optional condition
   * - nps: `value` is the 0–10 score, `where` selects NPS answers
   * - count: `where` selects the rows counted
   */
  sql: { numerator?: string; denominator?: string; value?: string; where?: string };
  /** For metrics defined as 100 − another metric (abandonment = 100 − answer rate). */
  complementOf?: string;
}
