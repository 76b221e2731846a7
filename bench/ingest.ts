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
 * method and bench/ingest/README.md for the parts; results go to bench/results/ingest-<timestamp>.json and
 * bench/results/ingest-latest.md.
 *
 *   npm run bench:ingest -- [--events N] [--partitions P] [--phases a,b,c] [--cpu-prof c] [--keep]
 *
 * Environment: KAFKA_BROKERS (use an existing cluster instead of starting a local broker), and the
 * INGEST_* keys of infra/config.ts (INGEST_BATCH_SIZE, INGEST_FLUSH_MS, INGEST_MAX_BYTES_PER_PARTITION),
 * which apply to all three phases. LOG_LEVEL defaults to `warn` in the children.
 */
import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { machine } from './common/machine.ts';
import { num as fmt } from './common/numbers.ts';
import { RESULTS_DIR, saveResults } from './common/results.ts';
import { loadConfig } from '../infra/config.ts';
import { createKafka, ensureTopics } from '../infra/kafka/client.ts';
import type { LocalBrokerOptions } from '../infra/kafka/broker.ts';
import { parseArgs, type Args } from './ingest/args.ts';
import { produce, type ProduceStats } from './ingest/produce.ts';
import { markdown, type Report } from './ingest/report.ts';
import { runPhase } from './ingest/run-phase.ts';
import { PHASE_NAMES, type PhaseResult } from './ingest/spec.ts';
import { machineCpu } from './ingest/window.ts';

// Only what every process needs is imported statically: each phase (bench/ingest/child.ts) imports its
// own modules, so the no-op consumer (a) does not load chDB (its native library alone is ~170 MiB of RSS)
// and the parent loads neither chDB nor the Ingester.

/** Cores busy on the machine over 3 s, before anything starts (other work on a shared machine). */
async function backgroundLoad(): Promise<number> {
  const idle0 = machineCpu();
  await new Promise((r) => setTimeout(r, 3000));
  const idle1 = machineCpu();
  return (idle1.busy - idle0.busy) / ((idle1.total - idle0.total) / os.availableParallelism());
}

/** The Kafka to use: KAFKA_BROKERS, or a local broker started on free ports in `tmp`. */
async function brokersFor(
  args: Args,
  tmp: string,
  started: (b: LocalBrokerOptions) => void,
): Promise<{ brokers: string[]; brokerPid?: number }> {
  const baseCfg = loadConfig({ ...process.env, CXPULSE_DATA_DIR: tmp });
  if (baseCfg.kafka.brokers) return { brokers: baseCfg.kafka.brokers };
  const { startLocalBroker } = await import('../infra/kafka/broker.ts');
  const { freePort } = await import('../test/helpers/ports.ts');
  const broker: LocalBrokerOptions = {
    ...baseCfg.kafka.local,
    port: await freePort(),
    controllerPort: await freePort(),
    dir: path.join(tmp, 'kafka'),
    defaultPartitions: args.partitions,
  };
  process.stderr.write(`starting Kafka ${broker.version} on 127.0.0.1:${broker.port} in ${broker.dir}\n`);
  started(broker);
  const up = await startLocalBroker(broker);
  return { brokers: up.brokers, brokerPid: up.pid };
}

/** Setup: fresh topics with a random prefix, the N events produced to them and written as NDJSON. */
async function setUp(args: Args, tmp: string, brokers: string[]) {
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
  return { cfg, topicPrefix, stats, ndjson };
}

/** The measured phases, one after the other, each in its own child process. */
async function runPhases(
  args: Args,
  tmp: string,
  kafka: { brokers: string[]; brokerPid?: number },
  setup: Awaited<ReturnType<typeof setUp>>,
): Promise<PhaseResult[]> {
  const cpuProfDir = path.join(RESULTS_DIR, 'profiles');
  const phases: PhaseResult[] = [];
  for (const phase of args.phases) {
    await new Promise((r) => setTimeout(r, 2000)); // let the broker settle between phases
    process.stderr.write(`phase ${PHASE_NAMES[phase]} …\n`);
    const dir = path.join(tmp, `phase-${phase}`);
    await fsp.mkdir(dir, { recursive: true });
    const res = await runPhase({
      phase,
      events: setup.stats.events,
      brokers: kafka.brokers,
      topicPrefix: setup.topicPrefix,
      dir,
      ndjson: setup.ndjson,
      timeoutMs: args.timeoutMs,
      nodeArgs: args.nodeArgs,
      ...(args.consumerOverrides ? { consumerOverrides: args.consumerOverrides } : {}),
      ...(args.runOverrides ? { runOverrides: args.runOverrides } : {}),
      ...(kafka.brokerPid ? { brokerPid: kafka.brokerPid } : {}),
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
  return phases;
}

/** The report of a run, without its total time. */
async function report(
  args: Args,
  run: { started: Date; backgroundCores: number; broker: LocalBrokerOptions | undefined; brokers: string[] },
  setup: { cfg: ReturnType<typeof loadConfig>; stats: ProduceStats },
  phases: PhaseResult[],
): Promise<Report> {
  const engine = phases.map((p) => p.detail['engineVersion']).find((v) => typeof v === 'string') as
    string | undefined;
  return {
    startedAt: run.started.toISOString(),
    totalSeconds: 0,
    machine: await machine(),
    backgroundCores: run.backgroundCores,
    kafka: {
      version: run.broker ? run.broker.version : 'external (KAFKA_BROKERS)',
      where: run.broker ? 'local broker on the same machine' : run.brokers.join(','),
      partitions: args.partitions,
    },
    engineVersion: engine ?? 'unknown',
    nodeArgs: args.nodeArgs,
    experiments: { consumer: args.consumerOverrides, run: args.runOverrides },
    settings: setup.cfg.ingest,
    produce: setup.stats,
    phases,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const t0 = performance.now();
  const backgroundCores = await backgroundLoad();
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'cxpulse-bench-'));
  let broker: LocalBrokerOptions | undefined;
  const cleanup = async () => {
    if (broker) {
      const { stopLocalBroker } = await import('../infra/kafka/broker.ts');
      await stopLocalBroker(broker).catch((e) => console.error('stopping the broker:', e));
    }
    broker = undefined;
    if (!args.keep) await fsp.rm(tmp, { recursive: true, force: true });
    else console.error(`kept ${tmp}`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const kafka = await brokersFor(args, tmp, (b) => (broker = b));
    const setup = await setUp(args, tmp, kafka.brokers);
    const phases = await runPhases(args, tmp, kafka, setup);
    const r = await report(args, { started, backgroundCores, broker, brokers: kafka.brokers }, setup, phases);
    await cleanup();
    r.totalSeconds = (performance.now() - t0) / 1000;
    const md = markdown(r);
    await saveResults('ingest', started, JSON.stringify(r, null, 2) + '\n', md);
    console.log(md);
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
