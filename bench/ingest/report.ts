/** The ingest benchmark's report: the markdown written to bench/results/ingest-latest.md. */
import type { Config } from '../../infra/config.ts';
import { machineText } from '../common/machine.ts';
import { num as fmt, tableHead } from '../common/numbers.ts';
import { kafkaEngine } from './report-kafka-engine.ts';
import type { ProduceStats } from './produce.ts';
import { PHASE_NAMES, type Phase, type PhaseResult } from './spec.ts';

export interface Report {
  startedAt: string;
  totalSeconds: number;
  machine: Record<string, string | number>;
  /** cores busy on the machine in the 3 s before the benchmark started (other work on a shared machine) */
  backgroundCores: number;
  kafka: { version: string; where: string; partitions: number };
  engineVersion: string;
  nodeArgs: string[];
  experiments: { consumer?: Record<string, unknown>; run?: Record<string, unknown> };
  settings: Config['ingest'];
  produce: ProduceStats;
  phases: PhaseResult[];
}

/** The report of a run, as printed and written to bench/results/ingest-latest.md. */
export function markdown(r: Report): string {
  const lines = [...header(r), ...phaseTable(r), ...phaseDetails(r), ...verdict(r), ...kafkaEngine(r)];
  lines.push('', `Whole benchmark run: ${fmt(r.totalSeconds, 0)} s.`, '');
  return lines.join('\n');
}

/** Title, machine, the produced events, experiments, settings. */
function header(r: Report): string[] {
  const lines: string[] = [];
  lines.push(`### Ingest benchmark, ${r.startedAt}`, '');
  lines.push(
    `${machineText(r.machine)}; Kafka ${r.kafka.version} (${r.kafka.where}, ${r.kafka.partitions} partitions per event topic); ` +
      `chDB engine ${r.engineVersion}. Background load before the run: ${fmt(r.backgroundCores, 2)} cores busy.`,
    '',
  );
  lines.push(
    `Setup (not measured): ${fmt(r.produce.events)} sample events (${fmt(r.produce.bytes / 2 ** 20, 1)} MiB of JSON, ` +
      `${fmt(r.produce.byKind.interactions)} interactions / ${fmt(r.produce.byKind.surveys)} surveys / ` +
      `${fmt(r.produce.byKind.customers)} customers) produced in ${fmt(r.produce.seconds, 1)} s ` +
      `(${fmt(r.produce.events / r.produce.seconds)} events/s including generation, ${fmt(r.produce.generateSeconds, 1)} s of it generating).`,
    '',
  );
  if (r.experiments.consumer || r.experiments.run) {
    lines.push(
      `**EXPERIMENT** — phase (c) ran with the Ingester's kafkajs options overridden: consumer ` +
        `\`${JSON.stringify(r.experiments.consumer ?? {})}\`, run \`${JSON.stringify(r.experiments.run ?? {})}\`.`,
      '',
    );
  }
  if (r.nodeArgs.length > 0) lines.push(`Child Node flags: \`${r.nodeArgs.join(' ')}\`.`, '');
  lines.push(
    `Settings: INGEST_BATCH_SIZE=${r.settings.batchSize}, INGEST_FLUSH_MS=${r.settings.flushMs}, ` +
      `INGEST_MAX_BYTES_PER_PARTITION=${r.settings.maxBytesPerPartition}.`,
    '',
  );
  return lines;
}

/** One row per phase: events, seconds, events/s, CPU µs/event, peak RSS. */
function phaseTable(r: Report): string[] {
  const lines = tableHead(['phase', 'events', 'seconds', 'events/s', 'CPU µs/event', 'peak RSS MiB']);
  for (const p of r.phases) {
    lines.push(
      `| ${PHASE_NAMES[p.phase]} | ${fmt(p.events)} | ${fmt(p.seconds, 2)} | ${fmt(p.eventsPerSec)} | ` +
        `${fmt(p.cpuUsPerEvent, 1)} | ${fmt(p.peakRssMiB)} |`,
    );
  }
  lines.push('');
  return lines;
}

/** Per phase: where the machine's CPU went, CPU by thread, memory at the end of the window. */
function phaseDetails(r: Report): string[] {
  const lines: string[] = [];
  for (const p of r.phases) {
    const t = Object.entries((p.detail['threadCpuSeconds'] ?? {}) as Record<string, number>)
      .sort((x, y) => y[1] - x[1])
      .slice(0, 6)
      .map(([k, v]) => `${k} ${fmt(v, 1)}`)
      .join(', ');
    const d = p.detail as { machineBusyCores?: number; brokerCpuSeconds?: number; otherCores?: number };
    lines.push(
      `(${p.phase}): machine busy ${fmt(d.machineBusyCores ?? 0, 2)} of ${r.machine['cores']} cores = ` +
        `this process ${fmt(p.cpuUs / 1e6 / p.seconds, 2)} + broker ${fmt((d.brokerCpuSeconds ?? 0) / p.seconds, 2)} + ` +
        `other ${fmt(d.otherCores ?? 0, 2)}` +
        (t ? `; CPU s by thread: ${t}` : '') +
        '.  ',
    );
    const mem = p.detail['memory'] as Record<string, number> | undefined;
    if (mem) {
      lines.push(
        `(${p.phase}) memory at the end of the window (MiB): ` +
          Object.entries(mem)
            .map(([k, v]) => `${k.replace(/MiB$/, '').replace(/ MiB$/, '').trim()} ${fmt(v)}`)
            .join(', ') +
          '.  ',
      );
    }
  }
  return lines;
}

/** Phase (b)'s split, and the ratio of (c) to the slower of (a) and (b) against the aims. */
function verdict(r: Report): string[] {
  const lines: string[] = [];
  const by = (ph: Phase) => r.phases.find((p) => p.phase === ph);
  const a = by('a');
  const b = by('b');
  const c = by('c');
  if (b) {
    const d = b.detail as {
      readDecodeToRowSeconds: number;
      insertSeconds: number;
      waitForInsertSeconds: number;
    };
    lines.push(
      `(b) split: read + decodeEvent + toRow + rowLine ${fmt(d.readDecodeToRowSeconds, 2)} s on the main thread; ` +
        `ClickHouseSink.write ${fmt(d.insertSeconds, 2)} s in all (overlapping the decoding), of which the loop ` +
        `waited ${fmt(d.waitForInsertSeconds, 2)} s.`,
    );
  }
  if (a && b && c) {
    const slower = Math.min(a.eventsPerSec, b.eventsPerSec);
    lines.push(
      `Ratio (c) / min((a), (b)) = ${fmt(c.eventsPerSec)} / ${fmt(slower)} = **${fmt((100 * c.eventsPerSec) / slower, 1)} %** ` +
        `(c)/(a) = ${fmt((100 * c.eventsPerSec) / a.eventsPerSec, 1)} %, (c)/(b) = ${fmt((100 * c.eventsPerSec) / b.eventsPerSec, 1)} %.`,
    );
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    lines.push(
      `Aims: ≥ 100,000 events/s: ${met(c.eventsPerSec >= 100_000)}; ` +
        `≥ 85 % of (b): ${met(c.eventsPerSec >= 0.85 * b.eventsPerSec)}; ` +
        `≤ 15 CPU µs/event: ${met(c.cpuUsPerEvent <= 15)}; ` +
        `ingester RSS ≤ 512 MiB: ${met(c.peakRssMiB <= 512)} (≥ the Kafka engine: below, when (d) ran).`,
    );
  }
  return lines;
}
