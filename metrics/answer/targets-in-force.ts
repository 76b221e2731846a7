import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { catalogWithTargets } from '../catalog.ts';
import { baselinePeriod } from '../targets/baseline.ts';
import { defaultTargets, withHeadlines } from '../targets/defaults.ts';
import type { BaselinePeriod, TargetSpec } from '../targets/types.ts';
import type { MetricDefinition } from '../types.ts';
import { currentTargets } from './targets-store.ts';

/**
 * The targets in force: the latest version admins saved (`target_sets`), else the configuration's
 * (`defaultTargets`: the clauses, the headline targets, METRIC_TARGETS); its baseline, else
 * TARGET_BASELINE's; and the catalog with the headline targets of that set. Every read that judges a
 * KPI — metrics, overview, scorecard, reports — takes them from here, so an edit shows everywhere at once.
 */
export interface TargetsInForce {
  version: number;
  targets: readonly TargetSpec[];
  baseline: BaselinePeriod;
  catalog: readonly MetricDefinition[];
}

export async function targetsInForce(client: ClickHouseClient, cfg: Config): Promise<TargetsInForce> {
  const set = await currentTargets(client, cfg, defaultTargets(cfg));
  return {
    version: set.version,
    targets: set.targets,
    baseline: set.baseline ?? baselinePeriod(cfg),
    catalog: withHeadlines(catalogWithTargets(cfg.targets), set.targets),
  };
}
