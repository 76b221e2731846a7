import type { Locale } from '../../i18n/locales.ts';
import type { Dimension } from '../../metrics/types.ts';

/** The alert rules as validated from alerts.yaml (`definitions.ts`). Types and closed lists only. */

/** The period a KPI rule reads: today so far, the last 24 hours, this week so far, the last 7 days. */
export const WINDOWS = ['today', 'last_24h', 'this_week', 'last_7d'] as const;
export type AlertWindow = (typeof WINDOWS)[number];

/** Live service checks: interactions past their response target now; complaints not followed up in 48 h. */
export const SERVICE_CHECKS = ['breaching_now', 'complaints_without_follow_up_48h'] as const;
export type ServiceCheck = (typeof SERVICE_CHECKS)[number];

export const PIPELINE_CHECKS = [
  'ingester_down',
  'ingester_degraded',
  'dlq_growth',
  'consumer_lag',
  'data_stale',
  'report_failed',
] as const;
export type PipelineCheck = (typeof PIPELINE_CHECKS)[number];

/** Which control limit an anomaly rule watches: the one on the KPI's bad side, or both. */
export const ANOMALY_SIDES = ['bad', 'either'] as const;
export type AnomalySide = (typeof ANOMALY_SIDES)[number];

/** A KPI rule's condition: a threshold in the KPI's unit, or its target status. */
export type KpiCondition = { below: number } | { above: number } | { status: 'missed' };

export type Filters = Partial<Record<Dimension, string[]>>;

interface RuleBase {
  /** stable id: lower-case letters of any script, digits, _ and - */
  name: string;
  /** what people read (any Unicode); the name when the file gives none */
  title: string;
  /** the language of its messages (the rule's, else CXPULSE_LOCALE) */
  locale: Locale;
  /** how long the condition must hold (pending) before the rule fires, and stay clear before it resolves */
  forMs: number;
  /** the interval of reminders while it keeps firing */
  repeatMs: number;
  /** names of destinations under `channels:` */
  channels: string[];
}

export interface KpiRule extends RuleBase {
  kind: 'kpi';
  metric: string;
  filters: Filters;
  /** one state per member of this dimension */
  by?: Dimension;
  window: AlertWindow;
  condition: KpiCondition;
  /** fewer rows than this: the condition is unknown, never true */
  min_n: number;
}

export interface AnomalyRule extends RuleBase {
  kind: 'anomaly';
  metric: string;
  filters: Filters;
  by?: Dimension;
  /** the days the daily control limits are computed from */
  baseline_days: number;
  side: AnomalySide;
  min_n: number;
}

export interface ServiceRule extends RuleBase {
  kind: 'service';
  check: ServiceCheck;
  filters: Filters;
  by?: Dimension;
  /** fires when more than this many interactions are in the state the check names */
  above: number;
}

export interface PipelineRule extends RuleBase {
  kind: 'pipeline';
  check: PipelineCheck;
  /** dlq_growth: dead-lettered events per hour */
  per_hour?: number;
  /** consumer_lag: messages behind */
  messages?: number;
  /** data_stale: minutes without complete data */
  minutes?: number;
}

export type AlertRule = KpiRule | AnomalyRule | ServiceRule | PipelineRule;
