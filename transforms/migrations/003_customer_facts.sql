-- One row per customer: attributes as of the latest upsert, first purchase, churn. Built like
-- interaction_facts, from aggregates a duplicate or a late event cannot skew (argMax on occurred_at
-- keeps the latest upsert however the events arrive).

CREATE TABLE IF NOT EXISTS {{db}}.customer_facts
(
    customer_id      String,
    segment          AggregateFunction(argMax, LowCardinality(String), DateTime64(3, 'UTC')),
    region           AggregateFunction(argMax, LowCardinality(String), DateTime64(3, 'UTC')),
    signed_up_at     SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    first_seen_at    SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    first_churned_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_churned_at  SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    last_renewed_at  SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    last_purchased_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    events           AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
ORDER BY customer_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.customer_facts_mv TO {{db}}.customer_facts AS
SELECT
    e.customer_id AS customer_id,
    argMaxIfState(e.segment, e.occurred_at, e.type = 'customer.upserted' AND e.segment != '')   AS segment,
    argMaxIfState(e.region, e.occurred_at, e.type = 'customer.upserted' AND e.region != '')     AS region,
    min(e.signed_up_at)                                                                   AS signed_up_at,
    min(e.occurred_at)                                                                    AS first_seen_at,
    minIf(toNullable(e.occurred_at), e.type = 'customer.churned')                           AS first_churned_at,
    maxIf(toNullable(e.occurred_at), e.type = 'customer.churned')                           AS last_churned_at,
    maxIf(toNullable(e.occurred_at), e.type = 'customer.renewed')                           AS last_renewed_at,
    maxIf(toNullable(e.occurred_at), e.type = 'customer.purchased')                         AS last_purchased_at,
    uniqExactState(e.event_id)                                                            AS events
FROM {{db}}.customer_events AS e
GROUP BY customer_id;

CREATE VIEW IF NOT EXISTS {{db}}.customer_facts_v AS
SELECT
    customer_id,
    argMaxMerge(segment)     AS segment,
    argMaxMerge(region)      AS region,
    min(signed_up_at)        AS signed_up_at,
    min(first_seen_at)       AS first_seen_at,
    min(first_churned_at)    AS first_churned_at,
    max(last_churned_at)     AS last_churned_at,
    max(last_renewed_at)     AS last_renewed_at,
    max(last_purchased_at)   AS last_purchased_at,
    uniqExactMerge(events)   AS events
FROM {{db}}.customer_facts
GROUP BY customer_id;
