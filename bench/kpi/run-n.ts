import path from 'node:path';
import { forkTsx } from '../common/child.ts';
import { ROOT } from '../common/results.ts';
import type { NResult, Spec } from './spec.ts';

const CHILD = path.join(ROOT, 'bench', 'kpi', 'child.ts');

/** Run one N in its own child Node process (child.ts), so peak RSS is per N; its result. */
export function runN(spec: Spec): Promise<NResult> {
  const child = forkTsx(CHILD, ['--child'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', BENCH_SPEC: JSON.stringify(spec) },
  });
  return new Promise<NResult>((resolve, reject) => {
    let result: NResult | undefined;
    child.on('message', (m: { result?: NResult; error?: string }) => {
      if (m.result) result = m.result;
      if (m.error) reject(new Error(m.error));
    });
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`child for N=${spec.interactions} exited with ${code}`)),
    );
  });
}
