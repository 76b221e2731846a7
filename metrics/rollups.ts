import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Config } from '../infra/config.ts';
import { logger } from '../infra/logger.ts';
import { CATALOG } from './catalog.ts';
import {
  CUSTOMER_KPI_COLUMNS,
  INTERACTION_KPI_COLUMNS,
  SURVEY_KPI_COLUMNS,
  TARGET_PASSED_SQL,
  chTime,
  deriveCustomerFacts,
  deriveInteractionFacts,
  deriveSurveyFacts,
  factParams,
  type Subset,
} from './facts.ts';
import { DIMENSIONS, SURVEY_DIMENSIONS, type Dimension, type MetricDefinition } from './types.ts';

/**
 * Rollups: the KPI facts (one row per interaction, survey answer and customer, every fact derived) and
 * on top of them the daily rollups (`kpi_daily`: additive aggregates of every rate, count, mean and NPS
 * metric per local day and grouping set; `kpi_cohorts`: customers by start and churn day), kept current
 * by an incremental refresh.
 *
 * A refresh recomputes the facts of every customer with an event ingested since the last one (all of a
 * customer's interactions: the FCR repeat window looks at the next contact, and a customer upsert moves
 * every row to the new segment), writes only the rows whose facts changed, rebuilds the daily rollups
 * of the days those rows fall on (plus the days whose unanswered interactions may have passed their
 * response target since), and records how far the data is complete. Every step is idempotent: a crash
 * mid-way is repaired by the next refresh, which starts again from the last recorded state.
 */

/** Bump when the SQL of the facts or rollups changes in a way existing rows do not reflect. */
const ROLLUP_FORMAT = 1;

/** The default overlap: rows ingested this long before the last refresh are looked at again. */
export const DEFAULT_OVERLAP_MS = 60_000;

export interface RollupState {
  version: number;
  fingerprint: string;
  /** Every row ingested before this instant is counted. */
  completeThrough: Date;
  /** The instant "target passed" was judged at in the daily rollups. */
  evaluatedAt: Date;
}

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

/**
 * Partitions of a facts table with more active parts than this are merged into one after a refresh.
 * Background merges usually keep the count lower; this bounds it when they lag.
 */
const MAX_PARTS_PER_PARTITION = 8;

/**
 * Merge every partition of the facts tables that has more than `maxParts` active parts into one part.
 * Readers of the facts (the dashboards' facts store, the analysts' views) use FINAL, which opens every
 * part at once: at 50M interactions in 85 parts a `SELECT *` held ~700 MiB of read buffers before its
 * first row; in 13 parts, ~110 MiB. A full rebuild writes many parts (one per chunk and month), so it
 * compacts everything.
 */
async function compactFacts(ch: ClickHouseClient, db: string, maxParts: number): Promise<number> {
  let merged = 0;
  for (const table of ['interaction_kpi', 'survey_kpi', 'customer_kpi']) {
    const rs = await ch.query({
      query: `SELECT partition_id FROM system.parts
              WHERE database = {db:String} AND table = {table:String} AND active
              GROUP BY partition_id HAVING count() > {max:UInt32} ORDER BY partition_id`,
      query_params: { db, table, max: maxParts },
      format: 'JSONEachRow',
    });
    for (const { partition_id } of await rs.json<{ partition_id: string }>()) {
      await ch.command({
        query: `OPTIMIZE TABLE ${db}.${table} PARTITION ID {p:String} FINAL`,
        query_params: { p: partition_id },
      });
      merged++;
    }
  }
  return merged;
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

/** The latest refresh's state, or null before the first refresh. */
export async function readRollupState(ch: ClickHouseClient, db: string): Promise<RollupState | null> {
  const rs = await ch.query({
    query: `SELECT version, fingerprint, toUnixTimestamp64Milli(complete_through) AS ct,
                   toUnixTimestamp64Milli(evaluated_at) AS ev
            FROM ${db}.rollup_state ORDER BY version DESC LIMIT 1`,
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ version: string; fingerprint: string; ct: string; ev: string }>();
  if (!row) return null;
  return {
    version: Number(row.version),
    fingerprint: row.fingerprint,
    completeThrough: new Date(Number(row.ct)),
    evaluatedAt: new Date(Number(row.ev)),
  };
}

// ------------------------------------------------------------------------------------- grouping sets

/** The dimensions of a grouping set as a bitmask: bit i is DIMENSIONS[i]. */
export const setMask = (dims: readonly Dimension[]): number =>
  dims.reduce((m, d) => m | (1 << DIMENSIONS.indexOf(d)), 0);

/**
 * The grouping sets the daily rollups hold. Interactions: the whole centre, each dimension on its own
 * and each pair of dimensions except agent × other (agents are many and are looked at alone or through
 * the facts). Surveys: every combination of their three dimensions. A request whose group-by and
 * filter dimensions form one of these sets is answered from the rollups.
 */
export function groupingSets(source: MetricDefinition['source']): Dimension[][] {
  if (source === 'surveys') {
    const d = SURVEY_DIMENSIONS;
    return [[], ...d.map((x) => [x]), ...pairs(d), [...d]];
  }
  if (source === 'interactions') {
    return [[], ...DIMENSIONS.map((x) => [x]), ...pairs(DIMENSIONS.filter((x) => x !== 'agent_id'))];
  }
  return [];
}

function pairs(ds: readonly Dimension[]): Dimension[][] {
  const out: Dimension[][] = [];
  for (let i = 0; i < ds.length; i++)
    for (let j = i + 1; j < ds.length; j++) out.push([ds[i] as Dimension, ds[j] as Dimension]);
  return out;
}

/** Whether the daily rollups carry this metric at all (quantiles cannot be summed over days). */
export const inDailyRollup = (m: MetricDefinition): boolean =>
  (m.source === 'interactions' || m.source === 'surveys') && m.kind !== 'quantile';

/** The grouping set (mask) answering a request over these dimensions, or null when none does. */
export function rollupSetFor(m: MetricDefinition, dims: readonly Dimension[]): number | null {
  if (!inDailyRollup(m)) return null;
  const need = new Set(dims);
  const set = groupingSets(m.source).find((s) => s.length === need.size && s.every((d) => need.has(d)));
  return set ? setMask(set) : null;
}

// ------------------------------------------------------------------------------------- daily rollup SQL

/** The additive aggregates of one metric over the facts: x, n, s2, pro, det. */
function additive(m: MetricDefinition): string {
  const { numerator, denominator, value, where } = m.sql;
  switch (m.kind) {
    case 'rate':
      return `toFloat64(countIf((${denominator}) AND (${numerator}))), countIf(${denominator}), 0., 0, 0`;
    case 'count':
      return `toFloat64(countIf(${where})), countIf(${where}), 0., 0, 0`;
    case 'mean':
      return `sumIf(toFloat64(${value}), ${where}), countIf(${where}), sumIf(toFloat64(${value}) * toFloat64(${value}), ${where}), 0, 0`;
    case 'nps':
      return `0., countIf(${where}), 0., countIf((${where}) AND ${value} >= 9), countIf((${where}) AND ${value} <= 6)`;
    case 'quantile':
      throw new Error(`${m.name}: quantiles are not rolled up`);
  }
}

/** INSERT … SELECT of the daily rollup rows of one source for the days {days:Array(Date)}. */
function dailyRollupInsert(
  db: string,
  target: string,
  source: 'interactions' | 'surveys',
  catalog: readonly MetricDefinition[],
): string | null {
  const metrics = catalog.filter((m) => m.source === source && inDailyRollup(m));
  if (metrics.length === 0) return null;
  const dims = source === 'interactions' ? [...DIMENSIONS] : [...SURVEY_DIMENSIONS];
  const facts =
    source === 'interactions'
      ? `SELECT *, ${TARGET_PASSED_SQL} AS target_passed FROM ${db}.interaction_kpi FINAL WHERE day IN {days:Array(Date)}`
      : `SELECT * FROM ${db}.survey_kpi FINAL WHERE day IN {days:Array(Date)}`;
  // grouping(d1..dk) has bit (k-1-j) set when dj is NOT in the row's grouping set
  const g = `grouping(${dims.join(', ')})`;
  const gs = dims
    .map((d, j) => `if(bitTest(${g}, ${dims.length - 1 - j}), 0, ${1 << DIMENSIONS.indexOf(d)})`)
    .join(' + ');
  const sets = groupingSets(source)
    .map((s) => `(${['day', ...s].join(', ')})`)
    .join(', ');
  const aggs = metrics.map((m, i) => `tuple('${m.name}', ${additive(m)}) AS a${i}`).join(',\n        ');
  const dimCols = DIMENSIONS.map((d) => (dims.includes(d) ? d : `'' AS ${d}`)).join(', ');
  return `
    INSERT INTO ${target} (metric, gs, day, ${DIMENSIONS.join(', ')}, x, n, s2, pro, det)
    SELECT tupleElement(m, 1), gs, day, ${DIMENSIONS.join(', ')},
           tupleElement(m, 2), tupleElement(m, 3), tupleElement(m, 4), tupleElement(m, 5), tupleElement(m, 6)
    FROM (
      SELECT day, toUInt16(${gs}) AS gs, ${dimCols},
        ${aggs}
      FROM (${facts})
      GROUP BY GROUPING SETS (${sets})
    )
    ARRAY JOIN [${metrics.map((_, i) => `a${i}`).join(', ')}] AS m
    WHERE tupleElement(m, 3) > 0
    SETTINGS max_partitions_per_insert_block = 0`;
}

// ------------------------------------------------------------------------------------- refresh

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

async function refresh(ch: ClickHouseClient, cfg: Config, opts: RefreshOptions): Promise<RefreshResult> {
  const t0 = performance.now();
  const db = cfg.clickhouse.database;
  const prev = await readRollupState(ch, db);
  const fingerprint = rollupFingerprint(cfg);
  const now = await serverNow(ch);
  const evaluatedAt = opts.evaluatedAt ?? now;
  const overlap = opts.overlapMs ?? DEFAULT_OVERLAP_MS;
  const full = opts.full === true || prev === null || prev.fingerprint !== fingerprint;
  const version = (prev?.version ?? 0) + 1;
  const completeThrough = new Date(now.getTime() - overlap);
  const log = logger('rollups').child({ version });
  if (prev && prev.fingerprint !== fingerprint) {
    log.info(
      { from: prev.fingerprint, to: fingerprint },
      'time zone, SLA policy or catalog changed: rebuilding',
    );
    for (const t of ['interaction_kpi', 'survey_kpi', 'customer_kpi', 'kpi_daily', 'kpi_cohorts'])
      await ch.command({ query: `TRUNCATE TABLE ${db}.${t}` });
  }
  const tag = randomBytes(4).toString('hex');
  const temp: string[] = [];
  const tempTable = async (name: string, like: string, engine?: string) => {
    const t = `${db}._refresh_${name}_${tag}`;
    temp.push(t);
    await ch.command({ query: `CREATE TABLE ${t} AS ${like}${engine ? ` ENGINE = ${engine}` : ''}` });
    return t;
  };
  try {
    // ---- 1. what to recompute
    const plan = full
      ? await planFull(ch, db, tag, temp)
      : await planIncremental(ch, db, tag, temp, chTime((prev as RollupState).completeThrough));
    const chunks = Math.max(1, Math.ceil(plan.interactions / (opts.chunkInteractions ?? 4_000_000)));
    log.debug({ ...plan, chunks, full }, 'refreshing facts');

    // ---- 2. the facts; only changed rows are written
    const params = factParams(cfg, evaluatedAt);
    const days = new Set<string>();
    let interactionsRewritten = 0;
    let surveysRewritten = 0;
    let customersRewritten = 0;
    for (let k = 0; k < chunks; k++) {
      const part = plan.subsets(chunks > 1 ? `cityHash64(customer_id) % ${chunks} = ${k}` : '1');
      const jobs: [string, readonly string[], string, string][] = [
        [
          'interaction_kpi',
          INTERACTION_KPI_COLUMNS,
          deriveInteractionFacts(db, part.interactions),
          'interaction_id',
        ],
        ['survey_kpi', SURVEY_KPI_COLUMNS, deriveSurveyFacts(db, part.surveys), 'event_id'],
        ['customer_kpi', CUSTOMER_KPI_COLUMNS, deriveCustomerFacts(db, part.customers), 'customer_id'],
      ];
      for (const [table, columns, derive, key] of jobs) {
        const stage = await tempTable(`${table}_${k}`, `${db}.${table}`, 'Memory');
        const t1 = performance.now();
        await ch.command({
          query: `INSERT INTO ${stage} (${columns.join(', ')}, version)
                  SELECT ${columns.join(', ')}, ${version} FROM (${derive})`,
          query_params: params,
        });
        const t2 = performance.now();
        const rewritten = await writeChanged(ch, db, table, stage, columns, key, days, tempTable, k);
        log.debug(
          {
            table,
            chunk: k,
            deriveMs: Math.round(t2 - t1),
            writeMs: Math.round(performance.now() - t2),
            rewritten,
          },
          'facts written',
        );
        if (table === 'interaction_kpi') interactionsRewritten += rewritten;
        else if (table === 'survey_kpi') surveysRewritten += rewritten;
        else customersRewritten += rewritten;
      }
    }
    const customers = plan.customers;

    // ---- 2b. keep the facts in few parts: FINAL reads every part of a table at once
    const t2b = performance.now();
    const partitionsCompacted = await compactFacts(ch, db, full ? 1 : MAX_PARTS_PER_PARTITION);
    if (partitionsCompacted > 0)
      log.debug(
        { partitions: partitionsCompacted, ms: Math.round(performance.now() - t2b) },
        'facts compacted',
      );

    // ---- 3. the daily rollups of the touched days
    if (full) {
      for (const t of ['interaction_kpi', 'survey_kpi', 'kpi_daily'])
        for (const d of await strings(ch, `SELECT DISTINCT toString(day) AS v FROM ${db}.${t}`)) days.add(d);
    } else {
      // unanswered interactions whose target may have passed between the two judgements
      const maxTarget = Math.max(...Object.values(cfg.policy.firstResponseSeconds), cfg.policy.urgentSeconds);
      const first = Math.min((prev as RollupState).evaluatedAt.getTime(), evaluatedAt.getTime());
      const last = Math.max((prev as RollupState).evaluatedAt.getTime(), evaluatedAt.getTime());
      for (const d of await strings(
        ch,
        `SELECT DISTINCT toString(day) AS v FROM ${db}.interaction_kpi
         WHERE day BETWEEN toDate(fromUnixTimestamp64Milli({a:Int64}), {tz:String}) - 1
                       AND toDate(fromUnixTimestamp64Milli({b:Int64}), {tz:String}) + 1`,
        { a: first - maxTarget * 1000, b: last, tz: cfg.timeZone },
      ))
        days.add(d);
    }
    const t3 = performance.now();
    const daysRebuilt = await rebuildDays(ch, db, [...days].sort(), params, tempTable);
    log.debug({ days: daysRebuilt, ms: Math.round(performance.now() - t3) }, 'daily rollups rebuilt');

    // ---- 4. customer cohorts, when any customer changed
    if (full || customersRewritten > 0) {
      const stage = await tempTable('cohorts', `${db}.kpi_cohorts`);
      await ch.command({
        query: `INSERT INTO ${stage}
                SELECT toDate(since, {tz:String}), toDate(first_churned_at, {tz:String}), segment, region, count()
                FROM ${db}.customer_kpi FINAL GROUP BY ALL`,
        query_params: { tz: cfg.timeZone },
      });
      if ((await scalar(ch, `SELECT count() FROM ${stage}`)) > 0)
        await ch.command({ query: `ALTER TABLE ${db}.kpi_cohorts REPLACE PARTITION tuple() FROM ${stage}` });
      else await ch.command({ query: `TRUNCATE TABLE ${db}.kpi_cohorts` });
    }

    // ---- 5. the catalog the analyst views read values by (ReplacingMergeTree: the latest wins)
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

    // ---- 6. the new state
    const seconds = (performance.now() - t0) / 1000;
    await ch.insert({
      table: `${db}.rollup_state`,
      format: 'JSONEachRow',
      values: [
        {
          version,
          fingerprint,
          complete_through: chTime(completeThrough),
          evaluated_at: chTime(evaluatedAt),
          full_rebuild: full,
          interactions_rewritten: interactionsRewritten,
          surveys_rewritten: surveysRewritten,
          customers_rewritten: customersRewritten,
          days_rebuilt: daysRebuilt,
          partitions_compacted: partitionsCompacted,
          seconds,
        },
      ],
    });
    const result: RefreshResult = {
      version,
      fullRebuild: full,
      completeThrough,
      evaluatedAt,
      customers,
      interactionsRewritten,
      surveysRewritten,
      customersRewritten,
      daysRebuilt,
      partitionsCompacted,
      seconds,
    };
    log.info(result, 'rollups refreshed');
    return result;
  } finally {
    for (const t of temp) await ch.command({ query: `DROP TABLE IF EXISTS ${t}` }).catch(() => undefined);
  }
}

/** What a refresh recomputes: row subsets per table, split into chunks by a condition on customer_id. */
interface Plan {
  customers: number;
  interactions: number;
  subsets: (chunk: string) => { interactions: Subset; surveys: Subset; customers: Subset };
}

/** Everything: every customer seen anywhere, all of their rows. */
async function planFull(ch: ClickHouseClient, db: string, tag: string, temp: string[]): Promise<Plan> {
  const all = `${db}._refresh_customers_${tag}`;
  temp.push(all);
  await ch.command({ query: `CREATE TABLE ${all} (customer_id String) ENGINE = Memory` });
  await ch.command({
    query: `INSERT INTO ${all} SELECT DISTINCT customer_id FROM (
              SELECT customer_id FROM ${db}.interaction_facts WHERE customer_id != ''
              UNION ALL SELECT customer_id FROM ${db}.survey_events
              UNION ALL SELECT customer_id FROM ${db}.customer_events)`,
  });
  return {
    customers: await scalar(ch, `SELECT count() FROM ${all}`),
    interactions: await scalar(ch, `SELECT uniqExact(interaction_id) FROM ${db}.interaction_facts`),
    subsets: (chunk) => {
      const who = { customers: `SELECT customer_id FROM ${all} WHERE ${chunk}` };
      return { interactions: who, surveys: who, customers: who };
    },
  };
}

/**
 * What rows ingested since `since` can have changed:
 * - customers with customer events (attributes, churn): all their rows;
 * - interactions with events: themselves and, per (customer, category), every later interaction and the
 *   one just before the earliest changed (its next contact, which decides its FCR, may have changed);
 * - survey answers that arrived.
 */
async function planIncremental(
  ch: ClickHouseClient,
  db: string,
  tag: string,
  temp: string[],
  since: string,
): Promise<Plan> {
  const t = (name: string) => {
    const n = `${db}._refresh_${name}_${tag}`;
    temp.push(n);
    return n;
  };
  const [cc, changed, touched, seq, start, ids, surveys] = [
    'cc',
    'changed',
    'touched',
    'seq',
    'start',
    'ids',
    'surveys',
  ].map(t) as [string, string, string, string, string, string, string];
  const p = { since };
  const recent = `_ingested_at >= {since:DateTime64(3, 'UTC')}`;
  const run = async (query: string) => {
    const t0 = performance.now();
    await ch.command({ query, query_params: p });
    logger('rollups').debug(
      { ms: Math.round(performance.now() - t0), query: query.slice(0, 60) },
      'plan step',
    );
  };
  await run(`CREATE TABLE ${cc} ENGINE = Memory AS
             SELECT DISTINCT customer_id FROM ${db}.customer_events WHERE ${recent}`);
  await run(`CREATE TABLE ${changed} ENGINE = Memory AS
             SELECT interaction_id, customer_id, category, assumeNotNull(opened_at) AS opened_at
             FROM ${db}.interaction_facts_v
             WHERE interaction_id IN (SELECT interaction_id FROM ${db}.interaction_events WHERE ${recent})
               AND opened_at IS NOT NULL`);
  await run(`CREATE TABLE ${touched} ENGINE = Memory AS
             SELECT customer_id, category, min(opened_at) AS m FROM ${changed} GROUP BY customer_id, category`);
  // The sequences of the touched (customer, category) pairs and of the customers whose attributes
  // changed: the stored facts (one row per interaction already refreshed) and the interactions that
  // changed since (some of them new).
  await run(`CREATE TABLE ${seq} ENGINE = Memory AS
             SELECT interaction_id, argMax(customer_id, rank) AS customer_id, argMax(category, rank) AS category,
                    argMax(opened_at, rank) AS opened_at
             FROM (
               SELECT interaction_id, customer_id, category, opened_at, version AS rank FROM ${db}.interaction_kpi
               WHERE (customer_id, category) IN (SELECT customer_id, category FROM ${touched})
                  OR customer_id IN (SELECT customer_id FROM ${cc})
               UNION ALL
               SELECT interaction_id, customer_id, category, opened_at, 18446744073709551615 AS rank FROM ${changed}
             )
             GROUP BY interaction_id`);
  await run(`CREATE TABLE ${start} ENGINE = Memory AS
             SELECT t.customer_id AS customer_id, t.category AS category,
                    coalesce(maxIf(toNullable(s.opened_at), s.opened_at < t.m), assumeNotNull(t.m)) AS start
             FROM ${touched} AS t INNER JOIN ${seq} AS s ON s.customer_id = t.customer_id AND s.category = t.category
             GROUP BY t.customer_id, t.category, t.m`);
  await run(`CREATE TABLE ${ids} ENGINE = Memory AS
             SELECT DISTINCT interaction_id, customer_id FROM (
               SELECT interaction_id, customer_id FROM ${seq} WHERE customer_id IN (SELECT customer_id FROM ${cc})
               UNION ALL
               SELECT s.interaction_id, s.customer_id FROM ${seq} AS s
               INNER JOIN ${start} AS b ON s.customer_id = b.customer_id AND s.category = b.category
               WHERE s.opened_at >= b.start)`);
  await run(`CREATE TABLE ${surveys} ENGINE = Memory AS
             SELECT DISTINCT event_id, customer_id FROM ${db}.survey_events WHERE ${recent}`);
  return {
    customers: await scalar(
      ch,
      `SELECT uniqExact(customer_id) FROM (SELECT customer_id FROM ${ids} UNION ALL SELECT customer_id FROM ${cc}
                                            UNION ALL SELECT customer_id FROM ${surveys})`,
    ),
    interactions: await scalar(ch, `SELECT count() FROM ${ids}`),
    subsets: (chunk) => ({
      interactions: {
        customers: `SELECT customer_id FROM ${ids} WHERE ${chunk}`,
        interactions: `SELECT interaction_id FROM ${ids} WHERE ${chunk}`,
      },
      surveys: {
        customers: `SELECT customer_id FROM ${cc} WHERE ${chunk}`,
        surveys: `SELECT event_id FROM ${surveys} WHERE ${chunk}`,
      },
      customers: { customers: `SELECT customer_id FROM ${cc} WHERE ${chunk}` },
    }),
  };
}

/** Create a scratch table like another (same engine unless given), dropped when the refresh ends. */
type TempTable = (name: string, like: string, engine?: string) => Promise<string>;

/**
 * Write the staged rows whose facts differ from the stored ones (or are new); collect the days they
 * fall on. A row whose day moved (its opening or answer time changed) has its old row deleted.
 */
async function writeChanged(
  ch: ClickHouseClient,
  db: string,
  table: string,
  stage: string,
  columns: readonly string[],
  key: string,
  days: Set<string>,
  tempTable: TempTable,
  chunk: number,
): Promise<number> {
  const hash = `cityHash64(toString(tuple(${columns.join(', ')})))`;
  // rows keep their day (a moved one is caught below): only the staged days' granules need reading
  const sameDays = columns.includes('day') ? `AND day IN (SELECT DISTINCT day FROM ${stage})` : '';
  const changed = await tempTable(`${table}_${chunk}_changed`, stage, 'Memory');
  await ch.command({
    query: `INSERT INTO ${changed} SELECT * FROM ${stage}
            WHERE (${key}, ${hash}) NOT IN (
              SELECT ${key}, ${hash} FROM ${db}.${table} FINAL WHERE ${key} IN (SELECT ${key} FROM ${stage}) ${sameDays})`,
  });
  const rows = await scalar(ch, `SELECT count() FROM ${changed}`);
  if (rows === 0) return 0;
  if (columns.includes('day')) {
    const moved = await strings(
      ch,
      `SELECT DISTINCT toString(day) AS v FROM ${db}.${table} FINAL
       WHERE ${key} IN (SELECT ${key} FROM ${changed}) AND (${key}, day) NOT IN (SELECT ${key}, day FROM ${changed})`,
    );
    if (moved.length > 0) {
      await ch.command({
        query: `ALTER TABLE ${db}.${table} DELETE
                WHERE ${key} IN (SELECT ${key} FROM ${changed}) AND (${key}, day) NOT IN (SELECT ${key}, day FROM ${changed})`,
        clickhouse_settings: { mutations_sync: '2' },
      });
      for (const d of moved) days.add(d);
    }
    for (const d of await strings(ch, `SELECT DISTINCT toString(day) AS v FROM ${changed}`)) days.add(d);
  }
  await ch.command({ query: `INSERT INTO ${db}.${table} SELECT * FROM ${changed}` });
  return rows;
}

/**
 * Rebuild the daily rollups of these days. The new rows of the days and the kept rows of the other days
 * of their months are staged, then each month's partition is replaced at once: a reader sees the old
 * month or the new one, never a mix.
 */
async function rebuildDays(
  ch: ClickHouseClient,
  db: string,
  days: string[],
  params: Record<string, unknown>,
  tempTable: TempTable,
): Promise<number> {
  if (days.length === 0) return 0;
  const stage = await tempTable('daily', `${db}.kpi_daily`);
  for (let i = 0; i < days.length; i += 31) {
    const batch = days.slice(i, i + 31);
    for (const source of ['interactions', 'surveys'] as const) {
      const sql = dailyRollupInsert(db, stage, source, CATALOG);
      if (sql) await ch.command({ query: sql, query_params: { ...params, days: batch } });
    }
  }
  const months = [...new Set(days.map((d) => d.slice(0, 7).replace('-', '')))];
  await ch.command({
    query: `INSERT INTO ${stage} SELECT * FROM ${db}.kpi_daily
            WHERE toYYYYMM(day) IN {months:Array(UInt32)} AND day NOT IN {days:Array(Date)}
            SETTINGS max_partitions_per_insert_block = 0`,
    query_params: { months: months.map(Number), days },
  });
  const staged = new Set(await strings(ch, `SELECT DISTINCT toString(toYYYYMM(day)) AS v FROM ${stage}`));
  for (const m of months) {
    await ch.command({
      query: staged.has(m)
        ? `ALTER TABLE ${db}.kpi_daily REPLACE PARTITION ID '${m}' FROM ${stage}`
        : `ALTER TABLE ${db}.kpi_daily DROP PARTITION ID '${m}'`,
    });
  }
  return days.length;
}

async function serverNow(ch: ClickHouseClient): Promise<Date> {
  return new Date(await scalar(ch, 'SELECT toUnixTimestamp64Milli(now64(3))'));
}

async function scalar(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<number> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONCompactEachRow' });
  const [row] = await rs.json<[string | number]>();
  return Number(row?.[0] ?? 0);
}

async function strings(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<string[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json<{ v: string }>()).map((r) => r.v);
}
