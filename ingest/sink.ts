import { insertJsonLines, type ClickHouseClient } from '../infra/clickhouse.ts';
import { engineMessage, faultOf } from '../infra/clickhouse-errors.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import type { PipelineMetrics } from '../infra/metrics.ts';
import type { EventTopicKind } from '../infra/kafka/topics.ts';
import { RAW_TABLES, type Row } from './rows.ts';

/** Rows to write, each already serialized as one JSON line (JSONEachRow). */
export interface SinkBatch {
  rows: Partial<Record<EventTopicKind, string[]>>;
  dlq: string[];
}

/** A row as the JSON line the sink writes. */
export function rowLine(row: Row): string {
  return JSON.stringify(row);
}

/** A row the store refused for a fault of its own, with the engine's reason. */
export interface RowRefusal {
  /** Position in the lines given to `writeRows`. */
  index: number;
  reason: string;
}

/**
 * Settings of every ingest insert. A backfill's batch may span hundreds of months: each is a partition
 * of its own, and the engine's default refuses an insert touching more than 100 of them.
 */
const INSERT_SETTINGS = {
  async_insert: 0,
  date_time_input_format: 'best_effort',
  throw_on_max_partitions_per_insert_block: 0,
} as const;

/**
 * Writes validated rows (and DLQ rows) into the raw ClickHouse tables. Writing rows again after a
 * partial failure is safe: the raw tables collapse duplicate event_ids and every derived table is
 * immune to them (see 001_raw_events.sql), so the caller simply retries.
 *
 * A failure is classified by the engine's error code (infra/clickhouse-errors.ts). When the store is
 * at fault it is thrown as retriable `clickhouse_unavailable`; when the rows are, `writeRows` splits
 * them in halves until it has found each row the store refuses, stores every other row, and returns
 * the refused ones with the engine's reason.
 */
export class ClickHouseSink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly metrics?: PipelineMetrics,
  ) {}

  /** Store a whole batch (loaders, benchmarks): the rows refused by the store, per table. */
  async write(batch: SinkBatch): Promise<Partial<Record<EventTopicKind, RowRefusal[]>>> {
    const refused: Partial<Record<EventTopicKind, RowRefusal[]>> = {};
    for (const [kind, rows] of Object.entries(batch.rows) as [EventTopicKind, string[]][]) {
      const r = await this.writeRows(kind, rows);
      if (r.length > 0) refused[kind] = r;
    }
    await this.writeDlq(batch.dlq);
    return refused;
  }

  /** Store the rows of one raw table; the rows the store refuses are returned, every other is stored. */
  async writeRows(kind: EventTopicKind, lines: readonly string[]): Promise<RowRefusal[]> {
    const refused: RowRefusal[] = [];
    await this.isolate(RAW_TABLES[kind], lines, 0, refused);
    return refused;
  }

  /** Store DLQ rows (built to be storable: any failure here is the store's). */
  async writeDlq(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    try {
      await this.insert('dlq', lines);
    } catch (err) {
      throw this.unavailable('dlq', err);
    }
  }

  private async isolate(
    table: string,
    lines: readonly string[],
    offset: number,
    out: RowRefusal[],
  ): Promise<void> {
    if (lines.length === 0) return;
    try {
      await this.insert(table, lines);
      return;
    } catch (err) {
      if (faultOf(err) !== 'data') throw this.unavailable(table, err);
      if (lines.length === 1) {
        out.push({ index: offset, reason: `ClickHouse refused the row: ${engineMessage(err)}` });
        return;
      }
    }
    const half = Math.ceil(lines.length / 2);
    await this.isolate(table, lines.slice(0, half), offset, out);
    await this.isolate(table, lines.slice(half), offset + half, out);
  }

  private async insert(table: string, lines: readonly string[]): Promise<void> {
    const end = this.metrics?.insertSeconds.startTimer({ table });
    try {
      await insertJsonLines(
        this.client,
        `${this.database}.${table}`,
        Buffer.from(lines.join('\n')),
        INSERT_SETTINGS,
      );
    } finally {
      end?.();
    }
  }

  private unavailable(table: string, err: unknown): CxError {
    return new CxError(
      'clickhouse_unavailable',
      `insert into ${this.database}.${table} failed: ${errorMessage(err)}`,
      {
        retriable: true,
        cause: err,
      },
    );
  }
}
