-- KPI facts: the per-row facts every KPI is written against, materialized so dashboard queries read
-- them instead of rebuilding them from raw events on every call (metrics/rollups.ts keeps them current
-- and builds the daily rollups on top).
--
-- These rows are derived with the SLA policy and the time zone of the configuration (`day` is the
-- local date). The refresh job records a fingerprint of both in rollup_state and rebuilds everything
-- when it changes. A row is rewritten (higher `version`) only when one of its facts changed; read with
-- FINAL. Facts that depend on the instant of reading (an unanswered interaction whose response target
-- has passed) are not stored: they are judged at query time from opened_at and target_seconds.

CREATE TABLE IF NOT EXISTS {{db}}.interaction_kpi
(
    day                    Date,
    interaction_id         String,
    customer_id            String,
    opened_at              DateTime64(3, 'UTC'),
    channel                LowCardinality(String),
    category               LowCardinality(String),
    priority               LowCardinality(String),
    severity               LowCardinality(String),
    team_id                LowCardinality(String),
    agent_id               LowCardinality(String),
    segment                LowCardinality(String),
    region                 LowCardinality(String),
    responded              Bool,
    abandoned              Bool,
    first_response_seconds Nullable(Float64),
    target_seconds         Float64,
    responded_in_target    Bool,
    resolved               Bool,
    resolution_hours       Nullable(Float64),
    resolved_in_target     Bool,
    reopened               Bool,
    transferred            Bool,
    escalated              Bool,
    followed_up_in_48h     Bool,
    first_contact_resolved Bool,
    version                UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, interaction_id);

CREATE TABLE IF NOT EXISTS {{db}}.survey_kpi
(
    day          Date,
    event_id     String,
    customer_id  String,
    at           DateTime64(3, 'UTC'),
    survey       LowCardinality(String),
    score        UInt8,
    channel      LowCardinality(String),
    segment      LowCardinality(String),
    region       LowCardinality(String),
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, event_id);

CREATE TABLE IF NOT EXISTS {{db}}.customer_kpi
(
    customer_id      String,
    segment          LowCardinality(String),
    region           LowCardinality(String),
    since            DateTime64(3, 'UTC'),
    first_churned_at Nullable(DateTime64(3, 'UTC')),
    version          UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY customer_id;

-- The daily rollups: per local day and grouping set (`gs`, a bitmask of the dimensions it groups by,
-- bit i = DIMENSIONS[i] of metrics/types.ts; dimensions outside the set are ''), the additive
-- aggregates of every rate, count, mean and NPS metric: x (numerator, count or sum), n, s2 (sum of
-- squares, for a mean's CI), pro and det (NPS promoters, detractors). Weeks, months and totals are sums
-- of days. One partition per month: rebuilding days replaces their month's partition at once.
CREATE TABLE IF NOT EXISTS {{db}}.kpi_daily
(
    metric     LowCardinality(String),
    gs         UInt16,
    day        Date,
    channel    LowCardinality(String),
    category   LowCardinality(String),
    priority   LowCardinality(String),
    severity   LowCardinality(String),
    team_id    LowCardinality(String),
    agent_id   LowCardinality(String),
    segment    LowCardinality(String),
    region     LowCardinality(String),
    x          Float64,
    n          UInt64,
    s2         Float64,
    pro        UInt64,
    det        UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (metric, gs, day);

-- Customers by the local day they became customers and the day they first churned (NULL: not
-- churned), per segment and region: enough to count, for any period, those active at its start and
-- those of them who churned in it. Rebuilt whole when customers change.
CREATE TABLE IF NOT EXISTS {{db}}.kpi_cohorts
(
    since_day  Date,
    churn_day  Nullable(Date),
    segment    LowCardinality(String),
    region     LowCardinality(String),
    customers  UInt64
)
ENGINE = MergeTree
ORDER BY (since_day, segment, region);

-- One row per refresh (the latest is the state): what the facts and rollups were built with and how
-- far they are complete.
CREATE TABLE IF NOT EXISTS {{db}}.rollup_state
(
    version          UInt64,
    fingerprint      String,
    -- every row ingested before this instant is counted in the facts and rollups
    complete_through DateTime64(3, 'UTC'),
    -- the instant "target passed" was judged at for unanswered interactions in the daily rollups
    evaluated_at     DateTime64(3, 'UTC'),
    full_rebuild     Bool,
    interactions_rewritten UInt64,
    surveys_rewritten UInt64,
    customers_rewritten UInt64,
    days_rebuilt     UInt32,
    seconds          Float64,
    refreshed_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY version;

-- The refresh reads what was ingested since its last run: a min-max index on the ingestion time lets
-- it skip the parts and granules written before.
ALTER TABLE {{db}}.interaction_events ADD INDEX IF NOT EXISTS ingested_at_idx _ingested_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.survey_events ADD INDEX IF NOT EXISTS ingested_at_idx _ingested_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.customer_events ADD INDEX IF NOT EXISTS ingested_at_idx _ingested_at TYPE minmax GRANULARITY 1;
ALTER TABLE {{db}}.interaction_events MATERIALIZE INDEX ingested_at_idx;
ALTER TABLE {{db}}.survey_events MATERIALIZE INDEX ingested_at_idx;
ALTER TABLE {{db}}.customer_events MATERIALIZE INDEX ingested_at_idx;
