import type { KafkaMessage } from 'kafkajs';
import { withRetry, type RetryHooks, type RetryPolicy } from '../infra/retry.ts';
import type { EventTopicKind } from '../infra/kafka/topics.ts';
import type { ChunkContext, ChunkWriter, DecodedChunk } from './chunk-writer.ts';
import type { ClickHouseSink, RowRefusal } from './sink.ts';

/**
 * Group commit, pipelined: the chunks of several partitions, decoded by the concurrent eachBatch calls
 * of one consumer (`partitionsConsumedConcurrently`), are stored in one insert per raw table, and the
 * next group is decoded while the engine writes the one before it.
 *
 * `write` decodes a chunk and queues it in the pending group of its raw table; it returns once the
 * chunk is queued, with `stored`, which settles when the insert holding its rows (and its own DLQ
 * writes) returned. The caller commits its partition's offsets only after `stored`, in order
 * (partition-commits.ts), so "commit only after store" holds per partition as before.
 *
 * Per raw table at most one insert runs, and one group gathers behind it. A pending group is written,
 * once no insert of its table is running, when it holds `batchSize` rows, when no call that could still
 * add to it is decoding, or when `lingerMs` passed. (Writing whatever gathered as soon as the insert
 * before returned made many small inserts, whose merges cost more than the overlap won.) A call whose
 * chunk filled a group that must wait waits with it (`write` returns later): memory stays within two
 * groups per table and Kafka is read no faster than the engine writes. The rows the store refuses are
 * isolated in the group insert (ClickHouseSink.writeRows) and handed back to the chunk they came from.
 * Retries keep every partition of the group alive (each one's heartbeat) and stop only when all of
 * them were lost or the ingester stops.
 */
export interface GroupCommitDeps {
  writer: ChunkWriter;
  sink: ClickHouseSink;
  retry: RetryPolicy;
  /** Most rows in one insert (`INGEST_BATCH_SIZE`). */
  batchSize: number;
  /** Longest wait for other partitions' rows before a group is written. */
  lingerMs: number;
}

/** A chunk queued: `stored` settles once its rows are stored and its rejected messages dead-lettered. */
export interface Queued {
  stored: Promise<void>;
}

interface Entry {
  ctx: ChunkContext;
  decoded: DecodedChunk;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  private readonly pending = new Map<EventTopicKind, Entry[]>();
  private readonly rowCount = new Map<EventTopicKind, number>();
  /** The insert running per raw table; it never rejects (its members are told). */
  private readonly writing = new Map<EventTopicKind, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private idleCheck: NodeJS.Immediate | undefined;
  /** eachBatch calls in progress, and how many of them wait for room behind a running insert. */
  private active = 0;
  private waiting = 0;

  constructor(private readonly deps: GroupCommitDeps) {}

  /** Run one eachBatch call's work as a member of the groups (counted while it may add rows). */
  async member<T>(fn: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.flushIfIdle();
    }
  }

  /** Decode one chunk and queue it with the others of its group; see the class comment. */
  async write(ctx: ChunkContext, messages: readonly KafkaMessage[]): Promise<Queued> {
    const decoded = this.deps.writer.decode(ctx, messages);
    if (decoded.rows.length === 0) return { stored: this.deps.writer.finish(ctx, decoded, []) };
    const stored = new Promise<void>((resolve, reject) => {
      const list = this.pending.get(ctx.kind) ?? [];
      list.push({ ctx, decoded, resolve, reject });
      this.pending.set(ctx.kind, list);
    });
    // handled by the caller's commit chain; never an unhandled rejection while it is not yet attached
    stored.catch(() => undefined);
    const rows = (this.rowCount.get(ctx.kind) ?? 0) + decoded.rows.length;
    this.rowCount.set(ctx.kind, rows);
    if (rows >= this.deps.batchSize) this.flush(ctx.kind);
    else this.flushIfIdle();
    this.timer ??= setTimeout(() => this.flushAll(), this.deps.lingerMs);
    await this.room(ctx.kind);
    return { stored };
  }

  /** Write every pending group now (the ingester stops). */
  flushAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const kind of [...this.pending.keys()]) this.flush(kind);
  }

  /** Wait while a full group of this table waits behind its running insert. */
  private async room(kind: EventTopicKind): Promise<void> {
    this.waiting++;
    try {
      for (let w = this.writing.get(kind); w; w = this.writing.get(kind)) {
        if ((this.rowCount.get(kind) ?? 0) < this.deps.batchSize) return;
        await w;
      }
    } finally {
      this.waiting--;
    }
  }

  /**
   * Nobody could add to a pending group any more: write them all now. Checked on the next turn of the
   * event loop, so that the calls kafkajs starts together have each joined and decoded their chunk.
   */
  private flushIfIdle(): void {
    if (this.idleCheck) return;
    this.idleCheck = setImmediate(() => {
      this.idleCheck = undefined;
      if (this.waiting >= this.active) this.flushAll();
    });
  }

  /** Start the insert of a table's pending group, unless one is running (it is started after it). */
  private flush(kind: EventTopicKind): void {
    const entries = this.pending.get(kind);
    if (!entries || entries.length === 0 || this.writing.has(kind)) return;
    this.pending.delete(kind);
    this.rowCount.delete(kind);
    if (this.pending.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const done = this.store(kind, entries).finally(() => {
      this.writing.delete(kind);
      // the group that gathered meanwhile goes next once full, or once nobody could add to it
      if ((this.rowCount.get(kind) ?? 0) >= this.deps.batchSize) this.flush(kind);
      else this.flushIfIdle();
    });
    this.writing.set(kind, done);
  }

  /** One insert for the group; then each chunk's refusals and DLQ, and its `stored` settled. */
  private async store(kind: EventTopicKind, entries: Entry[]): Promise<void> {
    const lines = entries.length === 1 ? entries[0]!.decoded.rows : entries.flatMap((e) => e.decoded.rows);
    let refusals: RowRefusal[];
    try {
      refusals = await withRetry(
        'ClickHouse insert',
        () => this.deps.sink.writeRows(kind, lines),
        this.deps.retry,
        groupHooks(entries.map((e) => e.ctx.hooks)),
      );
    } catch (err) {
      for (const e of entries) e.reject(err);
      return;
    }
    let start = 0;
    await Promise.all(
      entries.map((e) => {
        const from = start;
        const to = (start += e.decoded.rows.length);
        const own = refusals
          .filter((r) => r.index >= from && r.index < to)
          .map((r) => ({ index: r.index - from, reason: r.reason }));
        return this.deps.writer.finish(e.ctx, e.decoded, own).then(e.resolve, e.reject);
      }),
    );
  }
}

/** Retry hooks of a group: every member's heartbeat; abort only when every member would. */
function groupHooks(all: readonly RetryHooks[]): RetryHooks {
  if (all.length === 1) return all[0] as RetryHooks;
  const [first] = all as [RetryHooks, ...RetryHooks[]];
  return {
    tickMs: Math.min(...all.map((h) => h.tickMs ?? 2_000)),
    onTick: async () => {
      await Promise.all(all.map((h) => h.onTick?.()));
    },
    shouldAbort: () => all.every((h) => h.shouldAbort?.() ?? false),
    onRetry: async (info) => {
      await first.onRetry?.(info);
      await Promise.all(all.slice(1).map((h) => h.onTick?.()));
    },
  };
}
