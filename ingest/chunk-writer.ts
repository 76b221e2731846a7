import type { KafkaMessage } from 'kafkajs';
import { logger } from '../infra/logger.ts';
import type { PipelineMetrics } from '../infra/metrics.ts';
import { withRetry, type RetryHooks, type RetryPolicy } from '../infra/retry.ts';
import type { EventTopicKind, Topics } from '../infra/kafka/topics.ts';
import { defaultEventParser, summarize, type EventParser } from './events.ts';
import type { EventProducer } from './producer.ts';
import { dlqMessage, dlqRow, toRow, type DlqRecord, type Source } from './rows.ts';
import { rowLine, type ClickHouseSink, type RowRefusal } from './sink.ts';

export interface ChunkWriterDeps {
  sink: ClickHouseSink;
  /** Producer for cx.dlq. */
  producer: EventProducer;
  topics: Topics;
  metrics: PipelineMetrics;
  retry: RetryPolicy;
  /** Validation with the centre's segments (CUSTOMER_SEGMENTS); default the contract's. */
  events?: EventParser | undefined;
}

/** Where a chunk came from, and what keeps its consumer alive while a write is retried. */
export interface ChunkContext {
  topic: string;
  partition: number;
  kind: EventTopicKind;
  hooks: RetryHooks;
}

/** One chunk decoded: the row lines of its valid events, where each came from, the rejected messages. */
export interface DecodedChunk {
  rows: string[];
  sources: { source: Source; raw: Buffer }[];
  rejected: DlqRecord[];
}

/**
 * One chunk of a partition, from messages to storage, in two steps around the group insert of
 * group-commit.ts: `decode` validates every message into row lines; `finish`, once the rows were stored
 * (the store's own refusals isolated row by row, see ClickHouseSink.writeRows), writes every rejected
 * message to the DLQ table and to cx.dlq with its reason. When `finish` returns, every message of the
 * chunk is either stored or in the DLQ, and the caller may commit past it. Failing DLQ writes are
 * retried under `retry`; when that runs out the error is thrown and nothing may be committed.
 */
export class ChunkWriter {
  private readonly log = logger('ingester');
  private readonly events: EventParser;

  constructor(private readonly deps: ChunkWriterDeps) {
    this.events = deps.events ?? defaultEventParser;
  }

  /**
   * After the chunk's rows were stored (in a group insert, see group-commit.ts): the
   * rows the store refused (`index` into `decoded.rows`) and the invalid messages to the DLQ.
   */
  async finish(ctx: ChunkContext, decoded: DecodedChunk, refusals: readonly RowRefusal[]): Promise<void> {
    const { rows, sources, rejected } = decoded;
    for (const r of refusals) {
      const src = sources[r.index] as { source: Source; raw: Buffer };
      rejected.push({
        reason: r.reason,
        errors: [{ field: '(event)', message: r.reason }],
        source: src.source,
        raw: src.raw,
        rejectedAt: new Date(),
      });
    }
    if (rejected.length > 0) await this.deadLetter(ctx, rejected);
    this.deps.metrics.eventsIngested.inc({ topic: ctx.topic }, rows.length - refusals.length);
  }

  /** Decode and validate every message: the row lines to store, their sources, the rejected ones. */
  decode(ctx: ChunkContext, messages: readonly KafkaMessage[]): DecodedChunk {
    const rows: string[] = [];
    const sources: { source: Source; raw: Buffer }[] = [];
    const rejected: DlqRecord[] = [];
    const now = new Date();
    for (const m of messages) {
      const source = { topic: ctx.topic, partition: ctx.partition, offset: m.offset };
      const res = this.events.decode(m.value);
      if (!res.ok) {
        const reason = `invalid event: ${summarize(res.errors)}`;
        rejected.push({ reason, errors: res.errors, source, raw: res.raw, rejectedAt: now });
        continue;
      }
      const { table, row } = toRow(res.event, source);
      if (table !== ctx.kind) {
        rejected.push({
          reason: `event of type ${res.event.type} does not belong on ${ctx.topic}`,
          errors: [{ field: 'type', message: `belongs on the ${table} topic` }],
          source,
          raw: res.raw,
          rejectedAt: now,
        });
        continue;
      }
      rows.push(rowLine(row));
      sources.push({ source, raw: res.raw });
    }
    return { rows, sources, rejected };
  }

  private async deadLetter(ctx: ChunkContext, rejected: DlqRecord[]): Promise<void> {
    const { sink, producer, topics, retry, metrics } = this.deps;
    const lines = rejected.map((d) => rowLine(dlqRow(d)));
    await withRetry('DLQ insert', () => sink.writeDlq(lines), retry, ctx.hooks);
    const out = rejected.map((d) => ({
      key: `${ctx.topic}/${ctx.partition}/${d.source.offset}`,
      value: dlqMessage(d),
    }));
    await withRetry('DLQ produce', () => producer.send(topics.dlq, out), retry, ctx.hooks);
    metrics.eventsRejected.inc({ topic: ctx.topic }, rejected.length);
    this.log.warn(
      {
        event_name: 'events_rejected',
        topic: ctx.topic,
        partition: ctx.partition,
        count: rejected.length,
        first: rejected[0]?.reason,
      },
      'events sent to the DLQ',
    );
  }
}
