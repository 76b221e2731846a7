/** The ingest benchmark's command line. */
import type { Phase } from './spec.ts';

export interface Args {
  events: number;
  partitions: number;
  phases: Phase[];
  cpuProf: Phase[];
  keep: boolean;
  timeoutMs: number;
  seed: number;
  nodeArgs: string[];
  consumerOverrides?: Record<string, unknown>;
  runOverrides?: Record<string, unknown>;
  kafkaEngineOverrides?: Record<string, number | string>;
}

export function parseArgs(argv: string[]): Args {
  const a: Args = {
    events: 1_000_000,
    partitions: 6,
    phases: ['a', 'b', 'c', 'd'],
    cpuProf: [],
    keep: false,
    timeoutMs: 300_000,
    seed: 42,
    nodeArgs: [],
  };
  const phases = (s: string): Phase[] => {
    const out = s.split(',').map((x) => x.trim().replace(/[()]/g, '')) as Phase[];
    for (const p of out)
      if (!['a', 'b', 'c', 'd'].includes(p)) throw new Error(`unknown phase ${p} (a, b, c, d)`);
    return out;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    const num = () => {
      const x = Number(v().replaceAll('_', ''));
      if (!Number.isInteger(x) || x <= 0) throw new Error(`${k} needs a positive integer`);
      return x;
    };
    if (k === '--events') a.events = num();
    else if (k === '--partitions') a.partitions = num();
    else if (k === '--phases') a.phases = phases(v());
    else if (k === '--cpu-prof') a.cpuProf = phases(v());
    else if (k === '--timeout-s') a.timeoutMs = num() * 1000;
    else if (k === '--seed') a.seed = num();
    else if (k === '--keep') a.keep = true;
    else if (k === '--experiment-consumer') a.consumerOverrides = JSON.parse(v()) as Record<string, unknown>;
    else if (k === '--experiment-run') a.runOverrides = JSON.parse(v()) as Record<string, unknown>;
    else if (k === '--kafka-engine')
      a.kafkaEngineOverrides = JSON.parse(v()) as Record<string, number | string>;
    else if (k === '--node-args') a.nodeArgs = v().split(/\s+/).filter(Boolean);
    else if (k === '--help' || k === '-h') {
      console.log(
        'npm run bench:ingest -- [--events N=1000000] [--partitions P=6] [--phases a,b,c,d] [--cpu-prof c] ' +
          '[--timeout-s 300] [--seed 42] [--node-args "--max-semi-space-size=64"] [--keep] ' +
          `[--kafka-engine '{"kafka_num_consumers":1}'] ` +
          `[--experiment-consumer '{"maxBytes":33554432}'] [--experiment-run '{"partitionsConsumedConcurrently":6}']`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  return a;
}
