import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import {
  rollupStateQuery,
  toRollupState,
  type RollupState,
  type RollupStateRow,
} from '../query/rollup-state.ts';

/** The latest refresh's state (metrics/query/rollup-state.ts), or null before the first refresh. */
export async function readRollupState(ch: ClickHouseClient, db: string): Promise<RollupState | null> {
  const q = rollupStateQuery(db);
  const rs = await ch.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  return toRollupState(await rs.json<RollupStateRow>());
}
