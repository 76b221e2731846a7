/**
 * What `/api/v1` answers, as TypeScript types: written once here, read with `import type` by the
 * browser pages (`web/`), the charts (`charts/`) and the server code that sends the JSON. Types only —
 * nothing here reaches the browser bundle — and no import but the contract's vocabulary, so the browser
 * type-check (`web/tsconfig.json`) can read it. `test/unit/dashboards/wire.test.ts` checks that what the metric
 * functions return still fits these shapes.
 */

// ------------------------------------------------------------------------------------------ metrics

/** One catalog entry of `GET /api/v1/metrics`. */
export interface MetricInfo {
  name: string;
  title: string;
  description: string;
  unit: string;
  kind: string;
  formula: string;
  direction: 'higher' | 'lower';
  dimensions: readonly string[];
  target: { value: number; basis: 'absolute' | 'relative_to_baseline'; source: string } | null;
  /** 1 as first recorded, one more each time its definition or targets changed */
  definition_version: number;
  /** when its definition, its targets or its relative targets' baseline changed (charts mark them) */
  definition_changes: DefinitionChange[];
}

/** A date a KPI's definition changed: `at` ISO 8601 UTC. */
export interface DefinitionChange {
  at: string;
  what: 'definition' | 'targets' | 'baseline';
}

/** The service-level policy the SLA KPIs are judged by (with the catalog). */
export interface SlaPolicy {
  first_response_seconds: Record<string, number>;
  urgent_seconds: number;
  resolution_target_hours: number;
  fcr_repeat_window_days: number;
}

/** `GET /api/v1/metrics`. */
export interface MetricCatalog {
  metrics: MetricInfo[];
  policy: SlaPolicy;
}

/** One period (and group) of a KPI: its value with the 95 % CI, n, and how it stands against its target. */
export interface MetricRow {
  period: string;
  value: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
  target: number | null;
  status: 'met' | 'at_risk' | 'missed' | null;
  low_confidence: boolean;
  /** quantile metrics: the median is `value`; these complete the picture */
  p90?: number | null;
  mean?: number | null;
  /** the groups of `by` (channel, team_id, …) */
  [dimension: string]: unknown;
}

/** `GET /api/v1/metrics/{name}` as JSON. */
export interface MetricAnswer {
  metric: string;
  unit: string;
  from: string;
  to: string;
  grain: string;
  rows: MetricRow[];
  /** data complete through this instant (ISO) */
  complete_through: string;
  time_zone: string;
}

/** `GET /api/v1/metrics/{name}/sql` ("show SQL"). */
export interface MetricSql {
  metric: string;
  store: string;
  sql: string;
  params: Record<string, unknown>;
}

// ------------------------------------------------------------------------------------------ overview

/** A before/after (or period vs previous period) difference and its test. */
export interface Difference {
  test: string | null;
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
}

/** One KPI tile of the overview. */
export interface OverviewTile {
  metric: string;
  title: string;
  unit: string;
  direction: 'higher' | 'lower';
  current: MetricRow;
  previous: MetricRow & { from: string; to: string };
  change: Difference & { significant: boolean | null };
  /** the trend by `grain` over the current period */
  series: MetricRow[];
  grain: string;
  /** the relative headline target (NPS +35 %, complaints −40 %) against the baseline period; null without one */
  relative: {
    /** the required change, in % */
    value: number;
    required: number | null;
    status: TargetStatus;
    current: MetricRow;
    baseline: MetricRow & { from: string; to: string };
    change: number | null;
    p_value: number | null;
    significant: boolean | null;
  } | null;
}

/** `GET /api/v1/overview`. */
export interface Overview {
  from: string;
  to: string;
  previous: { from: string; to: string };
  tiles: OverviewTile[];
  complete_through: string;
  time_zone: string;
}

// ------------------------------------------------------------------------------------------ standards

export type TargetStatus = 'met' | 'at_risk' | 'missed' | 'insufficient_data';

/** A target as the standards state it (metrics/targets/types.ts). */
export interface TargetSpec {
  id: string;
  metric: string;
  kind: 'absolute' | 'relative' | 'sustained';
  value: number;
  months?: number;
  per?: string;
  scope?: Record<string, string[]>;
  clause: string;
  source: string;
}

/** One member of `per` judged against the bar (a priority of S004-3). */
export interface MemberVerdict {
  member: string;
  value: number | null;
  n: number;
  low_confidence: boolean;
  status: TargetStatus;
}

/** A sustained target: each member in each of the N complete months. */
export interface SustainedVerdict {
  status: TargetStatus;
  months: string[];
  members: {
    member: string;
    status: TargetStatus;
    months: { period: string; value: number | null; n: number; status: TargetStatus }[];
  }[];
  qualified: string[];
  missed: string[];
  insufficient: string[];
}

/** One clause of the standards scorecard. */
export interface StandardsRow {
  id: string;
  standard: string;
  zh: string;
  en: string;
  metric: string;
  title: string;
  unit: string;
  direction: 'higher' | 'lower';
  target: TargetSpec | null;
  applies: boolean;
  value: number | null;
  ci_low: number | null;
  ci_high: number | null;
  n: number;
  low_confidence: boolean;
  status: TargetStatus | null;
  required: number | null;
  baseline: (MetricRow & { from: string; to: string }) | null;
  change: number | null;
  p_value: number | null;
  significant: boolean | null;
  trend: { period: string; value: number | null; n: number }[];
  members: MemberVerdict[] | null;
  teams_missing: { team_id: string; value: number | null; n: number; required: number | null }[] | null;
  sustained: SustainedVerdict | null;
  unavailable: string | null;
}

/** `GET /api/v1/standards` as JSON. */
export interface Standards {
  from: string;
  to: string;
  baseline: { from: string; to: string };
  rows: StandardsRow[];
  complete_through: string;
  time_zone: string;
}

// ------------------------------------------------------------------------------------------ explore

/** `GET /api/v1/interactions` as JSON: the interactions behind a number, paged. */
export interface InteractionsPage {
  rows: Record<string, unknown>[];
  total: number;
  page: number;
  page_size: number;
}

/** One cell of `GET /api/v1/sla/heatmap` (`{cells}`): weekday 1 = Monday. */
export interface HeatCell {
  weekday: number;
  hour: number;
  value: number | null;
  n: number;
}

/** One stage of `GET /api/v1/complaints/funnel` (`{stages}`). */
export interface FunnelStage {
  stage: string;
  count: number;
}

/** One feature of `GET /api/v1/retention/drivers`. */
export interface RetentionDriver {
  feature: string;
  title: string;
  kind: 'binary' | 'continuous';
  n: number;
  r: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  spearman: number | null;
  odds_ratio: number | null;
  or_ci_low: number | null;
  or_ci_high: number | null;
  buckets: {
    bucket: string;
    customers: number;
    churned: number;
    churn_rate: number | null;
    ci_low: number | null;
    ci_high: number | null;
  }[];
}

/** `GET /api/v1/retention/drivers`. */
export interface RetentionDrivers {
  from: string;
  to: string;
  horizon_days: number;
  customers: number;
  churned: number;
  drivers: RetentionDriver[];
  note: string;
}

// ------------------------------------------------------------------------------------------ changes

/** A process change (`GET /api/v1/changes` → `{changes}`, `POST /api/v1/changes`). */
export interface ProcessChange {
  id: string;
  title: string;
  description: string;
  starts_at: string;
  /** dimension filters the change applies to; `{}` = the whole centre */
  scope: Record<string, string[]>;
  created_by: string;
  created_at: string;
  updated_by: string;
  updated_at: string;
  version: number;
}

/** `GET /api/v1/changes`. */
export interface ChangeList {
  changes: ProcessChange[];
}

/** One window of an impact (before or after the change). */
export interface ImpactWindow {
  from: string;
  to: string;
  days: number;
  value: number | null;
  n: number;
  mean?: number | null;
}

/** The control chart of an impact: every day of both windows with its 3σ limits. */
export interface ControlChart {
  type: 'p' | 'individuals';
  center: number | null;
  points: {
    period: string;
    phase: 'before' | 'after';
    value: number | null;
    n: number;
    lcl: number | null;
    ucl: number | null;
    out: boolean;
  }[];
  change_index: number;
}

/** `GET /api/v1/changes/{id}/impact`. */
export interface Impact extends Difference {
  change: ProcessChange;
  metric: string;
  unit: string;
  direction: 'higher' | 'lower';
  before: ImpactWindow;
  after: ImpactWindow;
  diff_of: 'value' | 'mean';
  relative_change: number | null;
  significant: boolean;
  control_chart: ControlChart | null;
  note: string;
}

// ------------------------------------------------------------------------------------------ SQL

/** `POST /api/v1/sql` with `format: json`. */
export interface SqlAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  row_count: number;
  elapsed_ms: number;
}

/** `GET /api/v1/sql/schema`: the tables analysts may read. */
export interface SqlSchema {
  database: string;
  tables: { name: string; description: string; columns: { name: string; type: string }[] }[];
}

// ------------------------------------------------------------------------------------------ reports

/** One report definition of `GET /api/v1/reports` (`{reports}`). */
export interface ReportInfo {
  name: string;
  title: string;
  schedule: { cron: string; timezone: string };
  period: string;
  sections: string[];
  filters: Record<string, string[]>;
  formats: string[];
  email: { to: string[]; cc: string[] } | null;
  webhook: { host: string } | null;
  directory: { path: string } | null;
  next_slot: string;
}

/** `GET /api/v1/reports`. */
export interface ReportList {
  reports: ReportInfo[];
}

/** The latest state of one run, `GET /api/v1/reports/runs` (`{runs}`). */
export interface RunInfo {
  run_key: string;
  report: string;
  slot: string;
  trigger: string;
  owner: string;
  period_from: string;
  period_to: string;
  status: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  recipients: string[];
  deliveries: Record<string, string>;
  error: string;
  updated_at?: string;
}

/** `GET /api/v1/reports/runs`. */
export interface RunList {
  runs: RunInfo[];
}

/** `POST /api/v1/reports/{name}/run` (202). */
export interface RunStarted {
  run_key: string;
  report: string;
  period: { from: string; to: string };
}

// ------------------------------------------------------------------------------------------ targets

/** One target of a KPI (docs/metrics.md "Kinds of target"). */
export interface TargetInfo {
  id: string;
  metric: string;
  kind: 'absolute' | 'relative' | 'sustained';
  /** the bar in the KPI's unit; relative: the change from the baseline in % */
  value: number;
  months?: number;
  per?: string;
  scope?: Record<string, string[]>;
  clause: string;
  source: string;
}

/** A version of the target set: `GET /api/v1/targets`, the answer of `PUT`, an entry of the history. */
export interface TargetSetInfo {
  version: number;
  targets: TargetInfo[];
  /** the relative targets' baseline period (local days); null = the configured default */
  baseline: { from: string; to: string } | null;
  /** null for version 1, the configuration's */
  changed_by: string | null;
  changed_at: string | null;
  comment: string;
}

/** `GET /api/v1/targets/history`: newest first. */
export interface TargetHistory {
  versions: TargetSetInfo[];
}

// --------------------------------------------------------------------------------------- vocabulary

/** A display name in each language the pages speak. */
export interface DisplayNames {
  'zh-CN': string;
  en: string;
}

/** One configured customer segment (CUSTOMER_SEGMENTS): the stored key and its names. */
export interface SegmentInfo {
  key: string;
  names: DisplayNames;
}

/** `GET /api/v1/vocabulary`: the centre's segments, in order, and the display names of stored values. */
export interface Vocabulary {
  segments: SegmentInfo[];
  /** Per dimension, stored value → names (DISPLAY_NAMES); a value without an entry shows as stored. */
  display_names: {
    team_id: Record<string, DisplayNames>;
    agent_id: Record<string, DisplayNames>;
    region: Record<string, DisplayNames>;
  };
}
// alerts
/** One group's state of a rule ('' without a breakdown); a silence only while it lasts. */
export interface AlertGroupState extends Record<'value' | 'n', number | null> {
  group: string;
  phase: 'ok' | 'pending' | 'firing' | 'resolved';
  since: string;
  evaluated_at: string | null;
  ack: { by: string; why: string; at: string } | null;
  silence: { by: string; why: string; until: string } | null;
}
/** A rule: what the checks made of it, `source` as written (what an editor edits), its groups' states. */
export interface AlertRuleInfo {
  name: string;
  title: string;
  kind: 'kpi' | 'anomaly' | 'service' | 'pipeline';
  metric: string | null; // kpi, anomaly
  check: string | null; // service, pipeline
  by: string | null;
  filters: Record<string, string[]>;
  channels: string[];
  locale: string;
  source: Record<string, unknown>;
  states: AlertGroupState[];
}
type AlertVersion = Pick<TargetSetInfo, 'version' | 'changed_by' | 'changed_at' | 'comment'>;
/** `GET /api/v1/alerts`: the version in force, destinations' names and kinds, the rules, every version. */
export type AlertList = AlertVersion & {
  channels: { name: string; kind: string }[];
  rules: AlertRuleInfo[];
  versions: (AlertVersion & { rules: number })[];
};
/** `GET /api/v1/alerts/events`, newest first: transitions, held-back notices, acks, silences, deliveries. */
export interface AlertEventList {
  events: ({ rule: string; group: string; seq: number; at: string; what: string } & Partial<
    Record<'from' | 'to' | 'notice' | 'channel' | 'result' | 'detail' | 'who' | 'why', string> &
      Record<'value' | 'n' | 'attempt', number | null>
  >)[];
}
export type AlertActionResult = { changed: Record<'rule' | 'group', string>[] };
