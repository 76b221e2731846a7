import fsp from 'node:fs/promises';
import os from 'node:os';

/** The machine a benchmark ran on, for its report: CPU model, cores, RAM, OS, Node. */
export async function machine(): Promise<Record<string, string | number>> {
  const cpuinfo = await fsp.readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return {
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** The report's machine line: `Machine: <cpu>, <n> cores, <r> GiB RAM, <os>; Node <version>`. */
export function machineText(m: Record<string, string | number>): string {
  return `Machine: ${m['cpu']}, ${m['cores']} cores, ${m['ramGiB']} GiB RAM, ${m['os']}; Node ${m['node']}`;
}
