-- Raw events, one table per topic, exactly as validated (CONTRACT.md §1).
--
-- Exactly-once in effect: Kafka redelivers and producers retry, so the same event_id can arrive more
-- than once, cut into other batches. Insert-block deduplication cannot catch that (see
-- ARCHITECTURE.md), so the raw tables are ReplacingMergeTree on event_id: duplicates collapse on
-- merge, `FINAL` or `uniqExact(event_id)` reads them exactly, and every derived table aggregates with
-- functions that a duplicate cannot change (min, max, argMax, uniqExact).
--
-- Strings that an event may omit are stored as '' (not Nullable) to keep scans cheap; numbers that an
-- event may omit are Nullable. Unknown extra fields and `attributes` are kept as JSON text.

CREATE TABLE IF NOT EXISTS {{db}}.interaction_events
(
    event_id        String,
    type            LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    schema_version  UInt16 DEFAULT 1,
    interaction_id  String,
    customer_id     String DEFAULT '',
    channel         LowCardinality(String) DEFAULT '',
    category        LowCardinality(String) DEFAULT '',
    priority        LowCardinality(String) DEFAULT '',
    severity        LowCardinality(String) DEFAULT '',
    team_id         LowCardinality(String) DEFAULT '',
    agent_id        String DEFAULT '',
    to_team_id      LowCardinality(String) DEFAULT '',
    from_team_id    LowCardinality(String) DEFAULT '',
    subject         String DEFAULT '',
    reason          String DEFAULT '',
    resolution_code LowCardinality(String) DEFAULT '',
    outcome         LowCardinality(String) DEFAULT '',
    wait_seconds    Nullable(Float64),
    attributes      String DEFAULT '{}',
    _topic          LowCardinality(String),
    _partition      Int32,
    _offset         Int64,
    _ingested_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS {{db}}.survey_events
(
    event_id        String,
    type            LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    schema_version  UInt16 DEFAULT 1,
    customer_id     String,
    survey          LowCardinality(String),
    score           UInt8,
    interaction_id  String DEFAULT '',
    channel         LowCardinality(String) DEFAULT '',
    comment         String DEFAULT '',
    language        LowCardinality(String) DEFAULT '',
    attributes      String DEFAULT '{}',
    _topic          LowCardinality(String),
    _partition      Int32,
    _offset         Int64,
    _ingested_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS {{db}}.customer_events
(
    event_id        String,
    type            LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    schema_version  UInt16 DEFAULT 1,
    customer_id     String,
    segment         LowCardinality(String) DEFAULT '',
    region          LowCardinality(String) DEFAULT '',
    signed_up_at    Nullable(DateTime64(3, 'UTC')),
    amount          Nullable(Float64),
    currency        LowCardinality(String) DEFAULT '',
    reason          String DEFAULT '',
    attributes      String DEFAULT '{}',
    _topic          LowCardinality(String),
    _partition      Int32,
    _offset         Int64,
    _ingested_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id;

-- Messages the ingester could not accept, with why and the original bytes (base64). Keyed by their source
-- position so a redelivered bad message is recorded once.
CREATE TABLE IF NOT EXISTS {{db}}.dlq
(
    source_topic     LowCardinality(String),
    source_partition Int32,
    source_offset    Int64,
    reason           String,
    errors           Array(Tuple(field String, message String)),
    raw_base64       String,
    rejected_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (source_topic, source_partition, source_offset);
