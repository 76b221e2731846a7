import { fork, type ChildProcess } from 'node:child_process';

/**
 * Start a benchmark's child Node process with the same tsx loader as the CLI and an IPC channel:
 * stdout and stderr are the parent's.
 */
export function forkTsx(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; nodeArgs?: string[] },
): ChildProcess {
  return fork(file, args, {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    execArgv: ['--import', import.meta.resolve('tsx'), ...(opts.nodeArgs ?? [])],
    env: opts.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}
