/** What the KPI benchmark's parent and its per-N child share: the window, the spec, the results. */
import { OVERVIEW_METRICS } from '../../metrics/answer/overview.ts';
import type { Dimension } from '../../metrics/types.ts';
import type { RefreshResult } from '../../transforms/refresh.ts';
import type { Args } from './args.ts';

/** Queries read the last 90 full days of the synthetic year (bench/synthetic.ts). */
export const FROM = '2026-08-24';
export const TO = '2026-11-21';

export const OVERVIEW: readonly string[] = OVERVIEW_METRICS;
export const SINGLE = ['csat', 'fcr', 'sla_compliance', 'complaint_rate'];
/**
 * (a) quantiles and agent × channel: label, metric, group-by (at grain=day), each timed as the API
 * answers it (auto: the rollups for quantiles, the stored facts for agent × another dimension) and from
 * the stored facts.
 */
export const DEEP: readonly (readonly [string, string, Dimension[]])[] = [
  ['first_response_time', 'first_response_time', ['channel']],
  ['resolution_time', 'resolution_time', ['channel']],
  ['fcr agent', 'fcr', ['agent_id', 'channel']],
  ['sla_compliance agent', 'sla_compliance', ['agent_id', 'channel']],
];

/** What the parent hands the child of one N (as JSON in BENCH_SPEC). */
export type Spec = Pick<
  Args,
  'runs' | 'warmup' | 'budgetS' | 'chunk' | 'minRuns' | 'parts' | 'keepupEvents' | 'dir' | 'refresh'
> & { interactions: number };

export interface Timing {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  rows: number;
}

export interface NResult {
  interactions: number;
  engineVersion: string;
  load: {
    seconds: number;
    interactionSeconds: number;
    surveySeconds: number;
    customerSeconds: number;
    rows: Record<string, number>;
    factsPartsBefore: number;
  };
  optimize: Record<string, number>;
  disk: Record<string, number>;
  single: Timing[];
  raw: Timing[];
  refresh: { full: RefreshResult; keepUp?: RefreshResult & { events: number; interactions: number } };
  /** kpi_daily after the full refresh: rows, MiB on disk, rows of quantile metrics (with histograms) */
  rollupStorage?: { rows: number; mib: number; quantileRows: number };
  overview: Timing | undefined;
  overviewApi?: Timing | undefined;
  overviewPerKpi: Timing[];
  breakdown: Timing[];
  peakRssMiB: number;
  queryPhaseRssMiB: number;
  rssAfterLoadMiB: number;
  seconds: number;
}
