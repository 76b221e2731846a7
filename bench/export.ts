/**
 * Export benchmark: N rows of `v_interactions` through `POST /api/v1/sql` as an Arrow IPC stream and as
 * CSV, from a server in a child process over a data dir that already holds the synthetic centre
 * (bench/dashboard.ts --dir DIR, or bench/kpi.ts --dir DIR). The client reads the whole stream (Arrow:
 * record batch by record batch with apache-arrow, counting rows; CSV: counting lines) and samples the
 * server's resident memory (VmRSS) every 100 ms.
 *
 *   npx tsx bench/export.ts --dir DIR [--rows 10000000]
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { RecordBatchReader } from 'apache-arrow';
import { forkTsx } from './common/child.ts';
import { machine, machineText } from './common/machine.ts';
import { saveResults } from './common/results.ts';
import { sampleMax } from './common/sample.ts';
import { DATABASE } from './synthetic.ts';

const SELF = fileURLToPath(import.meta.url);
const TOKEN = 'bench-analyst-token-0123456789';

async function child(dir: string): Promise<void> {
  const { Runtime } = await import('../cli/runtime.ts');
  const { loadConfig } = await import('../infra/config.ts');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CXPULSE_DATA_DIR: dir,
    CLICKHOUSE_DATABASE: DATABASE,
    CXPULSE_API_TOKENS: `${TOKEN}=analyst`,
    ROLLUP_REFRESH_SCHEDULE: 'off',
    HTTP_PORT: '0',
    SQL_MAX_ROWS: '100000000',
    SQL_TIMEOUT_SECONDS: '600',
  };
  delete env['CLICKHOUSE_URL'];
  const rt = new Runtime(loadConfig(env));
  const server = await rt.startServer({
    collector: false,
    tokens: [],
    api: { tokens: rt.cfg.http.apiTokens },
  });
  process.send?.({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  process.on('message', (m) => {
    if (m === 'stop') void rt.close().then(() => process.exit(0));
  });
}

/** Resident memory in MiB: all of it, and its anonymous part (heap) and file-backed part (mapped files). */
const rss = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
};

/** The server over `dir` in a child process: the process and its URL. */
async function startServer(dir: string) {
  const server = forkTsx(SELF, ['--child', dir], { env: { ...process.env, LOG_LEVEL: 'warn' } });
  const url = await new Promise<string>((resolve) =>
    server.on('message', (m: { url?: string }) => m.url && resolve(m.url)),
  );
  return { server, url };
}

/** Read a whole response body: Arrow record batch by record batch, or CSV lines. Rows and bytes. */
async function readBody(res: Response, format: 'arrow' | 'csv'): Promise<{ n: number; bytes: number }> {
  let n = 0;
  let bytes = 0;
  const body = res.body as unknown as AsyncIterable<Uint8Array>;
  if (format === 'arrow') {
    const counted = (async function* () {
      for await (const c of body) {
        bytes += c.byteLength;
        yield c;
      }
    })();
    for await (const reader of RecordBatchReader.readAll(counted))
      for await (const b of reader) n += b.numRows;
  } else {
    for await (const c of body) {
      bytes += c.byteLength;
      for (const x of c) if (x === 10) n++;
    }
    n -= 1; // the header
  }
  return { n, bytes };
}

/** One export of `rows` rows in `format`, timed, with the server's RSS sampled every 100 ms. */
async function exportOnce(url: string, pid: number, format: 'arrow' | 'csv', rows: number) {
  const sql = `SELECT * FROM v_interactions WHERE day >= '2025-11-22' LIMIT ${rows}`;
  const base = rss(pid);
  const sampler = sampleMax(() => rss(pid));
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/sql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, format }),
  });
  if (!res.ok) throw new Error(`${format}: ${res.status} ${await res.text()}`);
  const { n, bytes } = await readBody(res, format);
  const s = (performance.now() - t0) / 1000;
  const peak = sampler.stop(false);
  // CSV: lines, a row may span several when a value holds a line break
  if (n < rows) throw new Error(`${format}: read ${n} rows, expected ${rows}`);
  return {
    format,
    rows: n,
    seconds: s,
    rowsPerSecond: n / s,
    mib: bytes / 2 ** 20,
    rssBaseMiB: base.total,
    rssPeakMiB: peak.total,
    rssGrowthMiB: peak.total - base.total,
    anonGrowthMiB: peak.anon - base.anon,
    fileGrowthMiB: peak.file - base.file,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1] as string);
  const opt = (k: string, d: string) => (argv.includes(k) ? (argv[argv.indexOf(k) + 1] as string) : d);
  const dir = opt('--dir', '');
  const rows = Number(opt('--rows', '10000000'));
  if (!dir) throw new Error('--dir DIR: a data dir with the synthetic centre (see bench/dashboard.ts --dir)');
  const { server, url } = await startServer(dir);
  const results: Record<string, unknown>[] = [];
  for (const format of ['arrow', 'csv', 'arrow', 'csv'] as const) {
    const r = await exportOnce(url, server.pid as number, format, rows);
    console.error(JSON.stringify(r));
    results.push(r);
  }
  server.send('stop');
  const mach = await machine();
  const startedAt = new Date().toISOString();
  const md = [
    `### Export of ${rows.toLocaleString('en-US')} rows of v_interactions, ${startedAt}`,
    '',
    `${machineText(mach)}. Server (embedded engine) in a child process, client on the same machine reading the whole stream (Arrow decoded batch by batch with apache-arrow).`,
    '',
    '| format | rows/s | MiB | seconds | server RSS before → peak (growth) MiB | of which anonymous / file-backed growth MiB |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r['format']} | ${Math.round(r['rowsPerSecond'] as number).toLocaleString('en-US')} | ${Math.round(r['mib'] as number)} | ${(r['seconds'] as number).toFixed(1)} | ${Math.round(r['rssBaseMiB'] as number)} → ${Math.round(r['rssPeakMiB'] as number)} (${Math.round(r['rssGrowthMiB'] as number)}) | ${Math.round(r['anonGrowthMiB'] as number)} / ${Math.round(r['fileGrowthMiB'] as number)} |`,
    ),
    '',
  ].join('\n');
  console.log(md);
  await saveResults('export', startedAt, JSON.stringify({ startedAt, machine: mach, results }, null, 2), md);
}

await main();
