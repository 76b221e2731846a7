import type { RequestHandler } from 'express';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config, Role } from '../../infra/config.ts';

/** What the routes of the metrics API read: the store, the configuration and the role check. */
export interface ApiDeps {
  clickhouse: ClickHouseClient;
  cfg: Config;
  requireRole: (minimum: Role) => RequestHandler;
  /** the alert rules file's text (ALERTS_FILE): version 1 of the rules until the first edit; none = no rules */
  alertsText?: string;
}
