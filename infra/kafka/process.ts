/**
 * Processes of the local Kafka JVMs (the single broker of broker.ts, the nodes of cluster.ts): running a
 * command, whether a pid is alive, signalling a process group, and tying a JVM to this process so it
 * never outlives it (a watchdog process, watchdog.mjs, stops it when this process dies, even by SIGKILL).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../errors.ts';
import { logger } from '../logger.ts';

const log = logger('kafka-broker');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** spawn error such as ENOENT */
  error?: NodeJS.ErrnoException;
}

export function run(bin: string, args: string[], timeoutMs: number, cwd?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        if (e && typeof e.code === 'string') resolve({ code: null, stdout, stderr, error: e });
        else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Whether a process exists (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** The command line of a process, or undefined when it cannot be read. */
export async function commandLine(pid: number): Promise<string | undefined> {
  try {
    return (await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    const r = await run('ps', ['-o', 'command=', '-p', String(pid)], 5000);
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  }
}

export async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, content);
  await fsp.rename(tmp, file);
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// tying a non-detached broker to this process

interface Owned {
  child: ChildProcess;
  watchdog: ChildProcess | undefined;
  onExit: () => void;
}

/** Kafka JVMs started by this process without `detached`, by state dir. */
const owned = new Map<string, Owned>();

/**
 * The watchdog (watchdog.mjs): a tiny Node process holding the read end of a pipe from this process. When
 * this process is gone — exit, signal, crash, SIGKILL — the pipe closes and the watchdog stops the broker
 * (SIGTERM, then SIGKILL after the grace period). It exits by itself as soon as the broker is gone, and
 * checks the broker's command line first so a reused pid is never killed.
 */
const WATCHDOG = fileURLToPath(new URL('./watchdog.mjs', import.meta.url));

/**
 * Stop the JVM `child` (a Kafka node whose command line holds `marker`, its server.properties) when this
 * process goes away, however it goes; `dir` identifies it for {@link release}.
 */
export function tieToThisProcess(child: ChildProcess, dir: string, marker: string, graceMs: number): void {
  const pid = child.pid!;
  let watchdog: ChildProcess | undefined;
  try {
    watchdog = spawn(process.execPath, [WATCHDOG, String(pid), marker, String(graceMs)], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    watchdog.on('error', (err) =>
      log.warn({ event_name: 'kafka_watchdog_failed', err: errorMessage(err) }, 'broker watchdog failed'),
    );
    watchdog.unref();
    (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  } catch (err) {
    log.warn(
      { event_name: 'kafka_watchdog_failed', err: errorMessage(err) },
      'cannot start the broker watchdog',
    );
  }
  // The fast path on a normal exit (the watchdog covers signals and crashes too). Only synchronous work
  // is possible here; the broker shuts down on SIGTERM by itself.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  process.on('exit', onExit);
  child.once('exit', () => release(dir));
  owned.set(dir, { child, watchdog, onExit });
}

export function release(dir: string): void {
  const o = owned.get(dir);
  if (!o) return;
  owned.delete(dir);
  process.off('exit', o.onExit);
  // The watchdog leaves by itself once the broker is gone; closing its pipe makes that immediate.
  o.watchdog?.stdin?.destroy();
}

export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig); // the broker leads its own process group
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL. Resolves when the process is gone. */
export async function killAndWait(pid: number, graceMs: number): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    log.warn({ event_name: 'kafka_broker_kill', pid }, 'local Kafka broker ignored SIGTERM; killing it');
    signalGroup(pid, 'SIGKILL');
    const hard = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < hard) await sleep(50);
  }
}
