/**
 * Durability under broker failure, against a real 3-node KRaft cluster of its own (not the run's broker):
 * the topics cxpulse creates are replicated 3 times with min.insync.replicas 2; while a client posts a
 * steady stream of distinct events to the collector, the leader of a partition of the interactions topic
 * is killed with SIGKILL; every event answered 202 must then be stored exactly once in ClickHouse.
 * Requests failing during the leader change are allowed; a 202 event lost is not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../../../infra/kafka/cluster.ts';
import { rand } from '../../helpers/env.ts';
import { startPipeline, type TestPipeline } from '../../helpers/runtime.ts';
import { waitFor } from '../../helpers/wait.ts';

const VERSION = process.env['KAFKA_VERSION'] ?? '4.4.0';
const TOKEN = 'cluster-test-ingest-token';
/** Events per request and concurrent posting clients. */
const BATCH = 5;
const CLIENTS = 2;
/** Posting before the kill, and after it. */
const WARMUP_MS = 5_000;
const AFTER_KILL_MS = 25_000;
/** A request still unanswered after this long is recorded as hung (and aborted). */
const REQUEST_DEADLINE_MS = 90_000;

let tmp: string;
let cluster: LocalCluster | undefined;
let pipe: TestPipeline | undefined;
let admin: Admin | undefined;
let killedNode: number | undefined;

interface Attempt {
  ids: string[];
  start: number;
  end: number;
  /** HTTP status, or 'hung' / 'error: …' when no answer came */
  outcome: number | string;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'cxpulse-cluster-'));
  cluster = await startLocalCluster({ version: VERSION, dir: tmp, heapMb: 384, startTimeoutMs: 240_000 });
  pipe = await startPipeline([TOKEN], { KAFKA_BROKERS: cluster.brokers.join(','), KAFKA_PARTITIONS: '3' });
  admin = new Kafka({
    clientId: 'cluster-test',
    brokers: cluster.brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
}, 420_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  await pipe?.rt.close().catch((err: unknown) => console.error('pipeline close failed', err));
  await cluster?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 180_000);

const event = (id: string) => ({
  event_id: id,
  type: 'interaction.opened',
  occurred_at: '2026-03-02T09:15:00+08:00',
  interaction_id: `i-${id}`,
  customer_id: `c-${id.slice(-3)}`,
  channel: 'chat',
  category: 'complaint',
});

async function post(ids: string[]): Promise<Attempt> {
  const start = Date.now();
  let outcome: number | string;
  try {
    const res = await fetch(`${pipe!.base}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(ids.map(event)),
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    await res.arrayBuffer();
    outcome = res.status;
  } catch (err) {
    const name = (err as Error).name;
    outcome = name === 'TimeoutError' ? 'hung' : `error: ${(err as Error).message}`;
  }
  return { ids, start, end: Date.now(), outcome };
}

/** CLIENTS loops posting BATCH distinct events per request, one request at a time each, until stopped. */
function startPosting(prefix: string): { attempts: Attempt[]; stop: () => Promise<void> } {
  const attempts: Attempt[] = [];
  let running = true;
  let seq = 0;
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const ids = Array.from({ length: BATCH }, () => `${prefix}-${String(seq++).padStart(6, '0')}`);
      attempts.push(await post(ids));
      await sleep(20);
    }
  });
  return {
    attempts,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** event_id → stored rows, FINAL (how cxpulse counts) and raw (duplicates before merge). */
async function stored(prefix: string): Promise<{ final: Map<string, number>; raw: number }> {
  const ch = pipe!.rt.clickhouse!;
  const db = pipe!.db;
  const rs = await ch.query({
    query: `SELECT event_id, count() AS n FROM ${db}.interaction_events FINAL
            WHERE startsWith(event_id, {prefix:String}) GROUP BY event_id`,
    query_params: { prefix: `${prefix}-` },
    format: 'JSONEachRow',
  });
  const final = new Map(
    (await rs.json<{ event_id: string; n: string }>()).map((r) => [r.event_id, Number(r.n)]),
  );
  const rawRs = await ch.query({
    query: `SELECT count() AS n FROM ${db}.interaction_events WHERE startsWith(event_id, {prefix:String})`,
    query_params: { prefix: `${prefix}-` },
    format: 'JSONEachRow',
  });
  return { final, raw: Number((await rawRs.json<{ n: string }>())[0]?.n ?? 0) };
}

/**
 * Where events that never reached ClickHouse are: in the interactions topic (partition, offset) or not,
 * against the group's committed offsets and the topic's end offsets. Printed when the test fails.
 */
async function whereAre(ids: string[]): Promise<unknown> {
  const topic = pipe!.rt.topics!.interactions;
  const ends = await admin!.fetchTopicOffsets(topic);
  const committed = await admin!.fetchOffsets({ groupId: pipe!.rt.cfg.kafka.groupId, topics: [topic] });
  const wanted = new Set(ids);
  const found: Record<string, string> = {};
  const reader = new Kafka({
    clientId: 'cluster-test-reader',
    brokers: cluster!.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = reader.consumer({ groupId: `reader-${rand()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const seen = new Map<number, number>();
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.set(partition, Number(message.offset));
      const id = (JSON.parse(String(message.value)) as { event_id: string }).event_id;
      if (wanted.has(id)) found[id] = `${partition}@${message.offset}`;
    },
  });
  const done = () =>
    ends.every((e) => Number(e.high) === 0 || (seen.get(e.partition) ?? -1) >= Number(e.high) - 1);
  await waitFor(
    'topic read to its end',
    async () => done(),
    (d) => d,
    { timeoutMs: 60_000 },
  ).catch(() => undefined);
  await consumer.disconnect();
  return {
    missing: ids.length,
    sample: ids.slice(0, 10),
    in_kafka: found,
    not_in_kafka: ids.filter((id) => !(id in found)).length,
    end_offsets: ends.map((e) => `${e.partition}:${e.high}`),
    committed: committed[0]?.partitions.map((c) => `${c.partition}:${c.offset}`),
  };
}

/** What the posting clients saw around the kill: outcomes and how long the collector took. */
function failoverFigures(attempts: Attempt[], killAt: number, killed: number): Record<string, unknown> {
  const failed = attempts.filter((a) => a.outcome !== 202);
  const outcomes = [...new Set(failed.map((a) => String(a.outcome)))];
  const acked = attempts.filter((a) => a.outcome === 202);
  return {
    killed_node: killed,
    requests: attempts.length,
    accepted_requests: acked.length,
    accepted_events: acked.length * BATCH,
    non_202_requests: failed.length,
    non_202_outcomes: Object.fromEntries(
      outcomes.map((o) => [o, failed.filter((a) => String(a.outcome) === o).length]),
    ),
    slowest_request_ms: Math.max(...attempts.map((a) => a.end - a.start)),
    requests_over_1s: attempts.filter((a) => a.end - a.start > 1000).length,
    first_202_after_kill_ms: Math.min(...acked.filter((a) => a.end > killAt).map((a) => a.end)) - killAt,
    accepted_requests_started_after_kill: acked.filter((a) => a.start > killAt).length,
  };
}

/** Command lines of the processes whose command line holds `text`. */
function processesNaming(text: string): string[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
        return cmd.includes(text) ? [cmd] : [];
      } catch {
        return [];
      }
    });
}

describe('durability under broker failure (3-node KRaft cluster)', { timeout: 300_000 }, () => {
  it('creates the topics with replication factor 3 and min.insync.replicas 2, internal topics replicated', async () => {
    const topics = Object.values(pipe!.rt.topics!);
    const meta = await admin!.fetchTopicMetadata({ topics: [...topics, '__consumer_offsets'] });
    expect(meta.topics.map((t) => t.name).sort()).toEqual([...topics, '__consumer_offsets'].sort());
    for (const t of meta.topics) {
      expect(t.partitions.length, t.name).toBeGreaterThan(0);
      for (const p of t.partitions) expect(p.replicas, `${t.name}/${p.partitionId}`).toHaveLength(3);
    }
    const described = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['min.insync.replicas'],
      })),
    });
    const minIsr = Object.fromEntries(
      described.resources.map((r) => [
        r.resourceName,
        r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue,
      ]),
    );
    expect(minIsr).toEqual(Object.fromEntries(topics.map((t) => [t, '2'])));
  });

  it('stores every event answered 202 exactly once when a partition leader is killed mid-stream', async () => {
    const prefix = `fo-${rand()}`;
    const interactions = pipe!.rt.topics!.interactions;
    const poster = startPosting(prefix);
    await sleep(WARMUP_MS);
    const before = poster.attempts.filter((a) => a.outcome === 202).length;
    expect(before, 'requests accepted before the kill').toBeGreaterThan(0);

    const meta = await admin!.fetchTopicMetadata({ topics: [interactions] });
    const leader = meta.topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
    const killAt = Date.now();
    await cluster!.kill(leader);
    killedNode = leader;
    await sleep(AFTER_KILL_MS);
    await poster.stop();

    const { attempts } = poster;
    const accepted = attempts.filter((a) => a.outcome === 202).flatMap((a) => a.ids);
    const acceptedAfter = attempts.filter((a) => a.outcome === 202 && a.start > killAt);
    console.log(JSON.stringify({ failover: failoverFigures(attempts, killAt, leader) }));
    // The cluster kept taking events after losing a node (min.insync.replicas 2 of 3).
    expect(acceptedAfter.length, 'requests started after the kill and answered 202').toBeGreaterThan(0);

    const acceptedSet = new Set(accepted);
    const result = await waitFor(
      'every accepted event stored',
      () => stored(prefix),
      (s) => accepted.every((id) => s.final.has(id)),
      { timeoutMs: 120_000, intervalMs: 1000 },
    ).catch(async () => stored(prefix));
    const missing = accepted.filter((id) => !result.final.has(id));
    const twice = [...result.final].filter(([, n]) => n !== 1);
    const sent = new Set(attempts.flatMap((a) => a.ids));
    const foreign = [...result.final.keys()].filter((id) => !sent.has(id));
    console.log(
      JSON.stringify({
        stored: {
          distinct: result.final.size,
          raw_rows: result.raw,
          of_accepted: accepted.filter((id) => result.final.has(id)).length,
          from_non_202_requests: [...result.final.keys()].filter((id) => !acceptedSet.has(id)).length,
        },
      }),
    );
    if (missing.length > 0) {
      const carried = (id: string) => attempts.find((a) => a.ids.includes(id))!;
      const when = missing.slice(0, 10).map((id) => ({
        id,
        start_ms_after_kill: carried(id).start - killAt,
        took_ms: carried(id).end - carried(id).start,
      }));
      console.log(JSON.stringify({ lost: await whereAre(missing), when }));
    }
    expect(missing).toEqual([]);
    expect(twice).toEqual([]);
    expect(foreign).toEqual([]);
  });

  it('restarts the killed node, which catches up into every in-sync replica set', async () => {
    expect(killedNode, 'a node was killed by the test before').toBeDefined();
    await cluster!.restart(killedNode!);
    const topics = Object.values(pipe!.rt.topics!);
    await waitFor(
      'full in-sync replica sets',
      async () => {
        const meta = await admin!.fetchTopicMetadata({ topics });
        return meta.topics.flatMap((t) => t.partitions.map((p) => p.isr.length));
      },
      (isr) => isr.every((n) => n === 3),
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
  });

  it('pauses a node with SIGSTOP and resumes it with SIGCONT', async () => {
    const node = cluster!.nodes[0]!;
    const state = () => {
      const stat = readFileSync(`/proc/${node.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    };
    cluster!.pause(node.id);
    await waitFor(
      'stopped',
      async () => state(),
      (s) => s === 'T',
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    cluster!.resume(node.id);
    await waitFor(
      'running again',
      async () => state(),
      (s) => s !== 'T',
      { timeoutMs: 10_000, intervalMs: 50 },
    );
  });

  it('stop leaves no JVM of the cluster behind', async () => {
    await admin!.disconnect();
    admin = undefined;
    await pipe!.rt.close();
    pipe = undefined;
    const pids = cluster!.nodes.map((n) => n.pid);
    expect(pids.every((p) => p !== undefined)).toBe(true);
    await cluster!.stop();
    // The JVMs are gone when stop resolves; their watchdogs (whose command lines name the node's
    // server.properties too) leave right after.
    const jvms = () => processesNaming(tmp).filter((cmd) => cmd.includes(' kafka.Kafka '));
    expect(jvms()).toEqual([]);
    await waitFor(
      'no process of the cluster',
      async () => processesNaming(tmp),
      (left) => left.length === 0,
      {
        timeoutMs: 15_000,
      },
    );
    expect(cluster!.nodes.map((n) => n.pid)).toEqual([undefined, undefined, undefined]);
  });
});
