import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '../../infra/clickhouse.ts';
import type { Logger } from '../../infra/logger.ts';
import {
  CUSTOMER_KPI_COLUMNS,
  INTERACTION_KPI_COLUMNS,
  SURVEY_KPI_COLUMNS,
  deriveCustomerFacts,
  deriveInteractionFacts,
  deriveSurveyFacts,
} from '../../metrics/query/facts.ts';
import { scalar, strings, type TempTable } from '../sql.ts';
import type { Plan } from './plan.ts';

/**
 * The KPI facts (`interaction_kpi`, `survey_kpi`, `customer_kpi`) of a plan derived again (the SQL of
 * metrics/query/facts.ts), and only the rows whose facts changed written; then the facts tables kept
 * in few parts.
 */

export interface FactsWritten {
  interactions: number;
  surveys: number;
  customers: number;
  /** the local days of the rows written (and of rows that moved away from a day) */
  days: Set<string>;
}

/** Derive the plan's facts chunk by chunk (bounded memory) and write the rows that changed. */
export async function writeFacts(
  ch: ClickHouseClient,
  db: string,
  plan: Plan,
  chunks: number,
  run: { version: number; params: Record<string, unknown>; tempTable: TempTable; log: Logger },
): Promise<FactsWritten> {
  const out: FactsWritten = { interactions: 0, surveys: 0, customers: 0, days: new Set() };
  for (let k = 0; k < chunks; k++) {
    const part = plan.subsets(chunks > 1 ? `cityHash64(customer_id) % ${chunks} = ${k}` : '1');
    const jobs: [string, readonly string[], string, string, keyof Omit<FactsWritten, 'days'>][] = [
      [
        'interaction_kpi',
        INTERACTION_KPI_COLUMNS,
        deriveInteractionFacts(db, part.interactions),
        'interaction_id',
        'interactions',
      ],
      ['survey_kpi', SURVEY_KPI_COLUMNS, deriveSurveyFacts(db, part.surveys), 'event_id', 'surveys'],
      [
        'customer_kpi',
        CUSTOMER_KPI_COLUMNS,
        deriveCustomerFacts(db, part.customers),
        'customer_id',
        'customers',
      ],
    ];
    for (const [table, columns, derive, key, counter] of jobs) {
      const stage = await run.tempTable(`${table}_${k}`, `${db}.${table}`, 'Memory');
      const t1 = performance.now();
      await ch.command({
        query: `INSERT INTO ${stage} (${columns.join(', ')}, version)
                SELECT ${columns.join(', ')}, ${run.version} FROM (${derive})`,
        query_params: run.params,
      });
      const t2 = performance.now();
      const staged = { table, stage, columns, key, chunk: k };
      const rewritten = await writeChanged(ch, db, staged, out.days, run.tempTable);
      run.log.debug(
        {
          table,
          chunk: k,
          deriveMs: Math.round(t2 - t1),
          writeMs: Math.round(performance.now() - t2),
          rewritten,
        },
        'facts written',
      );
      out[counter] += rewritten;
    }
  }
  return out;
}

/**
 * Write the staged rows whose facts differ from the stored ones (or are new); collect the days they
 * fall on. A row whose day moved (its opening or answer time changed) has its old row deleted.
 */
async function writeChanged(
  ch: ClickHouseClient,
  db: string,
  s: { table: string; stage: string; columns: readonly string[]; key: string; chunk: number },
  days: Set<string>,
  tempTable: TempTable,
): Promise<number> {
  const { table, stage, columns, key } = s;
  const hash = `cityHash64(toString(tuple(${columns.join(', ')})))`;
  // rows keep their day (a moved one is caught below): only the staged days' granules need reading
  const sameDays = columns.includes('day') ? `AND day IN (SELECT DISTINCT day FROM ${stage})` : '';
  const changed = await tempTable(`${table}_${s.chunk}_changed`, stage, 'Memory');
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
 * Partitions of a facts table with more active parts than this are merged into one after a refresh.
 * Background merges usually keep the count lower; this bounds it when they lag.
 */
export const MAX_PARTS_PER_PARTITION = 8;

/**
 * Merge every partition of the facts tables that has more than `maxParts` active parts into one part.
 * Readers of the facts (the dashboards' facts store, the analysts' views) use FINAL, which opens every
 * part at once: at 50M interactions in 85 parts a `SELECT *` held ~700 MiB of read buffers before its
 * first row; in 13 parts, ~110 MiB. A full rebuild writes many parts (one per chunk and month), so it
 * compacts everything.
 */
export async function compactFacts(ch: ClickHouseClient, db: string, maxParts: number): Promise<number> {
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
