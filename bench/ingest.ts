/**
 * Ingest benchmark: sustained Kafka → ClickHouse ingest of N sample events (default 1,000,000), measured
 * side by side in one run with
 *
 *   (a) a no-op kafkajs consume of the same topics (same fetch settings as the Ingester), and
 *   (b) a direct bulk insert of the same rows (decodeEvent + toRow + ClickHouseSink.write, no Kafka),
 *   (c) the real end-to-end Ingester (`Runtime.startIngester()`), until all N events are stored.
 *
 * Each phase runs in its own child Node process, so CPU time and peak RSS are per phase. Producing the
 * events to Kafka is setup (not measured, its rate is reported anyway). See bench/README.md for the
 * method; results go to bench/results/ingest-<timestamp>.json and bench/results/ingest-latest.md.
 *
 *   npm run bench:ingest -- [--events N] [--partitions P] [--phases a,b,c] [--cpu-prof c] [--keep]
 *
 * Environment: KAFKA_BROKERS (use an existing cluster instead of starting a local broker), and the
 * INGEST_* keys of infra/config.ts (INGEST_BATCH_SIZE, INGEST_FLUSH_MS, INGEST_MAX_BYTES_PER_PARTITION),
 * which apply to all three phases. LOG_LEVEL defaults to `warn` in the children.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import { machine } from './machine.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { loadConfig, type Config } from '../infra/config.ts';
import { createKafka, ensureTopics } from '../infra/kafka/client.ts';
import type { LocalBrokerOptions } from '../infra/kafka/broker.ts';
import type { EventTopicKind, Topics } from '../infra/kafka/topics.ts';

// Only what every process needs is imported statically: each phase imports its own modules, so the no-op
// consumer (a) does not load chDB (its native library alone is ~170 MiB of RSS) and the parent loads
// neither chDB nor the Ingester.

const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
const KINDS: readonly EventTopicKind[] = ['interactions', 'surveys', 'customers'];
const DATABASE = 'cxbench';

type Phase = 'a' | 'b' | 'c';
const PHASE_NAMES: Record<Phase, string> = {
  a: '(a) no-op kafkajs consume',
  b: '(b) direct bulk insert (decode + toRow + sink)',
  c: '(c) end-to-end Ingester',
};

/** What the parent hands a child (as JSON in BENCH_SPEC). */
interface ChildSpec {
  phase: Phase;
  events: number;
  brokers: string[];
  topicPrefix: string;
  /** fresh state dir of this phase (chDB data) */
  dir: string;
  /** NDJSON file of each event topic kind, in produce order: the input of phase (b) */
  ndjson: Record<EventTopicKind, string>;
  timeoutMs: number;
  /**
   * Experiments only (phase c): override options of the Ingester's kafkajs consumer / consumer.run, to
   * measure a proposed change of ingest/consumer.ts without editing it. Reported in the results.
   */
  consumerOverrides?: Record<string, unknown>;
  runOverrides?: Record<string, unknown>;
  /** extra Node flags for the child (e.g. --max-semi-space-size=64) */
  nodeArgs?: string[];
  /** pid of the local broker, to report its CPU during the window */
  brokerPid?: number;
  /** write a V8 CPU profile of the main thread over the timed window here */
  cpuProfile?: string;
}

/** What a child reports back over IPC. */
interface PhaseResult {
  phase: Phase;
  events: number;
  /** seconds of the timed window */
  seconds: number;
  eventsPerSec: number;
  /** user+system CPU of the child during the timed window, µs */
  cpuUs: number;
  cpuUsPerEvent: number;
  /** user+system CPU of the whole child process (startup, setup, teardown included), µs */
  cpuUsWholeProcess: number;
  /** peak resident set of the child over its whole life (process.resourceUsage().maxRSS), MiB */
  peakRssMiB: number;
  /** highest RSS sampled every 100 ms during the timed window, MiB */
  windowRssMiB: number;
  /** phase-specific details */
  detail: Record<string, unknown>;
}

// =========================================================================================================
// child side

/** CPU seconds of each live thread of this process, summed by thread name (Linux /proc only). */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      // one name for the main thread, and the numbered pools collapsed ("libuv-worker", "QueryPipelineEx" …)
      const name =
        tid === String(process.pid) ? 'main (JS)' : stat.slice(open + 1, close).replace(/[\d:]+$/, '');
      const f = stat.slice(close + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime: fields 14 and 15 of stat
      out.set(name, (out.get(name) ?? 0) + ticks / 100);
    } catch {
      /* the thread exited meanwhile */
    }
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine since boot (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = (/^cpu\s+(.*)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1] ?? '')
      .split(/\s+/)
      .map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: (total - idle) / 100, total: total / 100 };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU seconds of a whole process (all its threads), or 0 when it cannot be read. */
function processCpu(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The timed window of a phase: wall clock, CPU of the process (all threads), CPU per thread, RSS; and,
 * when asked, a V8 CPU profile of the main thread (the inspector, so only the window is profiled).
 */
async function startWindow(spec: ChildSpec): Promise<Window> {
  let stop: (() => Promise<void>) | undefined;
  if (spec.cpuProfile) {
    const file = spec.cpuProfile;
    const { Session } = await import('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    stop = async () => {
      const { profile } = await session.post('Profiler.stop');
      await fsp.mkdir(path.dirname(file), { recursive: true });
      await fsp.writeFile(file, JSON.stringify(profile));
      session.disconnect();
    };
  }
  return new Window(spec.brokerPid, stop);
}

class Window {
  private readonly machine0 = machineCpu();
  private readonly broker0: number;
  constructor(
    private readonly brokerPid: number | undefined,
    readonly stopProfile?: () => Promise<void>,
  ) {
    this.broker0 = processCpu(brokerPid);
  }
  private readonly t0 = performance.now();
  private readonly threads0 = threadCpu();
  private readonly c0 = process.cpuUsage();
  private maxRss = process.memoryUsage.rss();
  private readonly timer = setInterval(() => {
    this.maxRss = Math.max(this.maxRss, process.memoryUsage.rss());
  }, 100);

  finish(phase: Phase, events: number, detail: Record<string, unknown>): PhaseResult {
    const seconds = (performance.now() - this.t0) / 1000;
    const c = process.cpuUsage(this.c0);
    clearInterval(this.timer);
    this.maxRss = Math.max(this.maxRss, process.memoryUsage.rss());
    const cpuUs = c.user + c.system;
    const whole = process.cpuUsage();
    // CPU seconds by thread during the window (threads that exited in it are in "exited/other")
    const threads: Record<string, number> = {};
    let sum = 0;
    for (const [name, sec] of threadCpu()) {
      const d = sec - (this.threads0.get(name) ?? 0);
      if (d >= 0.01) threads[name] = Math.round(d * 100) / 100;
      sum += Math.max(0, d);
    }
    threads['exited/other'] = Math.round((cpuUs / 1e6 - sum) * 100) / 100;
    const m = machineCpu();
    const machineBusyCores = (m.busy - this.machine0.busy) / seconds;
    const brokerCpuSeconds = processCpu(this.brokerPid) - this.broker0;
    // everything else on the machine: the parent (idle), and whatever else runs there
    const otherCores = Math.max(0, machineBusyCores - cpuUs / 1e6 / seconds - brokerCpuSeconds / seconds);
    return {
      phase,
      events,
      seconds,
      eventsPerSec: events / seconds,
      cpuUs,
      cpuUsPerEvent: cpuUs / events,
      cpuUsWholeProcess: whole.user + whole.system,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      windowRssMiB: this.maxRss / 1024 / 1024,
      detail: {
        ...detail,
        cpuUserUs: c.user,
        cpuSystemUs: c.system,
        threadCpuSeconds: threads,
        machineBusyCores,
        brokerCpuSeconds,
        otherCores,
      },
    };
  }
}

function childEnv(spec: ChildSpec): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: spec.brokers.join(','),
    KAFKA_TOPIC_PREFIX: spec.topicPrefix,
    CXPULSE_DATA_DIR: spec.dir,
    CLICKHOUSE_DATABASE: DATABASE,
    KAFKA_GROUP_ID: `bench-${spec.phase}-${randomBytes(4).toString('hex')}`,
  };
}

async function engineVersion(ch: ClickHouseClient): Promise<string> {
  const rs = await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  return (await rs.json<{ v: string }>())[0]?.v ?? 'unknown';
}

function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** (a) kafkajs consumer with the Ingester's fetch settings that only counts messages. */
async function phaseNoop(spec: ChildSpec): Promise<PhaseResult> {
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

/**
 * (b) The same events, straight from their serialized bytes (an NDJSON file per topic kind, in the page
 * cache) into ClickHouse: per chunk of INGEST_BATCH_SIZE messages, decodeEvent + toRow + rowLine (as
 * Ingester.writeChunk does), then one ClickHouseSink.write, at most one in flight while the next chunk
 * is decoded. Timed: reading the lines + decode + toRow + rowLine + insert, all of it, until the last
 * insert returned. Reported as well: the main-thread time of read + decode + toRow + rowLine, the sum of
 * the insert durations, and how long the loop waited for an insert to finish.
 */
async function phaseBulk(spec: ChildSpec): Promise<PhaseResult> {
  const { createClickHouse } = await import('../infra/clickhouse.ts');
  const { createPipelineMetrics } = await import('../infra/metrics.ts');
  const { decodeEvent } = await import('../ingest/events.ts');
  const { toRow } = await import('../ingest/rows.ts');
  const { ClickHouseSink, rowLine } = await import('../ingest/sink.ts');
  const { migrate } = await import('../transforms/migrate.ts');
  const cfg = loadConfig(childEnv(spec));
  const ch = createClickHouse(cfg.clickhouse);
  await migrate(ch, DATABASE);
  const version = await engineVersion(ch);
  const sink = new ClickHouseSink(ch, DATABASE, createPipelineMetrics());
  const size = cfg.ingest.batchSize;
  const topics = {
    interactions: 'bench.interactions',
    surveys: 'bench.surveys',
    customers: 'bench.customers',
  };
  let decodeMs = 0;
  let insertMs = 0;
  let waitMs = 0;
  let inserts = 0;
  let n = 0;
  let invalid = 0;
  // One insert in flight while the next chunk is decoded (as the Ingester overlaps its partitions).
  let inFlight: Promise<void> | undefined;
  const submit = async (kind: EventTopicKind, rows: string[]) => {
    if (inFlight) {
      const t = performance.now();
      await inFlight;
      waitMs += performance.now() - t;
    }
    const t0 = performance.now();
    inFlight = sink.write({ rows: { [kind]: rows }, dlq: [] }).then(() => {
      insertMs += performance.now() - t0;
      inserts++;
    });
  };
  const w = await startWindow(spec);
  for (const kind of KINDS) {
    const topic = topics[kind];
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
  if (inFlight) {
    const t = performance.now();
    await inFlight;
    waitMs += performance.now() - t;
  }
  const res = w.finish('b', n, {
    engineVersion: version,
    inserts,
    invalid,
    readDecodeToRowSeconds: decodeMs / 1000,
    insertSeconds: insertMs / 1000,
    waitForInsertSeconds: waitMs / 1000,
    batchSize: size,
  });
  await w.stopProfile?.();
  res.detail['memory'] = await memoryBreakdown(ch);
  res.detail['stored'] = await storedCount(ch);
  await ch.close();
  return res;
}

/** Where the memory is at the end of a window: V8 (heap, external) and chDB's own accounting. */
async function memoryBreakdown(ch: ClickHouseClient | undefined): Promise<Record<string, number>> {
  const mib = (b: number) => Math.round(b / 2 ** 20);
  const m = process.memoryUsage();
  const out: Record<string, number> = {
    rssMiB: mib(m.rss),
    v8HeapTotalMiB: mib(m.heapTotal),
    v8HeapUsedMiB: mib(m.heapUsed),
    externalMiB: mib(m.external),
  };
  if (!ch) return out;
  try {
    const rs = await ch.query({
      // chDB has no system.asynchronous_metrics; MemoryTracking is what its allocations add up to now
      query: `SELECT metric, value FROM system.metrics WHERE metric = 'MemoryTracking'`,
      format: 'JSONEachRow',
    });
    for (const r of await rs.json<{ metric: string; value: number | string }>()) {
      out[`chdb ${r.metric} MiB`] = mib(Number(r.value));
    }
  } catch {
    /* not available */
  }
  return out;
}

async function storedCount(ch: ClickHouseClient): Promise<{ rows: number; distinct: number; dlq: number }> {
  const rs = await ch.query({
    query: `SELECT
      (SELECT count() FROM ${DATABASE}.interaction_events) + (SELECT count() FROM ${DATABASE}.survey_events)
        + (SELECT count() FROM ${DATABASE}.customer_events) AS rows,
      (SELECT uniqExact(event_id) FROM ${DATABASE}.interaction_events)
        + (SELECT uniqExact(event_id) FROM ${DATABASE}.survey_events)
        + (SELECT uniqExact(event_id) FROM ${DATABASE}.customer_events) AS distinct,
      (SELECT count() FROM ${DATABASE}.dlq) AS dlq`,
    format: 'JSONEachRow',
  });
  const r = (await rs.json<{ rows: string; distinct: string; dlq: string }>())[0];
  return { rows: Number(r?.rows ?? 0), distinct: Number(r?.distinct ?? 0), dlq: Number(r?.dlq ?? 0) };
}

/**
 * (c) The real Ingester, wired as `cxpulse` wires it (Runtime), on a fresh group and a fresh chDB dir.
 * Setup (chDB start, migrations, Kafka topics/producer) is done first and not timed; the clock starts
 * when `startIngester()` returns (the group is joined, fetching starts) and stops when the
 * `eventsIngested` counter (incremented after each chunk's ClickHouse insert returned) reaches N. The
 * stored rows are counted afterwards.
 */
async function phaseEndToEnd(spec: ChildSpec): Promise<PhaseResult> {
  const { Runtime } = await import('../cli/runtime.ts');
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

async function runChild(phase: Phase): Promise<void> {
  const spec = JSON.parse(process.env['BENCH_SPEC'] ?? '{}') as ChildSpec;
  const run = { a: phaseNoop, b: phaseBulk, c: phaseEndToEnd }[phase];
  const result = await run(spec);
  await new Promise<void>((resolve, reject) =>
    process.send!({ type: 'result', result }, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

// =========================================================================================================
// parent side

interface Args {
  events: number;
  partitions: number;
  phases: Phase[];
  cpuProf: Phase[];
  keep: boolean;
  timeoutMs: number;
  seed: number;
  nodeArgs: string[];
  consumerOverrides?: Record<string, unknown>;
  runOverrides?: Record<string, unknown>;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    events: 1_000_000,
    partitions: 6,
    phases: ['a', 'b', 'c'],
    cpuProf: [],
    keep: false,
    timeoutMs: 300_000,
    seed: 42,
    nodeArgs: [],
  };
  const phases = (s: string): Phase[] => {
    const out = s.split(',').map((x) => x.trim().replace(/[()]/g, '')) as Phase[];
    for (const p of out) if (!['a', 'b', 'c'].includes(p)) throw new Error(`unknown phase ${p} (a, b, c)`);
    return out;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const num = () => {
      const x = Number(v().replaceAll('_', ''));
      if (!Number.isInteger(x) || x <= 0) throw new Error(`${k} needs a positive integer`);
      return x;
    };
    if (k === '--events') a.events = num();
    else if (k === '--partitions') a.partitions = num();
    else if (k === '--phases') a.phases = phases(v());
    else if (k === '--cpu-prof') a.cpuProf = phases(v());
    else if (k === '--timeout-s') a.timeoutMs = num() * 1000;
    else if (k === '--seed') a.seed = num();
    else if (k === '--keep') a.keep = true;
    else if (k === '--experiment-consumer') a.consumerOverrides = JSON.parse(v()) as Record<string, unknown>;
    else if (k === '--experiment-run') a.runOverrides = JSON.parse(v()) as Record<string, unknown>;
    else if (k === '--node-args') a.nodeArgs = v().split(/\s+/).filter(Boolean);
    else if (k === '--help' || k === '-h') {
      console.log(
        'npm run bench:ingest -- [--events N=1000000] [--partitions P=6] [--phases a,b,c] [--cpu-prof c] ' +
          '[--timeout-s 300] [--seed 42] [--node-args "--max-semi-space-size=64"] [--keep] ' +
          `[--experiment-consumer '{"maxBytes":33554432}'] [--experiment-run '{"partitionsConsumedConcurrently":6}']`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

interface ProduceStats {
  events: number;
  bytes: number;
  seconds: number;
  generateSeconds: number;
  byKind: Record<EventTopicKind, number>;
  customers: number;
  days: number;
}

/**
 * Setup: the first N events of generateSample to the event topics (key and value as sample/stream.ts
 * makes them) in batches of 10,000 messages, several sends in flight; the same bytes to one NDJSON file
 * per topic kind for phase (b).
 */
async function produce(
  producer: Producer,
  topics: Topics,
  events: number,
  seed: number,
  dataDir: string,
): Promise<{ stats: ProduceStats; ndjson: Record<EventTopicKind, string> }> {
  const { messageKey, topicOf } = await import('../ingest/events.ts');
  const { estimateSampleSize, generateSample } = await import('../sample/index.ts');
  const days = 120;
  const perCustomer = estimateSampleSize({ seed, customers: 10_000, days }) / 10_000;
  const customers = Math.ceil((events / perCustomer) * 1.15);
  const ndjson = Object.fromEntries(KINDS.map((k) => [k, path.join(dataDir, `${k}.ndjson`)])) as Record<
    EventTopicKind,
    string
  >;
  const fds = Object.fromEntries(KINDS.map((k) => [k, fs.openSync(ndjson[k], 'w')])) as Record<
    EventTopicKind,
    number
  >;
  const pending = Object.fromEntries(KINDS.map((k) => [k, [] as { key: string; value: string }[]])) as Record<
    EventTopicKind,
    { key: string; value: string }[]
  >;
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

function runPhase(spec: ChildSpec): Promise<PhaseResult> {
  const execArgv = ['--import', import.meta.resolve('tsx'), ...(spec.nodeArgs ?? [])];
  const child = fork(SELF, ['--child', spec.phase], {
    cwd: ROOT,
    execArgv,
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', BENCH_SPEC: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<PhaseResult>((resolve, reject) => {
    let result: PhaseResult | undefined;
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phase ${spec.phase}: child did not finish within ${spec.timeoutMs + 120_000} ms`));
    }, spec.timeoutMs + 120_000);
    child.on('message', (m: { type: string; result: PhaseResult }) => {
      if (m?.type === 'result') result = m.result;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      if (result && code === 0) resolve(result);
      else
        reject(
          new Error(
            `phase ${spec.phase}: child exited with ${signal ?? code} ${result ? '' : 'without a result'}`,
          ),
        );
    });
  });
}

const fmt = (x: number, d = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

function markdown(r: Report): string {
  const lines: string[] = [];
  lines.push(`### Ingest benchmark, ${r.startedAt}`, '');
  lines.push(
    `Machine: ${r.machine['cpu']}, ${r.machine['cores']} cores, ${r.machine['ramGiB']} GiB RAM, ${r.machine['os']}; ` +
      `Node ${r.machine['node']}; Kafka ${r.kafka.version} (${r.kafka.where}, ${r.kafka.partitions} partitions per event topic); ` +
      `chDB engine ${r.engineVersion}. Background load before the run: ${fmt(r.backgroundCores, 2)} cores busy.`,
    '',
  );
  lines.push(
    `Setup (not measured): ${fmt(r.produce.events)} sample events (${fmt(r.produce.bytes / 2 ** 20, 1)} MiB of JSON, ` +
      `${fmt(r.produce.byKind.interactions)} interactions / ${fmt(r.produce.byKind.surveys)} surveys / ` +
      `${fmt(r.produce.byKind.customers)} customers) produced in ${fmt(r.produce.seconds, 1)} s ` +
      `(${fmt(r.produce.events / r.produce.seconds)} events/s including generation, ${fmt(r.produce.generateSeconds, 1)} s of it generating).`,
    '',
  );
  if (r.experiments.consumer || r.experiments.run) {
    lines.push(
      `**EXPERIMENT** — phase (c) ran with the Ingester's kafkajs options overridden: consumer ` +
        `\`${JSON.stringify(r.experiments.consumer ?? {})}\`, run \`${JSON.stringify(r.experiments.run ?? {})}\`.`,
      '',
    );
  }
  if (r.nodeArgs.length > 0) lines.push(`Child Node flags: \`${r.nodeArgs.join(' ')}\`.`, '');
  lines.push(
    `Settings: INGEST_BATCH_SIZE=${r.settings.batchSize}, INGEST_FLUSH_MS=${r.settings.flushMs}, ` +
      `INGEST_MAX_BYTES_PER_PARTITION=${r.settings.maxBytesPerPartition}.`,
    '',
  );
  lines.push('| phase | events | seconds | events/s | CPU µs/event | peak RSS MiB |');
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const p of r.phases) {
    lines.push(
      `| ${PHASE_NAMES[p.phase]} | ${fmt(p.events)} | ${fmt(p.seconds, 2)} | ${fmt(p.eventsPerSec)} | ` +
        `${fmt(p.cpuUsPerEvent, 1)} | ${fmt(p.peakRssMiB)} |`,
    );
  }
  lines.push('');
  for (const p of r.phases) {
    const t = Object.entries((p.detail['threadCpuSeconds'] ?? {}) as Record<string, number>)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
    const d = p.detail as { machineBusyCores?: number; brokerCpuSeconds?: number; otherCores?: number };
    lines.push(
      `(${p.phase}): machine busy ${fmt(d.machineBusyCores ?? 0, 2)} of ${r.machine['cores']} cores = ` +
        `this process ${fmt(p.cpuUs / 1e6 / p.seconds, 2)} + broker ${fmt((d.brokerCpuSeconds ?? 0) / p.seconds, 2)} + ` +
        `other ${fmt(d.otherCores ?? 0, 2)}` +
        (t ? `; CPU s by thread: ${t}` : '') +
        '.  ',
    );
    const mem = p.detail['memory'] as Record<string, number> | undefined;
    if (mem) {
      lines.push(
        `(${p.phase}) memory at the end of the window (MiB): ` +
          Object.entries(mem)
            .map(([k, v]) => `${k.replace(/MiB$/, '').replace(/ MiB$/, '').trim()} ${fmt(v)}`)
            .join(', ') +
          '.  ',
      );
    }
  }
  const by = (ph: Phase) => r.phases.find((p) => p.phase === ph);
  const a = by('a');
  const b = by('b');
  const c = by('c');
  if (b) {
    const d = b.detail as {
      readDecodeToRowSeconds: number;
      insertSeconds: number;
      waitForInsertSeconds: number;
    };
    lines.push(
      `(b) split: read + decodeEvent + toRow + rowLine ${fmt(d.readDecodeToRowSeconds, 2)} s on the main thread; ` +
        `ClickHouseSink.write ${fmt(d.insertSeconds, 2)} s in all (overlapping the decoding), of which the loop ` +
        `waited ${fmt(d.waitForInsertSeconds, 2)} s.`,
    );
  }
  if (a && b && c) {
    const slower = Math.min(a.eventsPerSec, b.eventsPerSec);
    lines.push(
      `Ratio (c) / min((a), (b)) = ${fmt(c.eventsPerSec)} / ${fmt(slower)} = **${fmt((100 * c.eventsPerSec) / slower, 1)} %** ` +
        `(c)/(a) = ${fmt((100 * c.eventsPerSec) / a.eventsPerSec, 1)} %, (c)/(b) = ${fmt((100 * c.eventsPerSec) / b.eventsPerSec, 1)} %.`,
    );
    lines.push(
      `Aims: ≥ 75 % of the slower of (a) and (b): ${c.eventsPerSec >= 0.75 * slower ? 'met' : 'NOT met'}; ` +
        `≥ 60,000 events/s: ${c.eventsPerSec >= 60_000 ? 'met' : 'NOT met'}; ` +
        `ingester RSS ≤ 512 MiB: ${c.peakRssMiB <= 512 ? 'met' : 'NOT met'}.`,
    );
  }
  lines.push('', `Whole benchmark run: ${fmt(r.totalSeconds, 0)} s.`, '');
  return lines.join('\n');
}

interface Report {
  startedAt: string;
  totalSeconds: number;
  machine: Record<string, string | number>;
  /** cores busy on the machine in the 3 s before the benchmark started (other work on a shared machine) */
  backgroundCores: number;
  kafka: { version: string; where: string; partitions: number };
  engineVersion: string;
  nodeArgs: string[];
  experiments: { consumer?: Record<string, unknown>; run?: Record<string, unknown> };
  settings: Config['ingest'];
  produce: ProduceStats;
  phases: PhaseResult[];
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { startLocalBroker, stopLocalBroker } = await import('../infra/kafka/broker.ts');
  const { freePort } = await import('../test/helpers/ports.ts');
  const started = new Date();
  const t0 = performance.now();
  const idle0 = machineCpu();
  await new Promise((r) => setTimeout(r, 3000));
  const idle1 = machineCpu();
  const backgroundCores =
    (idle1.busy - idle0.busy) / ((idle1.total - idle0.total) / os.availableParallelism());
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-bench-'));
  const baseCfg = loadConfig({ ...process.env, CXPULSE_DATA_DIR: tmp });
  let broker: LocalBrokerOptions | undefined;
  const cleanup = async () => {
    if (broker) await stopLocalBroker(broker).catch((e) => console.error('stopping the broker:', e));
    broker = undefined;
    if (!args.keep) await fsp.rm(tmp, { recursive: true, force: true });
    else console.error(`kept ${tmp}`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    let brokers = baseCfg.kafka.brokers;
    let brokerPid: number | undefined;
    if (!brokers) {
      broker = {
        ...baseCfg.kafka.local,
        port: await freePort(),
        controllerPort: await freePort(),
        dir: path.join(tmp, 'kafka'),
        defaultPartitions: args.partitions,
      };
      process.stderr.write(`starting Kafka ${broker.version} on 127.0.0.1:${broker.port} in ${broker.dir}\n`);
      const started = await startLocalBroker(broker);
      brokers = started.brokers;
      brokerPid = started.pid;
    }
    const topicPrefix = `bench-${randomBytes(4).toString('hex')}.`;
    const cfg = loadConfig({
      ...process.env,
      CXPULSE_DATA_DIR: tmp,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: topicPrefix,
      KAFKA_PARTITIONS: String(args.partitions),
    });
    const kafka = createKafka(cfg.kafka, '-bench');
    const topics = await ensureTopics(kafka, cfg.kafka);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const dataDir = path.join(tmp, 'data');
    await fsp.mkdir(dataDir, { recursive: true });
    process.stderr.write(`producing ${args.events} events to ${topicPrefix}cx.* …\n`);
    const { stats, ndjson } = await produce(producer, topics, args.events, args.seed, dataDir);
    await producer.disconnect();
    process.stderr.write(`produced ${stats.events} events in ${stats.seconds.toFixed(1)} s\n`);

    const cpuProfDir = path.join(RESULTS_DIR, 'profiles');
    const phases: PhaseResult[] = [];
    for (const phase of args.phases) {
      await new Promise((r) => setTimeout(r, 2000)); // let the broker settle between phases
      process.stderr.write(`phase ${PHASE_NAMES[phase]} …\n`);
      const dir = path.join(tmp, `phase-${phase}`);
      await fsp.mkdir(dir, { recursive: true });
      const res = await runPhase({
        phase,
        events: stats.events,
        brokers,
        topicPrefix,
        dir,
        ndjson,
        timeoutMs: args.timeoutMs,
        nodeArgs: args.nodeArgs,
        ...(args.consumerOverrides ? { consumerOverrides: args.consumerOverrides } : {}),
        ...(args.runOverrides ? { runOverrides: args.runOverrides } : {}),
        ...(brokerPid ? { brokerPid } : {}),
        ...(args.cpuProf.includes(phase)
          ? { cpuProfile: path.join(cpuProfDir, `phase-${phase}.cpuprofile`) }
          : {}),
      });
      process.stderr.write(
        `  ${fmt(res.eventsPerSec)} events/s, ${fmt(res.cpuUsPerEvent, 1)} CPU µs/event, ${fmt(res.peakRssMiB)} MiB peak RSS\n`,
      );
      phases.push(res);
      await fsp.rm(dir, { recursive: true, force: true });
    }
    const engine = phases.map((p) => p.detail['engineVersion']).find((v) => typeof v === 'string') as
      string | undefined;
    const report: Report = {
      startedAt: started.toISOString(),
      totalSeconds: 0,
      machine: await machine(),
      backgroundCores,
      kafka: {
        version: broker ? broker.version : 'external (KAFKA_BROKERS)',
        where: broker ? 'local broker on the same machine' : brokers.join(','),
        partitions: args.partitions,
      },
      engineVersion: engine ?? 'unknown',
      nodeArgs: args.nodeArgs,
      experiments: { consumer: args.consumerOverrides, run: args.runOverrides },
      settings: cfg.ingest,
      produce: stats,
      phases,
    };
    await cleanup();
    report.totalSeconds = (performance.now() - t0) / 1000;
    const md = markdown(report);
    await fsp.mkdir(RESULTS_DIR, { recursive: true });
    const stamp = started
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z');
    await fsp.writeFile(
      path.join(RESULTS_DIR, `ingest-${stamp}.json`),
      JSON.stringify(report, null, 2) + '\n',
    );
    await fsp.writeFile(path.join(RESULTS_DIR, 'ingest-latest.md'), md);
    console.log(md);
  } finally {
    await cleanup();
  }
}

const childIdx = process.argv.indexOf('--child');
if (childIdx >= 0) {
  runChild(process.argv[childIdx + 1] as Phase).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
