import { insertJsonLines, type ClickHouseClient } from '../infra/clickhouse.ts';
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

/**
 * Writes validated rows (and DLQ rows) into the raw ClickHouse tables. Writing a batch again after a
 * partial failure is safe: the raw tables collapse duplicate event_ids and every derived table is
 * immune to them (see 001_raw_events.sql), so the caller simply retries the whole batch.
 *
 * Any failure here is the store's, never the event's (the events were validated before), so every
 * error is reported as retriable `clickhouse_unavailable`; the caller bounds the retries.
 */
export class ClickHouseSink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly metrics?: PipelineMetrics,
  ) {}

  async write(batch: SinkBatch): Promise<void> {
    for (const [kind, rows] of Object.entries(batch.rows) as [EventTopicKind, string[]][]) {
      if (rows.length > 0) await this.insert(RAW_TABLES[kind], rows);
    }
    if (batch.dlq.length > 0) await this.insert('dlq', batch.dlq);
  }

  private async insert(table: string, lines: string[]): Promise<void> {
    const end = this.metrics?.insertSeconds.startTimer({ table });
    try {
      await insertJsonLines(this.client, `${this.database}.${table}`, Buffer.from(lines.join('\n')), {
        async_insert: 0,
        date_time_input_format: 'best_effort',
      });
    } catch (err) {
      throw new CxError(
        'clickhouse_unavailable',
        `insert into ${this.database}.${table} failed: ${errorMessage(err)}`,
        {
          retriable: true,
          cause: err,
        },
      );
    } finally {
      end?.();
    }
  }
}
