import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import {
  buildMetricQuery,
  buildRollupBatchQuery,
  requestDimensions,
  type MetricRequest,
  type Store,
} from './query.ts';
import { readRollupState, rollupFingerprint, rollupSetFor, type RollupState } from './rollups.ts';
import {
  isLowConfidence,
  meanInterval,
  npsInterval,
  targetStatus,
  wilson,
  type TargetKind,
} from './stats.ts';
import type { Dimension, MetricDefinition } from './types.ts';

/** One row of a metric response (docs/api.md, "The metric response"): full precision, `null` (never NaN) when n is 0. */
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
  [dimension: string]: unknown;
}

/** The aggregates of one group, as ClickHouse returns them (see query.ts `aggregates`). */
export interface RawRow {
  period: string;
  n: string | number;
  x?: string | number | null;
  sd?: string | number | null;
  pro?: string | number;
  det?: string | number;
  p50?: string | number | null;
  p90?: string | number | null;
  [dimension: string]: unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const finite = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : v);

const TARGET_KIND: Record<MetricDefinition['unit'], TargetKind> = {
  percent: 'rate',
  points: 'rate',
  score: 'score',
  seconds: 'time',
  hours: 'time',
  count: 'score',
};

/** Turn the aggregates of one group into the response row: value, CI, target status. */
export function toMetricRow(m: MetricDefinition, raw: RawRow, by: readonly Dimension[]): MetricRow {
  const n = Number(raw.n);
  let value: number | null = null;
  let low: number | null = null;
  let high: number | null = null;
  const extra: Partial<MetricRow> = {};
  if (n > 0) {
    switch (m.kind) {
      case 'rate': {
        const w = wilson(Number(raw.x), n);
        value = (Number(raw.x) / n) * 100;
        low = w.low === null ? null : w.low * 100;
        high = w.high === null ? null : w.high * 100;
        break;
      }
      case 'count':
        value = Number(raw.x);
        break;
      case 'mean': {
        value = finite(num(raw.x));
        const ci = value === null ? null : meanInterval(value, num(raw.sd) ?? 0, n);
        low = ci?.low ?? null;
        high = ci?.high ?? null;
        break;
      }
      case 'nps': {
        const ci = npsInterval(Number(raw.pro), Number(raw.det), n);
        value = ((Number(raw.pro) - Number(raw.det)) / n) * 100;
        low = ci.low;
        high = ci.high;
        break;
      }
      case 'quantile':
        value = finite(num(raw.p50));
        extra.p90 = finite(num(raw.p90));
        extra.mean = finite(num(raw.x));
        break;
    }
  } else if (m.kind === 'quantile') {
    extra.p90 = null;
    extra.mean = null;
  }
  const target = m.target?.basis === 'absolute' ? m.target.value : null;
  const row: MetricRow = {
    period: raw.period,
    ...Object.fromEntries(by.map((d) => [d, raw[d]])),
    value,
    n,
    ci_low: low,
    ci_high: high,
    target,
    status: target === null ? null : targetStatus(value, target, m.direction, TARGET_KIND[m.unit]),
    low_confidence: isLowConfidence(n),
    ...extra,
  };
  return row;
}

/** Where a request is answered from, given the rollups' state (see query.ts `Store`). */
export function chooseStore(
  m: MetricDefinition,
  req: MetricRequest,
  cfg: Config,
  state: RollupState | null,
): Store {
  if (req.store !== undefined && req.store !== 'auto') return req.store;
  if (state === null || state.fingerprint !== fingerprintOf(cfg)) return 'raw';
  if (m.source === 'customers') return 'rollup';
  const judgedThen =
    !/\btarget_passed\b/.test(Object.values(m.sql).join(' ')) ||
    req.asOf === undefined ||
    req.asOf.getTime() === state.evaluatedAt.getTime();
  return judgedThen && rollupSetFor(m, requestDimensions(req)) !== null ? 'rollup' : 'facts';
}

const fingerprints = new WeakMap<Config, string>();
function fingerprintOf(cfg: Config): string {
  let fp = fingerprints.get(cfg);
  if (fp === undefined) fingerprints.set(cfg, (fp = rollupFingerprint(cfg)));
  return fp;
}

interface RawAnswer {
  raw: RawRow[];
  store: Store;
  completeThrough: Date;
}

async function runMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<RawAnswer> {
  const explicit = req.store !== undefined && req.store !== 'auto';
  const started = new Date();
  const state = explicit ? null : await readRollupState(client, cfg.clickhouse.database);
  const store = chooseStore(m, req, cfg, state);
  const q = buildMetricQuery(m, req, cfg, store);
  const rs = await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  const raw = await rs.json<RawRow>();
  return { raw, store, completeThrough: store === 'raw' || !state ? started : state.completeThrough };
}

/** Run one metric request against ClickHouse: the raw aggregates per group. */
export async function queryMetricRows(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<RawRow[]> {
  return (await runMetric(client, cfg, m, req)).raw;
}

/** A metric's rows, where they were read from, and how far the data they count is complete. */
export interface MetricAnswer {
  rows: MetricRow[];
  store: Store;
  /** Every event ingested before this instant is counted in `rows`. */
  completeThrough: Date;
}

/** Run one metric request against ClickHouse and shape the rows. */
export async function answerMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<MetricAnswer> {
  const { raw, store, completeThrough } = await runMetric(client, cfg, m, req);
  const rows =
    raw.length === 0 && req.grain === 'total' && req.by.length === 0
      ? // An empty period still answers, with n = 0 and no value.
        [toMetricRow(m, { period: 'total', n: 0 }, [])]
      : raw.map((r) => toMetricRow(m, r, req.by));
  return { rows, store, completeThrough };
}

/** Run one metric request against ClickHouse and shape the rows. */
export async function computeMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<MetricRow[]> {
  return (await answerMetric(client, cfg, m, req)).rows;
}

/** One row of the batch rollup query: summed aggregates of a metric, period and group. */
interface SumsRow {
  metric: string;
  period: string;
  sx: number | string;
  sn: number | string;
  ss2: number | string;
  spro: number | string;
  sdet: number | string;
  [dimension: string]: unknown;
}

/** The sums of a rollup row as the aggregates of its metric's kind (what the single query returns). */
function sumsToRaw(m: MetricDefinition, r: SumsRow, by: readonly Dimension[]): RawRow {
  const sx = Number(r.sx);
  const sn = Number(r.sn);
  const dims = Object.fromEntries(by.map((d) => [d, r[d]]));
  const base = { period: r.period, n: sn, ...dims };
  switch (m.kind) {
    case 'mean': {
      const v = sn > 1 ? Math.sqrt(Math.max(0, (Number(r.ss2) - (sx * sx) / sn) / (sn - 1))) : null;
      return { ...base, x: sx / sn, sd: v };
    }
    case 'nps':
      return { ...base, pro: Number(r.spro), det: Number(r.sdet) };
    default:
      return { ...base, x: sx };
  }
}

/**
 * Several metrics over one request: those the rollups answer in one query, the others one by one.
 * The same rows as answering each alone.
 */
export async function queryMetricsRows(
  client: ClickHouseClient,
  cfg: Config,
  ms: readonly MetricDefinition[],
  req: MetricRequest,
): Promise<{ raw: Map<string, RawRow[]>; completeThrough: Date }> {
  const state = await readRollupState(client, cfg.clickhouse.database);
  const batch = ms.filter((m) => m.source !== 'customers' && chooseStore(m, req, cfg, state) === 'rollup');
  const out = new Map<string, RawRow[]>(ms.map((m) => [m.name, []]));
  let completeThrough = state && batch.length > 0 ? state.completeThrough : new Date();
  if (batch.length > 0) {
    const q = buildRollupBatchQuery(batch, req, cfg);
    const rs = await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
    const byName = new Map(batch.map((m) => [m.name, m]));
    for (const r of await rs.json<SumsRow>()) {
      const m = byName.get(r.metric);
      if (m) out.get(m.name)?.push(sumsToRaw(m, r, req.by));
    }
  }
  for (const m of ms.filter((x) => !batch.includes(x))) {
    const a = await runMetric(client, cfg, m, req);
    out.set(m.name, a.raw);
    if (a.completeThrough < completeThrough) completeThrough = a.completeThrough;
  }
  return { raw: out, completeThrough };
}
