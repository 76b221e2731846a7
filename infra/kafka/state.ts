/**
 * The state directory of a local Kafka node and who owns it: its paths, its pid file, the end of its log,
 * and a cross-process lock (a file created exclusively) that serialises starts and jar fetches.
 *
 * ```
 * <dir>/data/              log.dirs (formatted once; `meta.properties` marks it)
 * <dir>/cluster.id         the KRaft cluster id used by that format
 * <dir>/server.properties  rewritten from the options on every start
 * <dir>/log4j2.properties  broker logging → <dir>/broker.log (INFO, rolled at 50 MB)
 * <dir>/broker.log         broker log, plus the JVM's own stdout/stderr
 * <dir>/broker.pid         pid of the running broker
 * <dir>/start.lock         held while a process starts the broker
 * ```
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CxError } from '../errors.ts';
import { logger } from '../logger.ts';
import { commandLine, isAlive, sleep, tail } from './process.ts';

const log = logger('kafka-broker');

/** The project root holding infra/kafka/pom.xml and .cache/, resolved from this file's location. */
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

/** Whether `pid` is the broker of this state dir (guards against a reused pid). */
export async function isOurBroker(pid: number, p: StatePaths): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const cmd = await commandLine(pid);
  return cmd !== undefined && cmd.includes('kafka.Kafka') && cmd.includes(p.serverProperties);
}

export async function readPid(p: StatePaths): Promise<number | undefined> {
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
export async function withLock<T>(
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

/** The last `lines` of broker.log since the latest start marker. */
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
