import { performance } from 'node:perf_hooks';
import { loadConfig } from '../../infra/config.ts';
import { createKafka, ensureTopics } from '../../infra/kafka/client.ts';
import { childEnv, type ChildSpec, type PhaseResult } from './spec.ts';
import { engineVersion, memoryBreakdown, storedCount } from './store.ts';
import { startWindow } from './window.ts';

/**
 * (c) The real Ingester, wired as `cxpulse` wires it (Runtime), on a fresh group and a fresh chDB dir.
 * Setup (chDB start, migrations, Kafka topics/producer) is done first and not timed; the clock starts
 * when `startIngester()` returns (the group is joined, fetching starts) and stops when the
 * `eventsIngested` counter (incremented after each chunk's ClickHouse insert returned) reaches N. The
 * stored rows are counted afterwards.
 */
export async function phaseEndToEnd(spec: ChildSpec): Promise<PhaseResult> {
  const { Runtime } = await import('../../cli/runtime.ts');
  const rt = new Runtime(loadConfig(childEnv(spec)));
  try {
    if (spec.consumerOverrides || spec.runOverrides) {
      // Runtime.kafkaUp() keeps a Kafka client that is already set: hand it one whose consumers take
      // the overrides.
      const kafka = createKafka(rt.cfg.kafka);
      const makeConsumer = kafka.consumer.bind(kafka);
      kafka.consumer = (opts) => {
        const consumer = makeConsumer({ ...opts, ...spec.consumerOverrides });
        const run = consumer.run.bind(consumer);
        consumer.run = (r) => run({ ...r, ...spec.runOverrides });
        return consumer;
      };
      rt.kafka = kafka;
      rt.topics = await ensureTopics(kafka, rt.cfg.kafka);
    }
    await rt.kafkaUp();
    const ch = await rt.clickhouseUp();
    const version = await engineVersion(ch);
    await rt.getProducer();
    const joinStart = performance.now();
    const ingester = await rt.startIngester();
    const joinedAt = performance.now();
    const w = await startWindow(spec);
    const ingested = async () =>
      (await rt.metrics.eventsIngested.get()).values.reduce((s, v) => s + v.value, 0);
    const stopAt = Date.now() + spec.timeoutMs;
    let n = 0;
    for (;;) {
      n = await ingested();
      if (n >= spec.events) break;
      const h = ingester.health();
      if (h.state === 'degraded' && (h.degradedSeconds ?? 0) > 30)
        throw new Error(`ingester degraded for 30 s: ${h.reason}`);
      if (Date.now() > stopAt)
        throw new Error(`end-to-end: timed out after ${spec.timeoutMs} ms at ${n} events`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const batches = (await rt.metrics.batches.get()).values.reduce((s, v) => s + v.value, 0);
    const inserts = await rt.metrics.insertSeconds.get();
    const insertCount = inserts.values
      .filter((v) => v.metricName?.endsWith('_count'))
      .reduce((s, v) => s + v.value, 0);
    const insertSum = inserts.values
      .filter((v) => v.metricName?.endsWith('_sum'))
      .reduce((s, v) => s + v.value, 0);
    const res = w.finish('c', spec.events, {
      engineVersion: version,
      ingestedCounter: n,
      chunks: batches,
      inserts: insertCount,
      insertSecondsTotal: insertSum,
      joinMs: joinedAt - joinStart,
      settings: rt.cfg.ingest,
    });
    await w.stopProfile?.();
    res.detail['memory'] = await memoryBreakdown(ch);
    await ingester.stop();
    const stored = await storedCount(ch);
    res.detail['stored'] = stored;
    if (stored.distinct < spec.events) {
      throw new Error(`end-to-end: only ${stored.distinct} distinct events stored of ${spec.events}`);
    }
    return res;
  } finally {
    await rt.close();
  }
}
