import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Config } from '../infra/config.ts';
import { errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import type { PipelineMetrics } from '../infra/metrics.ts';
import { backoffDelay, type RetryHooks, type RetryPolicy } from '../infra/retry.ts';
import { topicKind, type EventTopicKind, type Topics } from '../infra/kafka/topics.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { GroupCommit } from './group-commit.ts';
import { PartitionCommits } from './partition-commits.ts';
import type { EventParser } from './events.ts';
import type { EventProducer } from './producer.ts';
import type { ClickHouseSink } from './sink.ts';

export type IngesterState = 'idle' | 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped';

export interface IngesterHealth {
  state: IngesterState;
  since: string;
  /** Why the ingester is degraded; absent while it runs. */
  reason: string | undefined;
  /** Seconds it has been degraded without a break, for an operator deciding whether to act. */
  degradedSeconds: number | undefined;
  lastError: string | undefined;
  lastCommitAt: string | undefined;
  /** Consumers rebuilt after a crash since the process started. */
  restarts: number;
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
  /** Validation with the centre's segments (CUSTOMER_SEGMENTS); default the contract's. */
  events?: EventParser;
}

/** Kafka's own session timeout for the group; a fetch unanswered for longer is a stall. */
const SESSION_TIMEOUT_MS = 30_000;
/** A consumer that ran this long without a crash starts the next backoff from the beginning. */
const HEALTHY_AFTER_MS = 60_000;
/** Longest wait for a crashed consumer to leave the group before a new one is built anyway. */
const DISCONNECT_TIMEOUT_MS = 10_000;

/**
 * The ingester: a member of a Kafka consumer group that writes events into ClickHouse, until stopped.
 *
 * Per partition batch, in chunks of at most `INGEST_BATCH_SIZE` messages, a ChunkWriter decodes the
 * messages, the chunks of the partitions consumed at once are stored together (one insert per raw
 * table, see group-commit.ts) while the next ones are decoded, and the rejected messages
 * dead-lettered; the offset after each chunk is committed only once it was stored, partition by
 * partition and in order (partition-commits.ts). A failure before the commit means the chunk is
 * delivered again, which the storage absorbs (it is keyed on event_id). A failing write is retried
 * with capped exponential backoff while the group membership is kept alive (`INGEST_MAX_RETRIES`
 * bounds one such cycle); when a cycle runs out, the consumer is rebuilt.
 *
 * It never gives up. Whatever stops its Kafka consumer (a cycle of retries run out, a broker stall that
 * outlived the session, a coordinator that forgot the member, a rebalance gone wrong), the consumer is
 * discarded and a new one joins the group after a capped backoff, from the last committed offsets.
 * Meanwhile health() says `degraded`, why and for how long; `/healthz` and `/metrics` show it.
 */
export class Ingester {
  private readonly log = logger('ingester');
  private readonly retry: RetryPolicy;
  private readonly groups: GroupCommit;
  private consumer: Consumer | undefined;
  private commits: PartitionCommits | undefined;
  private state: IngesterState = 'idle';
  private since = new Date();
  private reason: string | undefined;
  private degradedSince: Date | undefined;
  private lastError: string | undefined;
  private lastCommitAt: Date | undefined;
  private lastProgressAt = Date.now();
  private restarts = 0;
  private readonly stopped = new AbortController();
  private loop: Promise<void> = Promise.resolve();
  private settle!: () => void;
  /** Settles when the ingester has stopped (it only stops when asked to). */
  readonly done: Promise<void>;

  constructor(private readonly deps: IngesterDeps) {
    this.retry = {
      maxRetries: deps.ingest.maxRetries,
      initialMs: deps.ingest.retryInitialMs,
      maxMs: deps.ingest.retryMaxMs,
    };
    this.groups = new GroupCommit({
      writer: new ChunkWriter({ ...deps, retry: this.retry }),
      sink: deps.sink,
      retry: this.retry,
      batchSize: deps.ingest.batchSize,
      lingerMs: deps.ingest.flushMs,
    });
    this.done = new Promise<void>((resolve) => (this.settle = resolve));
  }

  health(): IngesterHealth {
    const stalled = this.state === 'running' && Date.now() - this.lastProgressAt > SESSION_TIMEOUT_MS;
    const state = stalled ? 'degraded' : this.state;
    const reason = stalled
      ? `no answer from Kafka for ${Math.round((Date.now() - this.lastProgressAt) / 1000)} s`
      : this.reason;
    const degradedSince = stalled ? new Date(this.lastProgressAt) : this.degradedSince;
    return {
      state,
      since: (stalled ? degradedSince : this.since)?.toISOString() ?? this.since.toISOString(),
      reason: state === 'degraded' ? reason : undefined,
      degradedSeconds:
        state === 'degraded' && degradedSince ? (Date.now() - degradedSince.getTime()) / 1000 : undefined,
      lastError: this.lastError,
      lastCommitAt: this.lastCommitAt?.toISOString(),
      restarts: this.restarts,
    };
  }

  /** Join the group. Resolves once the first consumer runs, or is degraded and retrying on its own. */
  async start(): Promise<void> {
    this.setState('starting');
    let first!: () => void;
    const firstAttempt = new Promise<void>((r) => (first = r));
    this.loop = this.supervise(first);
    await firstAttempt;
  }

  /** Store the chunks in hand, commit them and leave the group. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.stopped.signal.aborted) return this.done;
    this.setState('stopping');
    this.stopped.abort();
    this.groups.flushAll();
    await this.commits?.settled();
    await this.consumer?.disconnect().catch(() => undefined);
    await this.loop;
    this.deps.metrics.ingesterUp.set(0);
    this.deps.metrics.ingesterDegraded.set(0);
    this.setState('stopped');
    this.settle();
    this.log.info({ event_name: 'ingester_stopped' }, 'ingester stopped');
  }

  /** One consumer after another until stopped; each lives until it crashes. */
  private async supervise(firstAttempt: () => void): Promise<void> {
    let failures = 0;
    while (!this.stopped.signal.aborted) {
      const startedAt = Date.now();
      const reason = await this.runConsumer(firstAttempt);
      if (this.stopped.signal.aborted) return;
      failures = Date.now() - startedAt > HEALTHY_AFTER_MS ? 1 : failures + 1;
      const delayMs = backoffDelay(this.retry, failures);
      this.restarts++;
      this.deps.metrics.ingesterRestarts.inc();
      this.degrade(
        `consumer stopped (${errorMessage(reason)}); rejoining the group in ${Math.round(delayMs / 1000)} s`,
      );
      this.log.warn(
        {
          event_name: 'consumer_rebuild',
          err: errorMessage(reason),
          delay_ms: delayMs,
          restarts: this.restarts,
        },
        'Kafka consumer stopped; a new one will join the group',
      );
      firstAttempt();
      await sleep(delayMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
    }
  }

  /** Run one consumer until it crashes (the error is returned) or the ingester is stopped. */
  private async runConsumer(running: () => void): Promise<unknown> {
    const consumer = this.newConsumer();
    this.consumer = consumer;
    const crashed = new Promise<unknown>((resolve) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error));
      this.commits = new PartitionCommits({
        commit: (t, p, o) => commitOffset(consumer, t, p, o),
        failed: resolve,
      });
    });
    const commits = this.commits as PartitionCommits;
    const stopped = new Promise<void>((resolve) =>
      this.stopped.signal.addEventListener('abort', () => resolve()),
    );
    let reason: unknown;
    try {
      const { topics } = this.deps;
      await consumer.connect();
      await consumer.subscribe({
        topics: [topics.interactions, topics.surveys, topics.customers],
        fromBeginning: true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 3,
        eachBatch: (payload) => this.groups.member(() => this.onBatch(payload, commits)),
      });
      this.lastProgressAt = Date.now();
      this.recovered();
      this.log.info({ event_name: 'ingester_started', group: this.deps.groupId }, 'ingester consuming');
      running();
      reason = await Promise.race([crashed, stopped]);
    } catch (err) {
      reason = err;
    }
    if (!this.stopped.signal.aborted) {
      this.lastError = errorMessage(reason);
      await Promise.race([consumer.disconnect().catch(() => undefined), sleep(DISCONNECT_TIMEOUT_MS)]);
    }
    return reason;
  }

  private newConsumer(): Consumer {
    const { kafka, groupId, ingest } = this.deps;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: ingest.maxBytesPerPartition,
      maxBytes: ingest.maxBytesPerPartition * 4,
      // A fetch waits up to INGEST_FLUSH_MS for data: batches are cut by size or by time.
      minBytes: 1,
      maxWaitTimeInMs: ingest.flushMs,
      // kafkajs restarts nothing itself: every crash comes to supervise(), which rebuilds the consumer.
      retry: { retries: 8, restartOnFailure: async () => false },
    });
    consumer.on(consumer.events.FETCH, () => (this.lastProgressAt = Date.now()));
    return consumer;
  }

  private async onBatch(payload: EachBatchPayload, commits: PartitionCommits): Promise<void> {
    const { batch, heartbeat, isRunning, isStale, resolveOffset } = payload;
    const kind = topicKind(this.deps.topics, batch.topic);
    if (!kind || kind === 'dlq') return;
    const size = this.deps.ingest.batchSize;
    const hooks = this.retryHooks(batch.topic, batch.partition, payload);
    for (let i = 0; i < batch.messages.length; i += size) {
      if (!isRunning() || isStale() || this.stopped.signal.aborted) return;
      const chunk = batch.messages.slice(i, i + size);
      const last = chunk[chunk.length - 1] as KafkaMessage;
      const { stored } = await this.groups.write(
        { topic: batch.topic, partition: batch.partition, kind: kind as EventTopicKind, hooks },
        chunk,
      );
      // read on: the commit past this chunk waits for its rows (and the partition's earlier chunks)
      resolveOffset(last.offset);
      const next = BigInt(last.offset) + 1n;
      const lag = Math.max(0, Number(BigInt(batch.highWatermark) - next));
      commits.after(batch.topic, batch.partition, next.toString(), stored, () =>
        this.committed(batch.topic, batch.partition, lag),
      );
      await heartbeat();
    }
  }

  /** A chunk's offsets were committed: progress for health and metrics. */
  private committed(topic: string, partition: number, lag: number): void {
    this.lastCommitAt = new Date();
    this.lastProgressAt = Date.now();
    if (this.state === 'degraded') this.recovered();
    this.deps.metrics.batches.inc({ topic });
    this.deps.metrics.consumerLag.set({ topic, partition: String(partition) }, lag);
  }

  private retryHooks(topic: string, partition: number, ctl: EachBatchPayload): RetryHooks {
    return {
      tickMs: 2_000,
      onTick: () => ctl.heartbeat(),
      shouldAbort: () => !ctl.isRunning() || ctl.isStale() || this.stopped.signal.aborted,
      onRetry: ({ attempt, delayMs, error }) => {
        this.degrade(`writing failed, retry ${attempt} of ${this.retry.maxRetries}: ${errorMessage(error)}`);
        this.lastError = errorMessage(error);
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
  }

  private degrade(reason: string): void {
    if (this.stopped.signal.aborted) return;
    if (this.state !== 'degraded') this.degradedSince = new Date();
    this.setState('degraded');
    this.reason = reason;
    this.deps.metrics.ingesterUp.set(0);
    this.deps.metrics.ingesterDegraded.set(1);
  }

  private recovered(): void {
    if (this.state === 'degraded')
      this.log.info(
        { event_name: 'ingester_recovered', degraded_seconds: this.health().degradedSeconds },
        'ingester recovered',
      );
    this.setState('running');
    this.reason = undefined;
    this.degradedSince = undefined;
    this.deps.metrics.ingesterUp.set(1);
    this.deps.metrics.ingesterDegraded.set(0);
  }

  private setState(state: IngesterState): void {
    if (state !== this.state) this.since = new Date();
    this.state = state;
  }
}

/** kafkajs's codes for a commit the group refuses while it rebalances (a later commit covers it). */
const REBALANCING = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR',
]);

/** Commit one partition's next offset; false when the group refused it because it is rebalancing. */
async function commitOffset(
  consumer: Consumer,
  topic: string,
  partition: number,
  offset: string,
): Promise<boolean> {
  try {
    await consumer.commitOffsets([{ topic, partition, offset }]);
    return true;
  } catch (err) {
    const e = err as { type?: string; originalError?: { type?: string } };
    if (REBALANCING.has(e.type ?? e.originalError?.type ?? '')) return false;
    throw err;
  }
}
