import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { clickHouseTime } from '../../infra/time.ts';
import { readRollupState } from '../../metrics/answer/state.ts';

/**
 * What pipeline rules read, provided by the process that evaluates them (cli/runtime.ts): the
 * ingester's state as `/healthz` reports it and the consumer lag it measures, and — from the store —
 * dead-lettered events in the last hour, how old the rollups' complete-through is, and whether the last
 * report run failed.
 */
export interface PipelineProbe {
  /** `absent`: no ingester runs in this process (the ingester rules then stay unknown) */
  ingester(): { state: 'running' | 'degraded' | 'stopped' | 'absent'; reason?: string | undefined };
  /** messages behind, summed over partitions; null when not measured */
  consumerLag(): Promise<number | null>;
  dlqLastHour(now: Date): Promise<number>;
  /** minutes since the rollups were last complete; null when they never were */
  dataAgeMinutes(now: Date): Promise<number | null>;
  /** whether the latest finished report run failed; null when no report ran */
  lastReportFailed(): Promise<boolean | null>;
}

/** The store's part of a probe: DLQ rows, the rollups' complete-through and the report runs. */
export function storeProbe(
  client: ClickHouseClient,
  database: string,
  live: Pick<PipelineProbe, 'ingester' | 'consumerLag'>,
): PipelineProbe {
  const one = async (query: string, params: Record<string, unknown> = {}) => {
    const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
    return (await rs.json<Record<string, unknown>>())[0];
  };
  return {
    ...live,
    dlqLastHour: async (now) =>
      Number(
        (
          await one(
            `SELECT count() AS n FROM ${database}.dlq FINAL
             WHERE rejected_at > {t:DateTime64(3, 'UTC')} - INTERVAL 1 HOUR`,
            { t: clickHouseTime(now) },
          )
        )?.['n'] ?? 0,
      ),
    dataAgeMinutes: async (now) => {
      const state = await readRollupState(client, database);
      return state ? (now.getTime() - state.completeThrough.getTime()) / 60_000 : null;
    },
    lastReportFailed: async () => {
      const row = await one(
        `SELECT status FROM ${database}.report_runs WHERE status IN ('succeeded', 'failed')
         ORDER BY started_at DESC, recorded_at DESC LIMIT 1`,
      );
      return row ? row['status'] === 'failed' : null;
    },
  };
}
