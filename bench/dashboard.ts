/**
 * Dashboard benchmark: the overview page fully drawn in headless Chromium (Debian's `chromium`, driven
 * by playwright-core) over N synthetic interactions (bench/synthetic.ts) in the embedded engine, served
 * by the real server with its rollups refreshed. "Fully drawn" = from navigation start until the page
 * script is done, no panel is loading and every chart and sparkline is drawn (the same conditions the
 * browser tests wait for). Each run is a fresh navigation (HTML, bundle from cache, every API call).
 *
 *   npx tsx bench/dashboard.ts [--interactions 50000000] [--runs 20] [--warmup 3] [--dir DIR]
 *
 * --dir keeps the data directory (and reuses it when it already holds N interactions).
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { AddressInfo } from 'node:net';
import { Runtime } from '../cli/runtime.ts';
import { loadConfig } from '../infra/config.ts';
import { refreshRollups } from '../transforms/refresh.ts';
import { machine } from './common/machine.ts';
import { AS_OF, DATABASE, loadSynthetic } from './synthetic.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
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

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? NaN;
};

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const dir = a.dir || (await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-dash-')));
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
  const server = await rt.startServer({ collector: false, tokens: [], api: { tokens: cfg.http.apiTokens } });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const ms: number[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/signin`);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL(/overview/);
    for (let i = 0; i < a.warmup + a.runs; i++) {
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
      if (i === 0 && charts < 8)
        throw new Error(`only ${charts} charts drawn: is there data for ${URL_PATH}?`);
      if (i >= a.warmup) ms.push(t);
      console.error(
        `  run ${i + 1}: ${t.toFixed(0)} ms${i < a.warmup ? ' (warm-up)' : ''}, ${charts} charts`,
      );
    }
  } finally {
    await browser.close();
    await rt.close();
    if (!a.dir) await fsp.rm(dir, { recursive: true, force: true });
  }
  const mach = await machine();
  const startedAt = new Date().toISOString();
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
    load,
    refreshSeconds: refreshS,
  };
  const md = [
    `### Overview page fully drawn, ${startedAt}`,
    '',
    `Machine: ${mach['cpu']}, ${mach['cores']} cores, ${mach['ramGiB']} GiB RAM, ${mach['os']}; Node ${mach['node']}; headless Chromium (Debian package) via playwright-core, on the same machine as the server.`,
    '',
    `| interactions | runs | p50 ms | p95 ms | min | max |`,
    `| ---: | ---: | ---: | ---: | ---: | ---: |`,
    `| ${a.interactions.toLocaleString('en-US')} | ${ms.length} | ${result.p50.toFixed(0)} | ${result.p95.toFixed(0)} | ${result.min.toFixed(0)} | ${result.max.toFixed(0)} |`,
    '',
  ].join('\n');
  console.log(md);
  await fsp.mkdir(RESULTS, { recursive: true });
  await fsp.writeFile(
    path.join(RESULTS, `dashboard-${startedAt.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}.json`),
    JSON.stringify(result, null, 2),
  );
  await fsp.writeFile(path.join(RESULTS, 'dashboard-latest.md'), md);
}

await main();
