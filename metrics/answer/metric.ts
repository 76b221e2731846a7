import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { queryRows } from '../../infra/query-rows.ts';
import { buildMetricQuery, buildRollupBatchQuery, returnsSums } from '../query/builder.ts';
import type { MetricRequest, Store } from '../query/request.ts';
import { chooseStore } from '../query/store.ts';
import { sumsToRaw, toMetricRow, type MetricRow, type RawRow, type SumsRow } from '../query/value.ts';
import type { MetricDefinition } from '../types.ts';
import type { RollupState } from '../query/rollup-state.ts';
import { readRollupState } from './state.ts';

/**
 * Metric requests against the store. One entry point per question:
 * - `runMetric`: one metric's aggregates per group (what statistics between periods start from);
 * - `runMetrics`: several metrics of one request, those the rollups hold in one query;
 * - `answerMetric`: one metric's response rows (docs/api.md) with the store read and how complete;
 *   `computeMetric` is its rows alone.
 * Each reads the rollups' state once, picks the store (query/store.ts), builds the query
 * (query/builder.ts), runs it and, for answers, shapes the rows (query/value.ts). A caller answering
 * several requests at once (a page) reads the state once and passes it as `known`.
 */

/** The rollups' state as a caller read it (null: no refresh yet); `undefined`: read it here. */
export type KnownState = RollupState | null | undefined;

/** `known`, or the state read now when the caller did not read it. */
export async function stateOf(
  client: ClickHouseClient,
  cfg: Config,
  known: KnownState,
): Promise<RollupState | null> {
  return known !== undefined ? known : readRollupState(client, cfg.clickhouse.database);
}

export type { MetricRow, RawRow };

/** A metric's aggregates, where they were read from, and how far the data they count is complete. */
export interface RawAnswer {
  raw: RawRow[];
  store: Store;
  /** Every event ingested before this instant is counted in `raw`. */
  completeThrough: Date;
}

/** Run one metric request against ClickHouse: the raw aggregates per group. */
export async function runMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
  known?: KnownState,
): Promise<RawAnswer> {
  const explicit = req.store !== undefined && req.store !== 'auto';
  const started = new Date();
  const state = explicit ? null : await stateOf(client, cfg, known);
  const store = chooseStore(m, req, cfg, state);
  const q = buildMetricQuery(m, req, cfg, store);
  const rows = await queryRows<RawRow | SumsRow>(client, q.sql, q.params);
  const raw = returnsSums(m, store)
    ? (rows as SumsRow[]).map((r) => sumsToRaw(m, r, req.by))
    : (rows as RawRow[]);
  return { raw, store, completeThrough: store === 'raw' || !state ? started : state.completeThrough };
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
  known?: KnownState,
): Promise<MetricAnswer> {
  const { raw, store, completeThrough } = await runMetric(client, cfg, m, req, known);
  const rows =
    raw.length === 0 && req.grain === 'total' && req.by.length === 0
      ? // An empty period still answers, with n = 0 and no value.
        [toMetricRow(m, { period: 'total', n: 0 }, [])]
      : raw.map((r) => toMetricRow(m, r, req.by));
  return { rows, store, completeThrough };
}

/** The rows of {@link answerMetric} alone. */
export async function computeMetric(
  client: ClickHouseClient,
  cfg: Config,
  m: MetricDefinition,
  req: MetricRequest,
): Promise<MetricRow[]> {
  return (await answerMetric(client, cfg, m, req)).rows;
}

/**
 * Several metrics over one request: those the rollups answer in one query, the others one by one.
 * The same aggregates as running each alone.
 */
export async function runMetrics(
  client: ClickHouseClient,
  cfg: Config,
  ms: readonly MetricDefinition[],
  req: MetricRequest,
  known?: KnownState,
): Promise<{ raw: Map<string, RawRow[]>; completeThrough: Date }> {
  const state = await stateOf(client, cfg, known);
  const batch = ms.filter((m) => m.source !== 'customers' && chooseStore(m, req, cfg, state) === 'rollup');
  const out = new Map<string, RawRow[]>(ms.map((m) => [m.name, []]));
  let completeThrough = state && batch.length > 0 ? state.completeThrough : new Date();
  const others = ms.filter((x) => !batch.includes(x));
  // the batch and the others side by side
  const [batchRows, answers] = await Promise.all([
    batch.length > 0 ? batchSums(client, cfg, batch, req) : [],
    Promise.all(others.map((m) => runMetric(client, cfg, m, req, state))),
  ]);
  const byName = new Map(batch.map((m) => [m.name, m]));
  for (const r of batchRows) {
    const m = byName.get(r.metric ?? '');
    if (m) out.get(m.name)?.push(sumsToRaw(m, r, req.by));
  }
  others.forEach((m, i) => {
    const a = answers[i] as RawAnswer;
    out.set(m.name, a.raw);
    if (a.completeThrough < completeThrough) completeThrough = a.completeThrough;
  });
  return { raw: out, completeThrough };
}

/** The rollups' sums of several metrics of one request, in one query. */
async function batchSums(
  client: ClickHouseClient,
  cfg: Config,
  batch: readonly MetricDefinition[],
  req: MetricRequest,
): Promise<SumsRow[]> {
  const q = buildRollupBatchQuery(batch, req, cfg);
  return queryRows<SumsRow>(client, q.sql, q.params);
}
