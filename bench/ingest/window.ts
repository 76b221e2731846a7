/** The timed window of a phase: wall clock, CPU of the process and of each thread, the machine, RSS. */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ownRss, sampleMax } from '../common/sample.ts';
import type { ChildSpec, Phase, PhaseResult } from './spec.ts';

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
export function machineCpu(): { busy: number; total: number } {
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
export async function startWindow(spec: ChildSpec): Promise<Window> {
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

export class Window {
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
  private readonly rss = sampleMax(ownRss);

  finish(phase: Phase, events: number, detail: Record<string, unknown>): PhaseResult {
    const seconds = (performance.now() - this.t0) / 1000;
    const c = process.cpuUsage(this.c0);
    const maxRss = this.rss.stop().rss;
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
      windowRssMiB: maxRss / 1024 / 1024,
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
