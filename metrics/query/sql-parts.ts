import type { Dimension, MetricDefinition } from '../types.ts';
import type { FactStore } from './facts.ts';
import type { Grain, Store } from './request.ts';

/** Pieces of SQL the query builder's queries share. Identifiers only from closed unions and the catalog. */

/** Period key of a row's local day; ISO weeks start on Monday. */
export const PERIOD: Record<Grain, string> = {
  day: 'toString(day)',
  week: 'toString(toMonday(day))',
  month: 'toString(toStartOfMonth(day))',
  total: "'total'",
};

/**
 * The aggregates of one metric over per-row facts; columns: x (numerator or value), n, and per kind
 * sd/pro/det/p50/p90. Means, standard deviations and quantiles need the rows, so they are SQL; what a
 * value is made of them is metrics/query/value.ts.
 */
export function aggregates(m: MetricDefinition): string {
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

/** `dimension IN {f_dimension}` per filter, its values bound in `params`. */
export function filterClauses(
  filters: Partial<Record<Dimension, string[]>>,
  params: Record<string, unknown>,
): string[] {
  return (Object.entries(filters) as [Dimension, string[]][]).map(([d, values]) => {
    params[`f_${d}`] = values;
    return `${d} IN {f_${d}:Array(String)}`;
  });
}

/** Which reading of the per-row facts a store uses. */
export const storeOf = (s: Store): FactStore => (s === 'raw' ? 'raw' : 'stored');
