/** How the KPI benchmark times a query, and the small reads it makes of the store. */
import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { percentile } from '../common/numbers.ts';
import type { Spec, Timing } from './spec.ts';

export const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
/** maxRSS of this process so far (KiB on Linux), MiB */
export const peakRss = () => mib(process.resourceUsage().maxRSS * 1024);

/** The timing of `name` from its run times in ms (sorted here). */
export function timingOf(name: string, times: readonly number[], rows: number): Timing {
  const ms = [...times].sort((a, b) => a - b);
  return {
    name,
    runs: ms.length,
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    min: ms[0] ?? NaN,
    max: ms[ms.length - 1] ?? NaN,
    rows,
  };
}

/**
 * Time `fn` `warmup` times untimed, then up to `runs` times (at least `minRuns`, fewer than `runs` when the
 * warm-ups say `runs` would take longer than the budget). Milliseconds.
 */
export async function measure(
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
  const r = timingOf(name, ms, rows);
  console.error(
    `  [${spec.interactions}] ${name}: p50 ${r.p50.toFixed(0)} ms, p95 ${r.p95.toFixed(0)} ms (${runs} runs, ${rows} rows)`,
  );
  return r;
}

export async function scalar(ch: ClickHouseClient, query: string): Promise<number> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  const row = (await rs.json<Record<string, unknown>>())[0] ?? {};
  return Number(Object.values(row)[0] ?? NaN);
}

export async function rowsOf(
  ch: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<number> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json()).length;
}
