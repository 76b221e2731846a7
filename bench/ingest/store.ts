/** What a phase asks the store: the engine version, where the memory is, how many events are stored. */
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import { DATABASE } from './spec.ts';

/** The chDB engine version, for the report. */
export async function engineVersion(ch: ClickHouseClient): Promise<string> {
  const rs = await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  return (await rs.json<{ v: string }>())[0]?.v ?? 'unknown';
}

/** Where the memory is at the end of a window: V8 (heap, external) and chDB's own accounting. */
export async function memoryBreakdown(ch: ClickHouseClient | undefined): Promise<Record<string, number>> {
  const mib = (b: number) => Math.round(b / 2 ** 20);
  const m = process.memoryUsage();
  const out: Record<string, number> = {
    rssMiB: mib(m.rss),
    v8HeapTotalMiB: mib(m.heapTotal),
    v8HeapUsedMiB: mib(m.heapUsed),
    externalMiB: mib(m.external),
  };
  if (!ch) return out;
  try {
    const rs = await ch.query({
      // chDB has no system.asynchronous_metrics; MemoryTracking is what its allocations add up to now
      query: `SELECT metric, value FROM system.metrics WHERE metric = 'MemoryTracking'`,
      format: 'JSONEachRow',
    });
    for (const r of await rs.json<{ metric: string; value: number | string }>()) {
      out[`chdb ${r.metric} MiB`] = mib(Number(r.value));
    }
  } catch {
    /* not available */
  }
  return out;
}

export async function storedCount(
  ch: ClickHouseClient,
): Promise<{ rows: number; distinct: number; dlq: number }> {
  const rs = await ch.query({
    query: `SELECT
      (SELECT count() FROM ${DATABASE}.interaction_events) + (SELECT count() FROM ${DATABASE}.survey_events)
        + (SELECT count() FROM ${DATABASE}.customer_events) AS rows,
      (SELECT uniqExact(event_id) FROM ${DATABASE}.interaction_events)
        + (SELECT uniqExact(event_id) FROM ${DATABASE}.survey_events)
        + (SELECT uniqExact(event_id) FROM ${DATABASE}.customer_events) AS distinct,
      (SELECT count() FROM ${DATABASE}.dlq) AS dlq`,
    format: 'JSONEachRow',
  });
  const r = (await rs.json<{ rows: string; distinct: string; dlq: string }>())[0];
  return { rows: Number(r?.rows ?? 0), distinct: Number(r?.distinct ?? 0), dlq: Number(r?.dlq ?? 0) };
}
