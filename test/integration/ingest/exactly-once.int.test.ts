import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { randomLcg, randomUniform } from 'd3-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../../cli/runtime.ts';
import { loadConfig, type Config } from '../../../infra/config.ts';
import { createKafka, ensureTopics } from '../../../infra/kafka/client.ts';
import type { Topics } from '../../../infra/kafka/topics.ts';
import { messageKey, topicOf, type CxEvent } from '../../../ingest/events.ts';
import { generateSample } from '../../../sample/index.ts';
import { freePort } from '../../helpers/ports.ts';
import { testEnv } from '../../helpers/env.ts';
import { waitFor } from '../../helpers/wait.ts';

/**
 * Exactly once in effect, end to end: N distinct events sent with duplicates and in shuffled order
 * (late events included); the ingester SIGKILLed mid-stream and restarted; stopped by SIGTERM; then
 * ClickHouse made unavailable for a while and brought back. At the end the store holds exactly the N
 * distinct events, and the per-interaction facts match a computation over the events sent.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
let env: Record<string, string>;
let cfg: Config;
let topics: Topics;
let kafka: Kafka;
let producer: Producer;
let httpPort: number;
const children: ChildProcess[] = [];
const logDir = mkdtempSync(path.join(tmpdir(), 'cxpulse-eo-logs-'));

const distinct: CxEvent[] = [
  ...generateSample({ seed: 11, customers: 500, days: 40, start: new Date('2026-01-05T00:00:00Z') }),
];

/** The stream as sent: every event once, 20 % of them again, all shuffled with a seeded shuffle. */
function buildStream(): CxEvent[] {
  const rnd = randomUniform.source(randomLcg(0.4242))(0, 1);
  const out = [...distinct];
  for (const e of distinct) if (rnd() < 0.2) out.push(e);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as CxEvent, out[i] as CxEvent];
  }
  return out;
}

async function produce(events: CxEvent[], chunk = 500, pauseMs = 0): Promise<void> {
  for (let i = 0; i < events.length; i += chunk) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const e of events.slice(i, i + chunk)) {
      const t = topics[topicOf(e.type)];
      byTopic.set(t, [...(byTopic.get(t) ?? []), { key: messageKey(e), value: JSON.stringify(e) }]);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    if (pauseMs) await sleep(pauseMs);
  }
}

function spawnIngester(name: string): ChildProcess {
  const out = openSync(path.join(logDir, `${name}.log`), 'w');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/cxpulse.mjs'), 'ingest'], {
    cwd: ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', out, out],
  });
  children.push(child);
  return child;
}

/** Events the child reports as written (its Prometheus counter), or -1 while it is not answering. */
async function ingestedByChild(): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    return [...text.matchAll(/^cxpulse_events_ingested_total\{[^}]*\} (\d+)/gm)].reduce(
      (s, m) => s + Number(m[1]),
      0,
    );
  } catch {
    return -1;
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(async () => {
  httpPort = await freePort();
  env = testEnv({
    // its own data dir: the child processes open it before this process does
    CXPULSE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'cxpulse-eo-')),
    HTTP_PORT: String(httpPort),
    INGEST_BATCH_SIZE: '400',
    INGEST_FLUSH_MS: '100',
    INGEST_MAX_RETRIES: '200',
    INGEST_RETRY_INITIAL_MS: '100',
    INGEST_RETRY_MAX_MS: '500',
  });
  cfg = loadConfig(env);
  kafka = createKafka(cfg.kafka);
  topics = await ensureTopics(kafka, cfg.kafka);
  producer = new Kafka({
    clientId: 'eo-producer',
    brokers: cfg.kafka.brokers!,
    logLevel: logLevel.NOTHING,
  }).producer();
  await producer.connect();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await producer?.disconnect();
});

describe('exactly once in effect', () => {
  it(
    'survives duplicates, shuffling, SIGKILL, SIGTERM and a ClickHouse outage',
    { timeout: 300_000 },
    async () => {
      const stream = buildStream();
      expect(distinct.length).toBeGreaterThan(5_000);
      const a = stream.slice(0, Math.floor(stream.length * 0.4));
      const b = stream.slice(a.length, Math.floor(stream.length * 0.7));
      const c = stream.slice(a.length + b.length);

      // 1. First ingester; SIGKILL it while events are still being produced.
      await produce(a);
      const first = spawnIngester('ingester-1');
      const started = await waitFor('first ingester progress', ingestedByChild, (n) => n > 0, {
        timeoutMs: 90_000,
        intervalMs: 50,
      });
      let bDone = false;
      const producingB = produce(b, 100, 100).then(() => (bDone = true));
      await waitFor('more progress', ingestedByChild, (n) => n >= started + 500, {
        timeoutMs: 90_000,
        intervalMs: 25,
      });
      expect(bDone, 'the kill lands while events are still arriving').toBe(false);
      first.kill('SIGKILL');
      expect((await exited(first)).signal).toBe('SIGKILL');
      await producingB;

      // 2. A second ingester picks up from the committed offsets; SIGTERM lets it finish and commit.
      const second = spawnIngester('ingester-2');
      await waitFor('second ingester progress', ingestedByChild, (n) => n > 0, {
        timeoutMs: 90_000,
        intervalMs: 50,
      });
      second.kill('SIGTERM');
      expect(await exited(second)).toEqual({ code: 0, signal: null });

      // 3. In this process: ClickHouse's interaction table is unavailable while the rest arrives.
      const rt = new Runtime(cfg);
      try {
        const ch = await rt.clickhouseUp();
        const db = cfg.clickhouse.database;
        const admin = kafka.admin();
        await admin.connect();
        const committed = async () =>
          (
            await admin.fetchOffsets({ groupId: cfg.kafka.groupId, topics: [topics.interactions] })
          )[0]!.partitions
            .map((p) => `${p.partition}:${p.offset}`)
            .sort()
            .join(',');

        await ch.command({ query: `DETACH TABLE ${db}.interaction_events` });
        await produce(c);
        const before = await committed();
        const ingester = await rt.startIngester();
        await waitFor(
          'degraded',
          async () => ingester.health().state,
          (s) => s === 'degraded',
          { timeoutMs: 60_000, intervalMs: 50 },
        );
        await sleep(1_500);
        expect(ingester.health().state).toBe('degraded');
        expect(ingester.health().reason).toMatch(/writing failed, retry \d+ of \d+: .*interaction_events/);
        expect(await committed(), 'nothing committed past a failed write').toBe(before);
        await ch.command({ query: `ATTACH TABLE ${db}.interaction_events` });

        const want = distinct.length;
        const storedCount = async () => {
          const rs = await ch.query({
            query: `SELECT (SELECT uniqExact(event_id) FROM ${db}.interaction_events)
                       + (SELECT uniqExact(event_id) FROM ${db}.survey_events)
                       + (SELECT uniqExact(event_id) FROM ${db}.customer_events) AS n`,
            format: 'JSONEachRow',
          });
          return Number((await rs.json<{ n: string }>())[0]!.n);
        };
        await waitFor('all events stored', storedCount, (n) => n >= want, {
          timeoutMs: 120_000,
          intervalMs: 250,
        });
        await admin.disconnect();

        // Exactly the distinct events sent: same ids, one row each once merged.
        const ids = async (table: string) => {
          const rs = await ch.query({
            query: `SELECT event_id FROM ${db}.${table} FINAL ORDER BY event_id`,
            format: 'JSONEachRow',
          });
          return (await rs.json<{ event_id: string }>()).map((r) => r.event_id);
        };
        const stored = [
          ...(await ids('interaction_events')),
          ...(await ids('survey_events')),
          ...(await ids('customer_events')),
        ].sort();
        expect(stored.length).toBe(want);
        expect(stored).toEqual(distinct.map((e) => e.event_id).sort());

        // Per-interaction facts, computed here from the events sent, once each.
        const expected = new Map<
          string,
          {
            events: number;
            reopens: number;
            opened: string | null;
            resolved: string | null;
            transferred: number;
          }
        >();
        for (const e of distinct) {
          if (!e.type.startsWith('interaction.')) continue;
          const id = (e as { interaction_id: string }).interaction_id;
          const f = expected.get(id) ?? {
            events: 0,
            reopens: 0,
            opened: null,
            resolved: null,
            transferred: 0,
          };
          const t = new Date(e.occurred_at).toISOString().slice(0, 23).replace('T', ' ');
          f.events++;
          if (e.type === 'interaction.reopened') f.reopens++;
          if (e.type === 'interaction.opened' && (f.opened === null || t < f.opened)) f.opened = t;
          if (e.type === 'interaction.resolved' && (f.resolved === null || t > f.resolved)) f.resolved = t;
          if (e.type === 'interaction.transferred') f.transferred = 1;
          expected.set(id, f);
        }
        const rs = await ch.query({
          query: `SELECT interaction_id, events, reopens, opened_at, last_resolved_at, transferred FROM ${db}.interaction_facts_v`,
          format: 'JSONEachRow',
        });
        const facts = await rs.json<{
          interaction_id: string;
          events: string;
          reopens: string;
          opened_at: string | null;
          last_resolved_at: string | null;
          transferred: number;
        }>();
        expect(facts.length).toBe(expected.size);
        let mismatches = 0;
        for (const f of facts) {
          const e = expected.get(f.interaction_id);
          const same =
            e !== undefined &&
            Number(f.events) === e.events &&
            Number(f.reopens) === e.reopens &&
            f.opened_at === e.opened &&
            f.last_resolved_at === e.resolved &&
            Number(f.transferred) === e.transferred;
          if (!same) mismatches++;
        }
        expect(mismatches).toBe(0);
      } finally {
        await rt.close();
      }
    },
  );
});
