import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { retentionDriversOf, type RetentionDrivers } from '../analysis/retention-drivers.ts';
import {
  buildRetentionQuery,
  checkRetentionRequest,
  toCustomerFeatures,
  type CustomerFeatures,
  type CustomerRow,
  type RetentionRequest,
} from '../query/retention.ts';

/**
 * Retention drivers (docs/metrics.md, "Retention drivers"), the read: runs the per-customer query of
 * query/retention.ts and hands its rows to analysis/retention-drivers.ts, which computes the
 * statistics per feature.
 */

export type { DriverBucket, DriverResult, RetentionDrivers } from '../analysis/retention-drivers.ts';
export type { CustomerFeatures, RetentionRequest } from '../query/retention.ts';

/** Run the per-customer query: one row per customer with an interaction opened in the window. */
export async function customerFeatures(
  client: ClickHouseClient,
  cfg: Config,
  req: RetentionRequest,
): Promise<CustomerFeatures[]> {
  const q = buildRetentionQuery(req, cfg);
  const rs = await client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  const rows = await rs.json<CustomerRow>();
  return rows.map(toCustomerFeatures);
}

/**
 * Retention drivers for the customers with an interaction opened in [from, to]: per feature Pearson r
 * (point-biserial for 0/1) with CI and p-value, Spearman ρ, the odds ratio of a one-feature logistic
 * regression, and churn rates per bucket. Throws `bad_parameter` naming the parameter.
 */
export async function retentionDrivers(
  client: ClickHouseClient,
  cfg: Config,
  req: RetentionRequest,
): Promise<RetentionDrivers> {
  const window = checkRetentionRequest(req);
  const rows = await customerFeatures(client, cfg, req);
  return retentionDriversOf(rows, window);
}
