import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Config } from '../infra/config.ts';
import { errorMessage, isCxError } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import type { PipelineMetrics } from '../infra/metrics.ts';
import { withRetry, type RetryPolicy } from '../infra/retry.ts';
import { topicKind, type EventTopicKind, type Topics } from '../infra/kafka/topics.ts';
import { decodeEvent, summarize } from './events.ts';
import type { EventProducer } from './producer.ts';
import { dlqMessage, dlqRow, toRow, type DlqRecord } from './rows.ts';
import { rowLine, type ClickHouseSink, type SinkBatch } from './sink.ts';

export type IngesterState = 'idle' | 'starting' | 'running' | 'retrying' | 'stopping' | 'stopped' | 'failed';

export interface IngesterHealth {
  state: IngesterState;
  since: string;
  lastError: string | undefined;
  lastCommitAt: string | undefined;
}

export interface IngesterDeps {
  kafka: Kafka;
  sink: ClickHouseSink;
  /** Producer for cx.dlq. */
  producer: EventProducer;
  topics: Topics;
  groupId: string;
  ingest: Config['ingest'];
  metrics: PipelineMetrics;
}

/**
 * The ingester: a member of a Kafka consumer group that writes events into ClickHouse.
 *
 * Per partition batch, in chunks of at most `INGEST_BATCH_SIZE` messages: decode and validate every
 * message; write the valid rows and the DLQ rows to ClickHouse; produce the rejected messages to
 * cx.dlq; only then commit the offset after the chunk. A failure before the commit means the chunk is
 * delivered again, which the storage absorbs (it is keyed on event_id). A failing write is retried with
 * capped exponential backoff while the group membership is kept alive; nothing is committed past it.
 * When the retries run out the ingester stops consuming and reports `failed` (in `/healthz`, in the
 * `cxpulse_ingester_up` gauge, and through `done`).
 */
export class Ingester {
  private readonly log = logger('ingester');
  private readonly consumer: Consumer;
  private readonly retry: RetryPolicy;
  private state: IngesterState = 'idle';
  private since = new Date();
  private lastError: string | undefined;
  private lastCommitAt: Date | undefined;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  /** Settles when the ingester stops: resolved on a requested stop, rejected on failure. */
  readonly done: Promise<void>;

  constructor(private readonly deps: IngesterDeps) {
    this.retry = {
      maxRetries: deps.ingest.maxRetries,
      initialMs: deps.ingest.retryInitialMs,
      maxMs: deps.ingest.retryMaxMs,
    };
    this.done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => undefined); // observed through health(); avoid an unhandled rejection
    this.consumer = deps.kafka.consumer({
      groupId: deps.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: deps.ingest.maxBytesPerPartition,
      maxBytes: deps.ingest.maxBytesPerPartition * 4,
      // A fetch waits up to INGEST_FLUSH_MS for data: batches are cut by size or by time.
      minBytes: 1,
      maxWaitTimeInMs: deps.ingest.flushMs,
      retry: {
        retries: 8,
        // Our own write retries have already run their course when an error reaches kafkajs.
        restartOnFailure: async (err) => !isExhausted(err),
      },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.log.warn(
          { event_name: 'consumer_restart', err: errorMessage(payload.error) },
          'consumer restarting',
        );
        return;
      }
      this.fail(payload.error);
    });
  }

  health(): IngesterHealth {
    return {
      state: this.state,
      since: this.since.toISOString(),
      lastError: this.lastError,
      lastCommitAt: this.lastCommitAt?.toISOString(),
    };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const { topics } = this.deps;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [topics.interactions, topics.surveys, topics.customers],
      fromBeginning: true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.deps.metrics.ingesterUp.set(1);
    this.setState('running');
    this.log.info({ event_name: 'ingester_started', group: this.deps.groupId }, 'ingester consuming');
  }

  /** Finish the chunk in hand, commit it and leave the group. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.setState('stopping');
    await this.consumer.disconnect();
    this.deps.metrics.ingesterUp.set(0);
    this.setState('stopped');
    this.settle.resolve();
    this.log.info({ event_name: 'ingester_stopped' }, 'ingester stopped');
  }

  private async onBatch({
    batch,
    heartbeat,
    isRunning,
    isStale,
    resolveOffset,
  }: EachBatchPayload): Promise<void> {
    const kind = topicKind(this.deps.topics, batch.topic);
    if (!kind || kind === 'dlq') return;
    const size = this.deps.ingest.batchSize;
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + size);
      const last = chunk[chunk.length - 1] as KafkaMessage;
      await this.writeChunk(batch.topic, batch.partition, kind, chunk, { heartbeat, isRunning, isStale });
      resolveOffset(last.offset);
      await this.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
      this.lastCommitAt = new Date();
      this.deps.metrics.batches.inc({ topic: batch.topic });
      this.deps.metrics.consumerLag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last.offset) - 1n)),
      );
      await heartbeat();
    }
  }

  private async writeChunk(
    topic: string,
    partition: number,
    kind: EventTopicKind,
    messages: KafkaMessage[],
    ctl: Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>,
  ): Promise<void> {
    const rows: string[] = [];
    const rejected: DlqRecord[] = [];
    const now = new Date();
    for (const m of messages) {
      const source = { topic, partition, offset: m.offset };
      const res = decodeEvent(m.value);
      if (res.ok) {
        const { table, row } = toRow(res.event, source);
        if (table === kind) rows.push(rowLine(row));
        else
          rejected.push({
            reason: `event of type ${res.event.type} does not belong on ${topic}`,
            errors: [{ field: 'type', message: `belongs on the ${table} topic` }],
            source,
            raw: res.raw,
            rejectedAt: now,
          });
      } else {
        rejected.push({
          reason: `invalid event: ${summarize(res.errors)}`,
          errors: res.errors,
          source,
          raw: res.raw,
          rejectedAt: now,
        });
      }
    }
    const batch: SinkBatch = { rows: { [kind]: rows }, dlq: rejected.map((d) => rowLine(dlqRow(d))) };
    const hooks = {
      tickMs: 2_000,
      onTick: () => ctl.heartbeat(),
      shouldAbort: () => !ctl.isRunning() || ctl.isStale(),
      onRetry: ({ attempt, delayMs, error }: { attempt: number; delayMs: number; error: unknown }) => {
        this.setState('retrying', errorMessage(error));
        this.deps.metrics.sinkRetries.inc({ operation: 'write' });
        this.log.warn(
          {
            event_name: 'write_retry',
            topic,
            partition,
            attempt,
            delay_ms: delayMs,
            err: errorMessage(error),
          },
          'write failed, retrying',
        );
        return ctl.heartbeat();
      },
    };
    await withRetry('ClickHouse insert', () => this.deps.sink.write(batch), this.retry, hooks);
    if (rejected.length > 0) {
      const out = rejected.map((d) => ({
        key: `${topic}/${partition}/${d.source.offset}`,
        value: dlqMessage(d),
      }));
      await withRetry(
        'DLQ produce',
        () => this.deps.producer.send(this.deps.topics.dlq, out),
        this.retry,
        hooks,
      );
      this.deps.metrics.eventsRejected.inc({ topic }, rejected.length);
      this.log.warn(
        {
          event_name: 'events_rejected',
          topic,
          partition,
          count: rejected.length,
          first: rejected[0]?.reason,
        },
        'events sent to the DLQ',
      );
    }
    this.deps.metrics.eventsIngested.inc({ topic }, rows.length);
    if (this.state === 'retrying') this.setState('running');
  }

  private fail(err: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.setState('failed', errorMessage(err));
    this.deps.metrics.ingesterUp.set(0);
    this.log.error(
      { event_name: 'ingester_failed', err: errorMessage(err) },
      'ingester stopped after a failure',
    );
    this.settle.reject(err instanceof Error ? err : new Error(String(err)));
  }

  private setState(state: IngesterState, error?: string): void {
    if (state !== this.state) this.since = new Date();
    this.state = state;
    if (error !== undefined) this.lastError = error;
  }
}

function isExhausted(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (isCxError(e, 'sink_retries_exhausted')) return true;
  }
  return false;
}
