/**
 * A local Apache Kafka cluster of N KRaft nodes for tests of broker failure: each node is a broker and a
 * voter of the controller quorum in one JVM (a static quorum, `controller.quorum.voters`, every node's
 * storage formatted with the same cluster id), on free ports of 127.0.0.1, with the internal topics
 * replicated. The same jars, Java check, storage format and watchdog as the single local broker
 * (jars.ts, java.ts, storage.ts, process.ts). State under one directory, one sub-directory per node:
 *
 * ```
 * <dir>/node-<id>/   data/, server.properties, log4j2.properties, broker.log, cluster.id, broker.pid
 * ```
 *
 * Each node can be killed (SIGKILL), paused (SIGSTOP), resumed and restarted on its storage; `stop`
 * kills every node and never leaves a JVM behind (nor does the death of this process: the watchdog).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { ensureJars } from './jars.ts';
import { checkJava, defaultJavaBin } from './java.ts';
import { freePorts, HOST } from './ports.ts';
import { isAlive, signalGroup, sleep, tieToThisProcess, writeAtomic } from './process.ts';
import { jvmArgs, log4jProperties } from './properties.ts';
import { defaultProjectRoot, logTail, statePaths, type StatePaths } from './state.ts';
import { formatStorage, newClusterId } from './storage.ts';

export interface LocalClusterOptions {
  version: string;
  /** state dir, one sub-directory per node */
  dir: string;
  /** nodes, each broker + controller (default 3) */
  nodes?: number;
  /** Java heap of each node (default 448 MB) */
  heapMb?: number;
  /** num.partitions of topics created without an explicit count (default 6) */
  defaultPartitions?: number;
  /** how long the cluster may take to answer with every node registered (default 120 s) */
  startTimeoutMs?: number;
  projectRoot?: string;
  javaBin?: string;
  mvnBin?: string;
}

export interface ClusterNode {
  /** node.id, 1..N */
  id: number;
  /** host:port of its broker listener */
  broker: string;
  port: number;
  controllerPort: number;
  dir: string;
  /** pid of its JVM while it runs */
  pid: number | undefined;
}

export interface LocalCluster {
  /** host:port of every node (the bootstrap list) */
  brokers: string[];
  nodes: readonly ClusterNode[];
  /** SIGKILL the node (kill -9) and wait until its process is gone */
  kill(id: number): Promise<void>;
  /** SIGSTOP the node: alive, holding its connections, answering nothing */
  pause(id: number): void;
  /** SIGCONT a paused node */
  resume(id: number): void;
  /** Start a killed node again on its storage and ports; resolves when the cluster counts it again */
  restart(id: number): Promise<void>;
  /** Kill every node (always; also paused ones) and wait until every JVM is gone */
  stop(): Promise<void>;
}

const log = logger('kafka-cluster');
const WATCHDOG_GRACE_MS = 5000;

interface NodeState extends ClusterNode {
  paths: StatePaths;
  /** false from its spawn until its JVM has exited and been reaped */
  exited: boolean;
}

/** Start an N-node KRaft cluster (fetching the jars the first time) and wait until every node is registered. */
export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const javaBin = opts.javaBin ?? defaultJavaBin();
  await checkJava(javaBin);
  const count = opts.nodes ?? 3;
  if (!Number.isInteger(count) || count < 1) {
    throw new CxError('config_invalid', `a local Kafka cluster needs 1 node or more, not ${count}`);
  }
  const projectRoot = opts.projectRoot ?? defaultProjectRoot();
  const jars = await ensureJars(opts.version, projectRoot, opts.mvnBin ?? 'mvn');
  const ports = await freePorts(count * 2);
  const nodes: NodeState[] = Array.from({ length: count }, (_, i) => {
    const dir = path.join(path.resolve(opts.dir), `node-${i + 1}`);
    const port = ports[2 * i]!;
    return {
      id: i + 1,
      broker: `${HOST}:${port}`,
      port,
      controllerPort: ports[2 * i + 1]!,
      dir,
      pid: undefined,
      paths: statePaths(dir),
      exited: true,
    };
  });
  const clusterId = newClusterId();
  await Promise.all(
    nodes.map(async (n) => {
      await fsp.mkdir(n.dir, { recursive: true });
      await writeAtomic(n.paths.serverProperties, nodeProperties(n, nodes, opts.defaultPartitions ?? 6));
      await writeAtomic(n.paths.log4j, log4jProperties(n.paths));
      await writeAtomic(n.paths.clusterId, `${clusterId}\n`);
      await formatStorage(n.paths, javaBin, jars.classpath);
    }),
  );
  const launch = (n: NodeState) => spawnNode(n, javaBin, jars.classpath, opts.heapMb ?? 448, opts.version);
  const cluster = handle(nodes, launch, opts.startTimeoutMs ?? 120_000);
  const started = Date.now();
  try {
    nodes.forEach(launch);
    await waitForNodes(nodes, count, opts.startTimeoutMs ?? 120_000);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  log.info(
    {
      event_name: 'kafka_cluster_started',
      brokers: cluster.brokers,
      cluster_id: clusterId,
      ms: Date.now() - started,
    },
    `local Kafka cluster of ${count} nodes up`,
  );
  return cluster;
}

function handle(nodes: NodeState[], launch: (n: NodeState) => void, timeoutMs: number): LocalCluster {
  const byId = (id: number): NodeState => {
    const n = nodes.find((x) => x.id === id);
    if (!n) throw new CxError('internal', `no node ${id} in this cluster (1..${nodes.length})`);
    return n;
  };
  const signal = (id: number, sig: NodeJS.Signals) => {
    const n = byId(id);
    if (n.pid === undefined) throw new CxError('internal', `node ${id} is not running`);
    signalGroup(n.pid, sig);
    log.info({ event_name: 'kafka_node_signal', node: id, pid: n.pid, signal: sig }, `node ${id}: ${sig}`);
  };
  const kill = async (n: NodeState) => {
    if (n.pid === undefined) return;
    const pid = n.pid;
    signalGroup(pid, 'SIGCONT');
    signalGroup(pid, 'SIGKILL');
    // Wait for the exit event, not only the pid: a restart must not overlap the old process's release.
    const deadline = Date.now() + 15_000;
    while (!n.exited && Date.now() < deadline) await sleep(50);
    if (isAlive(pid)) throw new CxError('internal', `node ${n.id} (pid ${pid}) survived SIGKILL`);
    n.pid = undefined;
  };
  return {
    brokers: nodes.map((n) => n.broker),
    nodes,
    kill: async (id) => {
      const n = byId(id);
      log.info({ event_name: 'kafka_node_kill', node: id, pid: n.pid }, `node ${id}: SIGKILL`);
      await kill(n);
    },
    pause: (id) => signal(id, 'SIGSTOP'),
    resume: (id) => signal(id, 'SIGCONT'),
    restart: async (id) => {
      const n = byId(id);
      await kill(n);
      launch(n);
      await waitForNodes([n], nodes.length, timeoutMs, nodes);
    },
    stop: async () => {
      await Promise.all(nodes.map(kill));
      log.info({ event_name: 'kafka_cluster_stopped' }, 'local Kafka cluster stopped');
    },
  };
}

function spawnNode(n: NodeState, javaBin: string, classpath: string, heapMb: number, version: string): void {
  fs.appendFileSync(
    n.paths.log,
    `\n=== cxpulse: starting Apache Kafka ${version} node ${n.id} on ${n.broker} at ${new Date().toISOString()} ===\n`,
  );
  const fd = fs.openSync(n.paths.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      javaBin,
      [...jvmArgs(n.paths, heapMb), '-cp', classpath, 'kafka.Kafka', n.paths.serverProperties],
      { cwd: n.dir, stdio: ['ignore', fd, fd], detached: true },
    );
  } finally {
    fs.closeSync(fd);
  }
  n.exited = false;
  child.once('exit', () => (n.exited = true));
  child.once('error', () => (n.exited = true));
  child.unref();
  n.pid = child.pid;
  if (n.pid === undefined)
    throw new CxError('broker_start_failed', `cannot start ${javaBin} for node ${n.id}`);
  fs.writeFileSync(n.paths.pid, `${n.pid}\n`);
  tieToThisProcess(child, n.dir, n.paths.serverProperties, WATCHDOG_GRACE_MS);
  log.info(
    { event_name: 'kafka_node_start', node: n.id, pid: n.pid, broker: n.broker },
    `node ${n.id} starting`,
  );
}

/**
 * Wait until each of `waiting` answers on its own listener with a cluster of `size` registered brokers.
 * Fails early when one of them exits, with the end of its log.
 */
async function waitForNodes(
  waiting: NodeState[],
  size: number,
  timeoutMs: number,
  all: NodeState[] = waiting,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(waiting);
  while (pending.size > 0) {
    for (const n of [...pending]) {
      if (n.pid === undefined || !isAlive(n.pid)) {
        throw new CxError(
          'broker_start_failed',
          `Kafka node ${n.id} exited while starting; ${n.paths.log} ends with:\n${await logTail(n.paths)}`,
        );
      }
      if ((await registeredBrokers(n.broker)) >= size) pending.delete(n);
    }
    if (pending.size === 0) break;
    if (Date.now() > deadline) {
      const tails = await Promise.all(
        [...pending].map(async (n) => `node ${n.id}:\n${await logTail(n.paths, 15)}`),
      );
      throw new CxError(
        'broker_start_failed',
        `the local Kafka cluster (${all.map((n) => n.broker).join(',')}) did not count ${size} brokers within ` +
          `${timeoutMs} ms:\n${tails.join('\n')}`,
        { retriable: true },
      );
    }
    await sleep(500);
  }
}

/** Brokers the node at `broker` reports (DescribeCluster), 0 when it does not answer. */
async function registeredBrokers(broker: string): Promise<number> {
  const kafka = new Kafka({
    clientId: 'cxpulse-cluster-probe',
    brokers: [broker],
    connectionTimeout: 2000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: KafkaLogLevel.NOTHING,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function nodeProperties(n: NodeState, all: NodeState[], partitions: number): string {
  const rf = Math.min(3, all.length);
  const minIsr = rf >= 3 ? 2 : 1;
  return `# Written by cxpulse for a local test cluster of ${all.length} KRaft nodes (edits are overwritten).
process.roles=broker,controller
node.id=${n.id}
controller.quorum.voters=${all.map((x) => `${x.id}@${HOST}:${x.controllerPort}`).join(',')}
listeners=PLAINTEXT://${HOST}:${n.port},CONTROLLER://${HOST}:${n.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${n.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${n.paths.data}

auto.create.topics.enable=false
num.partitions=${partitions}
default.replication.factor=${rf}
min.insync.replicas=${minIsr}
unclean.leader.election.enable=false
log.segment.bytes=268435456

# Internal topics replicated like the event topics.
offsets.topic.replication.factor=${rf}
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=${rf}
transaction.state.log.min.isr=${minIsr}
share.coordinator.state.topic.replication.factor=${rf}
share.coordinator.state.topic.min.isr=${minIsr}
group.initial.rebalance.delay.ms=0

# Few threads: several JVMs share a small machine.
num.network.threads=2
num.io.threads=2
num.replica.fetchers=1
background.threads=2
`;
}
