/** The load of one N: the synthetic centre inserted (or a data dir reused), then OPTIMIZE, sizes. */
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { DATABASE, customerInsert, interactionInsert, surveyInsert } from '../synthetic.ts';
import { mib, scalar } from './measure.ts';
import type { NResult, Spec } from './spec.ts';

/**
 * N interactions, their surveys and customers generated in SQL, timed; or nothing when the data dir
 * already holds N interactions (e.g. bench/dashboard.ts --dir). The row counts of the tables after.
 */
export async function loadCentre(
  ch: ClickHouseClient,
  spec: Spec,
  customers: number,
): Promise<{ load: NResult['load']; reused: boolean }> {
  const N = spec.interactions;
  const have = await scalar(ch, `SELECT count() FROM ${DATABASE}.interaction_facts`).catch(() => 0);
  const reused = have >= N;
  const surveys = Math.round(N * 0.3);
  const tl = performance.now();
  for (let s = 0; s < (reused ? 0 : N); s += spec.chunk) {
    const len = Math.min(spec.chunk, N - s);
    const t = performance.now();
    await ch.command({ query: interactionInsert(s, len, customers) });
    console.error(`  [${N}] interactions ${s + len}/${N} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }
  const tInter = performance.now();
  for (let s = 0; s < (reused ? 0 : surveys); s += spec.chunk) {
    await ch.command({ query: surveyInsert(s, Math.min(spec.chunk, surveys - s), customers, N) });
  }
  const tSurv = performance.now();
  if (!reused) await ch.command({ query: customerInsert(customers) });
  const tCust = performance.now();
  const load = {
    seconds: reused ? NaN : (tCust - tl) / 1000,
    interactionSeconds: reused ? NaN : (tInter - tl) / 1000,
    surveySeconds: reused ? NaN : (tSurv - tInter) / 1000,
    customerSeconds: reused ? NaN : (tCust - tSurv) / 1000,
    rows: {} as Record<string, number>,
    factsPartsBefore: await scalar(
      ch,
      `SELECT count() FROM system.parts WHERE database = '${DATABASE}' AND table = 'interaction_facts' AND active`,
    ),
  };
  for (const t of [
    'interaction_events',
    'survey_events',
    'customer_events',
    'interaction_facts',
    'customer_facts',
  ])
    load.rows[t] = await scalar(ch, `SELECT count() FROM ${DATABASE}.${t}`);
  console.error(
    `  [${N}] ${reused ? 'reused' : 'loaded'} in ${load.seconds.toFixed(1)} s: ${JSON.stringify(load.rows)}`,
  );
  return { load, reused };
}

/**
 * OPTIMIZE … FINAL, timed (not on a reused dir): the query path merges per interaction anyway; this is
 * the steady state after merges. Then the size of each table on disk.
 */
export async function optimizeTables(
  ch: ClickHouseClient,
  N: number,
  load: NResult['load'],
  reused: boolean,
): Promise<Pick<NResult, 'optimize' | 'disk'>> {
  const optimize: Record<string, number> = {};
  for (const t of reused ? [] : ['interaction_facts', 'customer_facts', 'survey_events']) {
    const t1 = performance.now();
    await ch.command({ query: `OPTIMIZE TABLE ${DATABASE}.${t} FINAL` });
    optimize[t] = (performance.now() - t1) / 1000;
  }
  load.rows['interaction_facts_after_optimize'] = await scalar(
    ch,
    `SELECT count() FROM ${DATABASE}.interaction_facts`,
  );
  console.error(`  [${N}] optimize: ${JSON.stringify(optimize)}`);
  const disk: Record<string, number> = {};
  {
    const rs = await ch.query({
      query: `SELECT table, sum(bytes_on_disk) AS b FROM system.parts WHERE database = '${DATABASE}' AND active GROUP BY table`,
      format: 'JSONEachRow',
    });
    for (const r of await rs.json<{ table: string; b: string }>()) disk[r.table] = mib(Number(r.b));
  }
  return { optimize, disk };
}
