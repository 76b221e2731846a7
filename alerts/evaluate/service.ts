import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { addDays, today } from '../../infra/time.ts';
import { breachingNow } from '../../metrics/answer/explore.ts';
import { readRollupState } from '../../metrics/answer/state.ts';
import { factParams, interactionFacts } from '../../metrics/query/facts.ts';
import { filterClauses } from '../../metrics/query/sql-parts.ts';
import { isCurrent } from '../../metrics/query/store.ts';
import type { PipelineRule, ServiceRule } from '../rules/types.ts';
import { countObservation, factObservation, groupKey, type GroupObservation } from './observation.ts';
import type { PipelineProbe } from './probe.ts';

/**
 * The live rules' observations. Service: `breaching_now` counts the unanswered, not abandoned
 * interactions past their response target now (metrics/answer/explore.ts `breachingNow`, those opened
 * in the last `LIVE_DAYS` days); `complaints_without_follow_up_48h` counts resolved complaints whose
 * 48 hours have passed without a follow-up. Pipeline: one fact each from the {@link PipelineProbe}.
 */

/** The days of openings the live counts look at. */
export const LIVE_DAYS = 7;
/** More than this many breaching interactions are counted as this many. */
const BREACHING_CAP = 100_000;

const group = (rule: ServiceRule, counts: Map<string, number>): GroupObservation[] => {
  const by = rule.by;
  if (!by) return [countObservation('', null, counts.get('') ?? 0, rule.above)];
  return [...counts].map(([v, c]) =>
    countObservation(groupKey(by, v), { dimension: by, value: v }, c, rule.above),
  );
};

export async function observeService(
  client: ClickHouseClient,
  cfg: Config,
  rule: ServiceRule,
  now: Date,
): Promise<GroupObservation[]> {
  const to = today(cfg.timeZone, now);
  const scope = { from: addDays(to, -(LIVE_DAYS - 1)), to, filters: rule.filters, asOf: now };
  const counts = new Map<string, number>();
  if (rule.check === 'breaching_now') {
    for (const r of await breachingNow(client, cfg, { ...scope, limit: BREACHING_CAP })) {
      const key = rule.by ? String(r[rule.by] ?? '') : '';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return group(rule, counts);
  }
  const db = cfg.clickhouse.database;
  const state = await readRollupState(client, db);
  const params: Record<string, unknown> = { ...factParams(cfg, now), from: scope.from, to: scope.to };
  const where = ['day BETWEEN {from:Date} AND {to:Date}', ...filterClauses(rule.filters, params)];
  const key = rule.by ? `toString(${rule.by})` : "''";
  const rs = await client.query({
    query: `WITH f AS (${interactionFacts(db, isCurrent(state, cfg) ? 'stored' : 'raw')})
            SELECT ${key} AS k, count() AS n FROM f
            WHERE ${where.join(' AND ')} AND category = 'complaint' AND resolved AND NOT followed_up_in_48h
              AND opened_at + toIntervalMillisecond(toInt64(resolution_hours * 3600000)) + INTERVAL 48 HOUR
                  <= {as_of:DateTime64(3, 'UTC')}
            GROUP BY k`,
    query_params: params,
    format: 'JSONEachRow',
  });
  for (const r of await rs.json<{ k: string; n: string }>()) counts.set(r.k, Number(r.n));
  return group(rule, counts);
}

export async function observePipeline(
  probe: PipelineProbe,
  rule: PipelineRule,
  now: Date,
): Promise<GroupObservation[]> {
  switch (rule.check) {
    case 'ingester_down':
    case 'ingester_degraded': {
      const { state } = probe.ingester();
      if (state === 'absent') return [factObservation(null, 'unknown', null)];
      const bad = rule.check === 'ingester_down' ? state === 'stopped' : state === 'degraded';
      return [factObservation(bad ? 1 : 0, bad, null)];
    }
    case 'dlq_growth': {
      const n = await probe.dlqLastHour(now);
      return [factObservation(n, n > (rule.per_hour ?? 0), rule.per_hour ?? null)];
    }
    case 'consumer_lag': {
      const lag = await probe.consumerLag();
      return [
        factObservation(lag, lag === null ? 'unknown' : lag > (rule.messages ?? 0), rule.messages ?? null),
      ];
    }
    case 'data_stale': {
      const age = await probe.dataAgeMinutes(now);
      const v = age === null ? null : Math.round(age);
      return [factObservation(v, age === null ? 'unknown' : age > (rule.minutes ?? 0), rule.minutes ?? null)];
    }
    case 'report_failed': {
      const failed = await probe.lastReportFailed();
      return [factObservation(failed ? 1 : 0, failed === true, null)];
    }
  }
}
