/**
 * The program of one phase's child process (`--child <phase>`, started by run-phase.ts): runs the phase
 * given as JSON in BENCH_SPEC and sends its result back over IPC. Each phase imports its own modules
 * when it runs, so the no-op consumer (a) does not load chDB (its native library alone is ~170 MiB of
 * RSS).
 */
import { phaseNoop } from './phase-a-noop.ts';
import { phaseBulk } from './phase-b-bulk.ts';
import { phaseEndToEnd } from './phase-c-end-to-end.ts';
import { phaseKafkaEngine } from './phase-d-kafka-engine.ts';
import type { ChildSpec, Phase } from './spec.ts';

export async function runChild(phase: Phase): Promise<void> {
  const spec = JSON.parse(process.env['BENCH_SPEC'] ?? '{}') as ChildSpec;
  const run = { a: phaseNoop, b: phaseBulk, c: phaseEndToEnd, d: phaseKafkaEngine }[phase];
  const result = await run(spec);
  await new Promise<void>((resolve, reject) =>
    process.send!({ type: 'result', result }, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

const childIdx = process.argv.indexOf('--child');
runChild(process.argv[childIdx + 1] as Phase).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
