/** The report's lines on phase (d), ClickHouse's Kafka engine: its settings, errors, check, and (c) against it. */
import { num as fmt } from '../common/numbers.ts';
import type { MappingCheck } from './mapping-check.ts';
import type { Report } from './report.ts';

/** The settings of the interactions table, and where the others differ from them. */
function settingsText(all: Record<string, Record<string, number | string>>): string {
  const main = all['interactions'] ?? {};
  const text = (o: Record<string, number | string>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
  const others = Object.entries(all)
    .filter(([k]) => k !== 'interactions')
    .map(([k, o]) => {
      const d = Object.fromEntries(Object.entries(o).filter(([key, v]) => main[key] !== v));
      return Object.keys(d).length > 0 ? `${k}: ${text(d)}` : '';
    })
    .filter(Boolean);
  return `interactions: ${text(main)}` + (others.length > 0 ? `; ${others.join('; ')}` : '');
}

/** Phase (d)'s settings, unparsed messages, the mapping check, and the end-to-end Ingester against it. */
export function kafkaEngine(r: Report): string[] {
  const d = r.phases.find((p) => p.phase === 'd');
  if (!d) return [];
  const det = d.detail as {
    kafkaSettings?: Record<string, Record<string, number | string>>;
    errorRows?: number;
    attachMs?: number;
    firstRowMs?: number;
    stored?: { rows: number; distinct: number };
    mapping?: MappingCheck;
  };
  const lines: string[] = [''];
  lines.push(
    `(d) Kafka tables (JSONEachRow, one per event topic, a fresh group): ${settingsText(det.kafkaSettings ?? {})}. ` +
      `Views created in ${fmt(det.attachMs ?? 0)} ms and the first row stored after ${fmt((det.firstRowMs ?? 0) / 1000, 2)} s ` +
      `(group join + first block, inside the window); ` +
      `${fmt(det.stored?.rows ?? 0)} raw rows, ${fmt(det.stored?.distinct ?? 0)} distinct events, ` +
      `${fmt(det.errorRows ?? 0)} messages the engine could not parse (\`_error\`).`,
  );
  const m = det.mapping;
  if (m) {
    const sampled = Object.values(m.sampled).reduce((a, b) => a + b, 0);
    const cols = Object.entries(m.columns)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    lines.push(
      `(d) mapping check: ${fmt(sampled)} sampled events, every column (${cols}; not \`_partition\`, ` +
        `\`_offset\`, \`_ingested_at\`) equal to what toRow makes of them: ` +
        `${m.differences.length === 0 ? 'yes' : `NO (${JSON.stringify(m.differences)})`}.`,
    );
  }
  const c = r.phases.find((p) => p.phase === 'c');
  if (c) {
    lines.push(
      `(c) / (d) = ${fmt(c.eventsPerSec)} / ${fmt(d.eventsPerSec)} = **${fmt((100 * c.eventsPerSec) / d.eventsPerSec, 1)} %**; ` +
        `aim: the end-to-end Ingester ≥ the Kafka engine in the same run: ` +
        `${c.eventsPerSec >= d.eventsPerSec ? 'met' : 'NOT met'}. CPU µs/event (c) ${fmt(c.cpuUsPerEvent, 1)}, ` +
        `(d) ${fmt(d.cpuUsPerEvent, 1)}.`,
    );
  }
  lines.push(
    '(d) does not validate (a value outside the contract is stored as sent), keeps no DLQ beyond ' +
      '`kafka_errors` for messages it cannot parse, drops unknown fields instead of keeping them in ' +
      '`attributes`, and is at-least-once (duplicates collapse in the raw tables): see bench/README.md.',
  );
  return lines;
}
