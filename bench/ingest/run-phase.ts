import path from 'node:path';
import { forkTsx } from '../common/child.ts';
import { ROOT } from '../common/results.ts';
import type { ChildSpec, PhaseResult } from './spec.ts';

const CHILD = path.join(ROOT, 'bench', 'ingest', 'child.ts');

/** Run one phase in its own child Node process (child.ts) and wait for its result. */
export function runPhase(spec: ChildSpec): Promise<PhaseResult> {
  const child = forkTsx(CHILD, ['--child', spec.phase], {
    cwd: ROOT,
    nodeArgs: spec.nodeArgs ?? [],
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', BENCH_SPEC: JSON.stringify(spec) },
  });
  return new Promise<PhaseResult>((resolve, reject) => {
    let result: PhaseResult | undefined;
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`phase ${spec.phase}: child did not finish within ${spec.timeoutMs + 120_000} ms`));
    }, spec.timeoutMs + 120_000);
    child.on('message', (m: { type: string; result: PhaseResult }) => {
      if (m?.type === 'result') result = m.result;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      if (result && code === 0) resolve(result);
      else
        reject(
          new Error(
            `phase ${spec.phase}: child exited with ${signal ?? code} ${result ? '' : 'without a result'}`,
          ),
        );
    });
  });
}
