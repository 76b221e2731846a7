/**
 * Phase (d)'s SQL: ClickHouse's own Kafka table engine on the bench topics, one `Kafka` table per event
 * topic kind (JSONEachRow, error mode `stream`), a materialized view from each into the SAME raw table
 * the Ingester writes (transforms/migrations/001_raw_events.sql), mapping the contract's fields to the
 * raw columns as `ingest/rows.ts` toRow does, and a second view per Kafka table that keeps the messages
 * the engine could not parse (`_error`, `_raw_message`) in `kafka_errors`.
 */
import type { EventTopicKind } from '../../infra/kafka/topics.ts';

/** The engine settings one Kafka table is created with (numbers, or text for the modes). */
export type KafkaEngineSettings = Record<string, number | string>;

/**
 * The fair defaults (bench/README.md says why): as many consumers on the big interactions topic as
 * cores (each with its own thread, so each flushes its own blocks), one on the two small topics; blocks
 * of up to 262,144 rows (where a first trial on this machine plateaued) and polls as large; a block flushed
 * after `flushMs` at the latest (the Ingester's INGEST_FLUSH_MS), not the engine's 7.5 s default.
 */
export function defaultKafkaSettings(
  kind: EventTopicKind,
  cores: number,
  partitions: number,
  flushMs: number,
): KafkaEngineSettings {
  const consumers = kind === 'interactions' ? Math.max(1, Math.min(cores, partitions)) : 1;
  const block = kind === 'interactions' ? 262_144 : 65_536;
  return {
    kafka_num_consumers: consumers,
    kafka_thread_per_consumer: consumers > 1 ? 1 : 0,
    kafka_max_block_size: block,
    kafka_poll_max_batch_size: block,
    kafka_flush_interval_ms: flushMs,
    kafka_handle_error_mode: 'stream',
  };
}

/**
 * The Kafka table's columns: the envelope and every field the raw table has a column for, all as
 * JSONEachRow reads them (strings as String, so a value outside the contract's enums is stored as
 * sent; `occurred_at` as text, parsed in the view with the offset the producer gave).
 */
const FIELDS: Record<EventTopicKind, string> = {
  interactions: `interaction_id String, customer_id String, channel String, category String, priority String,
    severity String, team_id String, agent_id String, to_team_id String, from_team_id String, subject String,
    reason String, resolution_code String, outcome String, wait_seconds Nullable(Float64)`,
  surveys: `customer_id String, survey String, score UInt8, interaction_id String, channel String,
    comment String, language String`,
  customers: `customer_id String, segment String, region String, signed_up_at String,
    amount Nullable(Float64), currency String, reason String`,
};

/** The view's SELECT list after the envelope: toRow's mapping of each field to its raw column. */
const MAPPING: Record<EventTopicKind, string> = {
  interactions: `interaction_id, customer_id, channel, category,
    if(type = 'interaction.opened' AND priority = '', 'normal', priority) AS priority,
    severity, team_id, agent_id, to_team_id, from_team_id, subject, reason, resolution_code, outcome,
    wait_seconds`,
  surveys: `customer_id, survey, score, interaction_id, channel, comment, language`,
  customers: `customer_id, segment, region,
    if(signed_up_at = '', NULL, parseDateTime64BestEffortOrNull(signed_up_at, 3, 'UTC')) AS signed_up_at,
    amount, currency, reason`,
};

export const RAW_TABLE: Record<EventTopicKind, string> = {
  interactions: 'interaction_events',
  surveys: 'survey_events',
  customers: 'customer_events',
};

const quote = (v: number | string) => (typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`);

/** CREATE TABLE … ENGINE = Kafka for one topic kind. */
export function kafkaTableSql(
  db: string,
  kind: EventTopicKind,
  k: { brokers: string[]; topic: string; group: string; settings: KafkaEngineSettings },
): string {
  const settings = Object.entries({
    kafka_broker_list: k.brokers.join(','),
    kafka_topic_list: k.topic,
    kafka_group_name: k.group,
    kafka_format: 'JSONEachRow',
    ...k.settings,
    // format settings: fields outside the raw columns are skipped (toRow keeps them in `attributes`);
    // `attributes` (an object) is read as its JSON text
    input_format_skip_unknown_fields: 1,
    input_format_json_read_objects_as_strings: 1,
  })
    .map(([key, v]) => `${key} = ${quote(v)}`)
    .join(',\n    ');
  return `CREATE TABLE ${db}.kafka_${kind}
  (event_id String, type String, occurred_at String, schema_version Nullable(UInt16),
    ${FIELDS[kind]}, attributes String)
  ENGINE = Kafka
  SETTINGS ${settings}`;
}

/** The materialized view from a Kafka table into its raw table: parsed rows only. */
export function rawViewSql(db: string, kind: EventTopicKind): string {
  return `CREATE MATERIALIZED VIEW ${db}.kafka_${kind}_mv TO ${db}.${RAW_TABLE[kind]} AS
  SELECT event_id, type, parseDateTime64BestEffortOrZero(occurred_at, 3, 'UTC') AS occurred_at,
    ifNull(schema_version, 1) AS schema_version,
    ${MAPPING[kind]},
    if(attributes = '', '{}', attributes) AS attributes,
    _topic, toInt32(_partition) AS _partition, toInt64(_offset) AS _offset
  FROM ${db}.kafka_${kind}
  WHERE length(_error) = 0`;
}

/** Where the messages the engine could not parse go (error mode `stream`). */
export function errorsTableSql(db: string): string {
  return `CREATE TABLE ${db}.kafka_errors
  (kind LowCardinality(String), topic String, partition Int32, offset Int64, error String, raw String)
  ENGINE = MergeTree ORDER BY (kind, topic, partition, offset)`;
}

/** The materialized view from a Kafka table into kafka_errors: the rows with an `_error`. */
export function errorViewSql(db: string, kind: EventTopicKind): string {
  return `CREATE MATERIALIZED VIEW ${db}.kafka_${kind}_errors_mv TO ${db}.kafka_errors AS
  SELECT '${kind}' AS kind, _topic AS topic, toInt32(_partition) AS partition, toInt64(_offset) AS offset,
    _error AS error, _raw_message AS raw
  FROM ${db}.kafka_${kind}
  WHERE length(_error) > 0`;
}
