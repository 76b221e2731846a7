import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../infra/config.ts';
import type { EventTopicKind } from '../../infra/kafka/topics.ts';
import { childEnv, DATABASE, KINDS, type ChildSpec, type PhaseResult } from './spec.ts';
import { engineVersion, memoryBreakdown, storedCount } from './store.ts';
import { startWindow } from './window.ts';

/** Split an NDJSON file into line Buffers (views into 4 MiB blocks), without holding the file in memory. */
function* ndjsonLines(file: string): Generator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      const block = Buffer.allocUnsafe(4 << 20);
      const n = fs.readSync(fd, block, 0, block.length, null);
      const buf = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      let pos = 0;
      for (let nl = buf.indexOf(10, pos); nl !== -1; nl = buf.indexOf(10, pos)) {
        if (nl > pos) yield buf.subarray(pos, nl);
        pos = nl + 1;
      }
      carry = Buffer.from(buf.subarray(pos));
      if (n === 0) break;
    }
    if (carry.length > 0) yield carry;
  } finally {
    fs.closeSync(fd);
  }
}

/** The topic names phase (b) puts in the rows' `_topic` (no Kafka in this phase). */
const TOPICS: Record<EventTopicKind, string> = {
  interactions: 'bench.interactions',
  surveys: 'bench.surveys',
  customers: 'bench.customers',
};

/**
 * One insert in flight while the next chunk is decoded (as the Ingester overlaps its partitions): how
 * many, how long they took in all, and how long the loop waited for one to finish.
 */
class OneInFlight {
  inserts = 0;
  insertMs = 0;
  waitMs = 0;
  private inFlight: Promise<void> | undefined;
  constructor(private readonly write: (kind: EventTopicKind, rows: string[]) => Promise<unknown>) {}

  async submit(kind: EventTopicKind, rows: string[]): Promise<void> {
    await this.drain();
    const t0 = performance.now();
    this.inFlight = this.write(kind, rows).then(() => {
      this.insertMs += performance.now() - t0;
      this.inserts++;
    });
  }

  /** Wait for the insert in flight, if any. */
  async drain(): Promise<void> {
    if (!this.inFlight) return;
    const t = performance.now();
    await this.inFlight;
    this.waitMs += performance.now() - t;
  }
}

/**
 * (b) The same events, straight from their serialized bytes (an NDJSON file per topic kind, in the page
 * cache) into ClickHouse: per chunk of INGEST_BATCH_SIZE messages, decodeEvent + toRow + rowLine (as
 * Ingester.writeChunk does), then one ClickHouseSink.write, at most one in flight while the next chunk
 * is decoded. Timed: reading the lines + decode + toRow + rowLine + insert, all of it, until the last
 * insert returned. Reported as well: the main-thread time of read + decode + toRow + rowLine, the sum of
 * the insert durations, and how long the loop waited for an insert to finish.
 */
export async function phaseBulk(spec: ChildSpec): Promise<PhaseResult> {
  const { createClickHouse } = await import('../../infra/clickhouse.ts');
  const { createPipelineMetrics } = await import('../../infra/metrics.ts');
  const { decodeEvent } = await import('../../ingest/events.ts');
  const { toRow } = await import('../../ingest/rows.ts');
  const { ClickHouseSink, rowLine } = await import('../../ingest/sink.ts');
  const { migrate } = await import('../../transforms/migrate.ts');
  const cfg = loadConfig(childEnv(spec));
  const ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, DATABASE);
  const version = await engineVersion(ch);
  const sink = new ClickHouseSink(ch, DATABASE, createPipelineMetrics());
  const size = cfg.ingest.batchSize;
  let decodeMs = 0;
  let n = 0;
  let invalid = 0;
  const inserts = new OneInFlight((kind, rows) => sink.write({ rows: { [kind]: rows }, dlq: [] }));
  const submit = (kind: EventTopicKind, rows: string[]) => inserts.submit(kind, rows);
  const w = await startWindow(spec);
  for (const kind of KINDS) {
    const topic = TOPICS[kind];
    let rows: string[] = [];
    let t = performance.now();
    for (const line of ndjsonLines(spec.ndjson[kind])) {
      const res = decodeEvent(line);
      if (!res.ok) {
        invalid++;
        continue;
      }
      // as Ingester.writeChunk: decodeEvent, toRow, rowLine; then one ClickHouseSink.write per chunk
      rows.push(rowLine(toRow(res.event, { topic, partition: 0, offset: String(n) }).row));
      n++;
      if (rows.length >= size) {
        decodeMs += performance.now() - t;
        await submit(kind, rows);
        rows = [];
        t = performance.now();
      }
    }
    decodeMs += performance.now() - t;
    if (rows.length > 0) await submit(kind, rows);
  }
  await inserts.drain();
  const res = w.finish('b', n, {
    engineVersion: version,
    inserts: inserts.inserts,
    invalid,
    readDecodeToRowSeconds: decodeMs / 1000,
    insertSeconds: inserts.insertMs / 1000,
    waitForInsertSeconds: inserts.waitMs / 1000,
    batchSize: size,
  });
  await w.stopProfile?.();
  res.detail['memory'] = await memoryBreakdown(ch);
  res.detail['stored'] = await storedCount(ch);
  await ch.close();
  return res;
}
