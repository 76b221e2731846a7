import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CxError } from './errors.ts';

/**
 * Who holds an embedded ClickHouse data directory. The engine takes an exclusive `flock` on
 * `<dir>/status` and writes `PID: <pid>` into it; a second process opening the directory fails with
 * "Cannot lock file …/status", and the engine prints that to stderr itself. Looking first lets the
 * command stop with one line naming the holder instead. A `status` file left by a killed process
 * holds no lock and is not in the way.
 */
export interface StoreHolder {
  pid: number;
  /** its command line, when /proc shows it */
  command?: string;
}

/** The PID recorded in the engine's `status` file ("PID: 1234" on its first line). */
export function parseStatusPid(text: string): number | undefined {
  const m = /^PID:\s*(\d+)\s*$/m.exec(text);
  const pid = m ? Number(m[1]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * PIDs holding a lock on the file with device number `dev` and inode `ino`, from the text of
 * /proc/locks (lines like `1: FLOCK  ADVISORY  WRITE 5926 fe:00:9986759 0 EOF`, device as hex
 * major:minor). Blocked waiters (`->`) hold nothing and are skipped.
 */
export function parseProcLocks(text: string, dev: number, ino: number): number[] {
  const major = ((dev >> 8) & 0xfff).toString(16).padStart(2, '0');
  const minor = ((dev & 0xff) | ((dev >> 12) & 0xfff00)).toString(16).padStart(2, '0');
  const want = `${major}:${minor}:${ino}`;
  const pids: number[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '->') continue;
    if (f[5] === want && /^\d+$/.test(f[4] ?? '')) pids.push(Number(f[4]));
  }
  return pids;
}

/** The one line that says the directory is taken, by whom, and what to do. */
export function dataDirLockedMessage(dir: string, holder: StoreHolder): string {
  const who = holder.command
    ? `process ${holder.pid} (${holder.command})`
    : holder.pid > 0
      ? `process ${holder.pid}`
      : 'another process';
  return `data directory ${dir} is in use by ${who}: stop it, or set CXPULSE_DATA_DIR to another directory`;
}

/** A command line as /proc/<pid>/cmdline has it, one space between arguments, cut to a readable length. */
function commandOf(pid: number): string | undefined {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    if (!cmd) return undefined;
    return cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Another process holding `dir`, or undefined. On Linux /proc/locks says whether the `status` lock is
 * held; elsewhere only `openFailed` (the engine has just refused the directory) makes a live PID in the
 * file count, since a PID left by a killed process may have been reused.
 */
export function findStoreHolder(dir: string, openFailed = false): StoreHolder | undefined {
  const status = path.join(dir, 'status');
  let recorded: number | undefined;
  let dev: number;
  let ino: number;
  try {
    recorded = parseStatusPid(readFileSync(status, 'utf8'));
    ({ dev, ino } = statSync(status));
  } catch {
    return undefined;
  }
  let holders: number[] | undefined;
  try {
    holders = parseProcLocks(readFileSync('/proc/locks', 'utf8'), dev, ino);
  } catch {
    holders = undefined;
  }
  let pid: number | undefined;
  if (holders) {
    if (holders.length === 0 || holders.includes(process.pid)) return undefined;
    // a holder in another PID namespace shows as 0 there: the PID it recorded is the better name
    pid = recorded !== undefined && (holders.includes(recorded) || holders[0] === 0) ? recorded : holders[0];
  } else if (openFailed && recorded !== undefined && recorded !== process.pid && isAlive(recorded)) {
    pid = recorded;
  }
  if (pid === undefined) return undefined;
  const command = pid > 0 ? commandOf(pid) : undefined;
  return command ? { pid, command } : { pid };
}

/** Throws `data_dir_locked` naming the holder when another process holds `dir`. */
export function assertStoreFree(dir: string, openFailed = false, cause?: unknown): void {
  const holder = findStoreHolder(dir, openFailed);
  if (holder) {
    throw new CxError('data_dir_locked', dataDirLockedMessage(dir, holder), {
      details: { dir, pid: holder.pid },
      ...(cause === undefined ? {} : { cause }),
    });
  }
}
