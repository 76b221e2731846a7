import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { scalar, type TempTable } from '../sql.ts';

/**
 * The customer cohorts (`kpi_cohorts`): customers counted by the local day they became customers and
 * the day they first churned, per segment and region — what the customer KPIs are read from when the
 * rollups are current (metrics/query/customers.ts `cohortQuery`). Rebuilt whole, in one partition swap.
 */
export async function rebuildCohorts(ch: ClickHouseClient, cfg: Config, tempTable: TempTable): Promise<void> {
  const db = cfg.clickhouse.database;
  const stage = await tempTable('cohorts', `${db}.kpi_cohorts`);
  await ch.command({
    query: `INSERT INTO ${stage}
            SELECT toDate(since, {tz:String}), toDate(first_churned_at, {tz:String}), segment, region, count()
            FROM ${db}.customer_kpi FINAL GROUP BY ALL`,
    query_params: { tz: cfg.timeZone },
  });
  if ((await scalar(ch, `SELECT count() FROM ${stage}`)) > 0)
    await ch.command({ query: `ALTER TABLE ${db}.kpi_cohorts REPLACE PARTITION tuple() FROM ${stage}` });
  else await ch.command({ query: `TRUNCATE TABLE ${db}.kpi_cohorts` });
}
