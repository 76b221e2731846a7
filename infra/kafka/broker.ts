/**
 * The local Apache Kafka broker: one node in KRaft mode (broker + controller in one JVM), its jars fetched
 * from Maven Central with `infra/kafka/pom.xml` into the git-ignored `.cache/kafka/<version>/libs`, its
 * state in one directory:
 *
 * ```
 * <dir>/data/              log.dirs (formatted once; `meta.properties` marks it)
 * <dir>/cluster.id         the KRaft cluster id used by that format
 * <dir>/server.properties  rewritten from the options on every start
 * <dir>/log4j2.properties  broker logging → <dir>/broker.log (INFO, rolled at 50 MB)
 * <dir>/broker.log         broker log, plus the JVM's own stdout/stderr
 * <dir>/broker.pid         pid of the running broker
 * ```
 *
 * Production uses an existing cluster (`KAFKA_BROKERS`) and never reaches this file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel as KafkaLogLevel } from 'kafkajs';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import {
  commandLine,
  isAlive,
  killAndWait,
  release,
  run,
  sleep,
  tail,
  tieToThisProcess,
  writeAtomic,
} from './process.ts';

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

const log = logger('kafka-broker');

const DEFAULT_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 20_000;
const MIN_JAVA = 17;
const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------------------------------------
// paths

export function defaultProjectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export interface StatePaths {
  dir: string;
  data: string;
  serverProperties: string;
  log4j: string;
  log: string;
  pid: string;
  clusterId: string;
  startLock: string;
}

export function statePaths(dir: string): StatePaths {
  const d = path.resolve(dir);
  return {
    dir: d,
    data: path.join(d, 'data'),
    serverProperties: path.join(d, 'server.properties'),
    log4j: path.join(d, 'log4j2.properties'),
    log: path.join(d, 'broker.log'),
    pid: path.join(d, 'broker.pid'),
    clusterId: path.join(d, 'cluster.id'),
    startLock: path.join(d, 'start.lock'),
  };
}

function brokersOf(opts: Pick<LocalBrokerOptions, 'port'>): string[] {
  return [`${HOST}:${opts.port}`];
}

// ---------------------------------------------------------------------------------------------------------
// pid file and start lock

/** Whether `pid` is the broker of this state dir (guards against a reused pid). */
async function isOurBroker(pid: number, p: StatePaths): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const cmd = await commandLine(pid);
  return cmd !== undefined && cmd.includes('kafka.Kafka') && cmd.includes(p.serverProperties);
}

async function readPid(p: StatePaths): Promise<number | undefined> {
  try {
    const n = Number((await fsp.readFile(p.pid, 'utf8')).trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A cross-process lock: a file created exclusively, holding the owner's pid. A lock whose owner is gone
 * is taken over.
 */
async function withLock<T>(
  lockFile: string,
  what: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let waitLogged = false;
  for (;;) {
    try {
      await fsp.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let stale: boolean;
    try {
      const [text, st] = await Promise.all([fsp.readFile(lockFile, 'utf8'), fsp.stat(lockFile)]);
      const holder = Number(text.trim());
      stale = Number.isInteger(holder) && holder > 0 ? !isAlive(holder) : Date.now() - st.mtimeMs > 10_000;
    } catch {
      continue; // released meanwhile
    }
    if (stale) {
      await fsp.rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new CxError('broker_start_failed', `timed out waiting for ${what} (lock ${lockFile} is held)`, {
        retriable: true,
      });
    }
    if (!waitLogged) {
      log.info({ event_name: 'kafka_lock_wait', lock: lockFile }, `waiting for another process: ${what}`);
      waitLogged = true;
    }
    await sleep(250);
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockFile, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// dependencies

export function defaultJavaBin(): string {
  const home = process.env['JAVA_HOME'];
  if (home) {
    const bin = path.join(home, 'bin', 'java');
    if (fs.existsSync(bin)) return bin;
  }
  return 'java';
}

const INSTALL_JAVA = 'apt-get install openjdk-17-jre-headless (or set JAVA_HOME)';
const USE_CLUSTER = 'or set KAFKA_BROKERS to use an existing Kafka cluster';

/**
 * `java -version` → the major version; throws dependency_missing when absent or older than 17. Not cached:
 * it takes a few tens of milliseconds and Java may be installed meanwhile.
 */
export async function checkJava(javaBin: string = defaultJavaBin()): Promise<number> {
  const r = await run(javaBin, ['-version'], 30_000);
  if (r.error) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin}\` could not be run (${r.error.code}): ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  const out = `${r.stderr}\n${r.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(out);
  if (r.code !== 0 || !m) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin} -version\` failed: ${tail(out, 5)}; ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  const major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
  if (major < MIN_JAVA) {
    throw new CxError(
      'dependency_missing',
      `Java ${MIN_JAVA}+ is required for the local Kafka broker, but \`${javaBin}\` is Java ${major}: ` +
        `${INSTALL_JAVA}, ${USE_CLUSTER}`,
    );
  }
  return major;
}

async function checkMaven(mvnBin: string, version: string, libsDir: string): Promise<void> {
  const r = await run(mvnBin, ['-v'], 60_000);
  if (r.error || r.code !== 0) {
    const why = r.error
      ? `could not be run (${r.error.code})`
      : `failed: ${tail(`${r.stdout}${r.stderr}`, 5)}`;
    throw new CxError(
      'dependency_missing',
      `Maven is required once to fetch Apache Kafka ${version} from Maven Central into ${libsDir}, but \`${mvnBin}\` ${why}: ` +
        `apt-get install maven, ${USE_CLUSTER}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// jars

interface JarsMarker {
  version: string;
  /** sha256 of pom.xml the jars were resolved with: a changed pom fetches again */
  pomSha256: string;
  jars: string[];
  fetchedAt: string;
}

export interface KafkaJars {
  libsDir: string;
  /** exactly the jars of the last successful fetch (stale extras in libsDir are not on it) */
  classpath: string;
}

function jarPaths(version: string, projectRoot: string) {
  const versionDir = path.join(projectRoot, '.cache', 'kafka', version);
  return {
    pom: path.join(projectRoot, 'infra', 'kafka', 'pom.xml'),
    versionDir,
    libsDir: path.join(versionDir, 'libs'),
    marker: path.join(versionDir, 'libs.json'),
    lock: path.join(versionDir, 'fetch.lock'),
  };
}

async function completeJars(version: string, projectRoot: string): Promise<KafkaJars | undefined> {
  const jp = jarPaths(version, projectRoot);
  let marker: JarsMarker;
  let pomSha: string;
  try {
    marker = JSON.parse(await fsp.readFile(jp.marker, 'utf8')) as JarsMarker;
    pomSha = createHash('sha256')
      .update(await fsp.readFile(jp.pom))
      .digest('hex');
  } catch {
    return undefined;
  }
  if (marker.version !== version || marker.pomSha256 !== pomSha || !Array.isArray(marker.jars))
    return undefined;
  if (!marker.jars.some((j) => j.startsWith('kafka_2.13-'))) return undefined;
  const jars = marker.jars.map((j) => path.join(jp.libsDir, j));
  for (const j of jars) if (!fs.existsSync(j)) return undefined;
  return { libsDir: jp.libsDir, classpath: jars.join(path.delimiter) };
}

/**
 * Fetch the Apache Kafka broker jars of `version` (and their dependencies) from Maven Central into
 * `<projectRoot>/.cache/kafka/<version>/libs`. Idempotent: a complete fetch (marker `libs.json`, written
 * last, matching the current pom.xml) is not repeated. Safe to call from several processes at once.
 */
export async function fetchKafkaJars(
  version: string,
  projectRoot: string = defaultProjectRoot(),
  opts: { mvnBin?: string } = {},
): Promise<string> {
  return (await ensureJars(version, projectRoot, opts.mvnBin ?? 'mvn')).libsDir;
}

export async function ensureJars(version: string, projectRoot: string, mvnBin: string): Promise<KafkaJars> {
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new CxError(
      'config_invalid',
      `KAFKA_VERSION=${JSON.stringify(version)} is invalid: must be like 4.4.0`,
    );
  }
  const done = await completeJars(version, projectRoot);
  if (done) {
    log.debug(
      { event_name: 'kafka_fetch', phase: 'cached', version, libs_dir: done.libsDir },
      'Kafka jars cached',
    );
    return done;
  }
  const jp = jarPaths(version, projectRoot);
  await checkMaven(mvnBin, version, jp.libsDir);
  if (!fs.existsSync(jp.pom)) {
    throw new CxError('dependency_missing', `cannot fetch Apache Kafka ${version}: ${jp.pom} is missing`);
  }
  await fsp.mkdir(jp.versionDir, { recursive: true });
  return withLock(jp.lock, `the fetch of Apache Kafka ${version}`, 15 * 60_000, async () => {
    const again = await completeJars(version, projectRoot); // another process may have finished meanwhile
    if (again) return again;
    await runMavenFetch(version, mvnBin, jp);
    const fetched = await completeJars(version, projectRoot);
    if (!fetched) throw new CxError('internal', `Kafka jars of ${version} incomplete right after a fetch`);
    return fetched;
  });
}

async function runMavenFetch(
  version: string,
  mvnBin: string,
  jp: ReturnType<typeof jarPaths>,
): Promise<void> {
  const started = Date.now();
  const staging = path.join(jp.versionDir, `libs.staging-${process.pid}`);
  await fsp.rm(staging, { recursive: true, force: true });
  const pomBytes = await fsp.readFile(jp.pom);
  log.info(
    { event_name: 'kafka_fetch', phase: 'start', version, libs_dir: jp.libsDir },
    `fetching Apache Kafka ${version} from Maven Central (once)`,
  );
  const args = [
    '-B',
    '-Dstyle.color=never',
    '-f',
    jp.pom,
    'dependency:copy-dependencies',
    `-Dkafka.version=${version}`,
    `-Dcache.dir=${staging}`,
  ];
  let downloaded = 0;
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(mvnBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        if (output.length > 400) output.shift();
        if (/^Downloaded from /.test(line)) downloaded++;
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const progress = setInterval(() => {
      log.info(
        {
          event_name: 'kafka_fetch',
          phase: 'progress',
          version,
          artifacts_downloaded: downloaded,
          elapsed_ms: Date.now() - started,
        },
        'still fetching Kafka jars',
      );
    }, 5000);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('error', (err) => {
      output.push(String(err));
      clearInterval(progress);
      clearTimeout(timer);
      resolve(null);
    });
    child.on('close', (c) => {
      clearInterval(progress);
      clearTimeout(timer);
      resolve(c);
    });
  });
  if (code !== 0) {
    await fsp.rm(staging, { recursive: true, force: true });
    const errors = output.filter((l) => l.startsWith('[ERROR]')).slice(0, 15);
    throw new CxError(
      'dependency_missing',
      `could not fetch Apache Kafka ${version} from Maven Central (mvn exit ${code}); check the version and network ` +
        `access to repo.maven.apache.org, ${USE_CLUSTER}:\n${(errors.length ? errors : output.slice(-15)).join('\n')}`,
      { retriable: true },
    );
  }
  const jars = (await fsp.readdir(staging)).filter((f) => f.endsWith('.jar')).sort();
  if (!jars.some((j) => j.startsWith('kafka_2.13-'))) {
    throw new CxError('dependency_missing', `Maven returned no kafka_2.13 jar for Apache Kafka ${version}`);
  }
  // Merge into libs/ without deleting: a running broker may still read jars from there. Maven artifacts of
  // one version never change, so an existing jar of the same name and size is kept.
  await fsp.mkdir(jp.libsDir, { recursive: true });
  for (const jar of jars) {
    const src = path.join(staging, jar);
    const dst = path.join(jp.libsDir, jar);
    const [s, d] = await Promise.all([fsp.stat(src), fsp.stat(dst).catch(() => undefined)]);
    if (d && d.size === s.size) continue;
    await fsp.copyFile(src, `${dst}.tmp`);
    await fsp.rename(`${dst}.tmp`, dst);
  }
  await fsp.rm(staging, { recursive: true, force: true });
  const marker: JarsMarker = {
    version,
    pomSha256: createHash('sha256').update(pomBytes).digest('hex'),
    jars,
    fetchedAt: new Date().toISOString(),
  };
  await writeAtomic(jp.marker, `${JSON.stringify(marker, null, 2)}\n`);
  log.info(
    {
      event_name: 'kafka_fetch',
      phase: 'done',
      version,
      jars: jars.length,
      artifacts_downloaded: downloaded,
      ms: Date.now() - started,
    },
    `fetched Apache Kafka ${version} (${jars.length} jars)`,
  );
}

// ---------------------------------------------------------------------------------------------------------
// configuration files

function serverProperties(opts: LocalBrokerOptions, p: StatePaths): string {
  const partitions = opts.defaultPartitions ?? 6;
  return `# Written by cxpulse on every start of the local broker (edits are overwritten).
# Single node, KRaft: broker and controller in one process, listening on ${HOST} only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${opts.controllerPort}
listeners=PLAINTEXT://${HOST}:${opts.port},CONTROLLER://${HOST}:${opts.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${opts.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${p.data}

# Topics are created by cxpulse (ensureTopics) with explicit partitions and retention.
auto.create.topics.enable=false
num.partitions=${partitions}
default.replication.factor=1
min.insync.replicas=1
log.retention.hours=168
log.retention.check.interval.ms=300000
log.segment.bytes=268435456

# One node: internal topics cannot be replicated.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`;
}

export function log4jProperties(p: StatePaths): string {
  return `# Written by cxpulse: the local broker logs to ${p.log} (INFO), never to the console.
status = warn
name = cxpulse-local-kafka
# Kafka's own shutdown hook logs until the very end; log4j must not close the file before it.
shutdownHook = disable

appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${p.log}
appender.file.filePattern = ${p.log}.%i
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3

rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE

# As Kafka's own defaults: per-request logging only when something is wrong.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestChannel.name = kafka.network.RequestChannel$
logger.requestChannel.level = WARN
logger.zstd.name = com.github.luben.zstd
logger.zstd.level = WARN
`;
}

export function jvmArgs(p: StatePaths, heapMb: number): string[] {
  return [
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    `-Dkafka.logs.dir=${p.dir}`,
  ];
}

// ---------------------------------------------------------------------------------------------------------
// probing

/** Whether a Kafka broker answers a real request (DescribeCluster) on `brokers`. */
export async function answersKafka(brokers: string[], timeoutMs = 3000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'cxpulse-broker-probe',
    brokers,
    connectionTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: KafkaLogLevel.NOTHING,
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    const done = (v: boolean) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Whether this process could bind 127.0.0.1:port (EADDRINUSE → false). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    });
    srv.listen({ host: HOST, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function assertPortsFree(opts: LocalBrokerOptions): Promise<void> {
  const ports: [number, string][] = [
    [opts.port, 'KAFKA_LOCAL_PORT'],
    [opts.controllerPort, 'KAFKA_LOCAL_CONTROLLER_PORT'],
  ];
  if (opts.port === opts.controllerPort) {
    throw new CxError(
      'config_invalid',
      `KAFKA_LOCAL_PORT and KAFKA_LOCAL_CONTROLLER_PORT must differ (both are ${opts.port})`,
    );
  }
  for (const [port, key] of ports) {
    if (!(await portFree(port))) {
      throw new CxError(
        'port_in_use',
        `cannot start the local Kafka broker: port ${port} on ${HOST} (${key}) is already in use by another process. ` +
          `Stop that process or set ${key} to a free port` +
          (key === 'KAFKA_LOCAL_PORT'
            ? `; if it is a Kafka broker you want to use, set KAFKA_BROKERS=${HOST}:${port}`
            : ''),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// start / stop / status

/**
 * Start the local broker (fetching its jars and formatting its storage the first time) and wait until it
 * answers Kafka requests. Returns at once with `alreadyRunning: true` when the broker of this dir is up.
 */
export async function startLocalBroker(
  opts: LocalBrokerOptions,
): Promise<{ brokers: string[]; pid: number; alreadyRunning: boolean }> {
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
): Promise<{ brokers: string[]; pid: number; alreadyRunning: boolean }> {
  const brokers = brokersOf(opts);
  const existing = await readPid(p);
  if (existing !== undefined) {
    if (await isOurBroker(existing, p)) {
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
    await fsp.rm(p.pid, { force: true }); // stale
  }
  await assertPortsFree(opts);

  const jars = await ensureJars(opts.version, opts.projectRoot ?? defaultProjectRoot(), opts.mvnBin ?? 'mvn');
  await writeAtomic(p.serverProperties, serverProperties(opts, p));
  await writeAtomic(p.log4j, log4jProperties(p));
  await formatStorage(p, javaBin, jars.classpath);

  const started = Date.now();
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

  const deadline = started + timeoutMs;
  for (;;) {
    if (exited) break;
    if (await answersKafka(brokers)) {
      const ms = Date.now() - started;
      log.info({ event_name: 'kafka_broker_started', pid, brokers, ms }, `local Kafka broker up in ${ms} ms`);
      return { brokers, pid, alreadyRunning: false };
    }
    if (exited || Date.now() > deadline) break;
    await sleep(250);
  }
  if (!exited) {
    // Timed out: do not leave a half-started broker behind.
    await killAndWait(pid, STOP_GRACE_MS / 4);
  }
  release(p.dir);
  await fsp.rm(p.pid, { force: true });
  const why = exited ? `exited early (${exited})` : `did not answer on ${brokers[0]} within ${timeoutMs} ms`;
  throw new CxError(
    'broker_start_failed',
    `the local Kafka broker ${why}; ${p.log} ends with:\n${await logTail(p)}`,
    {
      retriable: !exited,
    },
  );
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

export async function logTail(p: StatePaths, lines = 40): Promise<string> {
  try {
    const fh = await fsp.open(p.log, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      let text = buf.toString('utf8');
      const mark = text.lastIndexOf('=== cxpulse: starting');
      if (mark >= 0) text = text.slice(mark);
      return tail(text, lines);
    } finally {
      await fh.close();
    }
  } catch {
    return '(no broker.log)';
  }
}

export async function formatStorage(p: StatePaths, javaBin: string, classpath: string): Promise<void> {
  if (fs.existsSync(path.join(p.data, 'meta.properties'))) return;
  let clusterId: string;
  try {
    clusterId = (await fsp.readFile(p.clusterId, 'utf8')).trim();
    if (!/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(clusterId)) throw new Error('malformed');
  } catch {
    // 22 characters, as `kafka-storage random-uuid`; like Kafka's Uuid, never starting with '-'
    do clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-'));
    await writeAtomic(p.clusterId, `${clusterId}\n`);
  }
  const started = Date.now();
  const r = await run(
    javaBin,
    [
      '-Xmx256m',
      '-XX:+UseSerialGC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${p.log4j}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${clusterId}`,
      `--config=${p.serverProperties}`,
      '--ignore-formatted',
    ],
    120_000,
    p.dir,
  );
  if (r.code !== 0) {
    throw new CxError(
      'broker_start_failed',
      `cannot format the local Kafka broker's storage in ${p.data}: ${r.error ? r.error.message : `exit ${r.code}`}\n` +
        tail(`${r.stdout}\n${r.stderr}`, 20),
    );
  }
  log.info(
    { event_name: 'kafka_format', cluster_id: clusterId, data_dir: p.data, ms: Date.now() - started },
    'formatted local Kafka storage',
  );
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
