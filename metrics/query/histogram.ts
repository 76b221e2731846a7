/**
 * Quantiles from the daily rollups: a fine logarithmic histogram of a duration per day and group
 * (`kpi_daily.qk`, `qc`: bucket keys and counts), summed over days and groups like the other sums. The
 * rank is the facts path's (`quantileExact`: the value at 0-based rank ⌊level · n⌋ of the sorted values);
 * the bucket holding that rank is returned as its midpoint, within {@link QUANTILE_RELATIVE_ERROR} of
 * the exact value (the mean stays exact: sum / count). Pure: SQL text and the key → value decoding.
 *
 * Buckets: 0 has key 0; a positive v has key ⌈log_γ v⌉ + BIAS (bucket (γ^(k−1), γ^k]), a negative v the
 * negated key of |v|, so keys sort as the values do. γ = (1 + α) / (1 − α) and the bucket's value
 * 2γ^k / (γ + 1) is within α of every value in it.
 */

/** The largest relative error of a rolled-up p50 or p90 against the exact value at the same rank. */
export const QUANTILE_RELATIVE_ERROR = 0.01;

const GAMMA = (1 + QUANTILE_RELATIVE_ERROR) / (1 - QUANTILE_RELATIVE_ERROR);
const LN_GAMMA = Math.log(GAMMA);
/** Keeps keys of values down to 1e-300 positive (⌈ln 1e-300 / ln γ⌉ ≈ −34,500). */
const BIAS = 100_000;

/** The bucket key of a Float64 SQL expression (Int32). */
export const bucketKeySql = (v: string): string =>
  `if((${v}) = 0, toInt32(0), toInt32(sign(${v}) * (ceil(log(abs(${v})) / ${LN_GAMMA}) + ${BIAS})))`;

/**
 * The bucket key of a metric's value as a per-row column (computed once per row, not once per grouping
 * set). `where` implies a value (a responded interaction has a first response time).
 */
export const rowKeySql = (value: string): string => bucketKeySql(`ifNull(toFloat64(${value}), 0)`);

/**
 * The histogram of the keys in column `key` where `where` holds: a sumMap tuple (sorted keys, counts).
 * The group's keys are gathered first and counted once per group (about a third faster in the refresh
 * than a sumMap of one-element arrays per row).
 */
export const histogramSql = (key: string, where: string): string => {
  const ks = `groupArrayIf(${key}, ${where})`;
  return `arrayReduce('sumMap', [${ks}], [arrayWithConstant(length(${ks}), toUInt64(1))])`;
};

/**
 * The bucket key at `level` of a histogram: `keys` and `counts` its arrays (keys sorted), `n` the number
 * of values it holds. 0 for an empty histogram.
 */
export const quantileKeySql = (keys: string, counts: string, n: string, level: number): string =>
  `${keys}[arrayFirstIndex(c -> c > floor(${level} * (${n})), arrayCumSum(${counts}))]`;

/** The value a bucket key stands for (the bucket's midpoint in relative terms). */
export function bucketValue(key: number): number {
  if (key === 0) return 0;
  const k = Math.abs(key) - BIAS;
  return (Math.sign(key) * 2 * Math.pow(GAMMA, k)) / (GAMMA + 1);
}
