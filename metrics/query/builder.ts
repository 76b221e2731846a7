import type { Config } from '../../infra/config.ts';
import { badParameter } from '../../infra/errors.ts';
import { clickHouseTime } from '../../infra/time.ts';
import type { MetricDefinition } from '../types.ts';
import { cohortQuery, customerQuery } from './customers.ts';
import { factParams, interactionFacts, surveyFacts } from './facts.ts';
import {
  requestDimensions,
  validateRequest,
  type BuiltQuery,
  type MetricRequest,
  type Store,
} from './request.ts';
import { quantileKeySql } from './histogram.ts';
import { rollupSetFor } from './rollup-sets.ts';
import { aggregates, filterClauses, PERIOD, storeOf } from './sql-parts.ts';

/**
 * The query builder: a metric request → one parameterised ClickHouse query. Identifiers come only from
 * closed unions (dimensions, grains) and the catalog; every value from the request is a bound
 * parameter. Pure: nothing here talks to the store (metrics/answer/ runs the queries).
 */

/**
 * Build the query for one metric: a row per period and group that has observations of the metric
 * (n > 0). Throws `bad_parameter` naming the parameter.
 */
export function buildMetricQuery(
  m: MetricDefinition,
  req: MetricRequest,
  cfg: Config,
  store: Store = 'raw',
): BuiltQuery {
  validateRequest(m, req);
  if (m.source === 'customers')
    return store === 'rollup' ? cohortQuery(m, req, cfg) : customerQuery(m, req, cfg, store);
  if (store === 'rollup') return rollupQuery(m, req, cfg);
  const db = cfg.clickhouse.database;
  const params: Record<string, unknown> = { ...factParams(cfg, req.asOf), from: req.from, to: req.to };
  const facts =
    m.source === 'interactions' ? interactionFacts(db, storeOf(store)) : surveyFacts(db, storeOf(store));
  const where = ['day BETWEEN {from:Date} AND {to:Date}'];
  if (req.instants) {
    params.at_from = clickHouseTime(req.instants.from);
    params.at_to = clickHouseTime(req.instants.to);
    where.push("at >= {at_from:DateTime64(3, 'UTC')} AND at < {at_to:DateTime64(3, 'UTC')}");
  }
  where.push(...filterClauses(req.filters, params));
  const keys = [`${PERIOD[req.grain]} AS period`, ...req.by];
  const sql = `
    WITH f AS (${facts})
    SELECT ${keys.join(', ')}, ${aggregates(m)}
    FROM f
    WHERE ${where.join(' AND ')}
    GROUP BY ${['period', ...req.by].join(', ')}
    HAVING n > 0
    ORDER BY ${['period', ...req.by].join(', ')}`;
  return { sql, params };
}

/**
 * The summed columns of a rollup query: sx, sn, ss2, spro, sdet, and with quantiles the bucket keys
 * k50, k90 of the summed histogram (metrics/query/histogram.ts).
 */
function rollupSums(quantiles: boolean): string {
  const sums = 'sum(x) AS sx, sum(n) AS sn, sum(s2) AS ss2, sum(pro) AS spro, sum(det) AS sdet';
  if (!quantiles) return sums;
  const h = 'sumMap(qk, qc)';
  const key = (level: number) =>
    quantileKeySql(`tupleElement(${h}, 1)`, `tupleElement(${h}, 2)`, 'sum(n)', level);
  return `${sums}, ${key(0.5)} AS k50, ${key(0.9)} AS k90`;
}

/**
 * A quantile metric by day whose groups are each one rollup row (grouped by every dimension of its set):
 * the row's own sums and the keys of its own histogram. Merging histograms with sumMap costs about
 * 0.3 ms per group — 200 ms for 90 days × 7 channels at 50M — and is not needed for a single row.
 */
const oneRowPerGroup = (m: MetricDefinition, req: MetricRequest): boolean =>
  m.kind === 'quantile' && req.grain === 'day' && requestDimensions(req).length === req.by.length;

function rowQuantileSql(where: string[], req: MetricRequest, cfg: Config): string {
  const key = (level: number) => quantileKeySql('qk', 'qc', 'n', level);
  const order = ['period', ...req.by].join(', ');
  return `
    SELECT ${[`${PERIOD.day} AS period`, ...req.by].join(', ')},
           x AS sx, n AS sn, s2 AS ss2, pro AS spro, det AS sdet, ${key(0.5)} AS k50, ${key(0.9)} AS k90
    FROM ${cfg.clickhouse.database}.kpi_daily
    WHERE ${where.join(' AND ')} AND n > 0
    ORDER BY ${order}`;
}

/**
 * A metric from the daily rollups: the grouping set of the request's dimensions, days summed into the
 * period. The rows are the sums sx, sn, ss2, spro, sdet (see `buildRollupBatchQuery`), for quantiles
 * also k50, k90; value.ts `sumsToRaw` turns them into the aggregates of the metric's kind (a rolled-up
 * p50 and p90 are within 1 %: histogram.ts).
 */
function rollupQuery(m: MetricDefinition, req: MetricRequest, cfg: Config): BuiltQuery {
  const dims = requestDimensions(req);
  const gs = rollupSetFor(m, dims);
  if (gs === null)
    throw badParameter('store', `${m.name} by ${dims.join(', ') || 'nothing'} is not in the daily rollups`);
  if (req.instants) throw badParameter('store', 'the daily rollups hold whole days, not instants');
  const params: Record<string, unknown> = { metric: m.name, gs, from: req.from, to: req.to };
  const where = ['metric = {metric:String}', 'gs = {gs:UInt16}', 'day BETWEEN {from:Date} AND {to:Date}'];
  where.push(...filterClauses(req.filters, params));
  if (oneRowPerGroup(m, req)) return { sql: rowQuantileSql(where, req, cfg), params };
  const group = ['period', ...req.by].join(', ');
  const sql = `
    SELECT ${[`${PERIOD[req.grain]} AS period`, ...req.by].join(', ')},
           ${rollupSums(m.kind === 'quantile')}
    FROM ${cfg.clickhouse.database}.kpi_daily
    WHERE ${where.join(' AND ')}
    GROUP BY ${group}
    HAVING sn > 0
    ORDER BY ${group}`;
  return { sql, params };
}

/** Whether the rows of `buildMetricQuery` for this store are rollup sums (value.ts `sumsToRaw`). */
export const returnsSums = (m: MetricDefinition, store: Store): boolean =>
  store === 'rollup' && m.source !== 'customers';

/**
 * Several rollup metrics of one request in one query (they share the grouping set of the request's
 * dimensions): per metric, period and group the summed aggregates sx, sn, ss2, spro, sdet, to be shaped
 * per kind by value.ts. Every metric must be answerable from the rollups.
 */
export function buildRollupBatchQuery(
  ms: readonly MetricDefinition[],
  req: MetricRequest,
  cfg: Config,
): BuiltQuery {
  const dims = requestDimensions(req);
  let gs: number | null = null;
  for (const m of ms) {
    validateRequest(m, req);
    gs = rollupSetFor(m, dims);
    if (gs === null)
      throw badParameter('store', `${m.name} by ${dims.join(', ') || 'nothing'} is not in the daily rollups`);
  }
  const params: Record<string, unknown> = { metrics: ms.map((m) => m.name), gs, from: req.from, to: req.to };
  const where = [
    'metric IN {metrics:Array(String)}',
    'gs = {gs:UInt16}',
    'day BETWEEN {from:Date} AND {to:Date}',
  ];
  where.push(...filterClauses(req.filters, params));
  const group = ['metric', 'period', ...req.by].join(', ');
  const sql = `
    SELECT ${['metric', `${PERIOD[req.grain]} AS period`, ...req.by].join(', ')},
           ${rollupSums(ms.some((m) => m.kind === 'quantile'))}
    FROM ${cfg.clickhouse.database}.kpi_daily
    WHERE ${where.join(' AND ')}
    GROUP BY ${group}
    HAVING sn > 0
    ORDER BY ${group}`;
  return { sql, params };
}
