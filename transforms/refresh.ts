import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { logger, type Logger } from '../infra/logger.ts';
import { CATALOG } from '../metrics/catalog.ts';
import { factParams } from '../metrics/query/facts.ts';
import { clickHouseTime } from '../infra/time.ts';
import {
  factsCurrent,
  rollupFingerprint,
  rollupStateQuery,
  toRollupState,
  type RollupState,
  type RollupStateRow,
} from '../metrics/query/rollup-state.ts';
import { planFull, planIncremental } from './facts/plan.ts';
import { compactFacts, MAX_PARTS_PER_PARTITION, writeFacts } from './facts/write.ts';
import { rebuildCohorts } from './rollups/cohorts.ts';
import { daysToRebuild, rebuildDays } from './rollups/daily.ts';
import { scratch, serverNow, type Scratch } from './sql.ts';

/**
 * The refresh: the KPI facts (one row per interaction, survey answer and customer, every fact derived)
 * and on top of them the daily rollups (`kpi_daily`: additive aggregates of every rate, count, mean and
 * NPS metric, and histograms of the quantile metrics, per local day and grouping set; `kpi_cohorts`: customers by start and churn day), kept
 * current incrementally.
 *
 * A refresh recomputes the facts of every customer with an event ingested since the last one (all of a
 * customer's interactions: the FCR repeat window looks at the next contact, and a customer upsert moves
 * every row to the new segment), writes only the rows whose facts changed (facts/), rebuilds the daily
 * rollups of the days those rows fall on (plus the days whose unanswered interactions may have passed
 * their response target since) and the cohorts (rollups/), and records how far the data is complete
 * (`rollup_state`, metrics/query/rollup-state.ts). Every step is idempotent: a crash mid-way is
 * repaired by the next refresh, which starts again from the last recorded state.
 */

/** The default overlap: rows ingested this long before the last refresh are looked at again. */
export const DEFAULT_OVERLAP_MS = 60_000;

export type { RollupState };

export interface RefreshOptions {
  /** Recompute every customer and every day, not only what changed. */
  full?: boolean;
  /** Judge "target passed" at this instant (default: now, by the database's clock). */
  evaluatedAt?: Date;
  /** Re-read rows ingested this long before the last refresh (in-flight inserts); default 60 s. */
  overlapMs?: number;
  /** Recompute at most about this many interactions per query (bounds memory); default 4M. */
  chunkInteractions?: number;
}

export interface RefreshResult {
  version: number;
  fullRebuild: boolean;
  /** every day's rollups rebuilt (a full rebuild, or the rollups' SQL or the catalog changed) */
  allDaysRebuilt: boolean;
  completeThrough: Date;
  evaluatedAt: Date;
  customers: number;
  interactionsRewritten: number;
  surveysRewritten: number;
  customersRewritten: number;
  daysRebuilt: number;
  /** partitions of the facts tables merged into one part (every one after a full rebuild) */
  partitionsCompacted: number;
  seconds: number;
}

const chains = new Map<string, Promise<unknown>>();

/**
 * Bring the facts and daily rollups up to date. Refreshes of one database run one after the other in
 * this process; across processes they are safe to overlap (every write is idempotent) but wasteful, so
 * run the scheduler in one process.
 */
export function refreshRollups(
  ch: ClickHouseClient,
  cfg: Config,
  opts: RefreshOptions = {},
): Promise<RefreshResult> {
  const db = cfg.clickhouse.database;
  const run = (chains.get(db) ?? Promise.resolve()).catch(() => undefined).then(() => refresh(ch, cfg, opts));
  chains.set(db, run);
  return run;
}

/** What one refresh run knows before it writes anything. */
interface Run {
  db: string;
  prev: RollupState | null;
  fingerprint: string;
  full: boolean;
  /** rebuild every day's rollups (a full rebuild, or only the rollups' part of the fingerprint changed) */
  allDays: boolean;
  version: number;
  evaluatedAt: Date;
  completeThrough: Date;
  log: Logger;
}

async function refresh(ch: ClickHouseClient, cfg: Config, opts: RefreshOptions): Promise<RefreshResult> {
  const t0 = performance.now();
  const run = await begin(ch, cfg, opts);
  const tmp = scratch(ch, run.db, randomBytes(4).toString('hex'));
  try {
    const counts = await refreshTables(ch, cfg, opts, run, tmp);
    await recordCatalog(ch, run.db, run.version);
    const seconds = (performance.now() - t0) / 1000;
    const result: RefreshResult = {
      version: run.version,
      fullRebuild: run.full,
      allDaysRebuilt: run.allDays,
      completeThrough: run.completeThrough,
      evaluatedAt: run.evaluatedAt,
      ...counts,
      seconds,
    };
    await recordState(ch, run, result);
    run.log.info(result, 'rollups refreshed');
    return result;
  } finally {
    await tmp.drop();
  }
}

/** Read the previous state; on a changed time zone, SLA policy or catalog, empty the derived tables. */
async function begin(ch: ClickHouseClient, cfg: Config, opts: RefreshOptions): Promise<Run> {
  const db = cfg.clickhouse.database;
  const q = rollupStateQuery(db);
  const rs = await ch.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  const prev = toRollupState(await rs.json<RollupStateRow>());
  const fingerprint = rollupFingerprint(cfg);
  const now = await serverNow(ch);
  const version = (prev?.version ?? 0) + 1;
  const changed = prev !== null && prev.fingerprint !== fingerprint;
  const full = opts.full === true || prev === null || (changed && !factsCurrent(prev.fingerprint, cfg));
  const run: Run = {
    db,
    prev,
    fingerprint,
    full,
    allDays: full || changed,
    version,
    evaluatedAt: opts.evaluatedAt ?? now,
    completeThrough: new Date(now.getTime() - (opts.overlapMs ?? DEFAULT_OVERLAP_MS)),
    log: logger('rollups').child({ version }),
  };
  if (changed && full) {
    run.log.info(
      { from: prev.fingerprint, to: fingerprint },
      'time zone, SLA policy or the facts SQL changed: rebuilding the facts and rollups',
    );
    for (const t of ['interaction_kpi', 'survey_kpi', 'customer_kpi', 'kpi_daily', 'kpi_cohorts'])
      await ch.command({ query: `TRUNCATE TABLE ${db}.${t}` });
  } else if (changed) {
    run.log.info(
      { from: prev.fingerprint, to: fingerprint },
      "the catalog or the rollups' SQL changed: rebuilding every day's rollups from the stored facts",
    );
  }
  return run;
}

type Counts = Omit<
  RefreshResult,
  'version' | 'fullRebuild' | 'allDaysRebuilt' | 'completeThrough' | 'evaluatedAt' | 'seconds'
>;

/** Steps 1–4: plan, facts, compaction, daily rollups, cohorts. */
async function refreshTables(
  ch: ClickHouseClient,
  cfg: Config,
  opts: RefreshOptions,
  run: Run,
  tmp: Scratch,
): Promise<Counts> {
  const { db, full, log } = run;
  // ---- 1. what to recompute
  const plan = full
    ? await planFull(ch, db, tmp)
    : await planIncremental(
        ch,
        db,
        tmp,
        clickHouseTime((run.prev as RollupState).completeThrough),
        cfg.policy.fcrRepeatWindowDays,
      );
  const chunks = Math.max(1, Math.ceil(plan.interactions / (opts.chunkInteractions ?? 4_000_000)));
  log.debug({ ...plan, chunks, full }, 'refreshing facts');

  // ---- 2. the facts; only changed rows are written
  const params = factParams(cfg, run.evaluatedAt);
  const written = await writeFacts(ch, db, plan, chunks, {
    version: run.version,
    params,
    tempTable: tmp.table,
    log,
  });

  // ---- 2b. keep the facts in few parts: FINAL reads every part of a table at once
  const t2b = performance.now();
  const partitionsCompacted = await compactFacts(ch, db, full ? 1 : MAX_PARTS_PER_PARTITION);
  if (partitionsCompacted > 0)
    log.debug(
      { partitions: partitionsCompacted, ms: Math.round(performance.now() - t2b) },
      'facts compacted',
    );

  // ---- 3. the daily rollups of the touched days
  const days = written.days;
  for (const d of await daysToRebuild(ch, cfg, run.allDays ? null : run.prev, run.evaluatedAt)) days.add(d);
  const t3 = performance.now();
  const daysRebuilt = await rebuildDays(ch, db, [...days].sort(), params, tmp.table);
  log.debug({ days: daysRebuilt, ms: Math.round(performance.now() - t3) }, 'daily rollups rebuilt');

  // ---- 4. customer cohorts, when any customer changed
  if (run.allDays || written.customers > 0) await rebuildCohorts(ch, cfg, tmp.table);
  return {
    customers: plan.customers,
    interactionsRewritten: written.interactions,
    surveysRewritten: written.surveys,
    customersRewritten: written.customers,
    daysRebuilt,
    partitionsCompacted,
  };
}

/** Step 5: the catalog the analyst views read values by (ReplacingMergeTree: the latest wins). */
async function recordCatalog(ch: ClickHouseClient, db: string, version: number): Promise<void> {
  await ch.insert({
    table: `${db}.metric_catalog`,
    format: 'JSONEachRow',
    values: CATALOG.map((m) => ({
      name: m.name,
      title: m.title,
      unit: m.unit,
      kind: m.kind,
      source: m.source,
      direction: m.direction,
      version,
    })),
  });
}

/** Step 6: the new state. */
async function recordState(ch: ClickHouseClient, run: Run, r: RefreshResult): Promise<void> {
  await ch.insert({
    table: `${run.db}.rollup_state`,
    format: 'JSONEachRow',
    values: [
      {
        version: run.version,
        fingerprint: run.fingerprint,
        complete_through: clickHouseTime(r.completeThrough),
        evaluated_at: clickHouseTime(r.evaluatedAt),
        full_rebuild: r.fullRebuild,
        interactions_rewritten: r.interactionsRewritten,
        surveys_rewritten: r.surveysRewritten,
        customers_rewritten: r.customersRewritten,
        days_rebuilt: r.daysRebuilt,
        partitions_compacted: r.partitionsCompacted,
        seconds: r.seconds,
      },
    ],
  });
}
