import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { addDays } from '../../infra/time.ts';
import { getMetric } from '../catalog.ts';
import type { MetricRequest } from '../query/request.ts';
import { toMetricRow, type MetricRow, type RawRow } from '../query/value.ts';
import { CLAUSES, type Clause } from '../standards/clauses.ts';
import {
  absoluteStatus,
  completeMonths,
  evaluateAbsolute,
  evaluateRelative,
  evaluateSustained,
  requiredValue,
  relativeStatus,
  type MemberVerdict,
  type SustainedVerdict,
} from '../targets/evaluate.ts';
import type { BaselinePeriod, TargetSpec, TargetStatus } from '../targets/types.ts';
import type { Dimension, MetricDefinition } from '../types.ts';
import { runMetric } from './metric.ts';

/**
 * The standards scorecard (`GET /api/v1/standards`): one row per clause of the standards
 * (metrics/standards/clauses.ts), judged by the target of `targets` that names the clause — the value
 * with CI and n under the clause's scope and the caller's filters, status, the baseline and the test of
 * the change (relative), the monthly trend, the teams that miss it, and for a sustained clause the
 * members (agents) who qualify, miss or lack data. The targets are an argument (the defaults, or a
 * stored list).
 */

type Filters = Partial<Record<Dimension, string[]>>;

export interface StandardsRequest {
  from: string;
  to: string;
  filters: Filters;
  asOf?: Date;
}

/** A team whose own value misses the clause's target. */
export interface TeamMiss {
  team_id: string;
  value: number | null;
  n: number;
  required: number | null;
}

export interface ClauseRow {
  id: string;
  standard: string;
  zh: string;
  en: string;
  metric: string;
  title: string;
  unit: MetricDefinition['unit'];
  direction: MetricDefinition['direction'];
  /** the target that judges the clause; null when the list holds none for it */
  target: TargetSpec | null;
  /** false when the caller's filters exclude the clause's scope (chat clause, phone filter) */
  applies: boolean;
  value: number | null;
  ci_low: number | null;
  ci_high: number | null;
  n: number;
  low_confidence: boolean;
  status: TargetStatus | null;
  /** the value the target asks for (absolute and sustained: its bar; relative: from the baseline) */
  required: number | null;
  /** relative: the baseline period's value, CI, n and days */
  baseline: (MetricRow & BaselinePeriod) | null;
  /** relative: period − baseline, its p-value and whether it is distinguishable from noise (5 %) */
  change: number | null;
  p_value: number | null;
  significant: boolean | null;
  /** the value by calendar month over the six months ending with the period's last (for a sparkline) */
  trend: { period: string; value: number | null; n: number }[];
  /** absolute with `per`: every member judged */
  members: MemberVerdict[] | null;
  /** the teams that miss it; null when the KPI cannot be split by team */
  teams_missing: TeamMiss[] | null;
  /** sustained: who qualifies, misses, lacks data; null for the other kinds */
  sustained: SustainedVerdict | null;
  /** sustained: why the members cannot be judged (the KPI is not available by `per`) */
  unavailable: string | null;
}

export interface Scorecard {
  from: string;
  to: string;
  baseline: BaselinePeriod;
  rows: ClauseRow[];
  completeThrough: Date;
}

/**
 * The caller's filters under the clause's scope: the filters a KPI cannot take are left out (as on the
 * overview), a dimension in both keeps the values in both; null when nothing is left of the scope.
 */
export function scopedFilters(m: MetricDefinition, filters: Filters, scope: Filters = {}): Filters | null {
  const out: Filters = {};
  for (const [d, vs] of Object.entries(filters) as [Dimension, string[]][])
    if (m.dimensions.includes(d)) out[d] = [...vs];
  for (const [d, vs] of Object.entries(scope) as [Dimension, string[]][]) {
    const mine = out[d];
    const both = mine ? vs.filter((v) => mine.includes(v)) : [...vs];
    if (both.length === 0) return null;
    out[d] = both;
  }
  return out;
}

/** Months of the trend: the calendar months ending with the month of the period's last day. */
export const TREND_MONTHS = 6;

/** The first day of the trend: the first of the month {@link TREND_MONTHS} − 1 months before `to`'s. */
export function trendStart(to: string): string {
  const d = new Date(`${to.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - (TREND_MONTHS - 1));
  return d.toISOString().slice(0, 10);
}

/** The last day of the month that starts on `first`. */
const monthEnd = (first: string): string => {
  const d = new Date(`${first}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1, 1);
  return addDays(d.toISOString().slice(0, 10), -1);
};

interface Ctx {
  client: ClickHouseClient;
  cfg: Config;
  req: StandardsRequest;
  baseline: BaselinePeriod;
  completeThrough: Date;
}

async function run(ctx: Ctx, m: MetricDefinition, r: Omit<MetricRequest, 'asOf'>): Promise<RawRow[]> {
  const a = await runMetric(ctx.client, ctx.cfg, m, { ...r, asOf: ctx.req.asOf });
  if (a.completeThrough < ctx.completeThrough) ctx.completeThrough = a.completeThrough;
  return a.raw;
}

const total = (m: MetricDefinition, raw: RawRow[]): RawRow => raw[0] ?? { period: 'total', n: 0 };

function emptyRow(c: Clause, m: MetricDefinition, target: TargetSpec | null): ClauseRow {
  return {
    id: c.id,
    standard: c.standard,
    zh: c.zh,
    en: c.en,
    metric: m.name,
    title: m.title,
    unit: m.unit,
    direction: m.direction,
    target,
    applies: true,
    value: null,
    ci_low: null,
    ci_high: null,
    n: 0,
    low_confidence: true,
    status: null,
    required: null,
    baseline: null,
    change: null,
    p_value: null,
    significant: null,
    trend: [],
    members: null,
    teams_missing: null,
    sustained: null,
    unavailable: null,
  };
}

/** The teams whose own value misses: absolute against the bar, relative against their own baseline. */
async function teamsMissing(
  ctx: Ctx,
  m: MetricDefinition,
  t: TargetSpec,
  filters: Filters,
): Promise<TeamMiss[] | null> {
  if (!m.dimensions.includes('team_id') || t.kind === 'sustained') return null;
  const base = { by: ['team_id'] as Dimension[], filters, grain: 'total' as const };
  const cur = await run(ctx, m, { ...base, from: ctx.req.from, to: ctx.req.to });
  const before =
    t.kind === 'relative'
      ? new Map(
          (await run(ctx, m, { ...base, ...ctx.baseline })).map((r) => [
            String(r['team_id']),
            toMetricRow(m, r, ['team_id']).value,
          ]),
        )
      : null;
  const out: TeamMiss[] = [];
  for (const r of cur) {
    const row = toMetricRow(m, r, ['team_id']);
    const team = String(r['team_id'] ?? '');
    let required: number | null = t.value;
    let status: TargetStatus;
    if (before) {
      const b = before.get(team) ?? null;
      required = b === null ? null : requiredValue(m.direction, b, t.value);
      status = relativeStatus(m.direction, row.value, b, required);
    } else status = absoluteStatus(m, row.value, t.value);
    if (status === 'missed') out.push({ team_id: team, value: row.value, n: row.n, required });
  }
  return out.sort((a, b) => a.team_id.localeCompare(b.team_id));
}

/**
 * The sustained verdict: each member of `per` in each of the N complete months ending by `to`. The
 * answers attributed to no member (a survey without an interaction, an interaction no agent handled)
 * are no one's: they count in the clause's value but are not a member to qualify.
 */
async function sustained(
  ctx: Ctx,
  m: MetricDefinition,
  t: TargetSpec,
  filters: Filters,
): Promise<Pick<ClauseRow, 'sustained' | 'unavailable' | 'status'>> {
  const per = t.per;
  if (!per || !m.dimensions.includes(per))
    return {
      sustained: null,
      status: 'insufficient_data',
      unavailable: `${m.name} cannot be grouped by ${per ?? '(no dimension)'}`,
    };
  const months = completeMonths(ctx.req.to, t.months ?? 1);
  const first = months[0] as string;
  const last = monthEnd(months[months.length - 1] as string);
  const raw = await run(ctx, m, { from: first, to: last, grain: 'month', by: [per], filters });
  const values = raw.flatMap((r) => {
    const member = String(r[per] ?? '');
    if (member === '') return [];
    const row = toMetricRow(m, r, [per]);
    return [{ member, period: row.period, value: row.value, n: row.n }];
  });
  const v = evaluateSustained(m, t, months, values);
  return { sustained: v, status: v.status, unavailable: null };
}

/** One clause's row. */
async function clauseRow(ctx: Ctx, c: Clause, targets: readonly TargetSpec[]): Promise<ClauseRow> {
  const t = targets.find((x) => x.clause === c.id) ?? null;
  const m = getMetric(t?.metric ?? c.target.metric);
  const row = emptyRow(c, m, t);
  const filters = scopedFilters(m, ctx.req.filters, t?.scope ?? c.target.scope);
  if (filters === null) return { ...row, applies: false };
  const period = { from: ctx.req.from, to: ctx.req.to, filters };
  const cur = total(m, await run(ctx, m, { ...period, grain: 'total', by: [] }));
  const now = toMetricRow(m, cur, []);
  const trendFrom = trendStart(ctx.req.to);
  const trend = (await run(ctx, m, { to: ctx.req.to, from: trendFrom, filters, grain: 'month', by: [] })).map(
    (r) => {
      const x = toMetricRow(m, r, []);
      return { period: x.period, value: x.value, n: x.n };
    },
  );
  Object.assign(row, {
    value: now.value,
    ci_low: now.ci_low,
    ci_high: now.ci_high,
    n: now.n,
    low_confidence: now.low_confidence,
    trend,
  });
  if (!t) return row;
  row.teams_missing = await teamsMissing(ctx, m, t, filters);
  if (t.kind === 'absolute') {
    const members =
      t.per && m.dimensions.includes(t.per)
        ? (await run(ctx, m, { ...period, grain: 'total', by: [t.per] })).map((r) =>
            toMetricRow(m, r, [t.per as Dimension]),
          )
        : [];
    const v = evaluateAbsolute(m, t, now, members);
    return { ...row, required: v.required, status: v.status, members: v.members };
  }
  if (t.kind === 'relative') {
    const before = total(m, await run(ctx, m, { ...ctx.baseline, filters, grain: 'total', by: [] }));
    const v = evaluateRelative(m, t, cur, before, ctx.baseline);
    const { required, status, baseline, change, p_value, significant } = v;
    return { ...row, required, status, baseline, change, p_value, significant };
  }
  return { ...row, required: t.value, ...(await sustained(ctx, m, t, filters)) };
}

/** The scorecard: every clause, in the order of the standards. */
export async function computeStandards(
  client: ClickHouseClient,
  cfg: Config,
  req: StandardsRequest,
  targets: readonly TargetSpec[],
  baseline: BaselinePeriod,
): Promise<Scorecard> {
  const ctx: Ctx = { client, cfg, req, baseline, completeThrough: new Date() };
  const rows: ClauseRow[] = [];
  for (const c of CLAUSES) rows.push(await clauseRow(ctx, c, targets));
  return { from: req.from, to: req.to, baseline, rows, completeThrough: ctx.completeThrough };
}
