import type { Consumer, EachBatchPayload } from 'kafkajs';
import { loadConfig } from '../../infra/config.ts';
import { createKafka, ensureTopics } from '../../infra/kafka/client.ts';
import { childEnv, deadline, type ChildSpec, type PhaseResult } from './spec.ts';
import { memoryBreakdown } from './store.ts';
import { startWindow } from './window.ts';
import { performance } from 'node:perf_hooks';

/** (a) kafkajs consumer with the Ingester's fetch settings that only counts messages. */
export async function phaseNoop(spec: ChildSpec): Promise<PhaseResult> {
  const env = childEnv(spec);
  const cfg = loadConfig(env);
  const kafka = createKafka(cfg.kafka, '-bench-noop');
  const topics = await ensureTopics(kafka, cfg.kafka); // exist already: only resolves the names
  const consumer: Consumer = kafka.consumer({
    groupId: cfg.kafka.groupId,
    // as ingest/consumer.ts
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: cfg.ingest.maxBytesPerPartition,
    maxBytes: cfg.ingest.maxBytesPerPartition * 4,
    minBytes: 1,
    maxWaitTimeInMs: cfg.ingest.flushMs,
  });
  let count = 0;
  let batches = 0;
  let firstBatchAt: number | undefined;
  let finished!: () => void;
  const allCounted = new Promise<void>((r) => (finished = r));
  await consumer.connect();
  await consumer.subscribe({
    topics: [topics.interactions, topics.surveys, topics.customers],
    fromBeginning: true,
  });
  const joinStart = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset }: EachBatchPayload) => {
      firstBatchAt ??= performance.now();
      batches++;
      count += batch.messages.length;
      resolveOffset(batch.lastOffset());
      if (count >= spec.events) finished();
    },
  });
  // consumer.run() resolves once the group is joined and synced; fetching starts right after.
  const joinedAt = performance.now();
  const w = await startWindow(spec);
  await deadline(allCounted, spec.timeoutMs, 'no-op consume');
  const res = w.finish('a', spec.events, {
    counted: count,
    batches,
    joinMs: joinedAt - joinStart,
    firstBatchAfterJoinMs: (firstBatchAt ?? joinedAt) - joinedAt,
    settings: cfg.ingest,
  });
  await w.stopProfile?.();
  res.detail['memory'] = await memoryBreakdown(undefined);
  await consumer.disconnect();
  return res;
}
