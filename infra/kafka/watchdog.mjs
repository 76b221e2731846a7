// The watchdog of a local Kafka JVM, run by infra/kafka/process.ts as `node watchdog.mjs <pid> <marker>
// <graceMs>` with the read end of a pipe from the process that started the JVM on its stdin. When that
// process is gone — exit, signal, crash, SIGKILL — the pipe closes and the watchdog stops the JVM
// (SIGTERM to its process group, then SIGKILL after the grace period). It exits by itself as soon as the
// JVM is gone, and checks the JVM's command line (`kafka.Kafka` and the marker, its server.properties)
// first so a reused pid is never killed. Plain JavaScript: it runs in a bare `node`, without tsx.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

const pid = Number(process.argv[2]);
const marker = process.argv[3];
const grace = Number(process.argv[4]);

for (const s of ['SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(s, () => {});

function alive() {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  try {
    const st = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
    return st[st.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

function ours() {
  let cmd;
  try {
    cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8');
  } catch {
    try {
      cmd = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    } catch {
      return false;
    }
  }
  return cmd.includes('kafka.Kafka') && cmd.includes(marker);
}

function kill(sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  if (!alive() || !ours()) process.exit(0);
  kill('SIGTERM');
  const until = Date.now() + grace;
  setInterval(() => {
    if (!alive()) process.exit(0);
    if (Date.now() > until) {
      kill('SIGKILL');
      process.exit(0);
    }
  }, 200);
}

process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
setInterval(() => {
  if (!stopping && !alive()) process.exit(0);
}, 2000);
