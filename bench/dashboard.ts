/**
 * Dashboard benchmark: the overview page fully drawn in headless Chromium (Debian's `chromium`, driven
 * by playwright-core) over N synthetic interactions (bench/synthetic.ts) in the embedded engine, served
 * by the real server with its rollups refreshed. "Fully drawn" = from navigation start until the page
 * script is done, no panel is loading and every chart and sparkline is drawn (the same conditions the
 * browser tests wait for). Each run is a fresh navigation from a blank page (HTML, bundle revalidated
 * from cache, every API call), timed two ways: by this driver (from the `goto` until its last check of
 * the page returns, its round trips included) and in the page (navigation start to the first animation
 * frame fully drawn, `bench:drawn`). After each run the page's own timing is read
 * (bench/dashboard-timing.ts): requests, HTML, bundle, API and server time, tiles, Vega compile +
 * render; the report gives their p50 / p95 next to the machine's load average and the server process's
 * peak RSS.
 *
 *   npx tsx bench/dashboard.ts [--interactions 50000000] [--runs 20] [--warmup 3] [--dir DIR]
 *
 * --dir keeps the data directory (and reuses it when it already holds N interactions).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { Runtime } from '../cli/runtime.ts';
import { loadConfig } from '../infra/config.ts';
import { refreshRollups } from '../transforms/refresh.ts';
import type { Page } from 'playwright-core';
import { machine, machineText } from './common/machine.ts';
import { percentile } from './common/numbers.ts';
import { saveResults } from './common/results.ts';
import { AS_OF, DATABASE, loadSynthetic } from './synthetic.ts';
import { breakdownTable, readTiming, watchDrawn, type DrawTiming } from './dashboard-timing.ts';

const TOKEN = 'bench-admin-token-0123456789';
/** The overview of the last 28 full days of the synthetic year. */
const URL_PATH = '/overview?from=2026-10-25&to=2026-11-21';

declare const document: { querySelectorAll(s: string): { length: number } };

function args(argv: string[]) {
  const a = { interactions: 50_000_000, runs: 20, warmup: 3, dir: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1] ?? ''];
    if (k === '--interactions') a.interactions = Number(v.replaceAll('_', ''));
    else if (k === '--runs') a.runs = Number(v);
    else if (k === '--warmup') a.warmup = Number(v);
    else if (k === '--dir') a.dir = v;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

const pct = (xs: number[], p: number) =>
  percentile(
    [...xs].sort((x, y) => x - y),
    p,
  );

/** The runtime over `dir`, holding N interactions: loaded and the rollups refreshed when it has fewer. */
async function openData(a: ReturnType<typeof args>, dir: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CXPULSE_DATA_DIR: dir,
    CLICKHOUSE_DATABASE: DATABASE,
    CXPULSE_TIMEZONE: 'UTC',
    CXPULSE_API_TOKENS: `${TOKEN}=admin`,
    ROLLUP_REFRESH_SCHEDULE: 'off',
    HTTP_PORT: '0',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  delete env['CLICKHOUSE_URL'];
  const cfg = loadConfig(env);
  const rt = new Runtime(cfg);
  const ch = await rt.clickhouseUp();
  const have = Number(
    (
      await (
        await ch.query({
          query: `SELECT count() AS n FROM ${DATABASE}.interaction_facts`,
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>()
    )[0]?.n ?? 0,
  );
  let load: Awaited<ReturnType<typeof loadSynthetic>> | null = null;
  let refreshS = 0;
  if (have < a.interactions) {
    load = await loadSynthetic(ch, a.interactions, 5_000_000, (m) => console.error(m));
    const t = performance.now();
    await refreshRollups(ch, cfg, { evaluatedAt: AS_OF, overlapMs: 0 });
    refreshS = (performance.now() - t) / 1000;
    console.error(`rollups refreshed in ${refreshS.toFixed(1)} s`);
  }
  return { cfg, rt, load, refreshS };
}

/** Signed in, the overview drawn `warmup` + `runs` times: the timed runs' ms and timing. */
async function drawRuns(
  page: Page,
  base: string,
  a: ReturnType<typeof args>,
  timings: DrawTiming[],
): Promise<number[]> {
  const ms: number[] = [];
  await watchDrawn(page);
  await page.goto(`${base}/signin`);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForURL(/overview/);
  for (let i = 0; i < a.warmup + a.runs; i++) {
    // opened from a blank page, as from a bookmark or a new tab: the last run's page is not torn down
    // inside this one's time
    await page.goto('about:blank');
    const t0 = performance.now();
    await page.goto(`${base}${URL_PATH}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[aria-busy="true"]').length === 0 &&
        document.querySelectorAll('[data-pending]').length === 0,
      null,
      { timeout: 120_000, polling: 'raf' },
    );
    const t = performance.now() - t0;
    const charts = await page.locator('.chart svg, .spark svg').count();
    if (i === 0 && charts < 8) throw new Error(`only ${charts} charts drawn: is there data for ${URL_PATH}?`);
    const timing = await readTiming(page);
    if (i >= a.warmup) {
      ms.push(t);
      timings.push(timing);
    }
    console.error(
      `  run ${i + 1}: ${t.toFixed(0)} ms${i < a.warmup ? ' (warm-up)' : ''}, ${charts} charts, ${timing.apiRequests} API requests, tiles at ${timing.tilesAt.toFixed(0)} ms`,
    );
  }
  return ms;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const dir = a.dir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-dash-')));
  const { cfg, rt, load, refreshS } = await openData(a, dir);
  const server = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  let ms: number[];
  const timings: DrawTiming[] = [];
  const loadBefore = os.loadavg();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    ms = await drawRuns(await context.newPage(), base, a, timings);
  } finally {
    clearInterval(sampler);
    await browser.close();
    await rt.close();
    if (!a.dir) await fsp.rm(dir, { recursive: true, force: true });
  }
  const mach = await machine();
  const startedAt = new Date().toISOString();
  const drawn = timings.map((t) => t.drawnAt);
  const result = {
    startedAt,
    machine: mach,
    interactions: a.interactions,
    url: URL_PATH,
    runs: ms.length,
    p50: pct(ms, 0.5),
    p95: pct(ms, 0.95),
    min: Math.min(...ms),
    max: Math.max(...ms),
    inPage: { p50: pct(drawn, 0.5), p95: pct(drawn, 0.95) },
    load,
    refreshSeconds: refreshS,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    serverPeakRssMiB: Math.round(peakRss / 2 ** 20),
    breakdownP50: breakdownTable(timings).p50,
    timings,
  };
  const loadText = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const md = [
    `### Overview page fully drawn, ${startedAt}`,
    '',
    `${machineText(mach)}; headless Chromium (Debian package) via playwright-core, on the same machine as the server.`,
    `Background load (1 / 5 / 15 min averages): ${loadText(loadBefore)} before, ${loadText(os.loadavg())} after; the server process's peak RSS ${result.serverPeakRssMiB} MiB (it also hosts the engine).`,
    '',
    `| interactions | runs | driver p50 ms | driver p95 ms | min | max | in the page p50 ms | in the page p95 ms |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`,
    `| ${a.interactions.toLocaleString('en-US')} | ${ms.length} | ${result.p50.toFixed(0)} | ${result.p95.toFixed(0)} | ${result.min.toFixed(0)} | ${result.max.toFixed(0)} | ${result.inPage.p50.toFixed(0)} | ${result.inPage.p95.toFixed(0)} |`,
    '',
    "Driver: from this script's `goto` until its last check of the page returned. In the page: from navigation start to the first animation frame in which everything is drawn.",
    '',
    "Where the time goes (the page's own timing, bench/dashboard-timing.ts):",
    '',
    breakdownTable(timings).md,
    '',
  ].join('\n');
  console.log(md);
  await saveResults('dashboard', startedAt, JSON.stringify(result, null, 2), md);
}

await main();
