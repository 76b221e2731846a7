import { createHash } from 'node:crypto';
import type { Config } from '../../infra/config.ts';
import { CATALOG } from '../catalog.ts';
import type { MetricDefinition } from '../types.ts';
import type { BuiltQuery } from './request.ts';

/**
 * The state the refresh job (transforms/refresh.ts) records in `rollup_state` after each run, and what
 * it depends on besides the events (the fingerprint). Pure: the query and the row mapping are here; the
 * reader of the store (metrics/answer/state.ts) and the refresh job each run the query.
 */

/** Bump when the SQL of the facts or rollups changes in a way existing rows do not reflect. */
export const ROLLUP_FORMAT = 2;

export interface RollupState {
  version: number;
  fingerprint: string;
  /** Every row ingested before this instant is counted. */
  completeThrough: Date;
  /** The instant "target passed" was judged at in the daily rollups. */
  evaluatedAt: Date;
}

/** What the facts and rollups depend on besides the events: a change means a full rebuild. */
export function rollupFingerprint(cfg: Config, catalog: readonly MetricDefinition[] = CATALOG): string {
  const basis = {
    format: ROLLUP_FORMAT,
    timeZone: cfg.timeZone,
    policy: cfg.policy,
    metrics: catalog.map((m) => [m.name, m.kind, m.source, m.sql]),
  };
  return createHash('sha256').update(JSON.stringify(basis)).digest('hex').slice(0, 16);
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
