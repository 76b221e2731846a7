import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { CxError } from '../../infra/errors.ts';
import { clickHouseTime } from '../../infra/time.ts';
import type { SaveTargetsInput } from '../query/targets-input.ts';
import type { BaselinePeriod, TargetSpec } from '../targets/types.ts';
import { recordTargetChanges } from './definitions.ts';

/**
 * The target set as admins keep it (`target_sets`, migration 009): every save is a new version of the
 * whole set with who, when and a comment; the current set is the highest version. With none stored,
 * the configuration's default targets (passed in as `defaults`) are version 1, by no one. A save names
 * the version it edited: a later one stored meanwhile makes it a `conflict`. Saves of this process are
 * taken one at a time, so the check and the write cannot interleave here (processes sharing one store
 * could still both save the same version; the history then shows both).
 */

export interface TargetSet {
  version: number;
  targets: TargetSpec[];
  /** The baseline period of relative targets; null = the configured default. */
  baseline: BaselinePeriod | null;
  /** Who saved it (the caller's id); null for the configuration's version 1. */
  changed_by: string | null;
  /** ISO 8601 UTC; null for the configuration's version 1. */
  changed_at: string | null;
  comment: string;
}

interface StoredRow {
  version: string | number;
  targets: string;
  baseline: string;
  changed_by: string;
  changed_at_ms: string | number;
  comment: string;
}

const fromStored = (r: StoredRow): TargetSet => ({
  version: Number(r.version),
  targets: JSON.parse(r.targets) as TargetSpec[],
  baseline: r.baseline === '' ? null : (JSON.parse(r.baseline) as BaselinePeriod),
  changed_by: r.changed_by,
  changed_at: new Date(Number(r.changed_at_ms)).toISOString(),
  comment: r.comment,
});

/** The configuration's set: version 1, never stored. */
const initialSet = (defaults: readonly TargetSpec[]): TargetSet => ({
  version: 1,
  targets: [...defaults],
  baseline: null,
  changed_by: null,
  changed_at: null,
  comment: '',
});

async function readSets(client: ClickHouseClient, cfg: Config, latest: boolean): Promise<TargetSet[]> {
  const rs = await client.query({
    query: `SELECT version, targets, baseline, changed_by, toUnixTimestamp64Milli(changed_at) AS changed_at_ms, comment
            FROM ${cfg.clickhouse.database}.target_sets
            ORDER BY version DESC, changed_at DESC ${latest ? 'LIMIT 1' : ''}`,
    format: 'JSONEachRow',
  });
  return (await rs.json<StoredRow>()).map(fromStored);
}

/** The current target set: the latest saved version, else the defaults as version 1. */
export async function currentTargets(
  client: ClickHouseClient,
  cfg: Config,
  defaults: readonly TargetSpec[],
): Promise<TargetSet> {
  return (await readSets(client, cfg, true))[0] ?? initialSet(defaults);
}

/** Every version, newest first, down to the configuration's version 1. */
export async function targetHistory(
  client: ClickHouseClient,
  cfg: Config,
  defaults: readonly TargetSpec[],
): Promise<TargetSet[]> {
  const stored = await readSets(client, cfg, false);
  return stored.some((s) => s.version === 1) ? stored : [...stored, initialSet(defaults)];
}

let queue: Promise<unknown> = Promise.resolve();
/** Run saves of this process one after another. */
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work, work);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Save a checked edit (metrics/query/targets-input.ts) as the next version, and record a definition
 * change for each KPI whose targets (or relative targets' baseline) it changed. `conflict` when the
 * edit was made on an older version than the current one.
 */
export function saveTargets(
  client: ClickHouseClient,
  cfg: Config,
  defaults: readonly TargetSpec[],
  input: SaveTargetsInput,
  user: string,
): Promise<TargetSet> {
  return oneAtATime(async () => {
    const current = await currentTargets(client, cfg, defaults);
    if (input.if_version !== current.version) {
      const by =
        current.changed_by === null ? 'the configuration' : `${current.changed_by} at ${current.changed_at}`;
      throw new CxError(
        'conflict',
        `if_version: you edited version ${input.if_version}, but version ${current.version} (${by}) is current; reload and edit it`,
        { details: { parameter: 'if_version', current_version: current.version } },
      );
    }
    const next: TargetSet = {
      version: current.version + 1,
      targets: input.targets,
      baseline: input.baseline === undefined ? current.baseline : input.baseline,
      changed_by: user,
      changed_at: new Date().toISOString(),
      comment: input.comment,
    };
    await client.insert({
      table: `${cfg.clickhouse.database}.target_sets`,
      values: [
        {
          ...next,
          targets: JSON.stringify(next.targets),
          baseline: next.baseline === null ? '' : JSON.stringify(next.baseline),
          changed_at: clickHouseTime(next.changed_at as string),
        },
      ],
      format: 'JSONEachRow',
    });
    await recordTargetChanges(client, cfg, {
      before: current,
      after: next,
      by: user,
      at: next.changed_at as string,
    });
    return next;
  });
}
