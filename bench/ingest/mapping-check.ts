/**
 * Phase (d)'s correctness check: a sample of the events (every STRIDE-th line of each NDJSON file, the
 * bytes that were produced) goes through decodeEvent + toRow, exactly as the Ingester maps them, into
 * scratch copies of the raw tables; every column of those rows is then compared with the row the Kafka
 * engine's view stored for the same event_id. Not compared: `_partition` and `_offset` (the NDJSON files
 * do not say where Kafka put a message) and `_ingested_at` (the insert time). Any other difference, or a
 * sampled event missing, fails the run.
 */
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Topics } from '../../infra/kafka/topics.ts';
import { RAW_TABLE } from './kafka-engine-sql.ts';
import { ndjsonLines } from './phase-b-bulk.ts';
import { DATABASE, KINDS, type ChildSpec } from './spec.ts';

const STRIDE = 97;
const EXPECTED = `${DATABASE}_expected`;
const NOT_COMPARED = new Set(['_partition', '_offset', '_ingested_at']);

export interface MappingCheck {
  /** sampled events per table */
  sampled: Record<string, number>;
  /** columns compared per table */
  columns: Record<string, number>;
  /** per table and column: how many sampled rows differ, and one example */
  differences: { table: string; column: string; rows: number; example: string }[];
  missing: Record<string, number>;
}

/** The sampled events' toRow rows into EXPECTED's copy of each raw table. */
async function expectedRows(ch: ClickHouseClient, spec: ChildSpec, topics: Topics): Promise<MappingCheck> {
  const { insertJsonLines } = await import('../../infra/clickhouse.ts');
  const { decodeEvent } = await import('../../ingest/events.ts');
  const { toRow } = await import('../../ingest/rows.ts');
  const { rowLine } = await import('../../ingest/sink.ts');
  const out: MappingCheck = { sampled: {}, columns: {}, differences: [], missing: {} };
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${EXPECTED}` });
  for (const kind of KINDS) {
    const table = RAW_TABLE[kind];
    await ch.command({ query: `CREATE TABLE ${EXPECTED}.${table} AS ${DATABASE}.${table}` });
    const lines: string[] = [];
    let i = 0;
    for (const line of ndjsonLines(spec.ndjson[kind])) {
      if (i++ % STRIDE !== 0) continue;
      const res = decodeEvent(line);
      if (!res.ok) throw new Error(`mapping check: a sampled ${kind} event does not decode`);
      lines.push(rowLine(toRow(res.event, { topic: topics[kind], partition: 0, offset: '0' }).row));
    }
    out.sampled[table] = lines.length;
    if (lines.length > 0) {
      await insertJsonLines(ch, `${EXPECTED}.${table}`, Buffer.from(lines.join('\n') + '\n'), {
        date_time_input_format: 'best_effort',
      });
    }
  }
  return out;
}

async function rows<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

/** Compare one table's sampled rows column by column. */
async function compareTable(ch: ClickHouseClient, table: string, out: MappingCheck): Promise<void> {
  const cols = (
    await rows<{ name: string }>(
      ch,
      `SELECT name FROM system.columns WHERE database = '${DATABASE}' AND table = '${table}' ORDER BY position`,
    )
  )
    .map((c) => c.name)
    .filter((c) => !NOT_COMPARED.has(c) && c !== 'event_id');
  out.columns[table] = cols.length + 1;
  const s = (side: string, c: string) => `ifNull(toString(${side}.${c}), '\\\\N')`;
  const diff = (c: string) => `${s('e', c)} != ${s('g', c)}`;
  const from = `FROM (SELECT * FROM ${EXPECTED}.${table} FINAL) AS e
    LEFT JOIN (SELECT *, 1 AS found FROM ${DATABASE}.${table} FINAL
      WHERE event_id IN (SELECT event_id FROM ${EXPECTED}.${table})) AS g ON e.event_id = g.event_id`;
  const counts = await rows<Record<string, string>>(
    ch,
    `SELECT countIf(g.found = 0) AS missing, ${cols.map((c) => `countIf(g.found = 1 AND ${diff(c)}) AS \`${c}\``).join(', ')} ${from}`,
  );
  const r = counts[0] ?? {};
  out.missing[table] = Number(r['missing'] ?? 0);
  for (const c of cols) {
    const n = Number(r[c] ?? 0);
    if (n === 0) continue;
    const ex = await rows<{ x: string }>(
      ch,
      `SELECT concat(e.event_id, ': toRow ', ${s('e', c)}, ' | kafka engine ', ${s('g', c)}) AS x
       ${from} WHERE g.found = 1 AND ${diff(c)} LIMIT 1`,
    );
    out.differences.push({ table, column: c, rows: n, example: ex[0]?.x ?? '' });
  }
}

/** Sample, compare, and fail loudly on any difference; the result goes into the report. */
export async function checkMapping(
  ch: ClickHouseClient,
  spec: ChildSpec,
  topics: Topics,
): Promise<MappingCheck> {
  const out = await expectedRows(ch, spec, topics);
  for (const kind of KINDS) await compareTable(ch, RAW_TABLE[kind], out);
  await ch.command({ query: `DROP DATABASE ${EXPECTED}` });
  const missing = Object.values(out.missing).reduce((a, b) => a + b, 0);
  if (missing > 0 || out.differences.length > 0) {
    throw new Error(
      `kafka engine: the stored rows differ from toRow's (${missing} sampled events missing): ` +
        JSON.stringify(out.differences),
    );
  }
  return out;
}
