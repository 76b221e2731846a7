import type { EventTopicKind } from '../infra/kafka/topics.ts';
import { clickHouseTime } from '../infra/time.ts';
import type { CxEvent } from './events.ts';
import { COLUMNS, ENVELOPE, type Source } from './rows.ts';

/**
 * A validated event straight to the JSON line of its raw-table row (JSONEachRow), without building the
 * row object of `toRow` and serializing it again. The line holds exactly the values of
 * `rowLine(toRow(event, source))` (test/unit/ingest/row-line.test.ts compares the two on the whole
 * sample and on odd events); only the order of its keys may differ, which JSONEachRow ignores. This
 * runs once per ingested event: one pass over the fields, strings escaped by `JSON.stringify`.
 */

const KNOWN: Record<EventTopicKind, ReadonlySet<string>> = {
  interactions: new Set(COLUMNS.interactions),
  surveys: new Set(COLUMNS.surveys),
  customers: new Set(COLUMNS.customers),
};

/** What every row of one partition shares: `,"_topic":…,"_partition":…`, built once per chunk. */
export function sourceTail(topic: string, partition: number): string {
  return `,"_topic":${JSON.stringify(topic)},"_partition":${partition}`;
}

/**
 * The row line of `e` on table `table` (its topic kind, see `topicOf`), from the offset of its message
 * and the tail of its partition (`sourceTail`).
 */
export function rowLineOf(e: CxEvent, table: EventTopicKind, tail: string, offset: string): string {
  const rec = e as unknown as Record<string, unknown>;
  const known = KNOWN[table];
  let line = `{"event_id":${JSON.stringify(e.event_id)},"type":${JSON.stringify(e.type)},"occurred_at":"${clickHouseTime(e.occurred_at)}","schema_version":${JSON.stringify(e.schema_version ?? 1)}`;
  let extras: Record<string, unknown> | undefined;
  for (const k in rec) {
    const v = rec[k];
    if (v === undefined) continue;
    if (known.has(k))
      line += `,"${k}":${k === 'signed_up_at' ? `"${clickHouseTime(v as string)}"` : JSON.stringify(v)}`;
    else if (!ENVELOPE.has(k)) (extras ??= {})[k] = v;
  }
  if (e.type === 'interaction.opened' && rec['priority'] === undefined) line += ',"priority":"normal"';
  const attrs = rec['attributes'] as Record<string, unknown> | undefined;
  const attributes = attrs || extras ? JSON.stringify({ ...attrs, ...extras }) : '{}';
  return `${line},"attributes":${JSON.stringify(attributes)}${tail},"_offset":${JSON.stringify(offset)}}`;
}

/** The source of a row line, for callers holding a `Source`. */
export function rowLineFrom(e: CxEvent, table: EventTopicKind, src: Source): string {
  return rowLineOf(e, table, sourceTail(src.topic, src.partition), src.offset);
}
