import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { createPipelineMetrics } from '../../../infra/metrics.ts';
import { Ingester } from '../../../ingest/consumer.ts';
import { ClickHouseSink } from '../../../ingest/sink.ts';
import { rand, testConfig, testEnv } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Rebalances: two ingesters in one consumer group (two consumers in this process, sharing the embedded
 * store), the second stopped and started again and again while events flow. Throughout, per partition,
 * no offset is committed past an event that is not stored; at the end the store holds exactly the
 * events produced, each once.
 */
let rt: Runtime;
let kafka: Kafka;
let admin: Admin;
let db = '';
/** `${partition}:${offset}` → event id of every message produced. */
const byOffset = new Map<string, string>();
const PARTITIONS = 6;

async function storedIds(): Promise<Set<string>> {
  const rs = await rt.clickhouse!.query({
    query: `SELECT DISTINCT event_id FROM ${db}.interaction_events`,
    format: 'JSONEachRow',
  });
  return new Set((await rs.json<{ event_id: string }>()).map((r) => r.event_id));
}

async function committed(): Promise<Map<number, bigint>> {
  const [t] = await admin.fetchOffsets({ groupId: rt.cfg.kafka.groupId, topics: [rt.topics!.interactions] });
  return new Map(t!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

/** Every message below a committed offset that is not stored (must stay empty). */
async function committedButUnstored(): Promise<string[]> {
  const offsets = await committed();
  const stored = await storedIds();
  const bad: string[] = [];
  for (const [key, id] of byOffset) {
    const [p, o] = key.split(':');
    const c = offsets.get(Number(p));
    if (c !== undefined && c > 0n && BigInt(o!) < c && !stored.has(id)) bad.push(`${key} ${id}`);
  }
  return bad;
}

beforeAll(async () => {
  const cfg = testConfig(
    testEnv({ KAFKA_PARTITIONS: String(PARTITIONS), INGEST_FLUSH_MS: '100', INGEST_BATCH_SIZE: '50' }),
  );
  rt = new Runtime(cfg);
  await rt.startIngester();
  db = cfg.clickhouse.database;
  kafka = new Kafka({ clientId: 'rebalance', brokers: cfg.kafka.brokers!, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await rt?.close();
});

describe('two ingesters of one group, one coming and going', () => {
  it('never commits past an unstored event, and ends exact', async () => {
    const dlqProducer = await rt.getProducer();
    const second = () =>
      new Ingester({
        kafka: rt.kafka!,
        sink: new ClickHouseSink(rt.clickhouse!, db),
        producer: dlqProducer,
        topics: rt.topics!,
        groupId: rt.cfg.kafka.groupId,
        ingest: rt.cfg.ingest,
        metrics: createPipelineMetrics(),
      });
    const producer = kafka.producer();
    await producer.connect();
    let producing = true;
    const produced = (async () => {
      for (let round = 0; producing; round++) {
        const partition = round % PARTITIONS;
        const ids = Array.from({ length: 40 }, (_, i) => `rb-${round}-${i}-${rand()}`);
        const [meta] = await producer.send({
          topic: rt.topics!.interactions,
          messages: ids.map((id) => ({
            partition,
            value: JSON.stringify({
              event_id: id,
              type: 'interaction.opened',
              occurred_at: '2026-04-01T10:00:00Z',
              interaction_id: `i-${id}`,
              customer_id: 'c1',
              channel: 'phone',
              category: 'inquiry',
            }),
          })),
        });
        const base = BigInt(meta!.baseOffset!);
        ids.forEach((id, i) => byOffset.set(`${partition}:${base + BigInt(i)}`, id));
        await sleep(50);
      }
    })();

    const violations: string[] = [];
    let checking = true;
    const checker = (async () => {
      while (checking) {
        violations.push(...(await committedButUnstored()));
        await sleep(300);
      }
    })();

    for (let i = 0; i < 5; i++) {
      const b = second();
      await b.start();
      await sleep(1_500 + Math.random() * 1_500);
      await b.stop();
      await sleep(500 + Math.random() * 1_000);
    }
    producing = false;
    await produced;
    await producer.disconnect();

    const want = new Set(byOffset.values());
    await waitFor('all stored', storedIds, (s) => s.size >= want.size, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    const end = await admin.fetchTopicOffsets(rt.topics!.interactions);
    await waitFor(
      'all committed',
      committed,
      (c) => end.every((e) => e.high === '0' || c.get(e.partition) === BigInt(e.high)),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    checking = false;
    await checker;
    violations.push(...(await committedButUnstored()));
    expect(violations, 'offsets committed past unstored events').toEqual([]);

    const rs = await rt.clickhouse!.query({
      query: `SELECT count() AS rows, uniqExact(event_id) AS ids FROM ${db}.interaction_events FINAL`,
      format: 'JSONEachRow',
    });
    const [{ rows, ids }] = (await rs.json<{ rows: string; ids: string }>()) as [
      { rows: string; ids: string },
    ];
    expect(Number(ids)).toBe(want.size);
    expect(Number(rows), 'each once').toBe(want.size);
    expect(await storedIds()).toEqual(want);
    expect(want.size).toBeGreaterThan(1_000);
  }, 300_000);
});
