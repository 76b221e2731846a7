import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config.ts';
import { CATALOG } from '../catalog.ts';
import type { MetricDefinition } from '../types.ts';
import type { BuiltQuery } from './request.ts';
import { groupingSets } from './rollup-sets.ts';

/**
 * The state the refresh job (transforms/refresh.ts) records in `rollup_state` after each run, and what
 * it depends on besides the events (the fingerprint). Pure: the query and the row mapping are here; the
 * reader of the store (metrics/answer/state.ts) and the refresh job each run the query.
 */

/** Bump when the SQL of the facts changes in a way existing rows do not reflect (a full rebuild). */
export const FACTS_FORMAT = 2;
/** Bump when the SQL of the daily rollups changes (every day's rollups rebuilt from the stored facts). */
export const ROLLUP_FORMAT = 3;

export interface RollupState {
  version: number;
  fingerprint: string;
  /** Every row ingested before this instant is counted. */
  completeThrough: Date;
  /** The instant "target passed" was judged at in the daily rollups. */
  evaluatedAt: Date;
}

const hash = (basis: unknown): string =>
  createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);

/** What of the catalog's metrics the rollups are computed from. */
const metricsBasis = (catalog: readonly MetricDefinition[]) =>
  catalog.map((m) => [m.name, m.kind, m.source, m.sql]);

/** What the stored facts depend on besides the events: their SQL, the time zone, the SLA policy. */
const factsPart = (cfg: Config): string =>
  hash({ format: FACTS_FORMAT, timeZone: cfg.timeZone, policy: cfg.policy });

/** What the rollups depend on besides the facts: their SQL, their grouping sets, the catalog's metrics. */
const rollupsPart = (catalog: readonly MetricDefinition[]): string =>
  hash({
    format: ROLLUP_FORMAT,
    sets: [groupingSets('interactions'), groupingSets('surveys')],
    metrics: metricsBasis(catalog),
  });

/**
 * What the facts and rollups depend on besides the events, `facts.rollups`: a change of the facts'
 * part means a full rebuild; of the rollups' part alone, every day's rollups rebuilt from the stored
 * facts (see {@link factsCurrent}).
 */
export function rollupFingerprint(cfg: Config, catalog: readonly MetricDefinition[] = CATALOG): string {
  return `${factsPart(cfg)}.${rollupsPart(catalog)}`;
}

/**
 * Whether the facts of a store whose last refresh recorded `recorded` are current for this
 * configuration. A fingerprint recorded before the two parts were told apart (one hash, the format 2 of
 * both) is recognised: the facts are current when it is the one that code records for this time zone,
 * SLA policy and catalog.
 */
export function factsCurrent(
  recorded: string,
  cfg: Config,
  catalog: readonly MetricDefinition[] = CATALOG,
): boolean {
  const [facts, rollups] = recorded.split('.');
  if (rollups !== undefined) return facts === factsPart(cfg);
  const metrics = metricsBasis(catalog);
  return recorded === hash({ format: 2, timeZone: cfg.timeZone, policy: cfg.policy, metrics });
}

/** One row of {@link rollupStateQuery}, as JSONEachRow gives it. */
export interface RollupStateRow {
  version: string;
  fingerprint: string;
  ct: string;
  ev: string;
}

/** The latest refresh's row of `rollup_state` (none before the first refresh). */
export function rollupStateQuery(db: string): BuiltQuery {
  return {
    sql: `SELECT version, fingerprint, toUnixTimestamp64Milli(complete_through) AS ct,
                   toUnixTimestamp64Milli(evaluated_at) AS ev
            FROM ${db}.rollup_state ORDER BY version DESC LIMIT 1`,
    params: {},
  };
}

/** The state of the rows of {@link rollupStateQuery}, or null before the first refresh. */
export function toRollupState([row]: readonly RollupStateRow[]): RollupState | null {
  if (!row) return null;
  return {
    version: Number(row.version),
    fingerprint: row.fingerprint,
    completeThrough: new Date(Number(row.ct)),
    evaluatedAt: new Date(Number(row.ev)),
  };
}
