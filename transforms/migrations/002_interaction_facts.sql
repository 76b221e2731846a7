-- One row per interaction with the facts every interaction KPI needs, kept current by a materialized
-- view over interaction_events.
--
-- Duplicates, out-of-order and late events: every column is an aggregate that gives the same result
-- whether an event is seen once or several times and in whatever order (min, max, uniqExact over
-- event_id). An event that arrives weeks late just updates its interaction's row. Read with
-- `GROUP BY interaction_id` and the -Merge combinators (or the view interaction_facts_v).

CREATE TABLE IF NOT EXISTS {{db}}.interaction_facts
(
    interaction_id     String,
    customer_id        SimpleAggregateFunction(max, String),
    channel            SimpleAggregateFunction(max, LowCardinality(String)),
    category           SimpleAggregateFunction(max, LowCardinality(String)),
    priority           SimpleAggregateFunction(max, LowCardinality(String)),
    -- severity as opened; an escalation may raise it (see escalated_severity)
    severity           SimpleAggregateFunction(max, LowCardinality(String)),
    team_id            SimpleAggregateFunction(max, LowCardinality(String)),
    agent_id           SimpleAggregateFunction(max, String),
    opened_at          SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_response_at  SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_resolved_at  SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_resolved_at   SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    last_reopened_at   SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    first_followed_up_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    abandoned_at       SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    abandon_wait_seconds SimpleAggregateFunction(max, Nullable(Float64)),
    transferred        SimpleAggregateFunction(max, UInt8),
    escalated          SimpleAggregateFunction(max, UInt8),
    escalated_severity SimpleAggregateFunction(max, LowCardinality(String)),
    reopens            AggregateFunction(uniqExact, String),
    events             AggregateFunction(uniqExact, String),
    last_event_at      SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY interaction_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.interaction_facts_mv TO {{db}}.interaction_facts AS
SELECT
    e.interaction_id AS interaction_id,
    maxIf(e.customer_id, e.type = 'interaction.opened')                      AS customer_id,
    maxIf(e.channel, e.type = 'interaction.opened')                          AS channel,
    maxIf(e.category, e.type = 'interaction.opened')                         AS category,
    maxIf(e.priority, e.type = 'interaction.opened')                         AS priority,
    maxIf(e.severity, e.type = 'interaction.opened')                         AS severity,
    maxIf(e.team_id, e.type = 'interaction.opened')                          AS team_id,
    maxIf(e.agent_id, e.type = 'interaction.opened')                         AS agent_id,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.opened')          AS opened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.first_response')  AS first_response_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS first_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.resolved')        AS last_resolved_at,
    maxIf(toNullable(e.occurred_at), e.type = 'interaction.reopened')        AS last_reopened_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.followed_up')     AS first_followed_up_at,
    minIf(toNullable(e.occurred_at), e.type = 'interaction.abandoned')       AS abandoned_at,
    maxIf(e.wait_seconds, e.type = 'interaction.abandoned')                  AS abandon_wait_seconds,
    toUInt8(countIf(e.type = 'interaction.transferred') > 0)               AS transferred,
    toUInt8(countIf(e.type = 'interaction.escalated') > 0)                 AS escalated,
    maxIf(e.severity, e.type = 'interaction.escalated')                      AS escalated_severity,
    uniqExactIfState(e.event_id, e.type = 'interaction.reopened')            AS reopens,
    uniqExactState(e.event_id)                                             AS events,
    max(e.occurred_at)                                                     AS last_event_at
FROM {{db}}.interaction_events AS e
GROUP BY interaction_id;

-- Merged, one row per interaction: what KPIs and analysts read.
CREATE VIEW IF NOT EXISTS {{db}}.interaction_facts_v AS
SELECT
    interaction_id,
    max(customer_id)            AS customer_id,
    max(channel)                AS channel,
    max(category)               AS category,
    max(priority)               AS priority,
    max(severity)               AS severity,
    max(team_id)                AS team_id,
    max(agent_id)               AS agent_id,
    min(opened_at)              AS opened_at,
    min(first_response_at)      AS first_response_at,
    min(first_resolved_at)      AS first_resolved_at,
    max(last_resolved_at)       AS last_resolved_at,
    max(last_reopened_at)       AS last_reopened_at,
    min(first_followed_up_at)   AS first_followed_up_at,
    min(abandoned_at)           AS abandoned_at,
    max(abandon_wait_seconds)   AS abandon_wait_seconds,
    max(transferred)            AS transferred,
    max(escalated)              AS escalated,
    max(escalated_severity)     AS escalated_severity,
    uniqExactMerge(reopens)     AS reopens,
    uniqExactMerge(events)      AS events,
    max(last_event_at)          AS last_event_at
FROM {{db}}.interaction_facts
GROUP BY interaction_id;
