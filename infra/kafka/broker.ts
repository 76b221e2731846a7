/**
 * The local Apache Kafka broker: one node in KRaft mode (broker + controller in one JVM), started, stopped
 * and asked for its status here. Its pieces, one file each beside this one: the state directory, pid file
 * and locks (state.ts), the Java check (java.ts), the jars from Maven Central (jars.ts, pom.xml), the
 * files it runs with (properties.ts), its storage format (storage.ts), its ports (ports.ts), and its
 * process with the watchdog that stops it when this process dies (process.ts, watchdog.mjs).
 *
 * Production uses an existing cluster (`KAFKA_BROKERS`) and never reaches this file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { checkJava, defaultJavaBin } from './java.ts';
import { ensureJars, type KafkaJars } from './jars.ts';
import { answersKafka, assertPortsFree, HOST, portOpen } from './ports.ts';
import { killAndWait, release, sleep, tieToThisProcess, writeAtomic } from './process.ts';
import { jvmArgs, log4jProperties, serverProperties } from './properties.ts';
import {
  defaultProjectRoot,
  isOurBroker,
  logTail,
  readPid,
  statePaths,
  withLock,
  type StatePaths,
} from './state.ts';
import { formatStorage } from './storage.ts';

// The CLI's `kafka fetch` reaches the jars through this module.
export { fetchKafkaJars } from './jars.ts';

export interface LocalBrokerOptions {
  version: string;
  port: number;
  controllerPort: number;
  heapMb: number;
  /** state dir: data/, server.properties, broker.log, broker.pid */
  dir: string;
  /** project root holding infra/kafka/pom.xml and .cache/ (default: resolved from this file's location) */
  projectRoot?: string;
  /**
   * true: the broker outlives this process (stop it with {@link stopLocalBroker}).
   * false (default): the broker is stopped when this process exits — normally, on a signal, or even when
   * it is killed (a small watchdog process notices the closed pipe).
   */
  detached?: boolean;
  /** java executable (default `$JAVA_HOME/bin/java` when that exists, else `java` on PATH) */
  javaBin?: string;
  /** mvn executable, used only while the jars are missing (default `mvn` on PATH) */
  mvnBin?: string;
  /** how long the broker may take to answer Kafka requests (default 60 s) */
  startTimeoutMs?: number;
  /** num.partitions of topics created without an explicit count (default 6, as KAFKA_PARTITIONS) */
  defaultPartitions?: number;
}

type Started = { brokers: string[]; pid: number; alreadyRunning: boolean };

const log = logger('kafka-broker');

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;

function brokersOf(opts: Pick<LocalBrokerOptions, 'port'>): string[] {
  return [`${HOST}:${opts.port}`];
}

/**
 * Start the local broker (fetching its jars and formatting its storage the first time) and wait until it
 * answers Kafka requests. Returns at once with `alreadyRunning: true` when the broker of this dir is up.
 */
export async function startLocalBroker(opts: LocalBrokerOptions): Promise<Started> {
  const javaBin = opts.javaBin ?? defaultJavaBin();
  await checkJava(javaBin);
  const p = statePaths(opts.dir);
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  await fsp.mkdir(p.dir, { recursive: true });
  return withLock(
    p.startLock,
    `the start of the local Kafka broker in ${p.dir}`,
    timeoutMs + 15 * 60_000,
    () => startLocked(opts, p, javaBin, timeoutMs),
  );
}

async function startLocked(
  opts: LocalBrokerOptions,
  p: StatePaths,
  javaBin: string,
  timeoutMs: number,
): Promise<Started> {
  const running = await reuseRunning(opts, p, timeoutMs);
  if (running) return running;
  await assertPortsFree(opts);

  const jars = await ensureJars(opts.version, opts.projectRoot ?? defaultProjectRoot(), opts.mvnBin ?? 'mvn');
  await writeAtomic(p.serverProperties, serverProperties(opts, p));
  await writeAtomic(p.log4j, log4jProperties(p));
  await formatStorage(p, javaBin, jars.classpath);

  const started = Date.now();
  const { pid, exited } = await spawnBroker(opts, p, javaBin, jars);
  const brokers = brokersOf(opts);
  const deadline = started + timeoutMs;
  for (;;) {
    if (exited()) break;
    if (await answersKafka(brokers)) {
      const ms = Date.now() - started;
      log.info({ event_name: 'kafka_broker_started', pid, brokers, ms }, `local Kafka broker up in ${ms} ms`);
      return { brokers, pid, alreadyRunning: false };
    }
    if (exited() || Date.now() > deadline) break;
    await sleep(250);
  }
  if (!exited()) {
    // Timed out: do not leave a half-started broker behind.
    await killAndWait(pid, STOP_GRACE_MS / 4);
  }
  release(p.dir);
  await fsp.rm(p.pid, { force: true });
  const gone = exited();
  const why = gone ? `exited early (${gone})` : `did not answer on ${brokers[0]} within ${timeoutMs} ms`;
  throw new CxError(
    'broker_start_failed',
    `the local Kafka broker ${why}; ${p.log} ends with:\n${await logTail(p)}`,
    {
      retriable: !gone,
    },
  );
}

/**
 * The broker of this state dir when it already runs (on the asked ports, answering within the timeout);
 * undefined when none runs (a stale pid file is removed).
 */
async function reuseRunning(
  opts: LocalBrokerOptions,
  p: StatePaths,
  timeoutMs: number,
): Promise<Started | undefined> {
  const brokers = brokersOf(opts);
  const existing = await readPid(p);
  if (existing === undefined) return undefined;
  if (!(await isOurBroker(existing, p))) {
    await fsp.rm(p.pid, { force: true }); // stale
    return undefined;
  }
  // server.properties is rewritten only when a broker starts, so it holds the running broker's ports.
  const running = await fsp.readFile(p.serverProperties, 'utf8').catch(() => '');
  const listeners = /^listeners=(.*)$/m.exec(running)?.[1]?.trim();
  const wanted = `PLAINTEXT://${HOST}:${opts.port},CONTROLLER://${HOST}:${opts.controllerPort}`;
  if (listeners && listeners !== wanted) {
    throw new CxError(
      'broker_start_failed',
      `the local Kafka broker of ${p.dir} (pid ${existing}) is running with listeners ${listeners}, but ` +
        `KAFKA_LOCAL_PORT / KAFKA_LOCAL_CONTROLLER_PORT now ask for ${opts.port} / ${opts.controllerPort}; ` +
        `stop it first (stopLocalBroker, or kill ${existing}) or use the ports it runs on`,
    );
  }
  if (await waitUntilAnswering(existing, brokers, timeoutMs, p)) {
    log.info(
      { event_name: 'kafka_broker_running', pid: existing, brokers },
      'local Kafka broker already running',
    );
    return { brokers, pid: existing, alreadyRunning: true };
  }
  throw new CxError(
    'broker_start_failed',
    `the local Kafka broker of ${p.dir} (pid ${existing}) is running but does not answer on ${brokers[0]} ` +
      `within ${timeoutMs} ms; stop it (stopLocalBroker, or kill ${existing}) and look at ${p.log}:\n${await logTail(p)}`,
  );
}

/**
 * Spawn the broker JVM (its output appended to broker.log), write its pid file and, unless detached, tie
 * it to this process. `exited()` says how it ended once it has.
 */
async function spawnBroker(
  opts: LocalBrokerOptions,
  p: StatePaths,
  javaBin: string,
  jars: KafkaJars,
): Promise<{ pid: number; exited: () => string | undefined }> {
  const brokers = brokersOf(opts);
  await fsp.appendFile(
    p.log,
    `\n=== cxpulse: starting Apache Kafka ${opts.version} on ${brokers[0]} at ${new Date().toISOString()} ===\n`,
  );
  const fd = fs.openSync(p.log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      javaBin,
      [...jvmArgs(p, opts.heapMb), '-cp', jars.classpath, 'kafka.Kafka', p.serverProperties],
      { cwd: p.dir, stdio: ['ignore', fd, fd], detached: true },
    );
  } finally {
    fs.closeSync(fd);
  }
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.on('error', (err) => {
    exited = `spawn error: ${err.message}`;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) {
    await sleep(50);
    throw new CxError('broker_start_failed', `cannot start ${javaBin}: ${exited ?? 'no pid'}`);
  }
  await writeAtomic(p.pid, `${pid}\n`);
  if (!opts.detached) tieToThisProcess(child, p.dir, p.serverProperties, STOP_GRACE_MS);
  log.info(
    {
      event_name: 'kafka_broker_start',
      pid,
      brokers,
      version: opts.version,
      dir: p.dir,
      detached: !!opts.detached,
    },
    'starting local Kafka broker',
  );
  return { pid, exited: () => exited };
}

async function waitUntilAnswering(
  pid: number,
  brokers: string[],
  timeoutMs: number,
  p: StatePaths,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let logged = false;
  for (;;) {
    if (await answersKafka(brokers)) return true;
    if (!(await isOurBroker(pid, p)) || Date.now() > deadline) return false;
    if (!logged) {
      log.info(
        { event_name: 'kafka_broker_wait', pid, brokers },
        'local Kafka broker is running; waiting for it to answer',
      );
      logged = true;
    }
    await sleep(250);
  }
}

/** Stop the broker of `opts.dir` (SIGTERM, SIGKILL after ~20 s). Returns whether it was running. */
export async function stopLocalBroker(opts: LocalBrokerOptions): Promise<boolean> {
  const p = statePaths(opts.dir);
  const pid = await readPid(p);
  if (pid === undefined || !(await isOurBroker(pid, p))) {
    await fsp.rm(p.pid, { force: true });
    release(p.dir);
    return false;
  }
  const started = Date.now();
  log.info({ event_name: 'kafka_broker_stop', pid, dir: p.dir }, 'stopping local Kafka broker');
  await killAndWait(pid, STOP_GRACE_MS);
  release(p.dir);
  await fsp.rm(p.pid, { force: true });
  log.info(
    { event_name: 'kafka_broker_stopped', pid, ms: Date.now() - started },
    'local Kafka broker stopped',
  );
  return true;
}

/**
 * `running`: the broker of `opts.dir` is alive and answers Kafka requests. `pid` is set whenever its
 * process is alive (also while it is still starting).
 */
export async function localBrokerStatus(
  opts: LocalBrokerOptions,
): Promise<{ running: boolean; pid?: number; brokers: string[] }> {
  const p = statePaths(opts.dir);
  const brokers = brokersOf(opts);
  const pid = await readPid(p);
  if (pid === undefined || !(await isOurBroker(pid, p))) return { running: false, brokers };
  return { running: await answersKafka(brokers), pid, brokers };
}

/** Exposed for tests and the CLI: whether anything accepts connections on the broker port. */
export function localBrokerPortOpen(opts: Pick<LocalBrokerOptions, 'port'>): Promise<boolean> {
  return portOpen(opts.port);
}
