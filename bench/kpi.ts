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
 * Each N runs in its own child Node process (so peak RSS is per N). See bench/README.md for the method
 * and bench/kpi/README.md for the parts; results go to bench/results/kpi-<timestamp>.json and
 * bench/results/kpi-latest.md.
 *
 *   npx tsx bench/kpi.ts [--interactions 1000000,5000000] [--runs 20] [--warmup 2] [--budget-s 25]
 *                        [--chunk 5000000] [--min-runs 5] [--parts a,b,c] [--include earlier.json] [--keep]
 *
 * --include adds the results of earlier runs (their kpi-*.json) as columns of this run's table.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { machine } from './common/machine.ts';
import { fmt } from './common/numbers.ts';
import { ROOT, saveResults } from './common/results.ts';
import { parseArgs, type Args } from './kpi/args.ts';
import { markdown } from './kpi/report.ts';
import { runN } from './kpi/run-n.ts';
import { FROM, TO, type NResult } from './kpi/spec.ts';

async function machineWithChdb(): Promise<Record<string, string | number>> {
  const chdbPkg = JSON.parse(
    await fsp.readFile(path.join(ROOT, 'node_modules', 'chdb', 'package.json'), 'utf8').catch(() => '{}'),
  ) as { version?: string };
  return { ...(await machine()), chdbPackage: chdbPkg.version ?? 'unknown' };
}

/** Each N in its own child process, one after the other; the results so far when one fails. */
async function runAll(args: Args, tmp: string, results: NResult[]): Promise<void> {
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
        refresh: args.refresh,
      }),
    );
    if (!args.keep && !args.dir) await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** The report of this run's results (and of the earlier runs named by --include), printed and kept. */
async function report(
  args: Args,
  startedAt: string,
  mach: Record<string, string | number>,
  results: NResult[],
) {
  const earlier: NResult[] = [];
  for (const f of args.include)
    earlier.push(...(JSON.parse(await fsp.readFile(f, 'utf8')) as { results: NResult[] }).results);
  const md = markdown(startedAt, mach, [...earlier, ...results]);
  console.log(md);
  const json = JSON.stringify(
    { startedAt, machine: mach, args, window: { from: FROM, to: TO }, results },
    null,
    2,
  );
  await saveResults('kpi', startedAt, json, md);
}

async function main(): Promise<void> {
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
    await runAll(args, tmp, results);
  } finally {
    cleanup();
    if (results.length) await report(args, startedAt, mach, results);
  }
}

await main();
