/** What the ingest benchmark's parent and its phase processes share: the phases, the spec, the result. */
import { randomBytes } from 'node:crypto';
import type { EventTopicKind } from '../../infra/kafka/topics.ts';

export const KINDS: readonly EventTopicKind[] = ['interactions', 'surveys', 'customers'];
export const DATABASE = 'cxbench';

export type Phase = 'a' | 'b' | 'c';
export const PHASE_NAMES: Record<Phase, string> = {
  a: '(a) no-op kafkajs consume',
  b: '(b) direct bulk insert (decode + toRow + sink)',
  c: '(c) end-to-end Ingester',
};

/** What the parent hands a child (as JSON in BENCH_SPEC). */
export interface ChildSpec {
  phase: Phase;
  events: number;
  brokers: string[];
  topicPrefix: string;
  /** fresh state dir of this phase (chDB data) */
  dir: string;
  /** NDJSON file of each event topic kind, in produce order: the input of phase (b) */
  ndjson: Record<EventTopicKind, string>;
  timeoutMs: number;
  /**
   * Experiments only (phase c): override options of the Ingester's kafkajs consumer / consumer.run, to
   * measure a proposed change of ingest/consumer.ts without editing it. Reported in the results.
   */
  consumerOverrides?: Record<string, unknown>;
  runOverrides?: Record<string, unknown>;
  /** extra Node flags for the child (e.g. --max-semi-space-size=64) */
  nodeArgs?: string[];
  /** pid of the local broker, to report its CPU during the window */
  brokerPid?: number;
  /** write a V8 CPU profile of the main thread over the timed window here */
  cpuProfile?: string;
}

/** What a child reports back over IPC. */
export interface PhaseResult {
  phase: Phase;
  events: number;
  /** seconds of the timed window */
  seconds: number;
  eventsPerSec: number;
  /** user+system CPU of the child during the timed window, µs */
  cpuUs: number;
  cpuUsPerEvent: number;
  /** user+system CPU of the whole child process (startup, setup, teardown included), µs */
  cpuUsWholeProcess: number;
  /** peak resident set of the child over its whole life (process.resourceUsage().maxRSS), MiB */
  peakRssMiB: number;
  /** highest RSS sampled every 100 ms during the timed window, MiB */
  windowRssMiB: number;
  /** phase-specific details */
  detail: Record<string, unknown>;
}

/** The environment of a phase: the bench topics, its own data dir and database, a fresh consumer group. */
export function childEnv(spec: ChildSpec): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: spec.brokers.join(','),
    KAFKA_TOPIC_PREFIX: spec.topicPrefix,
    CXPULSE_DATA_DIR: spec.dir,
    CLICKHOUSE_DATABASE: DATABASE,
    KAFKA_GROUP_ID: `bench-${spec.phase}-${randomBytes(4).toString('hex')}`,
  };
}

/** `p`, or a rejection once `ms` have passed. */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}
