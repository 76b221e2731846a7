import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { CxError, badParameter } from '../infra/errors.ts';
import { getMetric } from './catalog.ts';
import { queryMetricRows, toMetricRow, type RawRow } from './compute.ts';
import type { MetricRequest } from './query.ts';
import {
  LOW_CONFIDENCE_N,
  individualsChart,
  isLowConfidence,
  npsDifference,
  pChart,
  twoProportionZTest,
  welchTTest,
} from './stats.ts';
import { DIMENSIONS, type Dimension, type MetricDefinition, type Unit } from './types.ts';

/**
 * Process-change impact (docs/metrics.md "Process-change impact"): the improvement teams annotate a change
 * — when it started, which part of the service it touched — and ask whether a KPI moved.
 *
 * Annotations live in `process_changes` (migration 004), one row per saved version; the impact is the
 * metric over a before and an after window with the change's scope as filters, the difference with its
 * 95 % interval and the p-value of the test that fits the metric's kind, and a daily control chart over
 * both windows. Queries come from the query builder (`buildMetricQuery`); tests and chart limits from
 * `stats.ts`; nothing statistical is computed here.
 */

// ---------------------------------------------------------------------------------------------------
// Annotations

/** A process change as saved; the latest version of its id. Times are ISO 8601 in UTC. */
export interface ProcessChange {
  /** Stable id: a UUID unless the caller chose one. */
  id: string;
  /** 1–200 characters. */
  title: string;
  description: string;
  /** When the change took effect. */
  starts_at: string;
  /** Dimension filters the change applies to, e.g. `{ team_id: ['t2'] }`; `{}` = the whole centre. */
  scope: Partial<Record<Dimension, string[]>>;
  created_by: string;
  created_at: string;
  /** Who saved this version (the creator for the first one). */
  updated_by: string;
  updated_at: string;
  /** Grows with every save; the highest version of an id is the change. */
  version: number;
}

/**
 * What a caller saves. Without `id` a new change is created (id = random UUID). With `id` a new version
 * of that change is written: `description` and `scope` keep their previous values when omitted, the
 * creator and creation time are kept. An `id` that does not exist yet creates the change under that id
 * (so a change can be given a readable, stable id such as `pc-t2-one-touch`).
 */
export interface SaveChangeInput {
  id?: string;
  title: string;
  description?: string;
  /** ISO 8601 date-time with an explicit offset (`Z` or `±hh:mm`): a bare local time is ambiguous. */
  starts_at: string;
  scope?: Partial<Record<Dimension, string[]>>;
  /** The editor saving it (recorded as created_by / updated_by). */
  user: string;
}

const TITLE_MAX = 200;
const DESCRIPTION_MAX = 10_000;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
/** Date-time with seconds optional, fraction optional, offset required. */
const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|([+-])(\d{2}):?(\d{2}))$/;

function nonEmptyString(name: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim().length === 0) throw badParameter(name, 'is required');
  const s = v.trim();
  if ([...s].length > max) throw badParameter(name, `must be at most ${max} characters`);
  return s;
}

/** Parse an ISO date-time with offset to the instant's UTC ISO string; Date.parse alone rolls 02-30 over. */
function parseStartsAt(v: unknown): string {
  const m = typeof v === 'string' ? ISO_WITH_OFFSET.exec(v) : null;
  if (!m)
    throw badParameter(
      'starts_at',
      'must be an ISO 8601 date-time with an offset, e.g. 2026-03-06T00:00:00+08:00',
    );
  const [y, mo, d, h, mi, s, , oh, om] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (
    mo! < 1 ||
    mo! > 12 ||
    d! < 1 ||
    d! > daysInMonth ||
    h! > 23 ||
    mi! > 59 ||
    s! > 59 ||
    oh! > 23 ||
    om! > 59
  )
    throw badParameter('starts_at', `${String(v)} is not a valid date-time`);
  // DateTime64(3) stores 1900-01-01 .. 2299-12-31; a change outside this century is a typo anyway.
  if (y! < 2000 || y! > 2199) throw badParameter('starts_at', 'must be between the years 2000 and 2199');
  return new Date(Date.parse(v as string)).toISOString();
}

function parseScope(v: unknown): Partial<Record<Dimension, string[]>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw badParameter('scope', 'must be an object of dimension → list of values');
  const input = v as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(DIMENSIONS as readonly string[]).includes(key))
      throw badParameter(`scope.${key}`, `is not a dimension; dimensions are ${DIMENSIONS.join(', ')}`);
  }
  const scope: Partial<Record<Dimension, string[]>> = {};
  // Dimension order and de-duplicated values, so equal scopes are stored as equal text.
  for (const d of DIMENSIONS) {
    if (!(d in input)) continue;
    const values = input[d];
    if (!Array.isArray(values) || values.length === 0)
      throw badParameter(`scope.${d}`, 'must be a non-empty list of values');
    if (!values.every((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200))
      throw badParameter(`scope.${d}`, 'values must be non-empty strings of at most 200 characters');
    scope[d] = [...new Set(values)];
  }
  return scope;
}

interface ValidInput {
  id: string | undefined;
  title: string;
  description: string | undefined;
  starts_at: string;
  scope: Partial<Record<Dimension, string[]>> | undefined;
  user: string;
}

function validateInput(input: SaveChangeInput): ValidInput {
  if (typeof input !== 'object' || input === null) throw badParameter('body', 'must be an object');
  const { id, description, scope } = input;
  if (id !== undefined && (typeof id !== 'string' || !ID_RE.test(id)))
    throw badParameter(
      'id',
      'must be 1–100 characters of letters, digits and . _ : -, starting with a letter or digit',
    );
  if (description !== undefined && typeof description !== 'string')
    throw badParameter('description', 'must be a string');
  if (description !== undefined && [...description].length > DESCRIPTION_MAX)
    throw badParameter('description', `must be at most ${DESCRIPTION_MAX} characters`);
  return {
    id,
    title: nonEmptyString('title', input.title, TITLE_MAX),
    description,
    starts_at: parseStartsAt(input.starts_at),
    scope: scope === undefined ? undefined : parseScope(scope),
    user: nonEmptyString('user', input.user, 200),
  };
}

/** ClickHouse's DateTime64 text in UTC: what a JSONEachRow insert into DateTime64(3, 'UTC') parses. */
const chTime = (iso: string): string => iso.slice(0, 23).replace('T', ' ');

interface StoredRow {
  id: string;
  title: string;
  description: string;
  starts_at_ms: string | number;
  scope: string;
  created_by: string;
  created_at_ms: string | number;
  updated_by: string;
  updated_at_ms: string | number;
  version: string | number;
}

const isoOfMs = (ms: string | number): string => new Date(Number(ms)).toISOString();

function fromStored(r: StoredRow): ProcessChange {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    starts_at: isoOfMs(r.starts_at_ms),
    scope: JSON.parse(r.scope) as Partial<Record<Dimension, string[]>>,
    created_by: r.created_by,
    created_at: isoOfMs(r.created_at_ms),
    updated_by: r.updated_by,
    updated_at: isoOfMs(r.updated_at_ms),
    version: Number(r.version),
  };
}

/** Epoch milliseconds rather than DateTime64 text, so the output format settings cannot change them. */
const SELECT_CHANGES = (db: string) => `
  SELECT id, title, description, toUnixTimestamp64Milli(starts_at) AS starts_at_ms, scope,
         created_by, toUnixTimestamp64Milli(created_at) AS created_at_ms,
         updated_by, toUnixTimestamp64Milli(updated_at) AS updated_at_ms, version
  FROM ${db}.process_changes FINAL`;

async function readChanges(client: ClickHouseClient, cfg: Config, id?: string): Promise<ProcessChange[]> {
  const db = cfg.clickhouse.database;
  const rs = await client.query({
    query:
      id === undefined
        ? `${SELECT_CHANGES(db)} ORDER BY starts_at DESC, id`
        : `${SELECT_CHANGES(db)} WHERE id = {id:String}`,
    query_params: id === undefined ? {} : { id },
    format: 'JSONEachRow',
  });
  return (await rs.json<StoredRow>()).map(fromStored);
}

/**
 * Create a change, or save a new version of one (see {@link SaveChangeInput}). Throws `bad_parameter`
 * naming the field (`title`, `starts_at`, `scope.<key>`, …).
 */
export async function saveChange(
  client: ClickHouseClient,
  cfg: Config,
  input: SaveChangeInput,
): Promise<ProcessChange> {
  const v = validateInput(input);
  const prev = v.id === undefined ? undefined : (await readChanges(client, cfg, v.id))[0];
  const now = new Date();
  const change: ProcessChange = {
    id: v.id ?? randomUUID(),
    title: v.title,
    description: v.description ?? prev?.description ?? '',
    starts_at: v.starts_at,
    scope: v.scope ?? prev?.scope ?? {},
    created_by: prev?.created_by ?? v.user,
    created_at: prev?.created_at ?? now.toISOString(),
    updated_by: v.user,
    updated_at: now.toISOString(),
    // Above the previous version even if two saves share a millisecond or the clock went back.
    version: Math.max(now.getTime(), (prev?.version ?? 0) + 1),
  };
  await client.insert({
    table: `${cfg.clickhouse.database}.process_changes`,
    values: [
      {
        ...change,
        scope: JSON.stringify(change.scope),
        starts_at: chTime(change.starts_at),
        created_at: chTime(change.created_at),
        updated_at: chTime(change.updated_at),
      },
    ],
    format: 'JSONEachRow',
  });
  return change;
}

/** Every change, latest version of each, newest start first. */
export async function listChanges(client: ClickHouseClient, cfg: Config): Promise<ProcessChange[]> {
  return readChanges(client, cfg);
}

/** The latest version of one change; `not_found` when there is none. */
export async function getChange(client: ClickHouseClient, cfg: Config, id: string): Promise<ProcessChange> {
  const [change] = typeof id === 'string' && ID_RE.test(id) ? await readChanges(client, cfg, id) : [];
  if (!change) throw new CxError('not_found', `no process change with id ${JSON.stringify(id)}`);
  return change;
}

// ---------------------------------------------------------------------------------------------------
// Impact

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

export type ImpactTestName = 'two_proportion_z' | 'welch_t' | 'nps_variance';

/** One local day of the chart. Values and limits are in the metric's unit (percent for rates). */
export interface ControlChartPoint {
  period: string;
  phase: 'before' | 'after';
  /** null on a day without observations (then `out` is false). */
  value: number | null;
  n: number;
  lcl: number | null;
  ucl: number | null;
  out: boolean;
}

export interface ImpactControlChart {
  /** `p`: p-chart of daily rates, limits per day from its n; `individuals`: X-mR chart of daily values. */
  type: 'p' | 'individuals';
  /** Centre line over both windows. */
  center: number | null;
  /** Every day of the before window, then every day of the after window. */
  points: ControlChartPoint[];
  /** Index in `points` of the first day after the change. */
  change_index: number;
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

export const DEFAULT_WINDOW_DAYS = 28;
const MAX_WINDOW_DAYS = 366;
/** Two-sided level of `significant`, the complement of the 95 % intervals. */
export const SIGNIFICANCE = 0.05;
const DAY_MS = 86_400_000;

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
};

function addDays(date: string, k: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + k * DAY_MS).toISOString().slice(0, 10);
}

function windowDays(name: string, v: number | undefined): number {
  const days = v ?? DEFAULT_WINDOW_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS)
    throw badParameter(name, `must be a whole number of days, 1–${MAX_WINDOW_DAYS}`);
  return days;
}

/** Local calendar date of an instant, and whether it is exactly local midnight. */
function localDay(t: Date, timeZone: string): { date: string; time: string; midnight: boolean } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const time = `${parts['hour']}:${parts['minute']}:${parts['second']}`;
  return {
    date: `${parts['year']}-${parts['month']}-${parts['day']}`,
    time,
    midnight: time === '00:00:00' && t.getUTCMilliseconds() === 0,
  };
}

/**
 * The windows, in whole local days of the configured zone (what the query builder filters on). A change
 * at local midnight starts its day: the after window begins on that date. A change at any other time
 * splits its day between the old and the new way of working, so that day belongs to neither window —
 * the after window begins the next day — rather than diluting one of them.
 */
export function impactWindows(
  startsAt: string,
  timeZone: string,
  beforeDays: number,
  afterDays: number,
): { before: { from: string; to: string }; after: { from: string; to: string }; excluded: string | null } {
  const start = localDay(new Date(startsAt), timeZone);
  const firstAfter = start.midnight ? start.date : addDays(start.date, 1);
  return {
    before: { from: addDays(start.date, -beforeDays), to: addDays(start.date, -1) },
    after: { from: firstAfter, to: addDays(firstAfter, afterDays - 1) },
    excluded: start.midnight ? null : start.date,
  };
}

/** A change between two totals of a metric: difference, its 95 % CI and p-value. */
export interface Difference {
  test: ImpactTestName | null;
  /** after − before, in the metric's unit (percentage points for rates) */
  diff: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
}

/**
 * The difference between two totals (rows of the query builder, before then after) with the test the
 * metric's kind calls for: two-proportion z for rates, Welch's t for means, the NPS variance formula for
 * NPS; a count or a quantile gets the difference alone (see changeImpact for quantiles).
 */
export function difference(m: MetricDefinition, before: RawRow, after: RawRow): Difference {
  const nb = Number(before.n);
  const na = Number(after.n);
  switch (m.kind) {
    case 'rate': {
      const t = twoProportionZTest(Number(before.x ?? 0), nb, Number(after.x ?? 0), na);
      // stats.ts works in proportions; the metric is in percent.
      const pct = (v: number | null) => (v === null ? null : v * 100);
      return {
        test: 'two_proportion_z',
        diff: pct(t.diff),
        ci_low: pct(t.ci_low),
        ci_high: pct(t.ci_high),
        p_value: t.p_value,
      };
    }
    case 'mean': {
      const t = welchTTest(
        { mean: num(before.x), sd: num(before.sd), n: nb },
        { mean: num(after.x), sd: num(after.sd), n: na },
      );
      return { test: 'welch_t', diff: t.diff, ci_low: t.ci_low, ci_high: t.ci_high, p_value: t.p_value };
    }
    case 'nps': {
      const counts = (r: RawRow) => ({
        promoters: Number(r.pro ?? 0),
        detractors: Number(r.det ?? 0),
        n: Number(r.n),
      });
      const t = npsDifference(counts(before), counts(after));
      return { test: 'nps_variance', diff: t.diff, ci_low: t.ci_low, ci_high: t.ci_high, p_value: t.p_value };
    }
    case 'count':
    case 'quantile': {
      const b = toMetricRow(m, before, []).value;
      const a = toMetricRow(m, after, []).value;
      return {
        test: null,
        diff: a === null || b === null ? null : a - b,
        ci_low: null,
        ci_high: null,
        p_value: null,
      };
    }
  }
}

async function totalRow(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: Omit<MetricRequest, 'grain' | 'by'>,
): Promise<RawRow> {
  const [row] = await queryMetricRows(client, cfg, m, { ...req, grain: 'total', by: [] });
  return row ?? { period: 'total', n: 0 };
}

function dateRange(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
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
    queryMetricRows(client, cfg, m, { ...base, from: w.before.from, to: w.after.to, grain: 'day', by: [] }),
  ]);
  const rowBefore = toMetricRow(m, rawBefore, []);
  const rowAfter = toMetricRow(m, rawAfter, []);
  const before: ImpactWindow = { ...w.before, days: beforeDays, value: rowBefore.value, n: rowBefore.n };
  const after: ImpactWindow = { ...w.after, days: afterDays, value: rowAfter.value, n: rowAfter.n };

  let test: ImpactTestName | null;
  let diff: number | null;
  let ciLow: number | null;
  let ciHigh: number | null;
  let pValue: number | null;
  let baseline = before.value;
  const notes: string[] = [];
  if (m.kind === 'quantile') {
    test = 'welch_t';
    // The quantile aggregates carry no SD: the same value and condition read as a mean metric give
    // avg, stddevSamp and n from the same facts, through the same query builder.
    const asMean: MetricDefinition = { ...m, kind: 'mean' };
    const [mb, ma] = await Promise.all([
      totalRow(client, cfg, asMean, { ...base, ...w.before }),
      totalRow(client, cfg, asMean, { ...base, ...w.after }),
    ]);
    const d = difference(asMean, mb, ma);
    [diff, ciLow, ciHigh, pValue] = [d.diff, d.ci_low, d.ci_high, d.p_value];
    before.mean = num(mb.x);
    after.mean = num(ma.x);
    baseline = before.mean;
    notes.push(
      `${m.name} is shown as its median; the difference, its interval and the test are of the mean, as a median has no closed-form test.`,
    );
  } else {
    const d = difference(m, rawBefore, rawAfter);
    [test, diff, ciLow, ciHigh, pValue] = [d.test, d.diff, d.ci_low, d.ci_high, d.p_value];
    if (m.kind === 'count') {
      notes.push('A count has no sampling test: the change is shown without an interval or p-value.');
      if (beforeDays !== afterDays)
        notes.push(
          `The windows differ in length (${beforeDays} vs ${afterDays} days), so the counts are not comparable as they stand.`,
        );
    }
  }
  const relative =
    diff === null || baseline === null || baseline === 0 ? null : (diff / Math.abs(baseline)) * 100;

  const control = controlChart(m, daily, [
    dateRange(w.before.from, w.before.to),
    dateRange(w.after.from, w.after.to),
  ]);

  const scopeText = Object.keys(change.scope).length ? JSON.stringify(change.scope) : 'the whole centre';
  const head = [
    `Before ${before.from}…${before.to} (${beforeDays} days) against after ${after.from}…${after.to} (${afterDays} days), whole days in ${cfg.timeZone}, scope ${scopeText}.`,
  ];
  if (w.excluded)
    head.push(
      `The change started at ${localDay(new Date(change.starts_at), cfg.timeZone).time} local time on ${w.excluded}, not at midnight, so that day mixes both ways of working and is in neither window.`,
    );
  if (test) head.push(TEST_WORDS[test]);
  const lastDay = localDay(asOf, cfg.timeZone).date;
  if (after.to >= lastDay)
    notes.push(
      `The after window reaches ${lastDay} (as of): its last days are incomplete and may still change.`,
    );
  if (isLowConfidence(before.n) || isLowConfidence(after.n))
    notes.push(`Fewer than ${LOW_CONFIDENCE_N} observations in a window: read the result with caution.`);

  return {
    change,
    metric: m.name,
    unit: m.unit,
    direction: m.direction,
    before,
    after,
    diff_of: m.kind === 'quantile' ? 'mean' : 'value',
    diff,
    relative_change: relative,
    ci_low: ciLow,
    ci_high: ciHigh,
    p_value: pValue,
    test,
    significant: pValue !== null && pValue < SIGNIFICANCE,
    control_chart: control,
    note: [...head, ...notes].join(' '),
  };
}

/**
 * Daily control chart over both windows, one centre line and one set of limits, so that a shift shows
 * as a run of days on one side of the centre from the change on. Rates get a p-chart (limits widen on
 * days with few observations); every other kind an individuals chart of the daily values.
 */
function controlChart(
  m: MetricDefinition,
  daily: RawRow[],
  [beforeDates, afterDates]: string[][],
): ImpactControlChart {
  const byDay = new Map(daily.map((r) => [String(r.period), r]));
  const dates = [...beforeDates!, ...afterDates!];
  const phase = (i: number): 'before' | 'after' => (i < beforeDates!.length ? 'before' : 'after');
  const rows = dates.map((d) => {
    const raw = byDay.get(d);
    return { period: d, raw, row: raw ? toMetricRow(m, raw, []) : undefined };
  });
  if (m.kind === 'rate') {
    const chart = pChart(rows.map(({ raw }) => ({ x: Number(raw?.x ?? 0), n: Number(raw?.n ?? 0) })));
    const pct = (v: number | null) => (v === null ? null : v * 100);
    return {
      type: 'p',
      center: pct(chart.center),
      points: rows.map(({ period, row }, i) => {
        const p = chart.points[i]!;
        return {
          period,
          phase: phase(i),
          value: pct(p.p),
          n: row?.n ?? 0,
          lcl: pct(p.lcl),
          ucl: pct(p.ucl),
          out: p.out,
        };
      }),
      change_index: beforeDates!.length,
    };
  }
  // A day without rows counted nothing (a count of 0); for other kinds it has no value to plot.
  const values = rows.map(({ row }) => (m.kind === 'count' ? (row?.value ?? 0) : (row?.value ?? null)));
  const present = values.filter((v): v is number => v !== null);
  const chart = individualsChart(present);
  let k = 0;
  return {
    type: 'individuals',
    center: chart.center,
    points: rows.map(({ period, row }, i) => {
      const value = values[i] ?? null;
      const out = value === null ? false : (chart.out[k++] ?? false);
      return { period, phase: phase(i), value, n: row?.n ?? 0, lcl: chart.lcl, ucl: chart.ucl, out };
    }),
    change_index: beforeDates!.length,
  };
}
