import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Producer } from 'kafkajs';
import type { EventTopicKind, Topics } from '../../infra/kafka/topics.ts';
import { KINDS } from './spec.ts';

export interface ProduceStats {
  events: number;
  bytes: number;
  seconds: number;
  generateSeconds: number;
  byKind: Record<EventTopicKind, number>;
  customers: number;
  days: number;
}

/** One value for each event topic kind. */
const perKind = <T>(f: (k: EventTopicKind) => T) =>
  Object.fromEntries(KINDS.map((k) => [k, f(k)])) as Record<EventTopicKind, T>;

/**
 * Setup: the first N events of generateSample to the event topics (key and value as sample/stream.ts
 * makes them) in batches of 10,000 messages, several sends in flight; the same bytes to one NDJSON file
 * per topic kind for phase (b).
 */
export async function produce(
  producer: Producer,
  topics: Topics,
  events: number,
  seed: number,
  dataDir: string,
): Promise<{ stats: ProduceStats; ndjson: Record<EventTopicKind, string> }> {
  const { messageKey, topicOf } = await import('../../ingest/events.ts');
  const { estimateSampleSize, generateSample } = await import('../../sample/index.ts');
  const days = 120;
  const perCustomer = estimateSampleSize({ seed, customers: 10_000, days }) / 10_000;
  const customers = Math.ceil((events / perCustomer) * 1.15);
  const ndjson = perKind((k) => path.join(dataDir, `${k}.ndjson`));
  const fds = perKind((k) => fs.openSync(ndjson[k], 'w'));
  const pending = perKind((): { key: string; value: string }[] => []);
  const byKind = { interactions: 0, surveys: 0, customers: 0 };
  const inFlight = new Set<Promise<unknown>>();
  const CHUNK = 10_000;
  const MAX_IN_FLIGHT = 4;
  let n = 0;
  let bytes = 0;
  let genMs = 0;
  const t0 = performance.now();
  const flush = async (kind: EventTopicKind) => {
    const msgs = pending[kind];
    if (msgs.length === 0) return;
    pending[kind] = [];
    fs.writeSync(fds[kind], msgs.map((m) => m.value).join('\n') + '\n');
    const p = producer.send({ topic: topics[kind], acks: -1, messages: msgs });
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => undefined,
    );
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  };
  let tg = performance.now();
  let nextReport = 200_000;
  for (const e of generateSample({ seed, customers, days })) {
    const kind = topicOf(e.type);
    const value = JSON.stringify(e);
    pending[kind].push({ key: messageKey(e), value });
    bytes += Buffer.byteLength(value);
    byKind[kind]++;
    n++;
    if (pending[kind].length >= CHUNK) {
      genMs += performance.now() - tg;
      await flush(kind);
      tg = performance.now();
    }
    if (n >= nextReport) {
      process.stderr.write(`  produced ${n}/${events}\n`);
      nextReport += 200_000;
    }
    if (n >= events) break;
  }
  genMs += performance.now() - tg;
  for (const k of KINDS) await flush(k);
  await Promise.all(inFlight);
  for (const k of KINDS) fs.closeSync(fds[k]);
  if (n < events) throw new Error(`the generator gave only ${n} events of ${events}; raise customers/days`);
  return {
    stats: {
      events: n,
      bytes,
      seconds: (performance.now() - t0) / 1000,
      generateSeconds: genMs / 1000,
      byKind,
      customers,
      days,
    },
    ndjson,
  };
}
