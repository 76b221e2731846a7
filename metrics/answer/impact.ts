import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { controlChart, type ImpactControlChart } from '../analysis/control-chart.ts';
import { difference, num, SIGNIFICANCE, type ImpactTestName } from '../analysis/difference.ts';
import { dateRange, impactWindows, localDay, windowDays } from '../analysis/windows.ts';
import { getMetric } from '../catalog.ts';
import type { ProcessChange } from '../query/change-input.ts';
import type { MetricRequest } from '../query/request.ts';
import { toMetricRow, type RawRow } from '../query/value.ts';
import { LOW_CONFIDENCE_N, isLowConfidence } from '../stats/target.ts';
import type { Dimension, MetricDefinition, Unit } from '../types.ts';
import { runMetric } from './metric.ts';

/**
 * Process-change impact (docs/metrics.md, "Process-change impact"): did a KPI move after a change? The
 * metric over a before and an after window (analysis/windows.ts) with the change's scope as filters,
 * the difference with its 95 % interval and the p-value of the test that fits the metric's kind
 * (analysis/difference.ts), and a daily control chart over both windows (analysis/control-chart.ts).
 * Queries come from the query builder; nothing statistical is computed here. The changes themselves
 * are stored by changes.ts.
 */

export interface ImpactRequest {
  /** Catalog name of the metric. */
  metric: string;
  /** Whole local days before the change. @default 28 */
  beforeDays?: number;
  /** Whole local days from the change on. @default 28 */
  afterDays?: number;
  /** Instant the "still pending" SLA rule is judged at, and the end of the data. @default now */
  asOf?: Date;
}

/** The metric over one window; `from`/`to` are inclusive local dates (`YYYY-MM-DD`). */
export interface ImpactWindow {
  from: string;
  to: string;
  days: number;
  /** The metric's value as the dashboards show it (a quantile metric's median); null when n = 0. */
  value: number | null;
  n: number;
  /** Quantile metrics only: the mean, which the test compares. */
  mean?: number | null;
}

export interface Impact {
  change: ProcessChange;
  metric: string;
  unit: Unit;
  direction: 'higher' | 'lower';
  before: ImpactWindow;
  after: ImpactWindow;
  /** What `diff`, its interval and the test compare: the value, or the mean (quantile metrics). */
  diff_of: 'value' | 'mean';
  /** after − before, in the metric's unit (percentage points for rates, points for NPS). */
  diff: number | null;
  /** diff as % of the before value (or mean); null when that is 0 or missing. */
  relative_change: number | null;
  /** 95 % interval of `diff`; null for counts and when a window is empty. */
  ci_low: number | null;
  ci_high: number | null;
  /** Two-sided p-value; null for counts (no sampling test) and when the test is undefined. */
  p_value: number | null;
  test: ImpactTestName | null;
  /** p < 0.05. */
  significant: boolean;
  control_chart: ImpactControlChart;
  /** How the windows were cut and what to keep in mind reading the result, in words. */
  note: string;
}

async function totalRow(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: Omit<MetricRequest, 'grain' | 'by'>,
): Promise<RawRow> {
  const [row] = (await runMetric(client, cfg, m, { ...req, grain: 'total', by: [] })).raw;
  return row ?? { period: 'total', n: 0 };
}

const TEST_WORDS: Record<ImpactTestName, string> = {
  two_proportion_z:
    'Two-proportion z-test (pooled standard error) and the unpooled 95 % interval of the difference, in percentage points.',
  welch_t: "Welch's t-test (unequal variances) and its 95 % interval of the difference of means.",
  nps_variance:
    'z-test with the NPS variance formula (promoter / passive / detractor scores) and its 95 % interval, in points.',
};

/**
 * The before/after impact of a change on one metric, with the change's scope as filters. Throws
 * `not_found` for an unknown metric, `bad_parameter` for window lengths out of range, or a metric that
 * cannot be filtered by the scope's dimensions (a survey KPI and a team scope) or is not served by the
 * query builder (customer KPIs).
 */
export async function changeImpact(
  client: ClickHouseClient,
  cfg: Config,
  change: ProcessChange,
  req: ImpactRequest,
): Promise<Impact> {
  const m = getMetric(req.metric);
  const beforeDays = windowDays('beforeDays', req.beforeDays);
  const afterDays = windowDays('afterDays', req.afterDays);
  for (const d of Object.keys(change.scope) as Dimension[]) {
    if (!m.dimensions.includes(d))
      throw badParameter('metric', `${m.name} cannot be filtered by the change's scope ${d}`);
  }
  const w = impactWindows(change.starts_at, cfg.timeZone, beforeDays, afterDays);
  const asOf = req.asOf ?? new Date();
  const base = { filters: change.scope, asOf };

  const [rawBefore, rawAfter, daily] = await Promise.all([
    totalRow(client, cfg, m, { ...base, ...w.before }),
    totalRow(client, cfg, m, { ...base, ...w.after }),
    runMetric(client, cfg, m, { ...base, from: w.before.from, to: w.after.to, grain: 'day', by: [] }).then(
      (a) => a.raw,
    ),
  ]);
  const rowBefore = toMetricRow(m, rawBefore, []);
  const rowAfter = toMetricRow(m, rawAfter, []);
  const before: ImpactWindow = { ...w.before, days: beforeDays, value: rowBefore.value, n: rowBefore.n };
  const after: ImpactWindow = { ...w.after, days: afterDays, value: rowAfter.value, n: rowAfter.n };

  const c =
    m.kind === 'quantile'
      ? await compareMeans(client, cfg, m, [before, after], {
          before: { ...base, ...w.before },
          after: { ...base, ...w.after },
        })
      : compareTotals(m, rawBefore, rawAfter, beforeDays, afterDays, before.value);
  const relative =
    c.diff === null || c.baseline === null || c.baseline === 0 ? null : (c.diff / Math.abs(c.baseline)) * 100;

  const control = controlChart(m, daily, [
    dateRange(w.before.from, w.before.to),
    dateRange(w.after.from, w.after.to),
  ]);

  return {
    change,
    metric: m.name,
    unit: m.unit,
    direction: m.direction,
    before,
    after,
    diff_of: m.kind === 'quantile' ? 'mean' : 'value',
    diff: c.diff,
    relative_change: relative,
    ci_low: c.ci_low,
    ci_high: c.ci_high,
    p_value: c.p_value,
    test: c.test,
    significant: c.p_value !== null && c.p_value < SIGNIFICANCE,
    control_chart: control,
    note: impactNote(cfg, change, {
      before,
      after,
      excluded: w.excluded,
      asOf,
      test: c.test,
      notes: c.notes,
    }),
  };
}

/** What the difference compares, its test, the baseline of the relative change, and notes. */
interface Comparison {
  test: ImpactTestName | null;
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  baseline: number | null;
  notes: string[];
}

/** A rate, mean, NPS or count metric: the difference of the two totals. */
function compareTotals(
  m: MetricDefinition,
  rawBefore: RawRow,
  rawAfter: RawRow,
  beforeDays: number,
  afterDays: number,
  baseline: number | null,
): Comparison {
  const d = difference(m, rawBefore, rawAfter);
  const notes: string[] = [];
  if (m.kind === 'count') {
    notes.push('A count has no sampling test: the change is shown without an interval or p-value.');
    if (beforeDays !== afterDays)
      notes.push(
        `The windows differ in length (${beforeDays} vs ${afterDays} days), so the counts are not comparable as they stand.`,
      );
  }
  return { ...d, baseline, notes };
}

/**
 * A quantile metric: the difference of the means. The quantile aggregates carry no SD: the same value
 * and condition read as a mean metric give avg, stddevSamp and n from the same facts, through the same
 * query builder. Sets the windows' `mean`.
 */
async function compareMeans(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  [before, after]: [ImpactWindow, ImpactWindow],
  req: Record<'before' | 'after', Omit<MetricRequest, 'grain' | 'by'>>,
): Promise<Comparison> {
  const asMean: MetricDefinition = { ...m, kind: 'mean' };
  const [mb, ma] = await Promise.all([
    totalRow(client, cfg, asMean, req.before),
    totalRow(client, cfg, asMean, req.after),
  ]);
  const d = difference(asMean, mb, ma);
  before.mean = num(mb.x);
  after.mean = num(ma.x);
  return {
    ...d,
    test: 'welch_t',
    baseline: before.mean,
    notes: [
      `${m.name} is shown as its median; the difference, its interval and the test are of the mean, as a median has no closed-form test.`,
    ],
  };
}

/** How the windows were cut and what to keep in mind reading the result, in words. */
function impactNote(
  cfg: Config,
  change: ProcessChange,
  r: {
    before: ImpactWindow;
    after: ImpactWindow;
    excluded: string | null;
    asOf: Date;
    test: ImpactTestName | null;
    notes: string[];
  },
): string {
  const { before, after } = r;
  const notes = [...r.notes];
  const scopeText = Object.keys(change.scope).length ? JSON.stringify(change.scope) : 'the whole centre';
  const head = [
    `Before ${before.from}…${before.to} (${before.days} days) against after ${after.from}…${after.to} (${after.days} days), whole days in ${cfg.timeZone}, scope ${scopeText}.`,
  ];
  if (r.excluded)
    head.push(
      `The change started at ${localDay(new Date(change.starts_at), cfg.timeZone).time} local time on ${r.excluded}, not at midnight, so that day mixes both ways of working and is in neither window.`,
    );
  if (r.test) head.push(TEST_WORDS[r.test]);
  const lastDay = localDay(r.asOf, cfg.timeZone).date;
  if (after.to >= lastDay)
    notes.push(
      `The after window reaches ${lastDay} (as of): its last days are incomplete and may still change.`,
    );
  if (isLowConfidence(before.n) || isLowConfidence(after.n))
    notes.push(`Fewer than ${LOW_CONFIDENCE_N} observations in a window: read the result with caution.`);
  return [...head, ...notes].join(' ');
}
