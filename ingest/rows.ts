import type { EventTopicKind } from '../infra/kafka/topics.ts';
import { clickHouseTime } from '../infra/time.ts';
import { topicOf, type CxEvent, type FieldError } from './events.ts';

/**
 * Validated events → rows of the raw ClickHouse tables (transforms/migrations/001_raw_events.sql).
 * Fields that a table has no column for (unknown extras, and `attributes`) are kept in `attributes` as
 * JSON text.
 */

export const RAW_TABLES: Record<EventTopicKind, string> = {
  interactions: 'interaction_events',
  surveys: 'survey_events',
  customers: 'customer_events',
};

/**
 * The event fields each raw table has a column of its own for. The table definitions in
 * transforms/migrations/001_raw_events.sql are the schema, this is the mapping onto it: the two are
 * kept equal by test/unit/ingest/rows-columns.test.ts.
 */
export const COLUMNS: Record<EventTopicKind, readonly string[]> = {
  interactions: [
    'interaction_id',
    'customer_id',
    'channel',
    'category',
    'priority',
    'severity',
    'team_id',
    'agent_id',
    'to_team_id',
    'from_team_id',
    'subject',
    'reason',
    'resolution_code',
    'outcome',
    'wait_seconds',
  ],
  surveys: ['customer_id', 'survey', 'score', 'interaction_id', 'channel', 'comment', 'language'],
  customers: ['customer_id', 'segment', 'region', 'signed_up_at', 'amount', 'currency', 'reason'],
};
export const ENVELOPE = new Set(['event_id', 'type', 'occurred_at', 'schema_version', 'attributes']);
const TIME_COLUMNS = new Set(['signed_up_at']);

export interface Source {
  topic: string;
  partition: number;
  offset: string;
}

export type Row = Record<string, unknown>;

/** ClickHouse DateTime64(3, 'UTC') text for an ISO timestamp with offset (infra/time.ts). */
export const toClickHouseTime: (iso: string) => string = clickHouseTime;

const KNOWN: Record<EventTopicKind, ReadonlySet<string>> = {
  interactions: new Set(COLUMNS.interactions),
  surveys: new Set(COLUMNS.surveys),
  customers: new Set(COLUMNS.customers),
};

/**
 * One validated event as a row of its raw table. This runs once per ingested event, so it is written
 * for speed: one pass over the fields, no intermediate copies.
 */
export function toRow(e: CxEvent, src: Source): { table: EventTopicKind; row: Row } {
  const table = topicOf(e.type);
  const rec = e as unknown as Record<string, unknown>;
  const known = KNOWN[table];
  const row: Row = {
    event_id: e.event_id,
    type: e.type,
    occurred_at: toClickHouseTime(e.occurred_at),
    schema_version: e.schema_version ?? 1,
  };
  let extras: Record<string, unknown> | undefined;
  for (const k in rec) {
    const v = rec[k];
    if (v === undefined) continue;
    if (known.has(k)) row[k] = TIME_COLUMNS.has(k) ? toClickHouseTime(v as string) : v;
    else if (!ENVELOPE.has(k)) (extras ??= {})[k] = v;
  }
  if (e.type === 'interaction.opened' && row['priority'] === undefined) row['priority'] = 'normal';
  const attrs = rec['attributes'] as Record<string, unknown> | undefined;
  row['attributes'] = attrs || extras ? JSON.stringify({ ...attrs, ...extras }) : '{}';
  row['_topic'] = src.topic;
  row['_partition'] = src.partition;
  row['_offset'] = src.offset;
  return { table, row };
}

export interface DlqRecord {
  reason: string;
  errors: FieldError[];
  source: Source;
  raw: Buffer;
  rejectedAt: Date;
}

/** Most original bytes a cx.dlq message carries (base64 makes them 4/3 as many): Kafka caps a message at 1 MB. */
export const DLQ_MESSAGE_RAW_BYTES = 256 * 1024;

/**
 * The `cx.dlq` message of docs/contract.md: `{ reason, errors[], source, raw (base64), rejected_at }`. A
 * message too large for Kafka keeps its first DLQ_MESSAGE_RAW_BYTES bytes there, says so
 * (`raw_truncated`, `raw_bytes`), and stays whole in the DLQ table.
 */
export function dlqMessage(d: DlqRecord): string {
  const truncated = d.raw.length > DLQ_MESSAGE_RAW_BYTES;
  return JSON.stringify({
    reason: d.reason.toWellFormed(),
    errors: wellFormed(d.errors),
    source: { topic: d.source.topic, partition: d.source.partition, offset: d.source.offset },
    raw: (truncated ? d.raw.subarray(0, DLQ_MESSAGE_RAW_BYTES) : d.raw).toString('base64'),
    ...(truncated ? { raw_truncated: true, raw_bytes: d.raw.length } : {}),
    rejected_at: d.rejectedAt.toISOString(),
  });
}

export function dlqRow(d: DlqRecord): Row {
  return {
    source_topic: d.source.topic,
    source_partition: d.source.partition,
    source_offset: d.source.offset,
    reason: d.reason.toWellFormed(),
    errors: wellFormed(d.errors),
    // base64, as on the cx.dlq topic: the original bytes may not be text at all
    raw_base64: d.raw.toString('base64'),
    rejected_at: clickHouseTime(d.rejectedAt),
  };
}

/**
 * Field errors as storable text. A message may quote a slice of what the producer sent, and a slice can
 * cut a surrogate pair in half: a DLQ row must never be refused by the store it reports to.
 */
function wellFormed(errors: readonly FieldError[]): FieldError[] {
  return errors.map((e) => ({ field: e.field.toWellFormed(), message: e.message.toWellFormed() }));
}
