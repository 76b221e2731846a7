import { DIMENSIONS, type Dimension, type MetricDefinition } from '../types.ts';

/**
 * The grouping sets of the daily rollups (`kpi_daily`): which combinations of dimensions the refresh
 * job (transforms/refresh.ts) sums per day, and so which requests the rollups can answer. Pure: the
 * writer and the query builder read the same definition.
 */

/** The dimensions of a grouping set as a bitmask: bit i is DIMENSIONS[i]. */
export const setMask = (dims: readonly Dimension[]): number =>
  dims.reduce((m, d) => m | (1 << DIMENSIONS.indexOf(d)), 0);

/**
 * The grouping sets the daily rollups hold, the same for interactions and surveys (a survey answer has
 * every dimension, through the interaction it answers): the whole centre, each dimension on its own
 * and each pair of dimensions (agent × another too); for surveys also channel × segment × region. A
 * request whose group-by and filter dimensions form one of these sets is answered from the rollups;
 * three dimensions or more (one survey set apart) are answered from the stored facts.
 */
export function groupingSets(source: MetricDefinition['source']): Dimension[][] {
  if (source === 'customers') return [];
  const sets = [[], ...DIMENSIONS.map((x) => [x]), ...pairs(DIMENSIONS)];
  return source === 'surveys' ? [...sets, ['channel', 'segment', 'region']] : sets;
}

function pairs(ds: readonly Dimension[]): Dimension[][] {
  const out: Dimension[][] = [];
  for (let i = 0; i < ds.length; i++)
    for (let j = i + 1; j < ds.length; j++) out.push([ds[i] as Dimension, ds[j] as Dimension]);
  return out;
}

/** Whether the daily rollups carry this metric (quantiles as histograms: metrics/query/histogram.ts). */
export const inDailyRollup = (m: MetricDefinition): boolean =>
  m.source === 'interactions' || m.source === 'surveys';

/** The grouping set (mask) answering a request over these dimensions, or null when none does. */
export function rollupSetFor(m: MetricDefinition, dims: readonly Dimension[]): number | null {
  if (!inDailyRollup(m)) return null;
  const need = new Set(dims);
  const set = groupingSets(m.source).find((s) => s.length === need.size && s.every((d) => need.has(d)));
  return set ? setMask(set) : null;
}
