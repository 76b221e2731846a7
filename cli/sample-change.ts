import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { getChange, saveChange, type ProcessChange } from '../metrics/answer/changes.ts';
import { isCxError } from '../infra/errors.ts';
import { plantedEffects, type SampleOptions } from '../sample/index.ts';

/** Who the recorded change names as its author. */
export const SAMPLE_CHANGE_USER = 'cxpulse sample data';

/**
 * The sample's planted process change (`plantedEffects`) recorded as a process change, so that the
 * Improvement page has a change to judge after the first `cxpulse start`. Once only: when a change with
 * the planted id exists (recorded before, or edited since), it is left alone and null is returned.
 * `opts` must be the options the sample is generated with (the same `start`), so the dates agree.
 */
export async function recordSampleChange(
  client: ClickHouseClient,
  cfg: Config,
  opts: SampleOptions,
): Promise<ProcessChange | null> {
  const planted = plantedEffects(opts).processChange;
  if (await exists(client, cfg, planted.id)) return null;
  const before = Math.round(planted.fcrBefore * 100);
  const after = Math.round(planted.fcrAfter * 100);
  return saveChange(client, cfg, {
    id: planted.id,
    title: planted.title,
    description:
      `示例数据：自该日起，${planted.teamId} 组的首次解决概率由 ${before}% 提升至 ${after}%（预置效果）。\n` +
      `Sample data: from this day team ${planted.teamId}'s chance of resolving at first contact rises ` +
      `from ${before} % to ${after} % (a planted effect).`,
    starts_at: planted.startsAt,
    scope: { team_id: [planted.teamId] },
    user: SAMPLE_CHANGE_USER,
  });
}

async function exists(client: ClickHouseClient, cfg: Config, id: string): Promise<boolean> {
  try {
    await getChange(client, cfg, id);
    return true;
  } catch (err) {
    if (isCxError(err, 'not_found')) return false;
    throw err;
  }
}
