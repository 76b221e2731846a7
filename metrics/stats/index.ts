/**
 * Statistics for the KPIs of docs/metrics.md, one concern per file: confidence intervals
 * (intervals.ts), status against a target (target.ts), tests for process-change impact
 * (difference-tests.ts), correlations (correlation.ts) and a one-feature logistic regression
 * (logistic.ts) for retention drivers, and control-chart limits (control-limits.ts). This module
 * re-exports them all.
 *
 * Pure functions over numbers that ClickHouse has already aggregated: no I/O. Distribution functions
 * come from stdlib's single-function packages (distributions.ts); only estimators (sums, ranks, the
 * logistic fit) are written here.
 *
 * Contract shared by every function (guards.ts):
 * - results are plain objects whose numbers are finite or `null`, never NaN or ±Infinity: `null` means
 *   "not defined for this input" (no observations, zero variance, too few observations for the test);
 * - arguments that can never be valid (negative counts, successes above n, a confidence level outside
 *   (0, 1), arrays of different lengths) throw a `CxError` with code `bad_parameter`;
 * - proportions are 0..1, NPS values are points on −100..100, and every test is two-sided.
 */
export {
  INDIVIDUALS_MR_FACTOR,
  individualsChart,
  pChart,
  type IndividualsChart,
  type PChart,
  type PChartPoint,
} from './control-limits.ts';
export { pearson, spearman, type PearsonCorrelation, type SpearmanCorrelation } from './correlation.ts';
export {
  npsDifference,
  twoProportionZTest,
  welchTTest,
  type NpsCounts,
  type NpsDifferenceTest,
  type SampleSummary,
  type TwoProportionTest,
  type WelchTest,
} from './difference-tests.ts';
export {
  meanInterval,
  npsInterval,
  wilson,
  type MeanInterval,
  type NpsInterval,
  type ProportionInterval,
} from './intervals.ts';
export { logisticOddsRatio, type LogisticFit } from './logistic.ts';
export {
  AT_RISK_POINTS,
  AT_RISK_TIME_FRACTION,
  LOW_CONFIDENCE_N,
  isLowConfidence,
  targetStatus,
  type TargetDirection,
  type TargetKind,
  type TargetStatus,
} from './target.ts';
