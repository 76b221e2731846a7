import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { AS_OF, DATABASE, interactionInsert } from '../synthetic.ts';
import { scalar } from './measure.ts';
import type { NResult, Spec } from './spec.ts';

/**
 * (k) Keep-up: more events arrive (new interactions of existing customers, in the span's last hour), then
 * one incremental refresh, timed.
 */
export async function keepUp(
  ch: ClickHouseClient,
  cfg: Config,
  spec: Spec,
  customers: number,
): Promise<NonNullable<NResult['refresh']['keepUp']>> {
  const { refreshRollups } = await import('../../transforms/refresh.ts');
  const N = spec.interactions;
  const before = await scalar(ch, `SELECT count() FROM ${DATABASE}.interaction_events`);
  const perInteraction = before / N;
  const more = Math.round(spec.keepupEvents / perInteraction);
  const from = new Date(AS_OF.getTime() - 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
  // new interaction ids after every one stored so far (a reused dir may hold earlier keep-up runs')
  const first = await scalar(
    ch,
    `SELECT max(toUInt64(substring(interaction_id, 2))) + 1 FROM ${DATABASE}.interaction_facts`,
  );
  await ch.command({ query: interactionInsert(Math.max(N, first), more, customers, from, 3_600_000) });
  const events = (await scalar(ch, `SELECT count() FROM ${DATABASE}.interaction_events`)) - before;
  const r = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
  console.error(`  [${N}] keep-up: ${events} events, refresh ${JSON.stringify(r)}`);
  return { ...r, events, interactions: more };
}
