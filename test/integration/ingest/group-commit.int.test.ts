import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../cli/runtime.ts';
import type { Topics } from '../../../infra/kafka/topics.ts';
import { createPipelineMetrics, type PipelineMetrics } from '../../../infra/metrics.ts';
import { ChunkWriter } from '../../../ingest/chunk-writer.ts';
import { GroupCommit } from '../../../ingest/group-commit.ts';
import { ClickHouseSink } from '../../../ingest/sink.ts';
import { rand } from '../../helpers/env.ts';
import { startPipeline } from '../../helpers/runtime.ts';

/**
 * Group commit (ingest/group-commit.ts) on the real chDB engine and the real broker (for cx.dlq): the
 * chunks of two partitions written at once are stored by a single insert, neither chunk's `stored`
 * settles before it returned, a row the store refuses (an operator's CHECK constraint) is dead-lettered
 * with the partition and offset of the chunk it came from while every other row of the group is stored,
 * and chunks queued while an insert runs are written by the next insert, as one group.
 */
const REFUSED = 'group-refused-by-the-store';
let rt: Runtime;
let db: string;
let topics: Topics;
let metrics: PipelineMetrics;
let groups: GroupCommit;
const retry = { maxRetries: 2, initialMs: 50, maxMs: 200 };
const run = rand();
const topic = `${run}.cx.surveys`;
const hooks = { tickMs: 2_000 };

function messages(partition: number, n: number, comment: (i: number) => string = () => ''): KafkaMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const value = JSON.stringify({
      event_id: `${run}-p${partition}-${i}`,
      type: 'survey.responded',
      occurred_at: '2026-03-02T09:15:00.250+08:00',
      customer_id: `c${i}`,
      survey: 'csat',
      score: 1 + (i % 5),
      comment: comment(i),
    });
    return { key: null, value: Buffer.from(value), offset: String(100 + i) } as unknown as KafkaMessage;
  });
}

async function rows<T>(query: string): Promise<T[]> {
  const rs = await rt.clickhouse!.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

async function insertCount(): Promise<number> {
  const m = await metrics.insertSeconds.get();
  return m.values
    .filter((v) => v.metricName?.endsWith('_count') && v.labels['table'] === 'survey_events')
    .reduce((a, v) => a + v.value, 0);
}

beforeAll(async () => {
  ({ rt, db } = await startPipeline(['group-token']));
  topics = rt.topics!;
  await rt.clickhouse!.command({
    query: `ALTER TABLE ${db}.survey_events ADD CONSTRAINT group_rule CHECK comment != '${REFUSED}'`,
  });
  metrics = createPipelineMetrics();
  const sink = new ClickHouseSink(rt.clickhouse!, db, metrics);
  const producer = await rt.getProducer();
  const writer = new ChunkWriter({ sink, producer, topics, metrics, retry });
  groups = new GroupCommit({ writer, sink, retry, batchSize: 10_000, lingerMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await rt?.close();
});

describe('group commit', () => {
  it('stores the chunks of two partitions in one insert, releasing each caller after it', async () => {
    const before = await insertCount();
    const write = (partition: number) =>
      groups.member(() =>
        groups.write({ topic, partition, kind: 'surveys', hooks }, messages(partition, 300)),
      );
    // Both chunks are queued, nobody else is decoding: the group is written at once (no 30 s linger).
    const queued = await Promise.all([write(0), write(1)]);
    await Promise.all(queued.map((q) => q.stored));
    expect((await insertCount()) - before).toBe(1);
    const got = await rows<{ p: number; n: string; lo: string; hi: string }>(
      `SELECT _partition AS p, count() AS n, min(_offset) AS lo, max(_offset) AS hi FROM ${db}.survey_events
       WHERE _topic = '${topic}' GROUP BY p ORDER BY p`,
    );
    expect(got.map((g) => [g.p, g.n, g.lo, g.hi].map(Number))).toEqual([
      [0, 300, 100, 399],
      [1, 300, 100, 399],
    ]);
  });

  it('dead-letters a refused row with the source of its own chunk and stores the rest of the group', async () => {
    const write = (partition: number, comment?: (i: number) => string) =>
      groups.member(() =>
        groups.write({ topic, partition, kind: 'surveys', hooks }, messages(partition, 50, comment)),
      );
    const queued = await Promise.all([write(2), write(3, (i) => (i === 17 ? REFUSED : ''))]);
    await Promise.all(queued.map((q) => q.stored));
    const dlq = await rows<{ source_partition: number; source_offset: string; reason: string }>(
      `SELECT source_partition, source_offset, reason FROM ${db}.dlq WHERE source_topic = '${topic}'`,
    );
    expect(dlq.map((d) => [Number(d.source_partition), Number(d.source_offset)])).toEqual([[3, 117]]);
    expect(dlq[0]!.reason).toMatch(/ClickHouse refused the row/);
    const [stored] = await rows<{ n: string }>(
      `SELECT count() AS n FROM ${db}.survey_events WHERE _topic = '${topic}' AND _partition IN (2, 3)`,
    );
    expect(Number(stored!.n)).toBe(99);
  });

  it('writes the chunks queued while an insert runs in the next insert, one group', async () => {
    // the real sink, held at the door of its first insert until the test opens it
    let open!: () => void;
    const door = new Promise<void>((r) => (open = r));
    class HeldSink extends ClickHouseSink {
      override async writeRows(kind: 'surveys', lines: readonly string[]) {
        await door;
        return super.writeRows(kind, lines);
      }
    }
    const sink = new HeldSink(rt.clickhouse!, db, metrics);
    const writer = new ChunkWriter({ sink, producer: await rt.getProducer(), topics, metrics, retry });
    const held = new GroupCommit({ writer, sink, retry, batchSize: 10_000, lingerMs: 30_000 });
    const before = await insertCount();
    const write = (partition: number) =>
      held.member(() => held.write({ topic, partition, kind: 'surveys', hooks }, messages(partition, 200)));
    const first = await write(4);
    let firstStored = false;
    void first.stored.then(() => (firstStored = true));
    await new Promise((r) => setImmediate(r)); // the first group's insert has started (and is held)
    const later = await Promise.all([write(5), write(6), write(7)]);
    expect(firstStored).toBe(false);
    open();
    await Promise.all(later.map((q) => q.stored));
    expect(firstStored).toBe(true);
    expect((await insertCount()) - before).toBe(2);
    const [stored] = await rows<{ n: string }>(
      `SELECT count() AS n FROM ${db}.survey_events WHERE _topic = '${topic}' AND _partition IN (4, 5, 6, 7)`,
    );
    expect(Number(stored!.n)).toBe(800);
  });
});
