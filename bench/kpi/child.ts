/**
 * The program of one N's child process (`--child`, started by run-n.ts): a fresh (or reused) chDB data
 * dir and migrated database, the load, a full rollup refresh, then the queries the parts ask for; the
 * result goes back over IPC.
 */
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Config } from '../../infra/config.ts';
import { ownRss, sampleMax } from '../common/sample.ts';
import { AS_OF, DATABASE } from '../synthetic.ts';
import { breakdown } from './breakdown.ts';
import { keepUp } from './keepup.ts';
import { loadCentre, optimizeTables } from './load.ts';
import { mib, peakRss, scalar } from './measure.ts';
import { overviews, singleMetrics } from './queries.ts';
import type { NResult, Spec } from './spec.ts';

/** chDB in the spec's data dir, the database migrated, time zone UTC. */
async function openStore(spec: Spec): Promise<{ ch: ClickHouseClient; cfg: Config; engineVersion: string }> {
  const { createClickHouse } = await import('../../infra/clickhouse.ts');
  const { loadConfig } = await import('../../infra/config.ts');
  const { migrate } = await import('../../transforms/migrate.ts');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CXPULSE_DATA_DIR: spec.dir,
    CLICKHOUSE_DATABASE: DATABASE,
    CXPULSE_TIMEZONE: 'UTC',
  };
  delete env['CLICKHOUSE_URL'];
  const cfg: Config = loadConfig(env);
  const ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, DATABASE);
  const engineVersion = String(
    (
      await (await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>()
    )[0]?.v ?? 'unknown',
  );
  return { ch, cfg, engineVersion };
}

export async function runChild(spec: Spec): Promise<NResult> {
  const t0 = performance.now();
  const { ch, cfg, engineVersion } = await openStore(spec);
  const N = spec.interactions;
  const customers = Math.max(1, Math.round(N / 20));
  const { load, reused } = await loadCentre(ch, spec, customers);
  const { optimize, disk } = await optimizeTables(ch, N, load, reused);
  const rssAfterLoadMiB = mib(process.memoryUsage.rss());

  // the rollups, built from scratch
  const { refreshRollups } = await import('../../transforms/refresh.ts');
  // overlap 0: nothing is in flight in this sequential benchmark. On a reused dir: a no-op refresh when
  // its rollups are current, a full one when they were built by other code (the fingerprint holds
  // ROLLUP_FORMAT) or with --refresh
  const fullRefresh = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0, full: spec.refresh });
  console.error(`  [${N}] full refresh: ${JSON.stringify(fullRefresh)}`);
  const rollupStorage = await rollupSize(ch);
  console.error(`  [${N}] kpi_daily: ${JSON.stringify(rollupStorage)}`);

  // the queries, with the highest RSS sampled while they run
  const queryRss = sampleMax(ownRss);
  const { single, raw } = await singleMetrics(ch, cfg, spec);
  const { overview, overviewApi, overviewPerKpi } = await overviews(ch, cfg, spec);
  const kept = spec.parts.includes('k') ? await keepUp(ch, cfg, spec, customers) : undefined;
  const parts = await breakdown(ch, spec);
  const queryPhaseRss = queryRss.stop().rss;
  await ch.close();
  return {
    interactions: N,
    engineVersion,
    load,
    optimize,
    disk,
    single,
    raw,
    refresh: { full: fullRefresh, ...(kept ? { keepUp: kept } : {}) },
    rollupStorage,
    overview,
    overviewApi,
    overviewPerKpi,
    breakdown: parts,
    peakRssMiB: peakRss(),
    queryPhaseRssMiB: mib(queryPhaseRss),
    rssAfterLoadMiB,
    seconds: (performance.now() - t0) / 1000,
  };
}

const spec = JSON.parse(process.env['BENCH_SPEC'] ?? '{}') as Spec;
try {
  const result = await runChild(spec);
  process.send?.({ result }, () => process.exit(0));
} catch (e) {
  process.send?.({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(1));
}

/** The daily rollups' size after the full refresh: the storage the grouping sets and histograms cost. */
async function rollupSize(ch: ClickHouseClient): Promise<NonNullable<NResult['rollupStorage']>> {
  const t = `${DATABASE}.kpi_daily`;
  return {
    rows: await scalar(ch, `SELECT count() FROM ${t}`),
    mib: mib(
      await scalar(
        ch,
        `SELECT sum(bytes_on_disk) FROM system.parts WHERE database = '${DATABASE}' AND table = 'kpi_daily' AND active`,
      ),
    ),
    quantileRows: await scalar(ch, `SELECT count() FROM ${t} WHERE notEmpty(qk)`),
  };
}
