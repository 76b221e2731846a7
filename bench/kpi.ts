/**
 * KPI query latency benchmark: for each N, a fresh chDB data dir and migrated database, N synthetic
 * interactions generated directly in SQL (INSERT … SELECT FROM numbers()), the materialized views
 * filling interaction_facts / customer_facts, a full rollup refresh (transforms/refresh.ts); then
 *
 *   (a) one metric at grain=day over 90 days by channel (`computeMetric`: csat, fcr, sla_compliance,
 *       complaint_rate) from the daily rollups (what the API answers from), and from the stored facts;
 *       first_response_time (a quantile: stored facts) and fcr by agent × channel (not rolled up),
 *   (r) the same four metrics derived from the raw tables (no rollups): the rollup speed-up,
 *   (b) the "management overview": 8 KPIs at grain=week over 90 days, one after the other,
 *   (k) keep-up: events of --keepup-events more (new interactions of existing customers, in the last
 *       hour of the span) appended, then one incremental refresh, timed,
 *   (c) complaint_rate by day × channel straight from raw interaction_events (a plain aggregate), and
 *       a breakdown of the facts path (facts table read as-is, interaction_facts_v merge, + customer join),
 *   (d) peak RSS.
 *
 * Each N runs in its own child Node process (so peak RSS is per N). See bench/README.md for the method;
 * results go to bench/results/kpi-<timestamp>.json and bench/results/kpi-latest.md.
 *
 *   npx tsx bench/kpi.ts [--interactions 1000000,5000000] [--runs 20] [--warmup 2] [--budget-s 25]
 *                        [--chunk 5000000] [--min-runs 5] [--parts a,b,c] [--include earlier.json] [--keep]
 *
 * --include adds the results of earlier runs (their kpi-*.json) as columns of this run's table.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { OVERVIEW_METRICS } from '../metrics/answer/overview.ts';
import { AS_OF, DATABASE, customerInsert, interactionInsert, surveyInsert } from './synthetic.ts';
import { machine } from './common/machine.ts';
import type { Config } from '../infra/config.ts';
import type { MetricRequest, Store } from '../metrics/query/request.ts';
import type { RefreshResult } from '../transforms/refresh.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
/** Queries read the last 90 full days of the synthetic year (bench/synthetic.ts). */
const FROM = '2026-08-24';
const TO = '2026-11-21';

const OVERVIEW: readonly string[] = OVERVIEW_METRICS;
const SINGLE = ['csat', 'fcr', 'sla_compliance', 'complaint_rate'];

interface Spec {
  interactions: number;
  dir: string;
  runs: number;
  warmup: number;
  budgetS: number;
  chunk: number;
  minRuns: number;
  /** which measurements: a (single metrics), r (raw), b (overview), k (keep-up), c (breakdown) */
  parts: string[];
  keepupEvents: number;
}

interface Timing {
  name: string;
  runs: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
  rows: number;
}

interface NResult {
  interactions: number;
  engineVersion: string;
  load: {
    seconds: number;
    interactionSeconds: number;
    surveySeconds: number;
    customerSeconds: number;
    rows: Record<string, number>;
    factsPartsBefore: number;
  };
  optimize: Record<string, number>;
  disk: Record<string, number>;
  single: Timing[];
  raw: Timing[];
  refresh: { full: RefreshResult; keepUp?: RefreshResult & { events: number; interactions: number } };
  overview: Timing | undefined;
  overviewApi?: Timing | undefined;
  overviewPerKpi: Timing[];
  breakdown: Timing[];
  peakRssMiB: number;
  queryPhaseRssMiB: number;
  rssAfterLoadMiB: number;
  seconds: number;
}

// =========================================================================================================
// child: one N

const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
/** maxRSS of this process so far (KiB on Linux), MiB */
const peakRss = () => mib(process.resourceUsage().maxRSS * 1024);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * Time `fn` `warmup` times untimed, then up to `runs` times (at least `minRuns`, fewer than `runs` when the
 * warm-ups say `runs` would take longer than the budget). Milliseconds.
 */
async function measure(
  name: string,
  fn: () => Promise<number>,
  spec: Spec,
  onTimed?: () => void,
): Promise<Timing> {
  let rows = 0;
  let warm = 0;
  for (let i = 0; i < spec.warmup; i++) {
    const t = performance.now();
    rows = await fn();
    warm = performance.now() - t;
  }
  onTimed?.();
  const runs = Math.max(
    spec.minRuns,
    Math.min(spec.runs, Math.floor((spec.budgetS * 1000) / Math.max(warm, 1))),
  );
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    rows = await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const r = {
    name,
    runs,
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    min: ms[0] ?? NaN,
    max: ms[ms.length - 1] ?? NaN,
    rows,
  };
  console.error(
    `  [${spec.interactions}] ${name}: p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms (${runs} runs, ${rows} rows)`,
  );
  return r;
}

async function scalar(ch: ClickHouseClient, query: string): Promise<number> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  const row = (await rs.json<Record<string, unknown>>())[0] ?? {};
  return Number(Object.values(row)[0] ?? NaN);
}

async function rowsOf(ch: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<number> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json()).length;
}

async function runChild(spec: Spec): Promise<NResult> {
  const t0 = performance.now();
  const { createClickHouse } = await import('../infra/clickhouse.ts');
  const { loadConfig } = await import('../infra/config.ts');
  const { migrate } = await import('../transforms/migrate.ts');
  const { computeMetric } = await import('../metrics/answer/metric.ts');
  const { getMetric } = await import('../metrics/catalog.ts');
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

  // ---- load (or reuse a data dir that already holds N interactions, e.g. bench/dashboard.ts --dir)
  const N = spec.interactions;
  const customers = Math.max(1, Math.round(N / 20));
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

  // ---- optimize: the query path merges per interaction anyway; this is the steady state after merges
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
  const rssAfterLoadMiB = mib(process.memoryUsage.rss());

  // ---- the rollups, built from scratch
  const { refreshRollups } = await import('../transforms/refresh.ts');
  // overlap 0: nothing is in flight in this sequential benchmark (on a reused dir: a no-op refresh)
  const fullRefresh = await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
  console.error(`  [${N}] full refresh: ${JSON.stringify(fullRefresh)}`);

  // ---- queries
  let queryRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    queryRss = Math.max(queryRss, process.memoryUsage.rss());
  }, 100);
  const req = (
    grain: MetricRequest['grain'],
    by: MetricRequest['by'],
    store: Store | 'auto' = 'auto',
  ): MetricRequest => ({
    from: FROM,
    to: TO,
    grain,
    by,
    filters: {},
    asOf: AS_OF,
    store,
  });

  const single: Timing[] = [];
  const raw: Timing[] = [];
  const one = (name: string, by: MetricRequest['by'], store: Store | 'auto') => async () =>
    (await computeMetric(ch, cfg, getMetric(name), req('day', by, store))).length;
  if (spec.parts.includes('a')) {
    for (const name of SINGLE)
      single.push(await measure(`${name} rollup`, one(name, ['channel'], 'auto'), spec));
    for (const name of SINGLE)
      single.push(await measure(`${name} facts`, one(name, ['channel'], 'facts'), spec));
    single.push(
      await measure('first_response_time facts', one('first_response_time', ['channel'], 'auto'), spec),
    );
    single.push(await measure('fcr agent facts', one('fcr', ['agent_id', 'channel'], 'auto'), spec));
  }
  for (const name of spec.parts.includes('r') ? SINGLE : [])
    raw.push(await measure(`${name} raw`, one(name, ['channel'], 'raw'), { ...spec, minRuns: 3 }));

  // the overview, timing each KPI inside every run too (per-KPI p50/p95 come from the same runs)
  const perKpi = new Map<string, number[]>(OVERVIEW.map((k) => [k, []]));
  let timedRun = false;
  const overview: Timing | undefined = !spec.parts.includes('b')
    ? undefined
    : await measure(
        'overview (8 KPIs, week, sequential)',
        async () => {
          let n = 0;
          for (const name of OVERVIEW) {
            const t = performance.now();
            n += (await computeMetric(ch, cfg, getMetric(name), req('week', []))).length;
            if (timedRun) perKpi.get(name)?.push(performance.now() - t);
          }
          return n;
        },
        spec,
        () => (timedRun = true),
      );
  // the overview as the API answers it (metrics/answer/overview.ts): the period, the previous period and the
  // trend of the 8 KPIs, rollup KPIs batched into one query per period
  const { computeOverview } = await import('../metrics/answer/overview.ts');
  const overviewApi: Timing | undefined = !spec.parts.includes('b')
    ? undefined
    : await measure(
        'overview API (8 KPIs: period, previous period, weekly trend)',
        async () =>
          (await computeOverview(ch, cfg, { from: FROM, to: TO, filters: {}, asOf: AS_OF })).tiles.length,
        spec,
      );
  const overviewPerKpi: Timing[] = (overview ? OVERVIEW : []).map((name) => {
    const ms = [...(perKpi.get(name) ?? [])].sort((a, b) => a - b);
    return {
      name: `${name} week`,
      runs: ms.length,
      p50: percentile(ms, 0.5),
      p95: percentile(ms, 0.95),
      min: ms[0] ?? NaN,
      max: ms[ms.length - 1] ?? NaN,
      rows: NaN,
    };
  });
  console.error(
    `  [${N}] per KPI in the overview (p50 ms): ${overviewPerKpi.map((t) => `${t.name.split(' ')[0]} ${t.p50.toFixed(0)}`).join(', ')}`,
  );

  // keep-up: more events arrive (new interactions of existing customers, in the span's last hour), then
  // one incremental refresh
  let keepUp: NResult['refresh']['keepUp'];
  if (spec.parts.includes('k')) {
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
    keepUp = { ...r, events, interactions: more };
    console.error(`  [${N}] keep-up: ${events} events, refresh ${JSON.stringify(r)}`);
  }

  // breakdown of the facts path, all complaint_rate by day × channel over the 90 days
  const p = { tz: 'UTC', from: FROM, to: TO };
  const agg = `toString(toDate(at, {tz:String})) AS period, channel, countIf(category = 'complaint') AS x, count() AS n`;
  const tail = `WHERE toDate(at, {tz:String}) BETWEEN {from:Date} AND {to:Date} GROUP BY period, channel ORDER BY period, channel`;
  const breakdown: Timing[] = [];
  const variants: [string, string][] = [
    [
      '(c) raw interaction_events (opened events, no dedup)',
      `SELECT ${agg} FROM (SELECT occurred_at AS at, channel, category FROM ${DATABASE}.interaction_events
         WHERE type = 'interaction.opened') ${tail}`,
    ],
    [
      'interaction_facts read as-is (no merge; exact only when fully merged)',
      `SELECT ${agg} FROM (SELECT assumeNotNull(opened_at) AS at, channel, category FROM ${DATABASE}.interaction_facts
         WHERE opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v (GROUP BY interaction_id merge)',
      `SELECT ${agg} FROM (SELECT assumeNotNull(opened_at) AS at, channel, category FROM ${DATABASE}.interaction_facts_v
         WHERE opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v + LEFT JOIN customer_facts_v',
      `SELECT ${agg} FROM (SELECT assumeNotNull(i.opened_at) AS at, i.channel AS channel, i.category AS category, c.segment AS segment
         FROM ${DATABASE}.interaction_facts_v AS i LEFT JOIN ${DATABASE}.customer_facts_v AS c ON c.customer_id = i.customer_id
         WHERE i.opened_at IS NOT NULL) ${tail}`,
    ],
    [
      'interaction_facts_v + join + FCR window (no other facts)',
      `SELECT ${agg}, countIf(nx IS NOT NULL) AS w FROM (
         SELECT assumeNotNull(i.opened_at) AS at, i.channel AS channel, i.category AS category, c.segment AS segment,
           leadInFrame(toNullable(i.opened_at)) OVER (PARTITION BY i.customer_id, i.category ORDER BY i.opened_at, i.interaction_id
             ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS nx
         FROM ${DATABASE}.interaction_facts_v AS i LEFT JOIN ${DATABASE}.customer_facts_v AS c ON c.customer_id = i.customer_id
         WHERE i.opened_at IS NOT NULL) ${tail}`,
    ],
  ];
  for (const [name, sql] of spec.parts.includes('c') ? variants : [])
    breakdown.push(await measure(name, () => rowsOf(ch, sql, p), spec));
  clearInterval(sampler);
  queryRss = Math.max(queryRss, process.memoryUsage.rss());
  await ch.close();
  return {
    interactions: N,
    engineVersion,
    load,
    optimize,
    disk,
    single,
    raw,
    refresh: { full: fullRefresh, ...(keepUp ? { keepUp } : {}) },
    overview,
    overviewApi,
    overviewPerKpi,
    breakdown,
    peakRssMiB: peakRss(),
    queryPhaseRssMiB: mib(queryRss),
    rssAfterLoadMiB,
    seconds: (performance.now() - t0) / 1000,
  };
}

// =========================================================================================================
// parent

interface Args {
  interactions: number[];
  runs: number;
  warmup: number;
  budgetS: number;
  chunk: number;
  minRuns: number;
  parts: string[];
  keepupEvents: number;
  /** a data dir to reuse (one N only); kept */
  dir: string;
  /** earlier kpi-*.json results to show next to this run's in the table */
  include: string[];
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    interactions: [1_000_000],
    runs: 20,
    warmup: 2,
    budgetS: 25,
    chunk: 5_000_000,
    minRuns: 5,
    parts: ['a', 'b', 'k'],
    keepupEvents: 3_000_000,
    dir: '',
    include: [],
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1] ?? '';
    const int = (s: string) => {
      const n = Number(s.replaceAll('_', ''));
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${k}: expected a positive integer, got ${s}`);
      return n;
    };
    if (k === '--interactions') a.interactions = v.split(',').map(int);
    else if (k === '--runs') a.runs = int(v);
    else if (k === '--warmup') a.warmup = int(v);
    else if (k === '--budget-s') a.budgetS = int(v);
    else if (k === '--chunk') a.chunk = int(v);
    else if (k === '--min-runs') a.minRuns = int(v);
    else if (k === '--parts') a.parts = v.split(',');
    else if (k === '--keepup-events') a.keepupEvents = int(v);
    else if (k === '--dir') a.dir = v;
    else if (k === '--include') a.include = v.split(',');
    else if (k === '--keep') {
      a.keep = true;
      continue;
    } else throw new Error(`unknown option ${k}`);
    i++;
  }
  return a;
}

function runN(spec: Spec): Promise<NResult> {
  const child = fork(SELF, ['--child'], {
    cwd: ROOT,
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', BENCH_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<NResult>((resolve, reject) => {
    let result: NResult | undefined;
    child.on('message', (m: { result?: NResult; error?: string }) => {
      if (m.result) result = m.result;
      if (m.error) reject(new Error(m.error));
    });
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`child for N=${spec.interactions} exited with ${code}`)),
    );
  });
}

async function machineWithChdb(): Promise<Record<string, string | number>> {
  const chdbPkg = JSON.parse(
    await fsp.readFile(path.join(ROOT, 'node_modules', 'chdb', 'package.json'), 'utf8').catch(() => '{}'),
  ) as { version?: string };
  return { ...(await machine()), chdbPackage: chdbPkg.version ?? 'unknown' };
}

const fmt = (x: number | null | undefined, d = 0) =>
  typeof x === 'number' && Number.isFinite(x)
    ? x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
    : '–';

function markdown(startedAt: string, mach: Record<string, string | number>, rs: NResult[]): string {
  const L: string[] = [];
  const engine = rs[0]?.engineVersion ?? 'unknown';
  L.push(`### KPI query latency, ${startedAt}`, '');
  L.push(
    `Machine: ${mach['cpu']}, ${mach['cores']} cores, ${mach['ramGiB']} GiB RAM, ${mach['os']}; Node ${mach['node']}; ` +
      `chdb ${mach['chdbPackage']} (engine ${engine}). Data: 365 days, 7 channels, 8 categories, N/20 customers, ` +
      `6 teams, 60 agents, 0.3 surveys per interaction; queries over ${FROM}..${TO} (90 days). ` +
      `Times in ms, end to end through \`computeMetric\` (build + chDB + JSON + shaping), after warm-ups.`,
    '',
  );
  const head = ['query', ...rs.map((r) => `N=${fmt(r.interactions)} p50 / p95`)];
  L.push(`| ${head.join(' | ')} |`, `| --- |${rs.map(() => ' ---: |').join('')}`);
  const row = (label: string, pick: (r: NResult) => Timing | undefined) => {
    const cells = rs.map((r) => {
      const t = pick(r);
      return t ? `${fmt(t.p50)} / ${fmt(t.p95)} (${t.runs})` : '–';
    });
    L.push(`| ${label} | ${cells.join(' | ')} |`);
  };
  const find = (ts: Timing[], name: string) => ts.find((t) => t.name === name);
  for (const name of SINGLE) {
    row(`**(a) ${name}, day × channel, rollups**`, (r) => find(r.single, `${name} rollup`));
    row(`  (a) ${name}, day × channel, stored facts`, (r) => find(r.single, `${name} facts`));
    row(`  (r) ${name}, day × channel, raw (no rollups)`, (r) => find(r.raw, `${name} raw`));
  }
  row('(a) first_response_time (quantiles), day × channel, stored facts', (r) =>
    find(r.single, 'first_response_time facts'),
  );
  row('(a) fcr, day × agent × channel (not rolled up), stored facts', (r) =>
    find(r.single, 'fcr agent facts'),
  );
  row('**(b) overview API: 8 KPIs × (period, previous period, weekly trend)**', (r) => r.overviewApi);
  row('(b) overview: 8 KPIs, week, one request each, sequential', (r) => r.overview);
  for (const name of OVERVIEW)
    row(`  (b) ${name}, week (within the overview runs)`, (r) =>
      r.overviewPerKpi.find((t) => t.name.startsWith(name)),
    );
  const withBreakdown = rs.find((r) => r.breakdown.length > 0);
  for (let i = 0; i < (withBreakdown?.breakdown.length ?? 0); i++)
    row(`${i === 0 ? '' : 'facts path: '}${withBreakdown?.breakdown[i]?.name ?? ''}`, (r) => r.breakdown[i]);
  L.push('', '(n) = timed runs; p95 of fewer than 20 runs is close to the maximum.', '');
  const speedups = rs.filter((r) => r.raw.length > 0);
  if (speedups.length > 0) {
    L.push(
      `| rollup speed-up (raw p50 ÷ rollup p50) | ${speedups.map((r) => `N=${fmt(r.interactions)}`).join(' | ')} |`,
    );
    L.push(`| --- |${speedups.map(() => ' ---: |').join('')}`);
    for (const name of SINGLE)
      L.push(
        `| ${name} | ${speedups
          .map((r) => {
            const a = find(r.raw, `${name} raw`);
            const b = find(r.single, `${name} rollup`);
            return a && b ? `${fmt(a.p50 / b.p50)}×` : '–';
          })
          .join(' | ')} |`,
      );
    L.push('');
  }
  const r2 = (label: string, f: (r: NResult) => string) => L.push(`| ${label} | ${rs.map(f).join(' | ')} |`);
  L.push(`| load and memory | ${rs.map((r) => `N=${fmt(r.interactions)}`).join(' | ')} |`);
  L.push(`| --- |${rs.map(() => ' ---: |').join('')}`);
  r2('interaction_events rows', (r) => fmt(r.load.rows['interaction_events'] ?? 0));
  r2(
    'survey_events / customer_events rows',
    (r) => `${fmt(r.load.rows['survey_events'] ?? 0)} / ${fmt(r.load.rows['customer_events'] ?? 0)}`,
  );
  r2(
    'load s (interactions + MV / surveys / customers)',
    (r) =>
      `${fmt(r.load.seconds, 1)} (${fmt(r.load.interactionSeconds, 1)} / ${fmt(r.load.surveySeconds, 1)} / ${fmt(r.load.customerSeconds, 1)})`,
  );
  r2('interaction events/s loaded', (r) =>
    fmt((r.load.rows['interaction_events'] ?? 0) / r.load.interactionSeconds),
  );
  r2(
    'interaction_facts rows before → after OPTIMIZE',
    (r) =>
      `${fmt(r.load.rows['interaction_facts'] ?? 0)} → ${fmt(r.load.rows['interaction_facts_after_optimize'] ?? 0)}`,
  );
  r2(
    'OPTIMIZE FINAL s (interaction_facts / customer_facts / survey_events)',
    (r) =>
      `${fmt(r.optimize['interaction_facts'] ?? 0, 1)} / ${fmt(r.optimize['customer_facts'] ?? 0, 1)} / ${fmt(r.optimize['survey_events'] ?? 0, 1)}`,
  );
  r2(
    'disk MiB (interaction_events / interaction_facts)',
    (r) => `${fmt(r.disk['interaction_events'] ?? 0)} / ${fmt(r.disk['interaction_facts'] ?? 0)}`,
  );
  r2('full rollup refresh s (interactions / surveys / customers written, days)', (r) =>
    r.refresh
      ? `${fmt(r.refresh.full.seconds, 1)} (${fmt(r.refresh.full.interactionsRewritten)} / ${fmt(r.refresh.full.surveysRewritten)} / ${fmt(r.refresh.full.customersRewritten)}, ${r.refresh.full.daysRebuilt})`
      : '–',
  );
  r2('(k) keep-up: events appended (interactions, customers touched)', (r) =>
    r.refresh?.keepUp
      ? `${fmt(r.refresh.keepUp.events)} (${fmt(r.refresh.keepUp.interactions)}, ${fmt(r.refresh.keepUp.customers)})`
      : '–',
  );
  r2('(k) incremental refresh s (interactions rewritten, days rebuilt)', (r) =>
    r.refresh?.keepUp
      ? `${fmt(r.refresh.keepUp.seconds, 1)} (${fmt(r.refresh.keepUp.interactionsRewritten)}, ${r.refresh.keepUp.daysRebuilt})`
      : '–',
  );
  r2('(k) events/s the refresh absorbs', (r) =>
    r.refresh?.keepUp ? fmt(r.refresh.keepUp.events / r.refresh.keepUp.seconds) : '–',
  );
  r2('(d) peak RSS MiB (whole process, incl. load)', (r) => fmt(r.peakRssMiB));
  r2('(d) max RSS MiB during the queries (sampled 100 ms)', (r) => fmt(r.queryPhaseRssMiB));
  r2('run s (this N)', (r) => fmt(r.seconds));
  return L.join('\n') + '\n';
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    const spec = JSON.parse(process.env['BENCH_SPEC'] ?? '{}') as Spec;
    try {
      const result = await runChild(spec);
      process.send?.({ result }, () => process.exit(0));
    } catch (e) {
      process.send?.({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () =>
        process.exit(1),
      );
    }
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const mach = await machineWithChdb();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-kpi-'));
  const cleanup = () => {
    if (args.keep) console.error(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const results: NResult[] = [];
  try {
    for (const n of args.interactions) {
      console.error(`N = ${fmt(n)} interactions`);
      const dir = args.dir || path.join(tmp, `n${n}`);
      results.push(
        await runN({
          interactions: n,
          dir,
          runs: args.runs,
          warmup: args.warmup,
          budgetS: args.budgetS,
          chunk: args.chunk,
          minRuns: args.minRuns,
          parts: args.parts,
          keepupEvents: args.keepupEvents,
        }),
      );
      if (!args.keep && !args.dir) await fsp.rm(dir, { recursive: true, force: true });
    }
  } finally {
    cleanup();
    if (results.length) {
      const earlier: NResult[] = [];
      for (const f of args.include)
        earlier.push(...(JSON.parse(await fsp.readFile(f, 'utf8')) as { results: NResult[] }).results);
      const md = markdown(startedAt, mach, [...earlier, ...results]);
      console.log(md);
      await fsp.mkdir(RESULTS_DIR, { recursive: true });
      const stamp = startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
      await fsp.writeFile(
        path.join(RESULTS_DIR, `kpi-${stamp}.json`),
        JSON.stringify({ startedAt, machine: mach, args, window: { from: FROM, to: TO }, results }, null, 2),
      );
      await fsp.writeFile(path.join(RESULTS_DIR, 'kpi-latest.md'), md);
    }
  }
}

await main();
