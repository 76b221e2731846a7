import type { Dimension } from '../types.ts';

/**
 * Targets as the standards state them (docs/metrics.md "Kinds of target"): a KPI may hold several, each
 * with its kind, its value and the clause it comes from. Types only; the evaluation is `evaluate.ts`.
 */

export type TargetKind = 'absolute' | 'relative' | 'sustained';

export interface TargetSpec {
  /** Stable id, unique per KPI: `<metric>:<clause>` (e.g. `csat:S000-2`). */
  id: string;
  metric: string;
  kind: TargetKind;
  /**
   * absolute and sustained: the bar, in the KPI's unit (`csat ≥ 90` → 90; the KPI's `direction` says
   * which side is good); relative: the required change from the baseline in % (`−40`, `+35`).
   */
  value: number;
  /** sustained: how many consecutive complete calendar months must each meet the bar */
  months?: number;
  /** sustained (and absolute "by priority"): the dimension whose every member is judged on its own */
  per?: Dimension;
  /** Filters the target applies under (`{channel: ['chat','social']}`), none for the whole centre. */
  scope?: Partial<Record<Dimension, string[]>>;
  /** The clause of docs/metrics.md's clause table it comes from (`S001-2`). */
  clause: string;
  /** The standard and section in words (`001 一(一)`). */
  source: string;
}

export type TargetStatus = 'met' | 'at_risk' | 'missed' | 'insufficient_data';

/** The baseline period of relative targets, as local days. */
export interface BaselinePeriod {
  from: string;
  to: string;
}
